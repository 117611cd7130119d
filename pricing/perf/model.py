"""Calibrated predictions: physics terms x fitted coefficients, plus KV-capacity queueing."""

from __future__ import annotations

import json
from functools import cache

import numpy as np

from pricing.perf import physics
from pricing.perf.coefficients import COEFFICIENTS, lookup


@cache
def calibration() -> dict:
    """The committed fit: coefficient sets, error report and uncertainty bands."""
    return json.loads(COEFFICIENTS.read_text())


# Extra width of the 80 % range where the calibration holds no measurement: a GPU measured at another
# precision family (x1.25 each way), a GPU never measured (x1.6 each way: efficiencies borrowed from
# other parts).  Multiplicative on the measured/predicted band: lo / w, hi x w.
WIDEN_PRECISION = 1.25
WIDEN_GPU = 1.6
FP4 = ("nvfp4", "mxfp4")


def family(precision: str) -> str:
    return "fp4" if precision in FP4 else "8-16bit"


def band(is_moe: bool, precision: str, gpu: str | None = None, mode: str = "agg") -> dict:
    """80 % range of measured/predicted for TTFT, TPOT and throughput per GPU of one configuration.

    From the held-out calibration rows of its regime (architecture / precision family / mode), widened
    where the calibration holds no measurement of this GPU (or of this GPU at this precision family).
    ``measured`` says which case applies: 'gpu+precision', 'gpu', or 'none'.
    """
    regime = f"{'moe' if is_moe else 'dense'}/{family(precision)}/{mode}"
    report = calibration()["report"]
    rows = {r["split"]: r for r in report if r["regime"] == regime}
    if not rows:  # e.g. dense disagg: fall back to the agg regime of the class
        regime = f"{'moe' if is_moe else 'dense'}/{family(precision)}/agg"
        rows = {r["split"]: r for r in report if r["regime"] == regime}
    row = rows.get("held-out") or rows.get("train")
    measured_pairs = {tuple(p.split("/")) for p in calibration().get("measured", [])}
    if gpu is None:
        measured, widen = "gpu+precision", 1.0
    elif any(g == gpu and family(p) == family(precision) for g, p in measured_pairs):
        measured, widen = "gpu+precision", 1.0
    elif any(g == gpu for g, _ in measured_pairs):
        measured, widen = "gpu", WIDEN_PRECISION
    else:
        measured, widen = "none", WIDEN_GPU
    out = {"regime": regime, "rows": row["rows"], "measured": measured, "widened_by": widen}
    for m in ("ttft", "tpot", "throughput"):
        out[m] = [round(row[f"{m}_band_lo"] / widen, 3), round(row[f"{m}_band_hi"] * widen, 3)]
    return out


def _apply(x: np.ndarray, keys: np.ndarray, sets: dict) -> np.ndarray:
    out = np.empty(len(x))
    for key in np.unique(keys):
        rows = keys == key
        out[rows] = x[rows] @ np.asarray(lookup(sets, str(key)))
    return out


def predict(c: physics.Configs, keys: np.ndarray, prefill: physics.Configs | None = None,
            coefficients: dict | None = None) -> dict[str, np.ndarray]:
    """TTFT/TPOT/throughput for each configuration; ``keys`` pick the coefficient set per row.

    ``prefill`` lays out the prefill workers when they differ (disaggregated serving); requests beyond
    the KV-cache capacity wait one full generation per wave before their prefill starts.
    """
    sets = coefficients or calibration()["coefficients"]
    mem = physics.memory(c)
    decode = physics.decode_terms(c, mem)
    tpot = _apply(physics.design(decode, physics.TPOT_FEATURES), keys, sets["tpot"])
    ttft_terms = physics.ttft_terms(prefill if prefill is not None else c, decode, tpot)
    ttft = _apply(physics.design(ttft_terms, physics.TTFT_FEATURES), keys, sets["ttft"])
    waves = np.maximum(c["conc"] / np.maximum(mem["max_concurrency"], 1) - 1, 0)
    ttft = ttft + waves * c["osl"] * tpot
    cycle = ttft + (c["osl"] - 1) * tpot
    gpus = c["tp"] * c["dp"]
    return {"ttft_s": ttft, "tpot_s": tpot,
            "output_tok_s_per_gpu": c["conc"] * c["osl"] / cycle / gpus,
            "total_tok_s_per_gpu": c["conc"] * (c["isl"] + c["osl"]) / cycle / gpus,
            "tok_s_per_user": 1 / tpot, "gpus": gpus,
            "max_concurrency_kv": mem["max_concurrency"], "fits": mem["fits"],
            "weights_gb_per_gpu": mem["weights_per_gpu"] / 1e9, "kv_budget_gb_per_gpu": mem["kv_budget"] / 1e9,
            "memory_bound": decode["memory_bound"]}

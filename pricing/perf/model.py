"""Calibrated predictions: physics terms x fitted coefficients, plus KV-capacity queueing."""

from __future__ import annotations

import json
from functools import cache

import numpy as np

from tokenomics.pricing.perf import anchors, physics
from tokenomics.pricing.perf.catalogue import catalogue
from tokenomics.pricing.perf.coefficients import COEFFICIENTS, lookup


@cache
def calibration() -> dict:
    """The committed fit: coefficient sets, error report and uncertainty bands."""
    return json.loads(COEFFICIENTS.read_text())


# Extra width of the 80 % range where the calibration holds no measurement: a GPU measured at another
# precision family (x1.25 each way), a GPU never measured (x1.6 each way: efficiencies borrowed from
# other parts).  Multiplicative on the measured/predicted band: lo / w, hi x w.
WIDEN_PRECISION = 1.25
MIN_BAND_ROWS = 10  # fewer held-out rows than this: the band comes from the training rows of the regime
WIDEN_GPU = 1.6
FP4 = ("nvfp4", "mxfp4")


def family(precision: str) -> str:
    return "fp4" if precision in FP4 else "8-16bit"


def band(is_moe: bool, precision: str, gpu: str | None = None, mode: str = "agg", anchor: str = "none") -> dict:
    """80 % range of measured/predicted for TTFT, TPOT and throughput per GPU of one configuration.

    From the held-out calibration rows of its regime (architecture / precision family / mode) at its anchor
    level (``anchors.LEVELS``: corrected by measured neighbours or not), widened where the calibration holds
    no measurement of this GPU (or of this GPU at this precision family).  ``measured`` says which case
    applies: 'gpu+precision', 'gpu', 'gpu, other model class' (a part of another vendor measured only with the other
    class: dense vs MoE) or 'none'.
    """
    report = calibration()["report"]

    def held(regime: str, level: str) -> dict | None:
        """The band's rows: held-out, or the training rows where fewer were held out; an anchored level has no
        training rows in the report, and a handful of held-out ones is no range (2 AMD rows gave 1.30-1.36)."""
        rows = {r["split"]: r for r in report if r["regime"] == regime and r.get("anchor", "none") == level}
        if rows.get("held-out", {}).get("rows", 0) >= MIN_BAND_ROWS:
            return rows["held-out"]
        return rows.get("train") or (rows.get("held-out") if level == "none" else None)

    regime = f"{'moe' if is_moe else 'dense'}/{family(precision)}/{mode}"
    if held(regime, "none") is None:  # e.g. dense disagg: fall back to the agg regime of the class
        regime = f"{'moe' if is_moe else 'dense'}/{family(precision)}/agg"
    # a part of another vendor than the coefficients' reference has its own rows in the report
    vendor = catalogue().gpus[gpu].vendor if gpu in catalogue().gpus else None
    own = f"{vendor}:{regime}" if vendor and vendor != calibration().get("reference_vendor", vendor) else None
    row = (own and held(own, anchor)) or None
    if row is None and own and anchor != "none":  # anchored on the part's own measurements: its offset is taken
        row = held(regime, anchor)                 # out, so the pooled anchored range stands in for a few rows
    row = row or (own and held(own, "none")) or None
    borrowed = own is not None and row is None  # e.g. a dense model on a part only measured with MoE models
    row = row or held(regime, anchor) or held(regime, "none")
    measured_pairs = {tuple(p.split("/")) for p in calibration().get("measured", [])}
    if gpu is None:
        measured, widen = "gpu+precision", 1.0
    elif any(g == gpu and family(p) == family(precision) for g, p in measured_pairs):
        measured, widen = "gpu+precision", 1.0
    elif any(g == gpu for g, _ in measured_pairs):
        measured, widen = "gpu", WIDEN_PRECISION
    else:
        measured, widen = "none", WIDEN_GPU
    if borrowed:  # the reference vendor's efficiencies stand in: as wide as a part never measured
        widen = max(widen, WIDEN_GPU)
        measured = "gpu, other model class" if measured != "none" else measured
    out = {"regime": row["regime"], "anchor": row.get("anchor", "none"), "rows": row["rows"], "measured": measured,
           "widened_by": widen}
    for m in ("ttft", "tpot", "throughput"):
        out[m] = [round(row[f"{m}_band_lo"] / widen, 3), round(row[f"{m}_band_hi"] * widen, 3)]
    # runs of this part kept as checks (fit.CHECK_FILES, predicted but not fitted): the range holds every one of them
    check = next((r for r in report if own and r["regime"] == own and r["split"] == "check"), None)
    if check is not None:
        out["checked_rows"] = check["rows"]
        for m in ("ttft", "tpot", "throughput"):
            out[m] = [min(out[m][0], check[f"{m}_band_lo"]), max(out[m][1], check[f"{m}_band_hi"])]
    return out


def _apply(x: np.ndarray, keys: np.ndarray, sets: dict) -> np.ndarray:
    out = np.empty(len(x))
    for key in np.unique(keys):
        rows = keys == key
        out[rows] = x[rows] @ np.asarray(lookup(sets, str(key)))
    return out


def predict(c: physics.Configs, keys: np.ndarray, prefill: physics.Configs | None = None,
            coefficients: dict | None = None, layouts: np.ndarray | None = None, anchor_sets: dict | None = None,
            hold: str | None = None, parts: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """TTFT/TPOT/throughput for each configuration; ``keys`` pick the coefficient set per row.

    ``prefill`` lays out the prefill workers when they differ (disaggregated serving); requests beyond
    the KV-cache capacity wait one full generation per wave before their prefill starts.  ``parts`` (GPU id per
    row) applies each measured part's efficiency factor (``fit.part_factors``).  With ``layouts``
    (``anchors.layout_key`` per row) TTFT and TPOT are corrected by the measured neighbours of each layout
    (the committed anchors unless ``anchor_sets`` is given); ``anchor`` says at which level.
    """
    sets = coefficients or calibration()["coefficients"]
    mem = physics.memory(c)
    decode = physics.decode_terms(c, mem)
    tpot = _apply(physics.design(decode, physics.TPOT_FEATURES), keys, sets["tpot"])
    ttft_terms = physics.ttft_terms(prefill if prefill is not None else c, decode, tpot)
    ttft = _apply(physics.design(ttft_terms, physics.TTFT_FEATURES), keys, sets["ttft"])
    waves = np.maximum(c["conc"] / np.maximum(mem["max_concurrency"], 1) - 1, 0)
    ttft = ttft + waves * c["osl"] * tpot
    if parts is not None and sets.get("parts"):
        factor = np.array([sets["parts"].get(str(g), [1.0, 1.0]) for g in parts]).reshape(-1, 2)
        tpot, ttft = tpot * factor[:, 0], ttft * factor[:, 1]
    level = np.full(len(ttft), "none")
    if layouts is not None:
        sets_ = calibration().get("anchors", {}) if anchor_sets is None else anchor_sets
        f_ttft, f_tpot, level = anchors.correct(sets_, layouts, c["conc"], c["isl"], c["osl"], hold)
        ttft, tpot = ttft * f_ttft, tpot * f_tpot
    gpus = c["tp"] * c["dp"]
    # no correction beats the roofline: one cycle cannot be shorter than its tokens' FLOPs at peak
    cycle = ttft + (c["osl"] - 1) * tpot
    floor = c["conc"] * (c["isl"] + c["osl"]) * 2 * c["active_params"] / (c["flops_gemm"] * gpus)
    stretch = np.maximum(floor * (1 + 1e-9) / cycle, 1.0)
    ttft, tpot, cycle = ttft * stretch, tpot * stretch, cycle * stretch
    return {"ttft_s": ttft, "tpot_s": tpot,
            "output_tok_s_per_gpu": c["conc"] * c["osl"] / cycle / gpus,
            "total_tok_s_per_gpu": c["conc"] * (c["isl"] + c["osl"]) / cycle / gpus,
            "tok_s_per_user": 1 / tpot, "gpus": gpus,
            "max_concurrency_kv": mem["max_concurrency"], "fits": mem["fits"],
            "weights_gb_per_gpu": mem["weights_per_gpu"] / 1e9, "kv_budget_gb_per_gpu": mem["kv_budget"] / 1e9,
            "memory_bound": decode["memory_bound"], "anchor": level}

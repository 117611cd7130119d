"""Calibrated predictions: physics terms x fitted coefficients, plus KV-capacity queueing."""

from __future__ import annotations

import json
from functools import cache

import numpy as np

from pricing.perf import physics
from pricing.perf.fit import COEFFICIENTS, lookup


@cache
def calibration() -> dict:
    """The committed fit: coefficient sets, error report and uncertainty bands."""
    return json.loads(COEFFICIENTS.read_text())


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
    ttft_terms = physics.ttft_terms(prefill if prefill is not None else c, decode)
    tpot = _apply(physics.design(decode, physics.TPOT_FEATURES), keys, sets["tpot"])
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

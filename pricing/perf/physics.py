"""Roofline physics for LLM serving, vectorised over many configurations at once.

Every function takes a ``Configs`` mapping of equal-length numpy arrays (one element per scenario)
and returns arrays, so a sweep of thousands of configurations is a handful of array operations.
Times are seconds, sizes bytes, rates per second.  The fitted efficiency coefficients live in
``data/coefficients.json`` (see ``fit.py``); the terms here are the physically derived inputs.
"""

from __future__ import annotations

import numpy as np

from tokenomics.pricing.perf.catalogue import Gpu, Model, Precision

Configs = dict[str, np.ndarray]

USABLE_MEMORY = 0.95           # share of HBM a tuned serving engine hands to weights + KV cache
RESERVED_BYTES = 1e9           # activations, CUDA graphs and workspace per GPU
COLLECTIVE_UNIT_S = 1e-5       # latency features count layers/collectives in units of 10 µs

PREFILL_CHUNK_TOKENS = 8192    # prompt tokens one engine step schedules (vLLM/SGLang/TRT-LLM default budget)
# A disaggregated prefill worker serves one request in about this many times its roofline own-prefill time
# (batch formation, KV hand-off to the decode worker, scheduling): where its closed-loop queue turns.  Chosen on
# training rows only: their median disaggregated TTFT error over 3-15 was lowest at 10-12 (44.9 % at 10, 49.7 % at
# 6); on the training set the stated worker counts tripled it is 42-50 % for every factor from 3 to 40, so it stays.
PREFILL_SERVICE_FACTOR = 10.0

# Weight streaming and paged-KV reads reach different shares of peak bandwidth, and so do the linear layers
# and attention on the tensor cores: each gets its own efficiency (all bounded at the roofline).
TPOT_FEATURES = ("step_overhead", "layer_overhead", "collective_latency", "weight_memory", "kv_memory",
                 "linear_compute", "attention_compute", "communication", "prefill_interference")
# TTFT in a serving engine = fixed request overhead (HTTP, tokenise, schedule) + own prefill (compute,
# weight reads, TP collectives) + prefills queued ahead of it + the scheduler: waiting for the decode step
# in flight, one engine step per prefill chunk, steps that grow with the running batch, and (attention
# data parallel) the other ranks' prefills every step waits for; disaggregated, the closed-loop queue at the
# prefill workers once the users' arrivals approach their capacity.
TTFT_FEATURES = ("overhead", "prefill_compute", "prefill_memory", "prefill_communication",
                 "prefill_queue", "decode_step_wait", "scheduler_step", "prefill_chunks", "batch_steps",
                 "dp_prefill_wait", "prefill_saturation")
# Coefficients that scale a physical time at peak rate can never be below 1: nothing beats the roofline.
LOWER_BOUNDS = {"memory": 1.0, "compute": 1.0, "weight_memory": 1.0, "kv_memory": 1.0, "linear_compute": 1.0,
                "attention_compute": 1.0, "prefill_interference": 1.0, "prefill_compute": 1.0}


def gpu_columns(gpu: Gpu, precision: Precision) -> dict[str, float]:
    """The GPU facts one scenario needs, with the GEMM dtype resolved through the fallback chain."""
    _, tf = gpu.gemm_for(precision)
    _, tf_bf16 = gpu.peak_tflops("bf16")
    return {"mem_bytes": gpu.memory_gb * 1e9, "bw": gpu.bandwidth_tbs * 1e12, "flops_gemm": tf * 1e12,
            "flops_attn": tf_bf16 * 1e12, "link": gpu.link_gbs * 1e9}


def model_columns(model: Model) -> dict[str, float]:
    return {"layers": model.layers, "hidden": model.hidden, "heads": model.heads,
            "head_dim": model.head_dim, "kv_heads": model.kv_heads,
            "kv_elems": model.kv_elems_per_token_layer, "attn_layers": model.attention_layers,
            "sliding_layers": model.sliding_layers, "window": model.sliding_window,
            "dense_params": model.dense_params, "expert_params": model.expert_params,
            "experts": model.experts, "topk": model.experts_per_token,
            "active_params": model.active_params_b * 1e9, "is_moe": float(model.is_moe)}


def precision_columns(precision: Precision) -> dict[str, float]:
    return {"wbytes": precision.weight_bits / 8, "kvbytes": precision.kv_bits / 8}


def _kv_tokens(c: Configs, length: np.ndarray) -> np.ndarray:
    """Token-layers of KV held for a sequence of ``length`` (sliding-window layers are capped)."""
    full = c["attn_layers"] - c["sliding_layers"]
    return full * length + c["sliding_layers"] * np.minimum(length, np.where(c["window"] > 0, c["window"], length))


def memory(c: Configs) -> dict[str, np.ndarray]:
    """Weights per GPU, KV budget, and how many sequences of isl+osl tokens fit per replica."""
    gpus = c["tp"] * c["dp"]
    weights = (c["dense_params"] / c["tp"] + c["experts"] * c["expert_params"] / gpus) * c["wbytes"]
    budget = c["mem_bytes"] * USABLE_MEMORY - RESERVED_BYTES - weights
    kv_shard = np.minimum(c["tp"], c["kv_heads"])
    kv_seq = _kv_tokens(c, c["isl"] + c["osl"]) * c["kv_elems"] * c["kvbytes"] / kv_shard
    per_rank = np.floor(np.maximum(budget, 0) / kv_seq)
    return {"weights_per_gpu": weights, "kv_budget": budget, "kv_per_seq": kv_seq,
            "max_concurrency": per_rank * c["dp"], "fits": per_rank >= 1}


def decode_terms(c: Configs, mem: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per decode step: bytes moved, FLOPs, collectives, and agg-mode prefill work, as times at peak."""
    gpus = c["tp"] * c["dp"]
    tokens = np.maximum(np.minimum(c["conc"], np.maximum(mem["max_concurrency"], 1)), 1)
    per_rank = tokens / c["dp"]
    ctx = c["isl"] + c["osl"] / 2
    experts_touched = np.where(c["experts"] > 0,
                               c["experts"] * (1 - (1 - c["topk"] / np.maximum(c["experts"], 1)) ** tokens), 0)
    weight_bytes = (c["dense_params"] / c["tp"] + experts_touched * c["expert_params"] / gpus) * c["wbytes"]
    kv_bytes = per_rank * _kv_tokens(c, ctx) * c["kv_elems"] * c["kvbytes"] / np.minimum(c["tp"], c["kv_heads"])
    linear = 2 * c["active_params"] * tokens / gpus
    attn = 4 * c["heads"] * c["head_dim"] * _kv_tokens(c, ctx) * per_rank / c["tp"]
    tp_on = (c["tp"] > 1).astype(float)
    ep_on = ((gpus > 1) & (c["is_moe"] > 0)).astype(float)
    ring = 2 * (c["tp"] - 1) / c["tp"]
    comm = (tp_on * 2 * c["layers"] * per_rank * c["hidden"] * 2 * ring
            + ep_on * 2 * c["layers"] * tokens / gpus * c["topk"] * c["hidden"] * 2 * (gpus - 1) / gpus)
    prefill = prefill_terms(c)
    return {
        "step_overhead": np.ones_like(tokens),
        "layer_overhead": c["layers"] * COLLECTIVE_UNIT_S,
        "collective_latency": (tp_on + ep_on) * 2 * c["layers"] * COLLECTIVE_UNIT_S,
        "memory": (weight_bytes + kv_bytes) / c["bw"],
        "weight_memory": weight_bytes / c["bw"],
        "kv_memory": kv_bytes / c["bw"],
        "compute": linear / c["flops_gemm"] + attn / c["flops_attn"],
        "linear_compute": linear / c["flops_gemm"],
        "attention_compute": attn / c["flops_attn"],
        "communication": comm / c["link"],
        "prefill_interference": c["agg"] * prefill["prefill_compute"] * per_rank / c["osl"],
        "tokens": tokens,
        "memory_bound": (weight_bytes + kv_bytes) / c["bw"] >= linear / c["flops_gemm"] + attn / c["flops_attn"],
    }


def prefill_terms(c: Configs) -> dict[str, np.ndarray]:
    """One request's prefill of isl tokens on one attention rank (tp GPUs), as times at peak."""
    isl = c["isl"]
    linear = 2 * c["active_params"] * isl / c["tp"]
    attn = 4 * c["heads"] * c["head_dim"] * _kv_tokens(c, isl) * isl / 2 / c["tp"]
    gpus = c["tp"] * c["dp"]
    weights = (c["dense_params"] / c["tp"] + c["experts"] * c["expert_params"] / gpus) * c["wbytes"]
    ring = 2 * (c["tp"] - 1) / c["tp"]
    return {"prefill_compute": linear / c["flops_gemm"] + attn / c["flops_attn"],
            "prefill_memory": weights / c["bw"],
            "prefill_communication": 2 * c["layers"] * isl * c["hidden"] * 2 * ring / c["link"]}


def closed_loop_wait(service: np.ndarray, think: np.ndarray, users: np.ndarray, iterations: int = 80) -> np.ndarray:
    """Queueing delay at one server with ``users`` closed-loop clients (Schweitzer mean-value analysis).

    Each client spends ``service`` seconds at the server and ``think`` seconds away (here: decoding); the wait
    stays near zero while users x service < service + think and then grows as users x service - think (the
    server is saturated: every extra user adds a full service time).
    """
    response = service.copy()
    for _ in range(iterations):
        queued = users * response / (response + think)
        response = service * (1 + queued * (users - 1) / np.maximum(users, 1))
    return response - service


def ttft_terms(c: Configs, decode: dict[str, np.ndarray], tpot: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """TTFT inputs: own prefill, prefills of requests queued ahead, and the engine scheduler.

    ``tpot`` is the calibrated time per decode step (seconds) of the decode workers; the scheduler terms
    count engine steps (aggregated serving only, where prefills share steps with the running decodes):
    the step in flight, one step per chunk of ``PREFILL_CHUNK_TOKENS`` prompt tokens, and steps that grow
    with the running batch (log2 of requests per attention rank).  With attention data parallel every
    rank's step waits for the others' prefills: ``dp_prefill_wait`` = prefill x (DP - 1) (aggregated only).
    Disaggregated, the users per prefill rank form a closed loop with the prefill worker (service: own prefill x
    ``PREFILL_SERVICE_FACTOR``, away: osl decode steps): ``prefill_saturation`` is that loop's queueing delay in
    units of roofline prefill time, so its coefficient is the same efficiency as the own prefill's.
    """
    pf = prefill_terms(c)
    step = decode["memory"] if tpot is None else tpot
    waiting = np.maximum(c["pf_conc"] / c["dp"] - 1, 0) * c["isl"] / (c["isl"] + c["osl"])
    per_rank = np.maximum(c["pf_conc"] / c["dp"], 1)
    own = pf["prefill_compute"] + pf["prefill_memory"]
    return {"overhead": np.ones_like(c["isl"]), **pf,
            "prefill_queue": pf["prefill_compute"] * waiting,
            "decode_step_wait": c["agg"] * decode["memory"],
            "scheduler_step": c["agg"] * step,
            "prefill_chunks": c["agg"] * step * np.ceil(c["isl"] / PREFILL_CHUNK_TOKENS),
            "batch_steps": c["agg"] * step * np.log2(per_rank),
            "dp_prefill_wait": c["agg"] * (c["dp"] > 1) * own * (c["dp"] - 1),
            "prefill_saturation": (1 - c["agg"]) * closed_loop_wait(own * PREFILL_SERVICE_FACTOR, c["osl"] * step,
                                                                    per_rank) / PREFILL_SERVICE_FACTOR}


def design(terms: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    """Stack the named terms into a design matrix (rows = scenarios)."""
    return np.column_stack([terms[name] for name in names])

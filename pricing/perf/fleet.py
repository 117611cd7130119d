"""Your own fleet next to the model: observed busy-hour throughput vs the prediction at that load."""

from __future__ import annotations

import polars as pl

from tokenomics.pricing.perf import physics, whatif
from tokenomics.pricing.perf.catalogue import catalogue, resolve_gpu, resolve_model
from tokenomics.pricing.perf.fit import coefficient_key, lookup
from tokenomics.pricing.perf.model import calibration

_PRECISION_ALIASES = {"awq": "int4-awq", "gptq": "int4-gptq", "fp4": "nvfp4", "w8a8": "int8"}


def _engine(name: str) -> str:
    """'vllm-0.11' -> 'vllm'; engines without their own calibration use vLLM's coefficients."""
    head = name.lower().split("-")[0].replace("tensorrt", "trtllm")
    return head if head in whatif.ENGINES else "vllm"


def infer_tp(model_id: str, gpu_id: str, precision: str, gpu_count: int) -> int | None:
    """Smallest power-of-two TP dividing the deployment's GPUs at which the model fits."""
    for tp in (1, 2, 4, 8, 16):
        if tp > gpu_count or gpu_count % tp:
            continue
        if whatif.evaluate(model_id, [gpu_id], [precision], [tp], [1], 1024, 256)["fits"][0]:
            return tp
    return None


def _resolve(row: dict) -> tuple[dict | None, str | None]:
    model, gpu = resolve_model(row["model"]), resolve_gpu(row["gpu_type"])
    precision = _PRECISION_ALIASES.get(row["precision"].lower(), row["precision"].lower())
    if model is None:
        return None, f"model {row['model']!r} is not in the performance catalogue"
    if gpu is None:
        return None, f"GPU {row['gpu_type']!r} is not in the GPU catalogue"
    if precision not in catalogue().precisions:
        return None, f"precision {row['precision']!r} is not in the catalogue"
    tp = row["tensor_parallel"] or infer_tp(model.id, gpu.id, precision, row["gpu_count"])
    if tp is None:
        return None, "the model does not fit on this deployment's GPUs"
    return {"model": model.id, "gpu": gpu.id, "precision": precision, "tp": tp,
            "replicas": row["gpu_count"] // tp, "engine": _engine(row["engine"])}, None


def compare(observed: pl.DataFrame) -> pl.DataFrame:
    """One row per deployment: observed vs predicted at the observed load, and modelled capacity."""
    out = []
    for row in observed.iter_rows(named=True):
        setup, problem = _resolve(row)
        base = {"deployment_id": row["deployment_id"], "busy_hours": row["busy_hours"],
                "observed_output_tok_s_per_gpu": row["observed_output_tok_s_per_gpu"],
                "observed_latency_ms": row["mean_latency_ms"], "note": problem}
        if setup is None or not row["requests"]:
            out.append(base)
            continue
        isl = max(int(round(row["mean_input_tokens"])), 1)
        osl = max(int(round(row["mean_output_tokens"])), 1)
        conc = max(row["mean_concurrency"] / setup["replicas"], 1e-6)
        args = (setup["model"], [setup["gpu"]], [setup["precision"]], [setup["tp"]])
        at_load = whatif.evaluate(*args, [conc], isl, osl, setup["engine"]).row(0, named=True)
        capacity = whatif.evaluate(*args, list(whatif.SLO_SEARCH), isl, osl, setup["engine"])
        cap = capacity.filter(pl.col("fits"))["output_tok_s_per_gpu"].max()
        predicted_latency = at_load["ttft_ms"] + (osl - 1) * at_load["tpot_ms"]
        out.append({**base, **setup, "mean_input_tokens": isl, "mean_output_tokens": osl,
                    "concurrency_per_replica": conc,
                    "predicted_output_tok_s_per_gpu": at_load["output_tok_s_per_gpu"],
                    "predicted_latency_ms": predicted_latency,
                    "observed_over_predicted": (row["mean_latency_ms"] or 0) / predicted_latency or None,
                    "capacity_output_tok_s_per_gpu": cap,
                    "share_of_capacity": row["observed_output_tok_s_per_gpu"] / cap if cap else None})
    return pl.DataFrame(out, infer_schema_length=None)


def prefill_gpu_seconds_per_token(model: str, gpu: str, precision: str, tp: int, engine: str = "vllm") -> float:
    """GPU-seconds one prompt token costs to prefill: calibrated prefill time for a 2,048-token prompt
    on ``tp`` GPUs, per token, times the GPUs it occupies (what a prefix-cache hit saves)."""
    c, _ = whatif.grid(resolve_model(model), [gpu], [precision], [tp], [1], 2048, 1)
    terms = physics.prefill_terms(c)
    coefficients = lookup(calibration()["coefficients"]["ttft"], coefficient_key(engine, resolve_model(model).is_moe))
    seconds = sum(coefficients[physics.TTFT_FEATURES.index(n)] * terms[n][0]
                  for n in ("prefill_compute", "prefill_memory", "prefill_communication"))
    return float(seconds / 2048 * tp)


def deployment_perf(deployments: list[dict]) -> list[dict]:
    """Reference rows for the warehouse: prefill GPU-seconds per token per deployment (None if unknown)."""
    out = []
    for row in deployments:
        setup, problem = _resolve({**row, "tensor_parallel": row.get("tensor_parallel")})
        value = (prefill_gpu_seconds_per_token(setup["model"], setup["gpu"], setup["precision"], setup["tp"],
                                               setup["engine"]) if setup else None)
        out.append({"deployment_id": row["deployment_id"], "prefill_gpu_seconds_per_token": value,
                    "note": problem or "what-if model estimate"})
    return out

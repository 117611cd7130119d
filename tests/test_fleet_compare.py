"""Own-fleet calibration on the demo warehouse: observed busy-hour throughput next to the model."""

import pytest

from tokenomics.pricing.perf import fleet
from tokenomics import queries
from tokenomics.access import LOCAL


def test_every_demo_deployment_is_compared(demo):
    start, end = queries.period(demo["db"])
    observed = queries.fleet_observed(demo["db"], LOCAL, start, end)
    out = {r["deployment_id"]: r for r in fleet.compare(observed).iter_rows(named=True)}
    h100, h200 = out["vllm-llama70b-h100-bf16"], out["vllm-llama70b-h200-fp8"]
    assert (h100["gpu"], h100["tp"], h100["replicas"]) == ("h100-sxm", 4, 1)   # declared TP 4 on 4 GPUs
    assert (h200["gpu"], h200["tp"], h200["replicas"]) == ("h200-sxm", 1, 2)   # TP 1 x 2 replicas
    for r in (h100, h200):
        assert r["note"] is None
        assert r["observed_output_tok_s_per_gpu"] > 0 and r["predicted_output_tok_s_per_gpu"] > 0
        # observed load is far below what the model says the GPUs could do
        assert 0 < r["share_of_capacity"] < 1
        assert r["capacity_output_tok_s_per_gpu"] > r["observed_output_tok_s_per_gpu"]


def test_tp_is_inferred_when_not_declared():
    # Llama-3.3-70B at BF16 is 141.2 GB of weights: 70.6 GB per GPU at TP 2 leaves 80 x 0.95 - 1 - 70.6
    # = 4.4 GB of KV cache per GPU (about 21 requests of 1,280 tokens), so TP 2 is the smallest that fits;
    # at FP8 (70.6 GB) a single H100 holds it with 4.4 GB of cache.
    assert fleet.infer_tp("llama-3.3-70b", "h100-sxm", "bf16", 8) == 2
    assert fleet.infer_tp("llama-3.3-70b", "h100-sxm", "fp8", 8) == 1
    assert fleet.infer_tp("llama-3.3-70b", "h100-sxm", "bf16", 1) is None
    assert fleet.infer_tp("llama-3.1-405b", "l4", "bf16", 4) is None


@pytest.mark.parametrize("name, engine", [("vllm-0.11", "vllm"), ("sglang-0.5", "sglang"),
                                          ("tensorrt-llm-1.1", "trtllm"), ("tgi-3", "vllm")])
def test_engine_names_map_to_calibrated_sets(name, engine):
    assert fleet._engine(name) == engine


def test_unknown_model_is_reported_not_guessed():
    import polars as pl

    row = {"deployment_id": "x", "gpu_type": "H100-SXM-80GB", "gpu_count": 1, "model": "my-finetune",
           "precision": "bf16", "engine": "vllm", "tensor_parallel": None, "busy_hours": 3, "requests": 10,
           "mean_input_tokens": 100.0, "mean_output_tokens": 10.0, "mean_concurrency": 1.0,
           "mean_latency_ms": 500.0, "mean_ttft_ms": 50.0, "observed_output_tok_s_per_gpu": 1.0, "avg_util_pct": 5.0}
    out = fleet.compare(pl.DataFrame([row])).row(0, named=True)
    assert "not in the performance catalogue" in out["note"]

"""The demo's world: API price catalogue snapshots (LiteLLM format), contracts and GPU deployments.

Prices are the vendors' published list prices as of late 2026 for the models named; the second
snapshot carries the mid-period price changes the demo exercises (a cut and a rise).
"""

from __future__ import annotations

import copy
from datetime import date

M = 1e-6  # dollars per token from dollars per million tokens

_SNAPSHOT_1: dict[str, dict] = {
    "gpt-4o": {
        "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 128000,
        "input_cost_per_token": 2.5 * M, "output_cost_per_token": 10 * M,
        "cache_read_input_token_cost": 1.25 * M,
        "input_cost_per_token_batches": 1.25 * M, "output_cost_per_token_batches": 5 * M,
        "input_cost_per_token_priority": 4.25 * M, "output_cost_per_token_priority": 17 * M,
        "cache_read_input_token_cost_priority": 2.125 * M,
    },
    "gpt-4o-mini": {
        "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 128000,
        "input_cost_per_token": 0.15 * M, "output_cost_per_token": 0.6 * M,
        "cache_read_input_token_cost": 0.075 * M,
        "input_cost_per_token_batches": 0.075 * M, "output_cost_per_token_batches": 0.3 * M,
    },
    "gpt-4.1": {
        "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 1047576,
        "input_cost_per_token": 2 * M, "output_cost_per_token": 8 * M,
        "cache_read_input_token_cost": 0.5 * M,
        "input_cost_per_token_batches": 1 * M, "output_cost_per_token_batches": 4 * M,
    },
    "o4-mini": {
        "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 200000,
        "input_cost_per_token": 1.1 * M, "output_cost_per_token": 4.4 * M,
        "cache_read_input_token_cost": 0.275 * M,
        "input_cost_per_token_batches": 0.55 * M, "output_cost_per_token_batches": 2.2 * M,
        "input_cost_per_token_flex": 0.55 * M, "output_cost_per_token_flex": 2.2 * M,
        "cache_read_input_token_cost_flex": 0.1375 * M,
    },
    "claude-sonnet-4-5": {
        "litellm_provider": "anthropic", "mode": "chat", "max_input_tokens": 1000000,
        "input_cost_per_token": 3 * M, "output_cost_per_token": 15 * M,
        "cache_creation_input_token_cost": 3.75 * M, "cache_creation_input_token_cost_above_1hr": 6 * M,
        "cache_read_input_token_cost": 0.3 * M,
        "input_cost_per_token_above_200k_tokens": 6 * M, "output_cost_per_token_above_200k_tokens": 22.5 * M,
        "cache_creation_input_token_cost_above_200k_tokens": 7.5 * M,
        "cache_read_input_token_cost_above_200k_tokens": 0.6 * M,
        "input_cost_per_token_batches": 1.5 * M, "output_cost_per_token_batches": 7.5 * M,
    },
    "claude-haiku-4-5": {
        "litellm_provider": "anthropic", "mode": "chat", "max_input_tokens": 200000,
        "input_cost_per_token": 1 * M, "output_cost_per_token": 5 * M,
        "cache_creation_input_token_cost": 1.25 * M, "cache_creation_input_token_cost_above_1hr": 2 * M,
        "cache_read_input_token_cost": 0.1 * M,
        "input_cost_per_token_batches": 0.5 * M, "output_cost_per_token_batches": 2.5 * M,
    },
    "gemini/gemini-2.5-pro": {
        "litellm_provider": "gemini", "mode": "chat", "max_input_tokens": 1048576,
        "input_cost_per_token": 1.25 * M, "output_cost_per_token": 10 * M,
        "cache_read_input_token_cost": 0.125 * M,
        "input_cost_per_token_above_200k_tokens": 2.5 * M, "output_cost_per_token_above_200k_tokens": 15 * M,
        "cache_read_input_token_cost_above_200k_tokens": 0.25 * M,
    },
    "gemini/gemini-2.5-flash": {
        "litellm_provider": "gemini", "mode": "chat", "max_input_tokens": 1048576,
        "input_cost_per_token": 0.3 * M, "output_cost_per_token": 2.5 * M,
        "cache_read_input_token_cost": 0.03 * M,
    },
    "amazon.nova-pro-v1:0": {
        "litellm_provider": "bedrock", "mode": "chat", "max_input_tokens": 300000,
        "input_cost_per_token": 0.8 * M, "output_cost_per_token": 3.2 * M,
        "cache_read_input_token_cost": 0.2 * M,
    },
    # The self-hosted fleet's model on an API, as LiteLLM 1.110.2's catalogue lists it (key, provider and fields as
    # there): a real catalogue prices every open-weights model its vendors serve, so "self-host vs API" has a card.
    "meta.llama3-3-70b-instruct-v1:0": {
        "litellm_provider": "bedrock_converse", "mode": "chat", "max_input_tokens": 128000, "max_output_tokens": 4096,
        "input_cost_per_token": 0.72 * M, "output_cost_per_token": 0.72 * M,
        "input_cost_per_token_batches": 0.36 * M, "output_cost_per_token_batches": 0.36 * M,
        "deprecation_date": "2027-03-30",
        "source": "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonBedrock/current/us-east-1/index.json",
        "supports_function_calling": True, "supports_tool_choice": False,
    },
}

# Mid-period changes: gpt-4o input cut, gemini-2.5-flash repriced upwards, haiku output cut.
PRICE_CHANGE_DATE = date(2026, 10, 15)
_CHANGES = {
    "gpt-4o": {"input_cost_per_token": 2.0 * M, "input_cost_per_token_batches": 1.0 * M},
    "gemini/gemini-2.5-flash": {"input_cost_per_token": 0.35 * M, "output_cost_per_token": 2.75 * M},
    "claude-haiku-4-5": {"output_cost_per_token": 4 * M, "output_cost_per_token_batches": 2 * M},
}


def catalogue_snapshots() -> dict[date, dict[str, dict]]:
    """LiteLLM-format price catalogues keyed by the day they took effect."""
    second = copy.deepcopy(_SNAPSHOT_1)
    for key, change in _CHANGES.items():
        second[key].update(change)
    return {date(2026, 7, 1): _SNAPSHOT_1, PRICE_CHANGE_DATE: second}


def price_at(model_key: str, day: date) -> dict:
    """The catalogue entry in force on a day (for the gateway's own, float, reported cost)."""
    snapshots = catalogue_snapshots()
    current = max(d for d in snapshots if d <= day)
    return snapshots[current][model_key]


CONTRACTS = {
    "currency": "USD",
    "discounts": [
        {"contract_id": "anthropic-ea-2026", "provider": "anthropic", "model_pattern": "*",
         "discount_pct": "10", "valid_from": "2026-09-01T00:00:00Z", "valid_to": None},
        {"contract_id": "openai-commit-2026", "provider": "openai", "model_pattern": "gpt-4*",
         "discount_pct": "5", "valid_from": "2026-01-01T00:00:00Z", "valid_to": "2027-01-01T00:00:00Z"},
    ],
    "gpu_rates": [
        {"rate_ref": "h100-committed", "gpu_type": "H100-SXM-80GB", "kind": "committed",
         "usd_per_gpu_hour": "2.20", "valid_from": "2026-01-01T00:00:00Z", "valid_to": None},
        {"rate_ref": "h200-cloud", "gpu_type": "H200-SXM-141GB", "kind": "on_demand",
         "usd_per_gpu_hour": "3.50", "valid_from": "2026-01-01T00:00:00Z", "valid_to": "2026-10-01T00:00:00Z"},
        {"rate_ref": "h200-cloud", "gpu_type": "H200-SXM-141GB", "kind": "committed",
         "usd_per_gpu_hour": "2.95", "valid_from": "2026-10-01T00:00:00Z", "valid_to": None},
    ],
}

DEPLOYMENTS = {
    "deployments": [
        {"deployment_id": "vllm-llama70b-h100-bf16", "cluster": "gpu-h100", "gpu_type": "H100-SXM-80GB",
         "gpu_count": 4, "hosts": ["gpu-h100-01"], "model": "llama-3.3-70b-instruct",
         "precision": "bf16", "engine": "vllm-0.11", "gpu_rate_ref": "h100-committed", "tensor_parallel": 4},
        {"deployment_id": "vllm-llama70b-h200-fp8", "cluster": "gpu-h200", "gpu_type": "H200-SXM-141GB",
         "gpu_count": 2, "hosts": ["gpu-h200-01"], "model": "llama-3.3-70b-instruct",
         "precision": "fp8", "engine": "vllm-0.11", "gpu_rate_ref": "h200-cloud", "tensor_parallel": 1},
    ]
}

# Hardware facts for the demo telemetry (replicas = model copies the GPUs hold, TP = gpus / replicas).
CLUSTER_PHYSICS = {
    "vllm-llama70b-h100-bf16": {"host": "gpu-h100-01", "gpus": 4, "name": "NVIDIA H100 80GB HBM3",
                                "mem_total": 81559, "idle_w": 72.0, "peak_w": 700.0,
                                "replicas": 1},
    "vllm-llama70b-h200-fp8": {"host": "gpu-h200-01", "gpus": 2, "name": "NVIDIA H200",
                               "mem_total": 143771, "idle_w": 78.0, "peak_w": 700.0,
                               "replicas": 2},
}

"""LiteLLM proxy request logs (StandardLoggingPayload JSON lines)."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.jsonl import load_jsonl
from ingest.runner import Counts, LoadContext, Source, register

# Fields read from each payload, typed VARCHAR so that every cast is checked in SQL with a reason.
# messages/response are deliberately absent: prompt and response text are never read.
_V = "VARCHAR"
SHAPE = {
    "id": _V, "call_type": _V, "status": _V, "custom_llm_provider": _V,
    "startTime": _V, "endTime": _V, "completionStartTime": _V,
    "model": _V, "model_group": _V, "model_id": _V, "end_user": _V,
    "cache_hit": _V, "cache_key": _V, "response_cost": _V,
    "prompt_tokens": _V, "completion_tokens": _V,
    "request_tags": [_V],
    "model_parameters": {"stream": _V, "service_tier": _V},
    "hidden_params": {"batch_models": [_V]},
    "metadata": {
        "user_api_key_hash": _V, "user_api_key_org_id": _V, "user_api_key_team_id": _V,
        "user_api_key_team_alias": _V, "user_api_key_user_id": _V,
        "spend_logs_metadata": {"tenant": _V, "project": _V, "region": _V},
        "usage_object": {
            "prompt_tokens": _V, "completion_tokens": _V,
            "cache_read_input_tokens": _V, "cache_creation_input_tokens": _V,
            "prompt_tokens_details": {
                "cached_tokens": _V,
                "cache_creation_token_details": {"ephemeral_1h_input_tokens": _V},
            },
            "completion_tokens_details": {"reasoning_tokens": _V},
        },
    },
}


def load(con, path: Path, ctx: LoadContext) -> Counts:
    return load_jsonl(con, path, ctx, "ingest/litellm_payload.sql", json.dumps(SHAPE))


SOURCE = register(
    Source(
        name="litellm",
        load=load,
        patterns=("*.jsonl", "*.ndjson"),
        description="LiteLLM StandardLoggingPayload, one JSON object per line",
    )
)

"""Test helpers: LiteLLM payload lines in the real StandardLoggingPayload shape."""

from __future__ import annotations

import json
from datetime import datetime, timezone


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def payload(rid: str, start: str, provider: str, model: str, prompt: int, completion: int, *, cached: int = 0,
            creation: int = 0, creation_1h: int = 0, reasoning: int = 0, batch: bool = False,
            cache_hit: bool = False, tier: str | None = None, tenant: str = "acme", user: str = "alice@acme.test",
            latency_s: float = 2.0, stream: bool = False) -> dict:
    """One LiteLLM StandardLoggingPayload (prompt_tokens include cache reads and writes)."""
    t0 = ts(start)
    return {
        "id": rid, "call_type": "aretrieve_batch" if batch else "acompletion", "status": "success",
        "response_cost": 0.001, "startTime": t0, "endTime": t0 + latency_s, "completionStartTime": t0 + 0.3,
        "model": f"{provider}/{model}" if provider == "gemini" else model, "model_id": model,
        "model_group": model, "custom_llm_provider": provider, "cache_hit": cache_hit, "cache_key": None,
        "prompt_tokens": prompt, "completion_tokens": completion,
        "messages": [{"role": "user", "content": "SECRET PROMPT TEXT"}], "response": "SECRET RESPONSE TEXT",
        "request_tags": ["env:test"], "model_parameters": {"stream": stream, "service_tier": tier},
        "hidden_params": {"batch_models": [model] if batch else None},
        "metadata": {
            "user_api_key_hash": "k" * 64, "user_api_key_org_id": "org-1", "user_api_key_team_alias": "search",
            "user_api_key_user_id": user, "spend_logs_metadata": {"tenant": tenant, "project": "p1"},
            "usage_object": {
                "prompt_tokens": prompt, "completion_tokens": completion,
                "prompt_tokens_details": {"cached_tokens": cached,
                                          "cache_creation_token_details": {"ephemeral_1h_input_tokens": creation_1h}},
                "cache_creation_input_tokens": creation,
                "completion_tokens_details": {"reasoning_tokens": reasoning},
            },
        },
    }


def write_jsonl(path, rows) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def raise_prices_from(con, start, provider: str, model: str, run_id: str) -> None:
    """A provider raises a model's prices from `start` on: a new card per tier copied from the latest, input and
    output prices doubled, the old cards left as they are (what bench/reprice.py and the partial-build tests add)."""
    con.execute("""INSERT INTO rate_cards
        SELECT * REPLACE (?::TIMESTAMPTZ AS valid_from, NULL AS valid_to,
                          uncached_input_usd_per_mtok * 2 AS uncached_input_usd_per_mtok,
                          output_usd_per_mtok * 2 AS output_usd_per_mtok, ? AS run_id)
        FROM rate_cards WHERE provider = ? AND model = ?
        QUALIFY valid_from = max(valid_from) OVER (PARTITION BY service_tier, min_input_tokens)""",
                [str(start), run_id, provider, model])

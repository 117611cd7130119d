"""LiteLLM proxy request logs (StandardLoggingPayload JSON lines)."""

from __future__ import annotations

from pathlib import Path

from ingest.jsonl import load_jsonl
from ingest.runner import Counts, LoadContext, Source, register


def load(con, path: Path, ctx: LoadContext) -> Counts:
    """The field list, token quirks and checks live in sql/ingest/litellm_payload.sql."""
    return load_jsonl(con, path, ctx, "ingest/litellm_payload.sql")


SOURCE = register(
    Source(
        name="litellm",
        load=load,
        patterns=("*.jsonl", "*.ndjson"),
        description="LiteLLM StandardLoggingPayload, one JSON object per line",
    )
)

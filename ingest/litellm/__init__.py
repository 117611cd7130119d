"""LiteLLM proxy request logs: StandardLoggingPayload JSON lines, or one JSON document per request
(what LiteLLM's S3/GCS loggers write; pretty-printed or not)."""

from __future__ import annotations

from pathlib import Path

from tokenomics.ingest import attribution
from tokenomics.ingest.jsonl import load_documents, load_jsonl
from tokenomics.ingest.runner import Counts, LoadContext, Source, register

SCRIPT = ("ingest/litellm_payload.sql",)  # the field list, token quirks and checks
IDS = ("ingest/litellm_id.sql", "ingest/litellm_ids.sql")  # request ids alone, for the once-per-file lookup


def load(con, path: Path, ctx: LoadContext) -> Counts:
    """A JSON-lines file, or a single .json document given directly."""
    with attribution.registered(con, ctx.options):
        if SOURCE.is_document(path.name):
            return load_documents(con, [(ctx.uri, path.read_bytes())], ctx, SCRIPT)
        return load_jsonl(con, path, ctx, SCRIPT, IDS)


def documents(con, docs: list[tuple[str, bytes]], ctx: LoadContext) -> Counts:
    with attribution.registered(con, ctx.options):
        return load_documents(con, docs, ctx, SCRIPT)


SOURCE = register(
    Source(
        name="litellm",
        load=load,
        patterns=("*.jsonl", "*.ndjson", "*.json"),
        description="LiteLLM StandardLoggingPayload: JSON lines, or one JSON document per request",
        document_patterns=("*.json",),
        documents=documents,
    )
)

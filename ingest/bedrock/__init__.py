"""AWS Bedrock model invocation logs: JSON lines (optionally gzipped), as delivered to S3."""

from __future__ import annotations

import fnmatch
import gzip
import json
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ingest import known
from ingest.records import Candidate, validate
from ingest.requests import land, pseudonym
from ingest.runner import Counts, LoadContext, Source, quarantine_rows, register
from tokenomics.records import GatewayRequest, RequestStatus, TokenBuckets

BATCH_LINES = 20_000  # bounded memory: validate and land this many lines at a time


class _Identity(BaseModel):
    arn: str = Field(min_length=1)


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore")
    inputTokenCount: int = Field(ge=0)
    cacheReadInputTokenCount: int = Field(0, ge=0)
    cacheWriteInputTokenCount: int = Field(0, ge=0)


class _Output(BaseModel):
    model_config = ConfigDict(extra="ignore")
    outputTokenCount: int = Field(ge=0)
    latency_ms: int | None = None


class BedrockInvocation(BaseModel):
    """One Bedrock model invocation log record (schemaType ModelInvocationLog).

    Token quirk: ``input.inputTokenCount`` EXCLUDES prompt-cache tokens — cache reads
    (``cacheReadInputTokenCount``) and writes (``cacheWriteInputTokenCount``) are separate, disjoint
    counts (OpenAI's ``input_tokens`` includes its cached tokens).  Bedrock cache writes are 5-minute
    writes.  ``requestMetadata`` carries the caller's attribution tags; ``identity.arn`` says who called.
    Prompt and completion bodies (``inputBodyJson``/``outputBodyJson``) are never read beyond the
    response's latency metric.
    """

    model_config = ConfigDict(extra="ignore")
    timestamp: datetime
    requestId: str = Field(min_length=1)
    modelId: str = Field(min_length=1)
    region: str | None = None
    operation: str | None = None
    identity: _Identity
    input: _Input
    output: _Output
    requestMetadata: dict[str, str] = {}
    errorCode: str | None = None

    def canonical(self, tenant_of) -> GatewayRequest:
        meta = self.requestMetadata
        latency = self.output.latency_ms or 0
        return GatewayRequest(
            request_id=self.requestId, start_time=self.timestamp,
            end_time=self.timestamp + timedelta(milliseconds=latency),
            tenant=meta.get("tenant") or tenant_of(self.identity.arn), team=meta.get("team"),
            project=meta.get("project"), user_hash=pseudonym(meta.get("user")),
            api_key_hash=pseudonym(self.identity.arn), tags=tuple(f"{k}:{v}" for k, v in sorted(meta.items())
                                                                  if k not in ("tenant", "team", "project", "user")),
            provider="bedrock", requested_model=self.modelId, resolved_model=self.modelId, region=self.region,
            tokens=TokenBuckets(uncached_input_tokens=self.input.inputTokenCount,
                                cache_read_tokens=self.input.cacheReadInputTokenCount,
                                cache_write_5m_tokens=self.input.cacheWriteInputTokenCount,
                                output_tokens=self.output.outputTokenCount),
            status=RequestStatus.FAILURE if self.errorCode else RequestStatus.SUCCESS,
            latency_ms=latency)


def _record(line: str) -> BedrockInvocation:
    doc = json.loads(line)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    output = doc.get("output") or {}
    metrics = ((output.get("outputBodyJson") or {}) if isinstance(output.get("outputBodyJson"), dict) else {})
    latency = (metrics.get("metrics") or {}).get("latencyMs") if isinstance(metrics.get("metrics"), dict) else None
    doc["output"] = {k: v for k, v in output.items() if k == "outputTokenCount"} | {"latency_ms": latency}
    doc["input"] = {k: v for k, v in (doc.get("input") or {}).items() if k.endswith("TokenCount")}
    return BedrockInvocation.model_validate(doc)


def tenant_resolver(path: str | None):
    """identity.arn → tenant: a YAML map of ARN globs, else the assumed role's name."""
    rules = list((yaml.safe_load(Path(path).read_text()) or {}).items()) if path else []

    def tenant_of(arn: str) -> str:
        for pattern, tenant in rules:
            if fnmatch.fnmatch(arn, pattern):
                return tenant
        parts = arn.split("/")
        return parts[1] if ":assumed-role/" in arn and len(parts) > 1 else arn.rsplit(":", 1)[-1]

    return tenant_of


def _lines(path: Path):
    """(line_no, text) pairs; a truncated or corrupt gzip ends with one (line_no, None, reason)."""
    opener = gzip.open if path.suffix == ".gz" else open
    line_no = 0
    try:
        with opener(path, "rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                yield line_no, raw, None
    except (EOFError, OSError, zlib.error) as exc:
        yield line_no + 1, None, f"compressed stream is truncated or corrupt after line {line_no}: {exc}"


def load(con, path: Path, ctx: LoadContext) -> Counts:
    tenant_of = tenant_resolver(ctx.options.get("tenant_map"))
    total = Counts()
    batch: list[Candidate] = []
    with known.scope(con):
        # a large source: read the file's ids first and look them up once, not once per batch
        once = known.look_up_once_if_large(con, ctx.source, _file_ids(path, ctx.source))

        def flush():
            good, counts = validate(batch, ctx, con)
            landed = land(con, ctx, [(c.line_no, c.raw, recs[0]) for c, recs in good], known=once)
            total.add(counts, landed)
            batch.clear()

        for line_no, raw, broken in _lines(path):
            if broken:
                total.read += 1
                total.quarantined += quarantine_rows(con, ctx, [(line_no, "", broken)])
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                total.read += 1
                total.quarantined += quarantine_rows(con, ctx, [(line_no, raw[:2000].decode("utf-8", "replace"),
                                                                f"invalid UTF-8: {exc.reason}")])
                continue
            if not text.strip():
                continue
            batch.append(Candidate(line_no, _redacted(text),
                                   lambda text=text: [_record(text).canonical(tenant_of)]))
            if len(batch) >= BATCH_LINES:
                flush()
        flush()
    return total


def _file_ids(path: Path, source: str):
    """Fills the lookup cursor's _input_ids with the file's requestIds (lines that do not parse have none)."""
    def ids():
        for _, raw, broken in _lines(path):
            try:
                rid = None if broken else json.loads(raw).get("requestId")
            except (ValueError, AttributeError):
                continue
            if isinstance(rid, str) and rid:
                yield rid
    return lambda cursor: known.add_ids(cursor, source, ids())


def _redacted(text: str) -> dict | str:
    """What a quarantined line keeps: the record without prompt/response bodies (never stored)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return text[:2000]
    if isinstance(doc, dict):
        for side in ("input", "output"):
            if isinstance(doc.get(side), dict):
                doc[side] = {k: v for k, v in doc[side].items() if not k.endswith(("BodyJson", "BodyText"))}
    return doc


register(Source("bedrock", load, ("*.json.gz", "*.jsonl.gz", "*.json", "*.jsonl"),
                "AWS Bedrock model invocation logs (JSON lines, optionally gzipped; local or S3)"))

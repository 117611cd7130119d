"""AWS Bedrock model invocation logs: JSON lines (optionally gzipped), as delivered to S3."""

from __future__ import annotations

import fnmatch
import gzip
import json
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tokenomics.ingest import attribution, known, redact
from tokenomics.ingest.jsonl import document_lines, skip_line
from tokenomics.ingest.records import Candidate, validate
from tokenomics.ingest.requests import land, pseudonym
from tokenomics.ingest.runner import Counts, LoadContext, Source, quarantine_rows, register
from tokenomics.records import GatewayRequest, RequestStatus, TokenBuckets
from tokenomics.settings import settings

BATCH_LINES = 20_000  # bounded memory: validate and land this many lines at a time
# a record longer than this is quarantined by its size, never held whole (a 2 GiB line took 5 GB of memory)
MAX_LINE_BYTES = settings().max_line_bytes


class _Identity(BaseModel):
    arn: str = Field(min_length=1)


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore")
    inputTokenCount: int | None = Field(None, ge=0)
    cacheReadInputTokenCount: int = Field(0, ge=0)
    cacheWriteInputTokenCount: int = Field(0, ge=0)


class _Output(BaseModel):
    model_config = ConfigDict(extra="ignore")
    outputTokenCount: int | None = Field(None, ge=0)
    latency_ms: int | None = Field(None, ge=0)
    first_byte_ms: int | None = Field(None, ge=0)
    guardrail_action: str | None = None


STREAMING = ("ConverseStream", "InvokeModelWithResponseStream")


class BedrockInvocation(BaseModel):
    """One Bedrock model invocation log record (schemaType ModelInvocationLog).

    Token quirk: ``input.inputTokenCount`` EXCLUDES prompt-cache tokens — cache reads
    (``cacheReadInputTokenCount``) and writes (``cacheWriteInputTokenCount``) are separate, disjoint
    counts (OpenAI's ``input_tokens`` includes its cached tokens); InvokeModel records of 2025 carry no cache
    counts at all (0).  Bedrock cache writes are 5-minute writes.  ``modelId`` is what the caller invoked: a
    model id, a cross-region profile (``us.``/``global.``…) or an inference-profile ARN — the model-name
    resolver (int_model_resolution) maps it to the catalogue; ``provider`` stays ``bedrock``.
    ``requestMetadata`` carries the caller's attribution tags; ``identity.arn`` says who called.
    Latency: Converse's ``metrics.latencyMs``, a stream's last chunk ``amazon-bedrock-invocationMetrics``
    (``invocationLatency``; ``firstByteLatency`` is the TTFT); none (InvokeModel, errors) is unknown, never 0.
    A failed call (``errorCode``) or one a guardrail stopped (no token counts) is kept with zero tokens.
    Prompt and completion bodies are never read beyond those metrics and the guardrail action.
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

    inferenceRegion: str | None = None

    def canonical(self, tenant_of) -> GatewayRequest:
        meta, out = self.requestMetadata, self.output
        stopped = self.errorCode is not None or out.guardrail_action == "INTERVENED"
        if not stopped and (self.input.inputTokenCount is None or out.outputTokenCount is None):
            raise ValueError("input.inputTokenCount or output.outputTokenCount is missing (and no errorCode)")
        tenant, rule = (meta["tenant"], "request_metadata") if meta.get("tenant") else tenant_of(self.identity.arn)
        tags = [f"{k}:{v}" for k, v in sorted(meta.items()) if k not in ("tenant", "team", "project", "user")]
        tags += [f"{k}:{v}" for k, v in (("inference_region", self.inferenceRegion), ("guardrail", out.guardrail_action))
                 if v and v != "NONE"]
        return GatewayRequest(
            request_id=self.requestId, start_time=self.timestamp,
            end_time=self.timestamp + timedelta(milliseconds=out.latency_ms or 0),
            tenant=tenant, tenant_rule=rule, team=meta.get("team"),
            project=meta.get("project"), user_hash=pseudonym(meta.get("user")),
            api_key_hash=pseudonym(self.identity.arn), tags=tuple(tags),
            provider="bedrock", requested_model=self.modelId, resolved_model=self.modelId, region=self.region,
            tokens=TokenBuckets(uncached_input_tokens=self.input.inputTokenCount or 0,
                                cache_read_tokens=self.input.cacheReadInputTokenCount,
                                cache_write_5m_tokens=self.input.cacheWriteInputTokenCount,
                                output_tokens=out.outputTokenCount or 0),
            status=RequestStatus.FAILURE if self.errorCode else RequestStatus.SUCCESS,
            is_stream=self.operation in STREAMING,
            ttft_ms=out.first_byte_ms if self.operation in STREAMING else None,
            latency_ms=out.latency_ms)


def _record(line: str | dict) -> BedrockInvocation:
    doc = json.loads(line) if isinstance(line, str) else line
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    output = doc.get("output") or {}
    body = output.get("outputBodyJson")
    # Converse: {"metrics": {"latencyMs"}}; a stream: chunks, the last with amazon-bedrock-invocationMetrics
    last = body[-1] if isinstance(body, list) and body and isinstance(body[-1], dict) else {}
    metrics = body.get("metrics") if isinstance(body, dict) and isinstance(body.get("metrics"), dict) else {}
    stream = last.get("amazon-bedrock-invocationMetrics") if isinstance(last.get("amazon-bedrock-invocationMetrics"), dict) else {}
    doc["output"] = {k: v for k, v in output.items() if k == "outputTokenCount"} | {
        "latency_ms": metrics.get("latencyMs", stream.get("invocationLatency")),
        "first_byte_ms": stream.get("firstByteLatency"),
        "guardrail_action": body.get("amazon-bedrock-guardrailAction") if isinstance(body, dict) else None}
    doc["input"] = {k: v for k, v in (doc.get("input") or {}).items() if k.endswith("TokenCount")}
    return BedrockInvocation.model_validate(doc)


def tenant_resolver(options: dict):
    """identity.arn → (tenant, rule): the tenant map's ARN globs (ingest/attribution.py), else the assumed
    role's name, else the ARN's last part (user/NAME)."""
    rules = list(attribution.tenant_map(options).get("arn", {}).items())

    def tenant_of(arn: str) -> tuple[str, str]:
        for pattern, tenant in rules:
            if fnmatch.fnmatch(arn, pattern):
                return tenant, "map:arn"
        parts = arn.split("/")
        if ":assumed-role/" in arn and len(parts) > 1:
            return parts[1], "arn_role"
        return arn.rsplit(":", 1)[-1], "arn"

    return tenant_of


def _lines(path: Path):
    """(line_no, text) pairs; a truncated or corrupt gzip ends with one (line_no, None, reason).  A plain
    ``.json`` file may hold pretty-printed records (what a console export or a CloudWatch copy gives): its
    objects, one after another or in an array, are the records, numbered by position."""
    if path.suffix == ".json":
        for number, line in enumerate(document_lines(path.read_bytes()), start=1):
            yield number, line, None
        return
    opener = gzip.open if path.suffix == ".gz" else open
    line_no = 0
    try:
        with opener(path, "rb") as handle:
            while raw := handle.readline(MAX_LINE_BYTES + 1):
                line_no += 1
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):  # read no more of it than the limit
                    size = len(raw) + skip_line(handle)[0]
                    yield line_no, None, (f"line is {size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit for one "
                                          "record (TOKENOMICS_MAX_LINE_BYTES); not read")
                    continue
                yield line_no, raw, None
    except (EOFError, OSError, zlib.error) as exc:
        yield line_no + 1, None, f"compressed stream is truncated or corrupt after line {line_no}: {exc}"


def load(con, path: Path, ctx: LoadContext) -> Counts:
    tenant_of = tenant_resolver(ctx.options)
    total = Counts()
    batch: list[Candidate] = []
    with known.scope(con):
        # a large source: read the file's ids first and look them up once, not once per batch
        once = known.look_up_once_if_large(con, ctx.source, _file_ids(path, ctx.source))

        rejected: list[tuple[int, str, str]] = []  # lines that are not records at all, stored with each batch

        def flush():
            good, counts = validate(batch, ctx, con)
            landed = land(con, ctx, [(c.line_no, redact.dumps(c.raw), recs[0]) for c, recs in good], known=once)
            total.add(counts, landed, Counts(read=len(rejected), quarantined=quarantine_rows(con, ctx, rejected)))
            batch.clear()
            rejected.clear()

        for line_no, raw, broken in _lines(path):
            if broken:
                rejected.append((line_no, "", broken))
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:  # a summary (size, salted hash, requestId), never the text
                rejected.append((line_no, redact.dumps(redact.summary(raw, KEYS)), f"invalid UTF-8: {exc.reason}"))
                continue
            if not text.strip():
                continue
            batch.append(Candidate(line_no, _redacted(text),
                                   lambda text=text: [_record(text).canonical(tenant_of)]))
            if len(batch) + len(rejected) >= BATCH_LINES:
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


# What a quarantined record keeps (ingest/redact.py): these paths, scalars only — never the prompt/response
# bodies, requestMetadata's other keys (user, free-form tags) or accountId; identity.arn as its salted hash.
FIELDS = ("schemaType", "schemaVersion", "timestamp", "requestId", "region", "operation", "modelId", "errorCode",
          "inferenceRegion", "input.inputTokenCount", "input.cacheReadInputTokenCount",
          "input.cacheWriteInputTokenCount", "output.outputTokenCount", "output.outputBodyJson.metrics.latencyMs",
          "output.outputBodyJson.-1.amazon-bedrock-invocationMetrics.invocationLatency",
          "output.outputBodyJson.-1.amazon-bedrock-invocationMetrics.firstByteLatency",
          "output.outputBodyJson.amazon-bedrock-guardrailAction",
          "requestMetadata.tenant", "requestMetadata.team", "requestMetadata.project")
HASHED = ("identity.arn",)
KEYS = ("requestId", "timestamp", "modelId", "operation", "region", "schemaType")  # of a line that does not parse


def _redacted(text: str | bytes) -> dict:
    """What a quarantined line keeps: of a JSON object, the allow-listed FIELDS (identity.arn hashed); of
    anything else (truncated, not JSON, not an object), a summary of the line, never its text."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        return redact.allowed(doc, FIELDS, HASHED)
    return redact.summary(text, KEYS)


register(Source("bedrock", load, ("*.json.gz", "*.jsonl.gz", "*.json", "*.jsonl"),
                "AWS Bedrock model invocation logs (JSON lines, optionally gzipped; local or S3)"))

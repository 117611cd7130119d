"""Vendor usage APIs, saved as JSON pages: OpenAI organization usage (completions) and the Anthropic
usage report.  Aggregates per time bucket land in vendor_usage; a window fetched again replaces the
rows for that window (overlapping pulls never double count)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tokenomics.ingest import redact
from tokenomics.ingest.records import Candidate, validate
from tokenomics.ingest.runner import Counts, LoadContext, Source, register
from tokenomics.config import hash_salt, implausible
from tokenomics.records import MAX_TOKENS_PER_BUCKET, hash_identifier

COUNT = Field(0, ge=0, le=MAX_TOKENS_PER_BUCKET * 1000)  # bucket aggregates: many requests' worth


class UsageRow(BaseModel):
    """Canonical vendor usage for one bucket and dimension set: disjoint token buckets."""

    model_config = ConfigDict(frozen=True)
    provider: str
    bucket_start: datetime
    bucket_end: datetime
    project: str | None = None
    api_key_hash: str | None = None
    user_hash: str | None = None
    model: str = Field(min_length=1)
    service_tier: str = "standard"
    batch: bool = False
    requests: int = COUNT
    uncached_input_tokens: int = COUNT
    cache_read_tokens: int = COUNT
    cache_write_5m_tokens: int = COUNT
    cache_write_1h_tokens: int = COUNT
    output_tokens: int = COUNT

    @model_validator(mode="after")
    def _window(self):
        if self.bucket_end <= self.bucket_start:
            raise ValueError("bucket end is not after its start")
        return self


class OpenAICompletionsResult(BaseModel):
    """One `organization.usage.completions.result`.  Quirk: ``input_tokens`` INCLUDES ``input_cached_tokens``
    (cache reads) and, in the current spec (2026-07), ``input_cache_write_tokens``; ``input_uncached_tokens``
    is the rest (input = cached + cache writes + uncached).  Older pages have neither of the two newer fields:
    uncached = input − cached.  OpenAI's cache writes land in the 5-minute bucket (its default retention).
    ``batch`` marks Batch API usage; audio and image tokens are counted in the totals."""

    model_config = ConfigDict(extra="ignore")
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    input_cached_tokens: int = Field(0, ge=0)
    input_cache_write_tokens: int = Field(0, ge=0)
    input_uncached_tokens: int | None = Field(None, ge=0)
    num_model_requests: int = Field(0, ge=0)
    project_id: str | None = None
    user_id: str | None = None
    api_key_id: str | None = None
    model: str | None = None
    batch: bool | None = None
    service_tier: str | None = None

    @model_validator(mode="after")
    def _cached_within_input(self):
        if self.input_cached_tokens + self.input_cache_write_tokens > self.input_tokens:
            raise ValueError("input_cached_tokens + input_cache_write_tokens exceed input_tokens (they are included in it)")
        if self.input_uncached_tokens is not None and self.input_uncached_tokens != self.uncached:
            raise ValueError(f"input_uncached_tokens ({self.input_uncached_tokens}) is not input_tokens − cached − "
                             f"cache writes ({self.uncached})")
        return self

    @property
    def uncached(self) -> int:
        return self.input_tokens - self.input_cached_tokens - self.input_cache_write_tokens

    def canonical(self, start: datetime, end: datetime) -> UsageRow:
        return UsageRow(provider="openai", bucket_start=start, bucket_end=end, project=self.project_id,
                        api_key_hash=hash_identifier(self.api_key_id, hash_salt()),
                        user_hash=hash_identifier(self.user_id, hash_salt()), model=self.model or "unknown",
                        service_tier="batch" if self.batch else _tier(self.service_tier), batch=bool(self.batch),
                        requests=self.num_model_requests,
                        uncached_input_tokens=self.uncached, cache_read_tokens=self.input_cached_tokens,
                        cache_write_5m_tokens=self.input_cache_write_tokens, output_tokens=self.output_tokens)


class _CacheCreation(BaseModel):
    ephemeral_5m_input_tokens: int = Field(0, ge=0)
    ephemeral_1h_input_tokens: int = Field(0, ge=0)


class AnthropicUsageResult(BaseModel):
    """One Anthropic usage-report result.  Quirk: buckets are already disjoint —
    ``uncached_input_tokens`` excludes ``cache_read_input_tokens`` and the cache-creation tokens, which
    come split by TTL (``ephemeral_5m``/``ephemeral_1h``)."""

    model_config = ConfigDict(extra="ignore")
    uncached_input_tokens: int = Field(ge=0)
    cache_read_input_tokens: int = Field(0, ge=0)
    cache_creation: _CacheCreation = _CacheCreation()
    output_tokens: int = Field(ge=0)
    api_key_id: str | None = None
    workspace_id: str | None = None
    model: str | None = None
    service_tier: str | None = None
    context_window: str | None = None

    def canonical(self, start: datetime, end: datetime) -> UsageRow:
        return UsageRow(provider="anthropic", bucket_start=start, bucket_end=end, project=self.workspace_id,
                        api_key_hash=hash_identifier(self.api_key_id, hash_salt()), model=self.model or "unknown",
                        service_tier=_tier(self.service_tier), batch=self.service_tier == "batch",
                        uncached_input_tokens=self.uncached_input_tokens,
                        cache_read_tokens=self.cache_read_input_tokens,
                        cache_write_5m_tokens=self.cache_creation.ephemeral_5m_input_tokens,
                        cache_write_1h_tokens=self.cache_creation.ephemeral_1h_input_tokens,
                        output_tokens=self.output_tokens)


def _reject(reason: str):
    raise ValueError(reason)


def _tier(value: str | None) -> str:
    """Vendor tier names → ours (Anthropic: priority_on_demand is priority, flex_discount is flex)."""
    return {None: "standard", "default": "standard", "auto": "standard", "priority_on_demand": "priority",
            "flex_discount": "flex"}.get(value, value)


def _epoch_or_iso(value) -> datetime:
    if isinstance(value, (int, float)):
        parsed = datetime.fromtimestamp(value, timezone.utc)
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError(f"bucket time {value!r} has no time zone")
    if reason := implausible(parsed, "bucket time"):
        raise ValueError(reason)
    return parsed.astimezone(timezone.utc)


def _candidates(doc: dict, start_key: str, end_key: str, model) -> tuple[list[Candidate], set]:
    """One candidate per result of every bucket (a bucket without a valid window is one bad row)."""
    out, windows = [], set()
    for page in doc if isinstance(doc, list) else [doc]:
        for b, bucket in enumerate(page.get("data") or []):
            try:
                start, end = _epoch_or_iso(bucket[start_key]), _epoch_or_iso(bucket[end_key])
            except (KeyError, ValueError, TypeError) as exc:
                out.append(Candidate(b, bucket, lambda exc=exc: _reject(f"bucket without a valid window: {exc}")))
                continue
            windows.add((start, end))
            for result in bucket.get("results") or []:
                out.append(Candidate(b, _kept(result), lambda r=result, s=start, e=end:
                                     [model.model_validate(r).canonical(s, e)]))
    return out, windows


_IDENTIFIERS = ("user_id", "api_key_id", "account_id", "service_account_id")  # hashed, as in the stored rows


def _kept(result) -> object:
    """What a quarantined result keeps: its scalars, with user and key ids salted-hashed; nothing nested."""
    if not isinstance(result, dict):
        return redact.summary(json.dumps(result, default=str), ())
    return {k: (hash_identifier(str(v), hash_salt()) if k in _IDENTIFIERS and v is not None else v)
            for k, v in result.items() if v is None or isinstance(v, (int, float, bool))
            or (isinstance(v, str) and len(v) <= redact.MAX_TEXT)}


def window_loader(table: str, provider: str, start_key: str, end_key: str, model):
    """Loader for saved API pages (one page or a JSON list of pages) of time-bucketed vendor data: every
    window in the file replaces what ``table`` had for it, so re-fetched overlaps never double count."""

    def load(con, path: Path, ctx: LoadContext) -> Counts:
        candidates, windows = _candidates(json.loads(path.read_text()), start_key, end_key, model)
        good, counts = validate(candidates, ctx, con)
        for start, end in sorted(windows):
            con.execute(f"DELETE FROM {table} WHERE provider = ? AND bucket_start = ? AND bucket_end = ?",
                        [provider, start, end])
        for _, (row,) in good:
            values = row.model_dump()
            names = ", ".join([*values, "run_id"])
            marks = ", ".join("?" for _ in range(len(values) + 1))
            con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", [*values.values(), ctx.run_id])
            counts.loaded += 1
        con.execute(f"INSERT OR IGNORE INTO model_names SELECT DISTINCT provider, model FROM {table}"
                    " WHERE run_id = ? AND model IS NOT NULL", [ctx.run_id])  # for the resolver
        return counts

    return load


register(Source("openai-usage", window_loader("vendor_usage", "openai", "start_time", "end_time",
                                              OpenAICompletionsResult), ("openai-usage*.json",),
                "OpenAI /v1/organization/usage/completions pages (JSON)"))
register(Source("anthropic-usage", window_loader("vendor_usage", "anthropic", "starting_at", "ending_at",
                                                 AnthropicUsageResult), ("anthropic-usage*.json",),
                "Anthropic usage report pages (JSON)"))

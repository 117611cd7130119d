"""Canonical records: every source is normalised once, at the edge, into these shapes.

Token buckets are *disjoint*: a token is counted in exactly one of uncached input, cache read,
cache write (5 minute or 1 hour), output or reasoning.  Sources disagree on what "input" or
"completion" tokens include; each source adapter says how it splits them and is tested for it.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Token counts above this are treated as corrupt input, not traffic (10M tokens in one request).
MAX_TOKENS_PER_BUCKET = 10_000_000

# Prices above this are treated as a typo (USD 100k per million tokens); with the token cap it keeps
# int_request_costs' integer pico-dollar arithmetic (6 × 1e7 tokens × 1e11 µ$) inside BIGINT.
MAX_USD_PER_MTOK = Decimal(100_000)

# Storage is DECIMAL(18, 6): more places would be rounded silently, so they are refused instead.
TokenPrice = Annotated[Decimal | None, Field(ge=0, le=MAX_USD_PER_MTOK, decimal_places=6)]

TOKEN_BUCKETS: tuple[str, ...] = (
    "uncached_input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)


class ServiceTier(StrEnum):
    STANDARD = "standard"
    BATCH = "batch"
    FLEX = "flex"
    PRIORITY = "priority"


class GatewayCache(StrEnum):
    MISS = "miss"
    EXACT = "exact"
    SEMANTIC = "semantic"


class RequestStatus(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


def hash_identifier(value: str | None, salt: str = "") -> str | None:
    """Pseudonymise user and key identifiers so the warehouse never holds them in clear."""
    if value is None or value == "":
        return None
    return hashlib.sha256(f"{salt}{value}".encode()).hexdigest()[:32]


def _utc(value: datetime | None) -> datetime | None:
    """Naive timestamps are rejected (their zone is unknown); aware ones are converted to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return value.astimezone(timezone.utc)


class TokenBuckets(BaseModel):
    """Disjoint token counts for one request."""

    model_config = ConfigDict(frozen=True)

    uncached_input_tokens: int = Field(0, ge=0, le=MAX_TOKENS_PER_BUCKET)
    cache_read_tokens: int = Field(0, ge=0, le=MAX_TOKENS_PER_BUCKET)
    cache_write_5m_tokens: int = Field(0, ge=0, le=MAX_TOKENS_PER_BUCKET)
    cache_write_1h_tokens: int = Field(0, ge=0, le=MAX_TOKENS_PER_BUCKET)
    output_tokens: int = Field(0, ge=0, le=MAX_TOKENS_PER_BUCKET)
    reasoning_tokens: int = Field(0, ge=0, le=MAX_TOKENS_PER_BUCKET)

    @property
    def input_total(self) -> int:
        """All prompt-side tokens: what long-context tiers are measured against."""
        return (
            self.uncached_input_tokens
            + self.cache_read_tokens
            + self.cache_write_5m_tokens
            + self.cache_write_1h_tokens
        )


class GatewayRequest(BaseModel):
    """One LLM request as the gateway saw it; no prompt or response text, identifiers hashed."""

    model_config = ConfigDict(frozen=True)

    request_id: str = Field(min_length=1, max_length=256)
    start_time: datetime
    end_time: datetime
    tenant: str = Field(min_length=1)
    tenant_rule: str | None = None  # which attribution rule named the tenant (ingest/attribution.py)
    team: str | None = None
    project: str | None = None
    user_hash: str | None = None
    api_key_hash: str | None = None
    tags: tuple[str, ...] = ()
    provider: str = Field(min_length=1)
    requested_model: str = Field(min_length=1)
    resolved_model: str = Field(min_length=1)
    deployment: str | None = None
    region: str | None = None
    service_tier: ServiceTier = ServiceTier.STANDARD
    tokens: TokenBuckets
    status: RequestStatus
    is_stream: bool = False
    ttft_ms: int | None = Field(None, ge=0)
    latency_ms: int | None = Field(None, ge=0)  # None: the source did not say (never 0 ms by default)
    gateway_cache: GatewayCache = GatewayCache.MISS
    reported_cost_usd: Decimal | None = Field(None, ge=0)

    _utc_start = field_validator("start_time", "end_time")(_utc)

    @model_validator(mode="after")
    def _ordered(self) -> "GatewayRequest":
        if self.end_time < self.start_time:
            raise ValueError("end_time is before start_time")
        return self


class GpuSample(BaseModel):
    """One telemetry reading of one GPU (nvidia-smi row or DCGM scrape)."""

    model_config = ConfigDict(frozen=True)

    ts: datetime
    host: str = Field(min_length=1)
    gpu_uuid: str = Field(min_length=1)
    gpu_name: str
    util_gpu_pct: int = Field(ge=0, le=100)
    util_mem_pct: int | None = Field(None, ge=0, le=100)
    mem_used_mib: int | None = Field(None, ge=0)
    mem_total_mib: int | None = Field(None, ge=0)
    power_w: Decimal | None = Field(None, ge=0)
    power_limit_w: Decimal | None = Field(None, ge=0)

    _utc_ts = field_validator("ts")(_utc)


class GpuDeployment(BaseModel):
    """A self-hosted serving deployment: which GPUs serve which model, and what they cost per hour."""

    model_config = ConfigDict(frozen=True)

    deployment_id: str = Field(min_length=1)
    cluster: str
    gpu_type: str
    gpu_count: int = Field(gt=0)
    hosts: tuple[str, ...] = ()
    model: str
    precision: str
    engine: str
    gpu_rate_ref: str = Field(description="key into gpu_rates: the $/GPU-hour rate card row")
    tensor_parallel: int | None = Field(default=None, gt=0, description="GPUs per model replica")

    @model_validator(mode="after")
    def _replicas_are_whole(self):
        if self.tensor_parallel and self.gpu_count % self.tensor_parallel:
            raise ValueError(f"gpu_count {self.gpu_count} is not a multiple of tensor_parallel {self.tensor_parallel}")
        return self


class RateCardRow(BaseModel):
    """Token prices for one (provider, model, service tier, context tier), in force from valid_from.

    Prices are USD per million tokens, exact decimals.  ``min_input_tokens`` is the context tier:
    a request whose total prompt (uncached + cache read + cache writes) is at least this size is
    priced by this row for *all* of its tokens (how Anthropic and Google price >200k prompts).
    A None price means "the card does not say": a request with tokens in that bucket is unpriced.
    """

    model_config = ConfigDict(frozen=True)

    provider: str
    model: str
    service_tier: ServiceTier = ServiceTier.STANDARD
    min_input_tokens: int = Field(0, ge=0)
    valid_from: datetime
    valid_to: datetime | None = None
    uncached_input_usd_per_mtok: TokenPrice = None
    cache_read_usd_per_mtok: TokenPrice = None
    cache_write_5m_usd_per_mtok: TokenPrice = None
    cache_write_1h_usd_per_mtok: TokenPrice = None
    output_usd_per_mtok: TokenPrice = None
    reasoning_usd_per_mtok: TokenPrice = None
    source: str

    _utc_valid = field_validator("valid_from", "valid_to")(_utc)

    @model_validator(mode="after")
    def _window(self) -> "RateCardRow":
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        return self


class ContractDiscount(BaseModel):
    """A negotiated discount on list price for a provider (optionally a model glob), effective-dated."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    provider: str
    model_pattern: str = "*"
    discount_pct: Decimal = Field(ge=0, le=100, decimal_places=4)  # storage is DECIMAL(7, 4)
    valid_from: datetime
    valid_to: datetime | None = None

    _utc_valid = field_validator("valid_from", "valid_to")(_utc)


class GpuRate(BaseModel):
    """What one GPU-hour costs under a rate reference (cloud on-demand, committed, or owned TCO)."""

    model_config = ConfigDict(frozen=True)

    rate_ref: str
    gpu_type: str
    kind: str = Field(pattern="^(on_demand|committed|reserved|owned)$")
    usd_per_gpu_hour: Decimal = Field(gt=0)
    valid_from: datetime
    valid_to: datetime | None = None
    usd_per_kwh: Decimal | None = Field(default=None, ge=0, description="owned GPUs: energy price")
    pue: Decimal | None = Field(default=None, ge=1, le=3, description="owned GPUs: data-centre PUE")

    _utc_valid = field_validator("valid_from", "valid_to")(_utc)


class Budget(BaseModel):
    """A tenant's spend budget for one calendar month (API effective + allocated GPU cost)."""

    model_config = ConfigDict(frozen=True)

    tenant: str = Field(min_length=1)
    month: date
    budget_usd: Decimal = Field(ge=0, decimal_places=2)

    @field_validator("month")
    @classmethod
    def _first_of_month(cls, v: date) -> date:
        if v.day != 1:
            raise ValueError("month must be the first day of a month (YYYY-MM-01)")
        return v


class CostSetting(BaseModel):
    """One tunable of the cost model (see sql/migrations/004 for the keys and their meaning)."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(pattern="^(decode_token_weight|anomaly_robust_z|anomaly_min_change_usd)$")
    value: Decimal = Field(gt=0)

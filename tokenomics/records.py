"""Canonical records: every source is normalised once, at the edge, into these shapes.

Token buckets are *disjoint*: a token is counted in exactly one of uncached input, cache read,
cache write (5 minute or 1 hour), output or reasoning.  Sources disagree on what "input" or
"completion" tokens include; each source adapter says how it splits them and is tested for it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tokenomics.config import implausible

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


def _plausible(value: datetime | None) -> datetime | None:
    """A fact's time inside the plausible window (tokenomics.config.plausible_window), in UTC."""
    value = _utc(value)
    if value is not None and (reason := implausible(value)):
        raise ValueError(reason)
    return value


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

    _utc_start = field_validator("start_time", "end_time")(_plausible)

    @model_validator(mode="after")
    def _ordered(self) -> "GatewayRequest":
        if self.end_time < self.start_time:
            raise ValueError("end_time is before start_time")
        return self


# MIG (Multi-Instance GPU): how many compute slices a whole GPU of each family has; an instance of profile
# "<g>g.<mem>gb" (e.g. "1g.10gb", "3g.40gb", "1g.10gb+me", "7g.79gb") holds g of them, so it is g / slices
# of the GPU.  NVIDIA MIG user guide, "Supported MIG profiles": A30 1g.6gb × 4 … 4g.24gb; A100 / H100 / H200
# 1g … 7g; B200 1g.23gb × 7 … 7g.180gb; B300 1g.34gb × 7 … 7g.269gb; RTX PRO 6000 Blackwell 1g.24gb × 4 …
# 4g.96gb.  Pricing by compute slices: a memory-heavy profile (H100 1g.20gb, B200 1g.45gb) is priced as 1
# slice.  A GPU matching no row has unknown slices (its instances' slice is NULL; a MIG deployment on it
# must say gpu_slices).  First match wins; patterns are case-insensitive, on modelName or gpu_type.
MIG_GPU_SLICES: tuple[tuple[str, int], ...] = (
    (r"\bA30\b", 4),
    (r"\bRTX PRO 6000\b", 4),
    (r"\b(A100|A800)\b", 7),
    (r"\b(H100|H800|H200|H20|GH200)\b", 7),
    (r"\b(B200|GB200|B300|GB300)\b", 7),
)
_MIG_PROFILE = re.compile(r"^(\d+)g\.\d+gb(?:[+-]\w+)*$", re.I)


def mig_profile_slices(profile: str) -> int:
    """Compute slices of a MIG GPU-instance profile: "3g.40gb" → 3.  Anything else is refused."""
    match = _MIG_PROFILE.match(profile.strip())
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"MIG profile {profile!r} is not '<g>g.<memory>gb'")
    return int(match.group(1))


def gpu_mig_slices(gpu_name: str) -> int | None:
    """Compute slices of a whole GPU of this model (MIG_GPU_SLICES), None when the model is not listed."""
    for pattern, slices in MIG_GPU_SLICES:
        if re.search(pattern, gpu_name, re.I):
            return slices
    return None


class GpuSample(BaseModel):
    """One telemetry reading of one GPU device (nvidia-smi row or DCGM scrape).

    A device is a whole GPU (gpu_uuid = its UUID) or a MIG instance of one (gpu_uuid = "<UUID>/GI<id>",
    parent_gpu_uuid = the GPU's UUID, mig_profile, and mig_slices of gpu_slices compute slices)."""

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
    parent_gpu_uuid: str | None = None
    mig_instance_id: int | None = Field(None, ge=0)
    mig_profile: str | None = None
    mig_slices: int | None = Field(None, gt=0)
    gpu_slices: int | None = Field(None, gt=0)

    _utc_ts = field_validator("ts")(_plausible)

    @model_validator(mode="after")
    def _instance_fits(self) -> "GpuSample":
        if self.mig_instance_id is not None and (self.parent_gpu_uuid is None or self.mig_profile is None):
            raise ValueError("a MIG instance needs its parent GPU's UUID and its profile")
        if self.mig_slices and self.gpu_slices and self.mig_slices > self.gpu_slices:
            raise ValueError(f"MIG profile {self.mig_profile!r} has {self.mig_slices} compute slices, "
                             f"more than the {self.gpu_slices} of one {self.gpu_name}")
        return self


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
    mig_profile: str | None = Field(default=None, description="runs on MIG instances of this profile: "
                                    "gpu_count counts instances, each costs its slice of the GPU's rate")
    gpu_slices: int | None = Field(default=None, gt=0, description="compute slices of the whole GPU; "
                                   "default from MIG_GPU_SLICES by gpu_type")

    @model_validator(mode="after")
    def _replicas_are_whole(self):
        if self.tensor_parallel and self.gpu_count % self.tensor_parallel:
            raise ValueError(f"gpu_count {self.gpu_count} is not a multiple of tensor_parallel {self.tensor_parallel}")
        if self.mig_profile is None:
            if self.gpu_slices is not None:
                raise ValueError("gpu_slices only applies to a deployment with a mig_profile")
            return self
        if self.compute_slices_per_gpu is None:
            raise ValueError(f"unknown MIG compute slices for gpu_type {self.gpu_type!r}: set gpu_slices")
        if self.mig_slices > self.compute_slices_per_gpu:
            raise ValueError(f"MIG profile {self.mig_profile!r} has {self.mig_slices} compute slices, more than "
                             f"the {self.compute_slices_per_gpu} of one {self.gpu_type}")
        return self

    @property
    def mig_slices(self) -> int | None:
        """Compute slices of one instance (None: whole GPUs)."""
        return None if self.mig_profile is None else mig_profile_slices(self.mig_profile)

    @property
    def compute_slices_per_gpu(self) -> int | None:
        """Compute slices of the whole GPU, for a MIG deployment (None: whole GPUs, or unknown)."""
        if self.mig_profile is None:
            return None
        return self.gpu_slices or gpu_mig_slices(self.gpu_type)


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


from tokenomics.vocab import DRIVERS, IDLE_POLICIES  # noqa: E402  (kept importable from here)


class AllocationPolicy(BaseModel):
    """The official GPU cost allocation from a month on: what tenants are billed by, set by an admin only."""

    model_config = ConfigDict(frozen=True)

    month: date
    driver: str = Field(pattern="^(" + "|".join(DRIVERS) + ")$")
    idle_policy: str = Field(pattern="^(" + "|".join(IDLE_POLICIES) + ")$")

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, v):
        """'2026-10' or a first-of-month date: a policy applies to whole months."""
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}", v.strip()):
            v = v.strip() + "-01"
        value = date.fromisoformat(v) if isinstance(v, str) else v
        if not isinstance(value, date) or value.day != 1:
            raise ValueError("month must be YYYY-MM (a policy applies from the first day of a month)")
        return value


class ModelAlias(BaseModel):
    """An override for the model-name resolver: requests logged as (provider, model) are priced by the
    catalogue entry (card_provider, card_model) — for names no rule can map (Azure deployment names,
    application inference profile ARNs, private fine-tunes priced as their base)."""

    model_config = ConfigDict(frozen=True)

    provider: str = Field(min_length=1)
    model: str = Field(min_length=1)
    card_provider: str = Field(min_length=1)
    card_model: str = Field(min_length=1)


class CostSetting(BaseModel):
    """One tunable of the cost model (see sql/migrations/004 for the keys and their meaning)."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(pattern="^(decode_token_weight|anomaly_robust_z|anomaly_min_change_usd)$")
    value: Decimal = Field(gt=0)

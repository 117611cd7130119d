"""Vendor cost APIs as saved JSON pages: OpenAI organization costs and the Anthropic cost report."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from tokenomics.ingest.runner import Source, register
from tokenomics.ingest.vendor_usage import _tier, window_loader

# OpenAI line items read "<model>, <part>"; the part names the token class
OPENAI_PARTS = {"input": "uncached_input", "cached input": "cache_read", "output": "output"}
ANTHROPIC_TYPES = {"uncached_input_tokens": "uncached_input", "output_tokens": "output",
                   "cache_read_input_tokens": "cache_read", "cache_creation.ephemeral_5m_input_tokens": "cache_write_5m",
                   "cache_creation.ephemeral_1h_input_tokens": "cache_write_1h"}


class CostRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    provider: str
    bucket_start: datetime
    bucket_end: datetime
    project: str | None = None
    model: str | None = None
    token_class: str
    service_tier: str = "standard"
    amount_usd: Decimal


class OpenAICostResult(BaseModel):
    """One `organization.costs.result`: ``amount.value`` is USD as a JSON number (converted through its
    shortest decimal form, never binary arithmetic); ``line_item`` is "<model>, <input|cached input|output>"."""

    model_config = ConfigDict(extra="ignore")
    amount: dict
    line_item: str | None = None
    project_id: str | None = None

    def canonical(self, start, end) -> CostRow:
        if str(self.amount.get("currency", "usd")).lower() != "usd":
            raise ValueError(f"currency {self.amount.get('currency')!r} is not USD")
        model, _, part = (self.line_item or "").rpartition(", ")
        value = Decimal(repr(self.amount["value"])) if isinstance(self.amount["value"], float) else Decimal(
            str(self.amount["value"]))
        batch = "batch" in part
        return CostRow(provider="openai", bucket_start=start, bucket_end=end, project=self.project_id,
                       model=model or None, token_class=OPENAI_PARTS.get(part.replace(" | batch", "").strip(), "other"),
                       service_tier="batch" if batch else "standard", amount_usd=value)


class AnthropicCostResult(BaseModel):
    """One Anthropic cost-report result: ``amount`` is a decimal STRING in cents (e.g. "123.45" = $1.2345)."""

    model_config = ConfigDict(extra="ignore")
    amount: str = Field(pattern=r"^-?\d+(\.\d+)?$")
    currency: str = "USD"
    model: str | None = None
    token_type: str | None = None
    service_tier: str | None = None
    workspace_id: str | None = None

    def canonical(self, start, end) -> CostRow:
        if self.currency.upper() != "USD":
            raise ValueError(f"currency {self.currency!r} is not USD")
        return CostRow(provider="anthropic", bucket_start=start, bucket_end=end, project=self.workspace_id,
                       model=self.model, token_class=ANTHROPIC_TYPES.get(self.token_type or "", "other"),
                       service_tier=_tier(self.service_tier), amount_usd=Decimal(self.amount) / 100)


register(Source("openai-costs", window_loader("vendor_costs", "openai", "start_time", "end_time",
                                              OpenAICostResult), ("openai-costs*.json",),
                "OpenAI /v1/organization/costs pages (JSON)"))
register(Source("anthropic-costs", window_loader("vendor_costs", "anthropic", "starting_at", "ending_at",
                                                 AnthropicCostResult), ("anthropic-costs*.json",),
                "Anthropic cost report pages (JSON; amounts are decimal strings in cents)"))

"""Vendor cost APIs as saved JSON pages: OpenAI organization costs and the Anthropic cost report."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ingest.records import Candidate, validate
from ingest.runner import Counts, LoadContext, Source, register
from ingest.vendor_usage import _epoch_or_iso, _reject, _tier

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


DIALECTS = {"openai-costs": ("openai", "start_time", "end_time", OpenAICostResult),
            "anthropic-costs": ("anthropic", "starting_at", "ending_at", AnthropicCostResult)}


def loader(dialect: str):
    provider, start_key, end_key, model = DIALECTS[dialect]

    def load(con, path: Path, ctx: LoadContext) -> Counts:
        """Each window in the file replaces the costs stored for it (re-fetches never double count)."""
        doc = json.loads(path.read_text())
        candidates, windows = [], set()
        for page in doc if isinstance(doc, list) else [doc]:
            for b, bucket in enumerate(page.get("data") or []):
                try:
                    start, end = _epoch_or_iso(bucket[start_key]), _epoch_or_iso(bucket[end_key])
                except (KeyError, ValueError, TypeError) as exc:
                    candidates.append(Candidate(b, bucket, lambda exc=exc: _reject(f"bucket without a valid window: {exc}")))
                    continue
                windows.add((start, end))
                for r in bucket.get("results") or []:
                    candidates.append(Candidate(b, r, lambda r=r, s=start, e=end: [model.model_validate(r).canonical(s, e)]))
        good, counts = validate(candidates, ctx, con)
        for start, end in sorted(windows):
            con.execute("DELETE FROM vendor_costs WHERE provider = ? AND bucket_start = ? AND bucket_end = ?",
                        [provider, start, end])
        for _, (row,) in good:
            con.execute("INSERT INTO vendor_costs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [row.provider, row.bucket_start, row.bucket_end, row.project, row.model, row.token_class,
                         row.service_tier, row.amount_usd, ctx.run_id])
            counts.loaded += 1
        return counts

    return load


register(Source("openai-costs", loader("openai-costs"), ("openai-costs*.json",),
                "OpenAI /v1/organization/costs pages (JSON)"))
register(Source("anthropic-costs", loader("anthropic-costs"), ("anthropic-costs*.json",),
                "Anthropic cost report pages (JSON; amounts are decimal strings in cents)"))

"""LiteLLM price catalogue entries → effective-dated RateCardRow records.

The catalogue gives $/token floats under suffixed keys.  The mapping is data: a bucket table, a
service-tier suffix table and a context-tier pattern.  Two derivation rules fill gaps, both
documented in docs/cost_model.md:
  * reasoning tokens are billed at the output price unless ``output_cost_per_reasoning_token`` says otherwise;
  * a non-standard tier (batch/flex/priority) discounts every input-side bucket by its input ratio
    and output/reasoning by its output ratio, at every context tier, unless a key lists the price
    (how OpenAI and Anthropic apply batch discounts to cached and long-context tokens).
Anything else missing stays None, so a request with tokens in that bucket is *unpriced*, never $0.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from tokenomics.records import RateCardRow, ServiceTier

# canonical bucket → catalogue key stems (before context/tier suffixes), the first one listed wins:
#  * cache reads: DeepSeek-style entries say ``input_cost_per_token_cache_hit``;
#  * long-retention cache writes: Anthropic's 1-hour writes, else OpenAI's extended (>12 h) retention writes —
#    our 1h bucket is "the long-TTL write", whatever the vendor's TTL.
BUCKET_KEYS: dict[str, tuple[str, ...]] = {
    "uncached_input_usd_per_mtok": ("input_cost_per_token",),
    "cache_read_usd_per_mtok": ("cache_read_input_token_cost", "input_cost_per_token_cache_hit"),
    "cache_write_5m_usd_per_mtok": ("cache_creation_input_token_cost",),
    "cache_write_1h_usd_per_mtok": ("cache_creation_input_token_cost_above_1hr",
                                    "cache_creation_input_token_cost_above_12hr"),
    "output_usd_per_mtok": ("output_cost_per_token",),
    "reasoning_usd_per_mtok": ("output_cost_per_reasoning_token",),
}
TIER_SUFFIX: dict[ServiceTier, str] = {
    ServiceTier.STANDARD: "",
    ServiceTier.BATCH: "_batches",
    ServiceTier.FLEX: "_flex",
    ServiceTier.PRIORITY: "_priority",
}
_CONTEXT_TIER = re.compile(r"_above_(\d+)k_tokens")
_PRICE_QUANTUM = Decimal("0.000001")  # $/1M tokens kept to 1e-12 $/token
_MILLION = Decimal(1_000_000)


def per_mtok(value: float | int | str | None) -> Decimal | None:
    """$/token as the catalogue writes it → exact $/1M tokens (via the shortest repr, not binary)."""
    if value is None:
        return None
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    if exact < 0:
        raise ValueError(f"negative price {value}")
    return (exact * _MILLION).quantize(_PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)


def same_family(a: str, b: str) -> bool:
    """LiteLLM names one vendor's APIs as variants: bedrock / bedrock_converse, vertex_ai /
    vertex_ai-anthropic_models, azure / azure_ai — one name extended by '_' or '-'."""
    return a == b or a.startswith((b + "_", b + "-")) or b.startswith((a + "_", a + "-"))


def split_key(key: str, provider: str) -> str:
    """Catalogue keys may carry a 'provider/' prefix (of the entry's provider or its family: an alias
    'bedrock/claude-opus-latest' of a bedrock_converse entry); requests are matched without it."""
    head, slash, rest = key.partition("/")
    return rest if slash and same_family(head, provider) else key


def _context_tiers(entry: dict) -> list[int]:
    found = {int(m.group(1)) * 1000 for k in entry for m in [_CONTEXT_TIER.search(k)] if m}
    return [0, *sorted(found)]


def _lookup(entry: dict, stems: tuple[str, ...], context: int, tier: ServiceTier) -> Decimal | None:
    ctx = f"_above_{context // 1000}k_tokens" if context else ""
    for stem in stems:
        value = entry.get(f"{stem}{ctx}{TIER_SUFFIX[tier]}")
        if value is not None:
            return per_mtok(value)
    return None


_INPUT_SIDE = ("uncached_input_usd_per_mtok", "cache_read_usd_per_mtok",
               "cache_write_5m_usd_per_mtok", "cache_write_1h_usd_per_mtok")
_OUTPUT_SIDE = ("output_usd_per_mtok", "reasoning_usd_per_mtok")


def _listed(entry: dict, context: int, tier: ServiceTier) -> dict[str, Decimal | None]:
    return {bucket: _lookup(entry, stems, context, tier) for bucket, stems in BUCKET_KEYS.items()}


def _standard(entry: dict, context: int) -> dict[str, Decimal | None] | None:
    prices = _listed(entry, context, ServiceTier.STANDARD)
    if prices["uncached_input_usd_per_mtok"] is None and prices["output_usd_per_mtok"] is None:
        return None
    if prices["reasoning_usd_per_mtok"] is None:
        prices["reasoning_usd_per_mtok"] = prices["output_usd_per_mtok"]
    return prices


def _ratio(entry: dict, tier: ServiceTier, bucket: str) -> Decimal | None:
    """How a tier discounts one side (input or output) relative to standard, at base context."""
    base = _standard(entry, 0) or {}
    tiered = _listed(entry, 0, tier)[bucket]
    if tiered is None or not base.get(bucket):
        return None
    return tiered / base[bucket]


def _tier_prices(entry: dict, context: int, tier: ServiceTier) -> dict[str, Decimal | None] | None:
    standard = _standard(entry, context)
    if tier is ServiceTier.STANDARD:
        return standard
    if standard is None:  # offered only in this tier (e.g. priority-only): its own prices stand alone
        prices = _listed(entry, context, tier)
        if prices["uncached_input_usd_per_mtok"] is None and prices["output_usd_per_mtok"] is None:
            return None
        if prices["reasoning_usd_per_mtok"] is None:
            prices["reasoning_usd_per_mtok"] = prices["output_usd_per_mtok"]
        return prices
    in_ratio = _ratio(entry, tier, "uncached_input_usd_per_mtok")
    out_ratio = _ratio(entry, tier, "output_usd_per_mtok")
    if in_ratio is None and out_ratio is None:
        return None  # the model is not offered in this tier
    prices = _listed(entry, context, tier)
    for bucket, ratio in [(b, in_ratio) for b in _INPUT_SIDE] + [(b, out_ratio) for b in _OUTPUT_SIDE]:
        if prices[bucket] is None and ratio is not None and standard[bucket] is not None:
            prices[bucket] = (standard[bucket] * ratio).quantize(_PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)
    return prices


def resolve_alias(key: str, entry: dict, catalogue: dict) -> dict:
    """An alias entry (``{"alias_of": "<key>"}``, e.g. ``claude-sonnet-latest``) priced as the entry it names."""
    seen = [key]
    while isinstance(entry, dict) and set(entry) == {"alias_of"}:
        target = entry["alias_of"]
        if target in seen or target not in catalogue:
            raise ValueError(f"{key}: alias_of {target!r} is not an entry of this catalogue" if target not in seen
                             else f"{key}: alias cycle {' -> '.join(seen + [target])}")
        seen.append(target)
        entry = catalogue[target]
    return entry


def entry_rows(key: str, entry: dict, valid_from: datetime, source: str) -> list[RateCardRow]:
    """All (service tier × context tier) rows one catalogue entry implies."""
    if not isinstance(entry, dict):
        raise ValueError(f"{key}: entry is not an object")
    provider = entry.get("litellm_provider")
    if not provider:
        raise ValueError(f"{key}: litellm_provider is missing")
    model = split_key(key, provider)
    rows = []
    for tier in TIER_SUFFIX:
        for context in _context_tiers(entry):
            prices = _tier_prices(entry, context, tier)
            if prices is None:
                continue
            rows.append(RateCardRow(provider=provider, model=model, service_tier=tier,
                                    min_input_tokens=context, valid_from=valid_from, source=source, **prices))
    return rows

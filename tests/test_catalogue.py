"""LiteLLM catalogue normalisation: exact decimals, tier suffixes, derivation rules."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tokenomics.pricing.catalogue import entry_rows, per_mtok

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_float_prices_become_exact_per_million():
    assert per_mtok(3e-06) == Decimal("3")
    assert per_mtok(7.5e-08) == Decimal("0.075")
    assert per_mtok(1.875e-07) == Decimal("0.1875")
    with pytest.raises(ValueError):
        per_mtok(-1e-6)


def test_tiers_and_derived_batch_cache_prices():
    entry = {"litellm_provider": "anthropic", "input_cost_per_token": 3e-6, "output_cost_per_token": 15e-6,
             "cache_read_input_token_cost": 3e-7, "input_cost_per_token_batches": 1.5e-6,
             "output_cost_per_token_batches": 7.5e-6, "input_cost_per_token_above_200k_tokens": 6e-6,
             "output_cost_per_token_above_200k_tokens": 22.5e-6}
    rows = {(r.service_tier.value, r.min_input_tokens): r for r in entry_rows("anthropic/claude-x", entry, T0, "t")}
    assert set(rows) == {("standard", 0), ("standard", 200_000), ("batch", 0), ("batch", 200_000)}
    assert rows[("standard", 0)].model == "claude-x"  # provider prefix stripped
    assert rows[("batch", 0)].cache_read_usd_per_mtok == Decimal("0.15")  # 0.30 × (1.5 / 3)
    assert rows[("batch", 200_000)].uncached_input_usd_per_mtok == Decimal("3")  # 6 × 0.5
    assert rows[("standard", 0)].reasoning_usd_per_mtok == Decimal("15")  # reasoning billed as output
    assert rows[("standard", 0)].cache_write_5m_usd_per_mtok is None  # not listed → unpriced if used


def test_entry_without_token_prices_is_rejected():
    assert entry_rows("img", {"litellm_provider": "openai", "output_cost_per_image": 0.04}, T0, "t") == []
    with pytest.raises(ValueError):
        entry_rows("x", {"input_cost_per_token": 1e-6}, T0, "t")


def test_absurd_or_over_precise_prices_are_refused():
    """int_request_costs multiplies tokens by µ$ in BIGINT: the caps keep that exact and in range."""
    from pydantic import ValidationError

    from tokenomics.records import MAX_USD_PER_MTOK, RateCardRow

    card = dict(provider="openai", model="m", valid_from=T0, source="t")
    assert RateCardRow(**card, output_usd_per_mtok=MAX_USD_PER_MTOK).output_usd_per_mtok == MAX_USD_PER_MTOK
    with pytest.raises(ValidationError, match="less than or equal"):
        RateCardRow(**card, output_usd_per_mtok=MAX_USD_PER_MTOK + Decimal("0.000001"))
    with pytest.raises(ValidationError, match="6 decimal places"):
        RateCardRow(**card, cache_read_usd_per_mtok=Decimal("0.0000001"))  # storage would round it to 0
    with pytest.raises(ValueError):  # 1 $/token = 1M $/Mtok: a catalogue typo, quarantined, never loaded
        entry_rows("x", {"litellm_provider": "openai", "input_cost_per_token": 1.0}, T0, "t")

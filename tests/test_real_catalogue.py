"""The real LiteLLM price catalogue (tests/fixtures/real/litellm/model_prices_and_context_window.json, 4,878
keys; provenance in tests/fixtures/real/README.md) loads whole, with its aliases, collisions and
newer price keys."""

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tokenomics.ingest.runner import ingest_paths

CATALOGUE = Path(__file__).parent / "fixtures" / "real" / "litellm" / "model_prices_and_context_window.json"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from tokenomics.warehouse import open_warehouse

    base = tmp_path_factory.mktemp("catalogue")
    path = base / "model_prices_2026-11-01.json"
    shutil.copy(CATALOGUE, path)
    con = open_warehouse(base / "wh.duckdb")
    [result] = ingest_paths(con, "litellm-prices", [path])
    yield con, result, path
    con.close()


def _card(con, provider, model, tier="standard", context=0):
    row = con.execute("SELECT uncached_input_usd_per_mtok, cache_read_usd_per_mtok, cache_write_5m_usd_per_mtok,"
                      " cache_write_1h_usd_per_mtok, output_usd_per_mtok FROM rate_cards WHERE provider = ? AND model = ?"
                      " AND service_tier = ? AND min_input_tokens = ?", [provider, model, tier, context]).fetchone()
    return None if row is None else tuple(None if v is None else v.normalize() for v in row)


def test_every_entry_is_counted_and_only_non_prices_are_quarantined(loaded):
    con, r, _ = loaded
    assert r.status == "loaded" and r.counts.read == 4878 and r.counts.reconciles()
    reasons = dict(con.execute("SELECT reason, count(*) FROM quarantine GROUP BY ALL").fetchall())
    # what stays out: the documentation entry and entries that price no tokens (images, video, search...);
    # never an alias, never a provider-prefixed twin of a priced entry
    kinds = {"entry lists no token prices", "superseded by", "litellm_provider is missing"}
    assert all(any(kind in reason for kind in kinds) for reason in reasons), reasons
    assert reasons["entry lists no token prices"] > 800  # image, video, audio, search and rerank entries
    assert sum(n for reason, n in reasons.items() if "litellm_provider is missing" in reason) == 1  # fallback_generalizations
    assert r.counts.quarantined == sum(reasons.values())
    assert r.counts.loaded > 4_000


def test_aliases_are_priced_as_their_target(loaded):
    con, _, _ = loaded
    # "azure_ai/claude-fable-latest": {"alias_of": "azure_ai/claude-fable-5-1"}
    assert _card(con, "azure_ai", "claude-fable-latest") == _card(con, "azure_ai", "claude-fable-5-1") is not None
    # "bedrock/claude-opus-latest" names a bedrock_converse entry: the family prefix is stripped
    assert _card(con, "bedrock_converse", "claude-opus-latest") == _card(con, "bedrock_converse",
                                                                          "global.anthropic.claude-opus-5-5")


def test_a_zero_priced_twin_never_beats_a_priced_one(loaded):
    con, _, _ = loaded
    # "gemini/gemini-exp-1206" lists $0/$0, "gemini-exp-1206" $0.30/$2.50 per 1M (3e-07, 2.5e-06 per token)
    prices = _card(con, "gemini", "gemini-exp-1206")
    assert prices[0] == Decimal("0.3") and prices[4] == Decimal("2.5")
    reasons = [x for (x,) in con.execute("SELECT raw || reason FROM quarantine WHERE raw LIKE '%gemini-exp-1206%'").fetchall()]
    assert len(reasons) == 1 and "superseded by 'gemini-exp-1206'" in reasons[0]


def test_newer_price_keys_are_read(loaded):
    con, _, _ = loaded
    # deepseek/deepseek-chat: input_cost_per_token_cache_hit 2.8e-08 = $0.028/1M cache reads (cache_read key too)
    assert _card(con, "deepseek", "deepseek-chat")[1] == Decimal("0.028")
    # gpt-6-astra: cache_creation_input_token_cost_above_12hr 2.5e-05 = $25/1M long-retention writes (1h bucket);
    # 5-minute writes 1.25e-05 = $12.50
    assert _card(con, "openai", "gpt-6-astra")[2:4] == (Decimal("12.5"), Decimal("25"))
    # fireworks minimax-m2p7 is priced only at priority: 1.2e-06 in and out = $1.20/1M, cache read $0.60
    assert _card(con, "fireworks_ai", "accounts/fireworks/models/minimax-m2p7") is None
    assert _card(con, "fireworks_ai", "accounts/fireworks/models/minimax-m2p7", "priority")[:2] == (
        Decimal("1.2"), Decimal("0.6"))


def test_reingesting_the_catalogue_is_a_no_op(loaded, tmp_path):
    con, first, path = loaded
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes() + b"\n")  # new bytes, same content: every entry a duplicate
    [again] = ingest_paths(con, "litellm-prices", [copy])
    assert again.counts.loaded == 0 and again.counts.read == 4878 and again.counts.reconciles()
    assert again.counts.quarantined == first.counts.quarantined  # the same entries, for the same reasons


def test_the_real_catalogues_flex_keys_price_the_move_to_flex(loaded):
    """o4-mini's *_flex keys in the genuine catalogue (input 5.5e-07, cached input 1.38e-07, output 2.2e-06 per
    token) become its flex card, and the flex rule (int_request_tier_prices → mart_batch_daily) prices a request's
    move on it."""
    from datetime import datetime, timezone

    from tests.sqlgiven import given_real, memory, run_model, settings
    from tests.test_cost_marts import request

    con, _, _ = loaded
    assert _card(con, "openai", "o4-mini", "flex") == (Decimal("0.55"), Decimal("0.138"), None, None, Decimal("2.2"))
    run_model(con, "staging/stg_rate_cards.sql")
    cards = con.execute("SELECT * FROM stg_rate_cards WHERE provider = 'openai' AND model = 'o4-mini'"
                        " AND service_tier IN ('standard', 'flex')").pl().to_dicts()
    mem = memory()
    settings(mem)
    given_real(mem, "stg_rate_cards", cards)
    # 1M input and 100k output tokens, non-streaming: standard 1 × $1.10 + 0.1 × $4.40 = $1.54; flex 1 × $0.55 +
    # 0.1 × $2.20 = $0.77 → moving it saves $0.77
    given_real(mem, "int_request_costs", [request("r", provider="openai", model="o4-mini", uncached=1_000_000,
                                                  out=100_000, list_usd=1.54,
                                                  start=datetime(2026, 11, 15, 12, tzinfo=timezone.utc))])
    run_model(mem, "intermediate/int_request_tier_prices.sql")
    run_model(mem, "marts/mart_batch_daily.sql")
    assert mem.execute("SELECT latency_class, move_to_flex_savings_usd FROM mart_batch_daily").fetchall() == [
        ("non_streaming", Decimal("0.77"))]


def test_the_cheapest_api_for_a_self_hosted_model_is_a_priced_card(loaded):
    """Llama 3.3 70B in the genuine catalogue: 51 standard cards resolve to it, one of them $0 / $0
    (vertex_ai-llama_models/meta/llama-3.1-70b-instruct-maas).  "API instead of a deployment" takes the cheapest
    priced one, deepinfra's Turbo at $0.10 in / $0.32 out per 1M, not the free listing."""
    from datetime import date, datetime, timezone

    from tests.test_recommend import _deployment

    con, _, _ = loaded
    cards = con.execute("SELECT provider, model, service_tier, uncached_input_usd_per_mtok, output_usd_per_mtok"
                        " FROM rate_cards WHERE min_input_tokens = 0").fetchall()
    assert ("vertex_ai-llama_models", "meta/llama-3.1-70b-instruct-maas", "standard", Decimal(0), Decimal(0)) in cards
    found = _deployment(  # 4 H100s a day at $2.00 = $192; 4.8M input and 0.96M output tokens
        [(date(2026, 11, 2), 4, 24, 0, Decimal(192), 2400, 4_800_000, 960_000)],
        model="meta-llama/Llama-3.3-70B-Instruct", tp=4, rate=Decimal(2),
        hourly=[(datetime(2026, 11, 2, h, tzinfo=timezone.utc), 100) for h in range(24)], cards=cards)
    [api] = [r for r in found if r.kind == "api_instead"]
    # 4.8 x $0.10 + 0.96 x $0.32 = $0.48 + $0.3072 = $0.7872 -> $0.79
    assert api.title.endswith("deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo")
    assert (api.projected_usd, api.saving_usd) == (Decimal("0.79"), Decimal("191.21"))

"""Vendor cost APIs: exact amounts (Anthropic cents as strings), windows replace, reconciliation per class."""

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from tokenomics.ingest.runner import ingest_paths
from tests.sqlgiven import given_real, memory, named, run_model

FIX = Path(__file__).parent / "fixtures" / "vendor_usage"


def test_cost_pages_land_exactly(warehouse, tmp_path):
    ingest_paths(warehouse, "openai-costs", [FIX / "openai-costs-2026-11-01.json"])
    ingest_paths(warehouse, "anthropic-costs", [FIX / "anthropic-costs-2026-11-01.json"])
    rows = dict(((p, c), a) for p, c, a in warehouse.execute(
        "SELECT provider, token_class, amount_usd FROM vendor_costs").fetchall())
    assert rows[("openai", "cache_read")] == Decimal("1.0")
    # Anthropic amounts are cents as decimal strings: "13.50" cents = $0.135
    assert rows[("anthropic", "output")] == Decimal("0.135")
    assert rows[("anthropic", "uncached_input")] == Decimal("0.06")
    page = json.loads((FIX / "openai-costs-2026-11-01.json").read_text())
    page["data"][0]["results"] = page["data"][0]["results"][:1]      # the re-fetched day now shows one item
    refetch = tmp_path / "openai-costs-refetch.json"
    refetch.write_text(json.dumps(page))
    ingest_paths(warehouse, "openai-costs", [refetch])
    assert warehouse.execute("SELECT count(*) FROM vendor_costs WHERE provider = 'openai'").fetchone()[0] == 1


def test_bad_cost_rows_are_quarantined(warehouse, tmp_path):
    doc = {"data": [{"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z", "results": [
        {"currency": "EUR", "amount": "1.00", "token_type": "output_tokens"},
        {"currency": "USD", "amount": "1e3", "token_type": "output_tokens"},
        {"currency": "USD", "amount": "2.00", "token_type": "output_tokens"}]}]}
    f = tmp_path / "anthropic-costs-bad.json"
    f.write_text(json.dumps(doc))
    [r] = ingest_paths(warehouse, "anthropic-costs", [f])
    assert (r.counts.read, r.counts.loaded, r.counts.quarantined) == (3, 1, 2)


RESOLUTION = "provider, model, card_provider, card_model, rule, model_family"
VENDOR_COSTS = "provider, bucket_start, bucket_end, project, model, token_class, service_tier, amount_usd, run_id"


def test_reconciliation_mart_by_token_class():
    con = memory()
    given_real(con, "int_request_costs", named(
        "day, tenant, model, rate_context_tier, rate_valid_from, provider, service_tier, pricing_status, discount_pct, "
        "uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, "
        "reasoning_tokens, price_uncached_input, price_cache_read, price_cache_write_5m, price_cache_write_1h, "
        "price_output, price_reasoning", [
              # 2,000,000 uncached x $3 = $6.00 with a 10 % discount -> $5.40; 1,000,000 output x $15 = $15 -> $13.50
              (date(2026, 11, 1), "acme", "claude-x", 0, None, "anthropic", "standard", "priced", 10, 2_000_000, 0, 0, 0, 1_000_000, 0,
               3, 0.3, 3.75, 6, 15, 15)]))
    given_real(con, "vendor_costs", named(VENDOR_COSTS, [
              ("anthropic", datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 2, tzinfo=timezone.utc),
               None, None, "uncached_input", "standard", Decimal("5.40"), "r"),
              ("anthropic", datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 2, tzinfo=timezone.utc),
               None, None, "output", "standard", Decimal("13.00"), "r"),
              ("anthropic", datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 2, tzinfo=timezone.utc),
               None, None, "cache_read", "standard", Decimal("0.45"), "r")]))
    given_real(con, "int_model_resolution", named(RESOLUTION, []))  # the report is not split by model: compared per provider
    run_model(con, "intermediate/int_request_meters.sql")
    run_model(con, "marts/mart_vendor_reconciliation_daily.sql")
    got = {r[0]: r[1:] for r in con.execute("SELECT token_class, computed_usd, vendor_usd, variance_usd "
                                           "FROM mart_vendor_reconciliation_daily").fetchall()}
    assert got["uncached_input"] == (Decimal("5.4"), Decimal("5.4"), Decimal("0"))
    assert got["output"] == (Decimal("13.5"), Decimal("13"), Decimal("0.5"))   # we compute more than billed
    assert got["cache_read"] == (None, Decimal("0.45"), None)                 # only the vendor saw cache reads


def test_reconciliation_mart_per_model_family_through_the_resolver():
    """The vendor reports the dated snapshot, the gateway logged the alias: one resolver, one family."""
    con = memory()
    given_real(con, "int_request_meters", named(
        "day, tenant, provider, model, service_tier, rate_context_tier, rate_valid_from, discount_pct, token_class, "
        "meter, tokens, price", [
              # 1,000,000 output x $15 = $15.00 for claude-x; 1,000,000 x $5 = $5.00 for claude-y
              (date(2026, 11, 1), "acme", "anthropic", "claude-x", "standard", 0, None, 0, "output", "Output Tokens", 1_000_000, 15),
              (date(2026, 11, 1), "acme", "anthropic", "claude-y", "standard", 0, None, 0, "output", "Output Tokens", 1_000_000, 5)]))
    given_real(con, "vendor_costs", named(VENDOR_COSTS, [
              ("anthropic", datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 2, tzinfo=timezone.utc),
               None, "claude-x-20261001", "output", "standard", Decimal("14.00"), "r"),
              ("anthropic", datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 2, tzinfo=timezone.utc),
               None, "claude-y", "output", "standard", Decimal("5.00"), "r")]))
    given_real(con, "int_model_resolution", named(RESOLUTION, [
        ("anthropic", "claude-x-20261001", "anthropic", "claude-x-20261001", "exact", "claude-x"),
        ("anthropic", "claude-y", "anthropic", "claude-y", "exact", "claude-y")]))
    run_model(con, "marts/mart_vendor_reconciliation_daily.sql")
    got = {r[0]: r[1:] for r in con.execute("SELECT model_family, computed_usd, vendor_usd, variance_usd "
                                           "FROM mart_vendor_reconciliation_daily").fetchall()}
    # claude-x: $15.00 ours vs $14.00 billed -> +$1.00; claude-y ties at $5.00
    assert got == {"claude-x": (Decimal("15"), Decimal("14"), Decimal("1")), "claude-y": (Decimal("5"), Decimal("5"), Decimal("0"))}


def test_reconciliation_queries_sum_the_period_and_skip_one_sided_days():
    """The Data health page's reconciliation tables: period totals and variance %, one-sided days left out."""
    from tokenomics.config import sql_dir

    con = memory()
    given_real(con, "mart_vendor_reconciliation_daily", named(
        "day, provider, model_family, token_class, service_tier, computed_usd, vendor_usd, variance_usd", [
              (date(2026, 11, 1), "anthropic", None, "output", "standard", Decimal("13.5"), Decimal("13"), Decimal("0.5")),
              (date(2026, 11, 2), "anthropic", None, "output", "standard", Decimal("6.5"), Decimal("7"), Decimal("-0.5")),
              (date(2026, 11, 3), "anthropic", None, "output", "standard", Decimal("9"), None, None),     # no export yet
              (date(2026, 11, 1), "anthropic", None, "cache_read", "standard", None, Decimal("0.45"), None)]))
    given_real(con, "mart_reconciliation_daily", named(
        "day, provider, model, service_tier, requests, compared_requests, computed_list_usd, reported_usd", [
              (date(2026, 11, 1), "openai", "gpt-y", "standard", 10, 8, Decimal("1.05"), Decimal("1.00")),
              (date(2026, 11, 2), "openai", "gpt-y", "standard", 5, 5, Decimal("0.45"), Decimal("0.50")),
              (date(2026, 12, 1), "openai", "gpt-y", "standard", 5, 5, Decimal("9"), Decimal("1"))]))  # outside
    params = {"start": date(2026, 11, 1), "end": date(2026, 11, 30), "providers": None, "models": None}
    vendor = con.execute((sql_dir() / "queries/reconciliation_vendor.sql").read_text(),
                         {k: params[k] for k in ("start", "end", "providers")}).fetchall()
    # output: 13.5 + 6.5 = 20 vs 13 + 7 = 20 on the two days both sides have -> variance 0; Nov 3 and the
    # vendor-only cache-read row are not comparisons
    assert vendor == [("anthropic", None, "output", "standard", 2, Decimal("20"), Decimal("20"), Decimal("0"), Decimal("0"))]
    gateway = con.execute((sql_dir() / "queries/reconciliation_gateway.sql").read_text(), params).fetchall()
    # 1.05 + 0.45 = 1.50 vs 1.00 + 0.50 = 1.50 -> 0; requests 15, compared 13 (December is outside the period)
    assert gateway == [("openai", "gpt-y", "standard", 15, 13, Decimal("1.5"), Decimal("1.5"), Decimal("0"), Decimal("0"))]

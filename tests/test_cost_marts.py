"""Given/expect tests on in-memory DuckDB for the cost marts, with the arithmetic in comments."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.sqlgiven import given, memory, run_model, settings
from tokenomics.config import sql_dir

D = date(2026, 3, 2)
T = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
COSTS_COLS = ("source VARCHAR, request_id VARCHAR, start_time TIMESTAMPTZ, day DATE, tenant VARCHAR, team VARCHAR, "
              "provider VARCHAR, model VARCHAR, deployment VARCHAR, service_tier VARCHAR, status VARCHAR, "
              "gateway_cache VARCHAR, is_stream BOOLEAN, tagged_offline BOOLEAN, latency_ms DOUBLE, "
              "uncached_input_tokens BIGINT, cache_read_tokens BIGINT, cache_write_5m_tokens BIGINT, "
              "cache_write_1h_tokens BIGINT, output_tokens BIGINT, reasoning_tokens BIGINT, prompt_tokens BIGINT, "
              "completion_tokens BIGINT, pricing_status VARCHAR, list_cost_usd DECIMAL(38,12), discount_pct DECIMAL(9,4), "
              "discount_usd DECIMAL(38,12), effective_cost_usd DECIMAL(38,12), avoided_list_usd DECIMAL(38,12), "
              "reported_cost_usd DECIMAL(38,12), price_uncached_input DECIMAL(18,6), price_cache_read DECIMAL(18,6), "
              "price_cache_write_5m DECIMAL(18,6), price_cache_write_1h DECIMAL(18,6), price_output DECIMAL(18,6), "
              "price_reasoning DECIMAL(18,6), list_uncached_input_usd DECIMAL(38,12), list_cache_read_usd DECIMAL(38,12), "
              "list_cache_write_5m_usd DECIMAL(38,12), list_cache_write_1h_usd DECIMAL(38,12), "
              "list_output_usd DECIMAL(38,12), list_reasoning_usd DECIMAL(38,12)")
CARD_COLS = ("provider VARCHAR, model VARCHAR, service_tier VARCHAR, min_input_tokens BIGINT, max_input_tokens BIGINT, "
             "valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ, uncached_input_usd_per_mtok DECIMAL(18,6), "
             "cache_read_usd_per_mtok DECIMAL(18,6), cache_write_5m_usd_per_mtok DECIMAL(18,6), "
             "cache_write_1h_usd_per_mtok DECIMAL(18,6), output_usd_per_mtok DECIMAL(18,6), "
             "reasoning_usd_per_mtok DECIMAL(18,6), "
             # staging's integer µ$ per 1M tokens, derived from the prices as stg_rate_cards does
             + ", ".join(f"{c}_micro_per_mtok BIGINT GENERATED ALWAYS AS (({c}_usd_per_mtok * 1000000)::BIGINT) VIRTUAL"
                         for c in ("uncached_input", "cache_read", "cache_write_5m", "cache_write_1h", "output",
                                   "reasoning")))
FROM = datetime(2026, 1, 1, tzinfo=timezone.utc)


def request(rid, *, tenant="acme", provider="anthropic", model="claude-x", tier="standard", status="priced",
            cache="miss", stream=False, tags=(), latency=1000.0, uncached=0, read=0, w5=0, w1h=0, out=0,
            list_usd=None, discount=0, reported=None, avoided=None, deployment=None, start=T,
            prices=(3, 0.3, 3.75, 6, 15, 15)):
    prompt = uncached + read + w5 + w1h
    lst = Decimal(str(list_usd)) if list_usd is not None else None
    eff = lst * (100 - discount) / 100 if lst is not None else None
    buckets = [Decimal(t) * Decimal(str(p)) / 1_000_000 for t, p in zip((uncached, read, w5, w1h, out, 0), prices)]
    return ("s", rid, start, start.date(), tenant, "team-1", provider, model, deployment or model, tier, "success",
            cache, stream, bool(set(tags) & {"workload:offline", "offline", "batch"}), latency, uncached, read, w5, w1h, out, 0, prompt, out, status, lst, discount,
            (lst - eff) if lst is not None else None, eff, avoided, reported, *prices,
            *(b if status == "priced" else None for b in buckets))


@pytest.fixture()
def con():
    c = memory()
    settings(c)
    given(c, "stg_rate_cards", CARD_COLS, [
        ("anthropic", "claude-x", "standard", 0, None, FROM, None, 3, 0.3, 3.75, 6, 15, 15),
        ("anthropic", "claude-x", "batch", 0, None, FROM, None, 1.5, 0.15, 1.875, 3, 7.5, 7.5),
        ("openai", "gpt-y", "standard", 0, None, FROM, None, 2, 0.5, None, None, 8, 8),
    ])
    given(c, "stg_contract_discounts", "contract_id VARCHAR, provider VARCHAR, model_pattern VARCHAR, "
          "discount_pct DECIMAL(9,4), valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ", [])
    yield c
    c.close()


def test_cache_savings_provider_gateway_and_self_hosted(con):
    given(con, "int_request_costs", COSTS_COLS, [
        # r1: 10,000 cache-read tokens: gross = 10,000 x (3 - 0.3) = 27,000 µ$; 2,000 5m writes: premium
        # 2,000 x (3.75 - 3) = 1,500 µ$; 1,000 1h writes: 1,000 x (6 - 3) = 3,000 µ$ -> net 22,500 µ$;
        # 10 % contract discount -> 20,250 µ$ effective
        request("r1", uncached=500, read=10_000, w5=2_000, w1h=1_000, out=100, list_usd=0.05, discount=10),
        # r2: answered by the gateway cache; would have cost $0.012 at list
        request("r2", status="gateway_cache_hit", cache="exact", uncached=1_000, out=600, list_usd=0,
                avoided=Decimal("0.012")),
        # r3: self-hosted with 4,000 prefix-cached prompt tokens
        request("r3", provider="hosted_vllm", model="llama", status="self_hosted", deployment="dep", uncached=1_000,
                read=4_000, out=10),
    ])
    given(con, "ref_deployment_perf", "deployment_id VARCHAR, prefill_gpu_seconds_per_token DOUBLE, note VARCHAR",
          [("dep", 0.0002, "")])
    given(con, "int_gpu_capacity_hourly", "deployment_id VARCHAR, hour TIMESTAMPTZ, gpu_count INTEGER, capacity_cost_usd DECIMAL(38,6)",
          [("dep", T, 4, Decimal("14.40"))])
    run_model(con, "marts/mart_cache_savings_daily.sql")
    got = {r[0]: r[1:] for r in con.execute("SELECT mechanism, cached_tokens, gross_savings_usd, write_premium_usd, "
                                            "net_savings_usd, net_savings_effective_usd FROM mart_cache_savings_daily").fetchall()}
    assert got["provider_prompt_cache"] == (10_000, Decimal("0.027"), Decimal("0.0045"), Decimal("0.0225"),
                                            Decimal("0.02025"))
    assert got["gateway_cache"][1:4] == (Decimal("0.012"), Decimal("0"), Decimal("0.012"))
    # self-hosted: 4,000 tokens x 0.0002 GPU-s = 0.8 GPU-s x ($14.40 / 4 GPUs / 3,600 s) = 0.8 x 0.001 = $0.0008
    assert float(got["self_hosted_prefix"][1]) == pytest.approx(0.0008)


def test_batch_advisor_classes_and_savings(con):
    given(con, "int_request_costs", COSTS_COLS, [
        # streaming chat: interactive; 1,000 in / 100 out at standard = 3,000 + 1,500 = 4,500 µ$
        request("i1", stream=True, uncached=1_000, out=100, list_usd=0.0045),
        # tagged offline: same tokens; batch list = 1,500 + 750 = 2,250 µ$ -> saving 2,250 µ$
        request("o1", tags=["workload:offline"], uncached=1_000, out=100, list_usd=0.0045),
        # off-hours non-streaming at 03:00 UTC with a 20 % discount: effective 3,600; batch 2,250 x 0.8 = 1,800
        request("n1", start=T.replace(hour=3), uncached=1_000, out=100, list_usd=0.0045, discount=20),
        # already batch: realised = standard 4,500 - batch 2,250 = 2,250 µ$
        request("b1", tier="batch", uncached=1_000, out=100, list_usd=0.00225),
        # slow non-streaming on a model without a batch card: a candidate, but no price to move to
        request("s1", provider="openai", model="gpt-y", latency=45_000.0, uncached=1_000, out=100, list_usd=0.0028),
    ])
    run_model(con, "intermediate/int_request_tier_prices.sql")
    run_model(con, "marts/mart_batch_daily.sql")
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT latency_class, standard_list_usd, batch_list_usd, realised_batch_savings_usd, move_to_batch_savings_usd "
        "FROM mart_batch_daily").fetchall()}
    assert got["interactive"] == (Decimal("0.0045"), Decimal("0.00225"), None, Decimal("0.00225"))
    assert got["tagged_offline"][3] == Decimal("0.00225")
    assert got["off_hours"][3] == Decimal("0.0018")            # 0.0036 - 0.00225 x 0.8
    assert got["batch"][2] == Decimal("0.00225")
    assert got["slow"][1] is None and got["slow"][3] is None  # no batch card for gpt-y


def test_ledger_puts_api_and_allocated_gpu_cost_side_by_side(con):
    given(con, "mart_spend_daily", "day DATE, tenant VARCHAR, team VARCHAR, provider VARCHAR, model VARCHAR, "
          "service_tier VARCHAR, pricing_status VARCHAR, requests BIGINT, uncached_input_tokens BIGINT, "
          "cache_read_tokens BIGINT, cache_write_5m_tokens BIGINT, cache_write_1h_tokens BIGINT, output_tokens BIGINT, "
          "reasoning_tokens BIGINT, list_cost_usd DECIMAL(38,12), effective_cost_usd DECIMAL(38,12)", [
              (D, "acme", "t", "openai", "gpt-y", "standard", "priced", 10, 1000, 0, 0, 0, 500, 0, Decimal("1.00"), Decimal("0.90")),
              (D, "acme", "t", "openai", "gpt-z", "standard", "unpriced", 2, 100, 0, 0, 0, 50, 0, None, None),
              (D, "acme", "t", "hosted", "llama", "standard", "self_hosted", 5, 100, 0, 0, 0, 100, 0, None, None),
          ])
    given(con, "mart_gpu_allocation_daily", "day DATE, deployment_id VARCHAR, model VARCHAR, driver VARCHAR, "
          "idle_policy VARCHAR, tenant VARCHAR, team VARCHAR, requests BIGINT, prompt_tokens BIGINT, "
          "completion_tokens BIGINT, allocated_usd DECIMAL(38,6)", [
              (D, "dep", "llama", "tokens", "separate", "acme", "t", 5, 100, 100, Decimal("2.000000")),
              (D, "dep", "llama", "tokens", "separate", "__idle__", "", 0, 0, 0, Decimal("6.800000")),
          ])
    run_model(con, "marts/mart_ledger_daily.sql")
    rows = con.execute("SELECT cost_source, model, unpriced_requests, input_tokens, output_tokens, effective_cost_usd "
                       "FROM mart_ledger_daily ORDER BY cost_source, model").fetchall()
    assert rows == [
        ("api", "gpt-y", 0, 1000, 500, Decimal("0.9")),
        ("api", "gpt-z", 2, 100, 50, None),         # unpriced: counted, not $0
        ("idle", "llama", 0, 0, 0, Decimal("6.8")),
        ("self_hosted", "llama", 0, 100, 100, Decimal("2")),
    ]  # self-hosted requests appear once, via the allocation (not again as API rows)


def test_anomaly_flags_a_spike_but_not_a_new_tenant(con):
    settings(con, z=3.5, min_change=25)
    days = [D + timedelta(days=i) for i in range(20)]
    # acme: steady around $100 (100, 102, 98, ...) then $400 on day 19; newco starts on day 18 with $300
    acme = [100 + (2 if i % 2 else -2) for i in range(19)] + [400]
    rows = [(d, "acme", None, "openai", "gpt-y", "api", None, None, 1, 0, 0, 0, Decimal(v), Decimal(v))
            for d, v in zip(days, acme)]
    rows += [(days[18], "newco", None, "openai", "gpt-y", "api", None, None, 1, 0, 0, 0, Decimal(300), Decimal(300))]
    given(con, "mart_ledger_daily", "day DATE, tenant VARCHAR, team VARCHAR, provider VARCHAR, model VARCHAR, "
          "cost_source VARCHAR, driver VARCHAR, idle_policy VARCHAR, requests BIGINT, unpriced_requests BIGINT, "
          "input_tokens BIGINT, output_tokens BIGINT, list_cost_usd DECIMAL(38,12), effective_cost_usd DECIMAL(38,12)",
          rows)
    given(con, "build_window", "earliest TIMESTAMPTZ, latest TIMESTAMPTZ", [("2015-01-01 00:00:00+00", "2100-01-01 00:00:00+00")])
    run_model(con, "marts/mart_spend_tenant_daily.sql")
    flagged = con.execute("SELECT day, tenant FROM mart_spend_tenant_daily WHERE is_anomaly").fetchall()
    assert flagged == [(days[19], "acme")]
    # robust z for 400 against a 14-day history of 98/102: median 100, MAD 2 -> 0.6745 x 300 / 2 = 101.2
    z = con.execute("SELECT robust_z FROM mart_spend_tenant_daily WHERE tenant = 'acme' AND day = ?", [days[19]]).fetchone()
    assert z[0] == pytest.approx(101.175)
    # zero days are in the grid: newco has rows (with $0) before its first spend
    assert con.execute("SELECT count(*) FROM mart_spend_tenant_daily WHERE tenant = 'newco'").fetchone()[0] == 20


def test_budget_burn_and_forecast(con):
    given(con, "stg_budgets", "tenant VARCHAR, month DATE, budget_usd DECIMAL(18,2)", [("acme", date(2026, 3, 1), Decimal("3100"))])
    given(con, "mart_spend_tenant_daily", "day DATE, tenant VARCHAR, spend_usd DECIMAL(38,12)",
          [(date(2026, 3, 1) + timedelta(days=i), "acme", Decimal(100 if i < 3 else 200)) for i in range(10)])
    run_model(con, "marts/mart_budget_daily.sql")
    day10 = con.execute("SELECT mtd_usd, planned_mtd_usd, forecast_usd, burn_pct FROM mart_budget_daily "
                        "WHERE day = DATE '2026-03-10'").fetchone()
    # MTD = 3 x 100 + 7 x 200 = 1,700; plan = 3,100 x 10/31 = 1,000; run rate (last 7 days) 200/day x 21 days
    # left -> forecast 1,700 + 4,200 = 5,900; burn 1,700 / 3,100 = 54.84 %
    assert day10 == (Decimal("1700"), Decimal("1000"), Decimal("5900"), Decimal("54.84"))


def test_reconciliation_compares_where_both_sides_exist(con):
    given(con, "int_request_costs", COSTS_COLS, [
        request("a", uncached=1_000, out=100, list_usd=0.0045, reported=Decimal("0.0045")),
        request("b", uncached=1_000, out=200, list_usd=0.006, reported=Decimal("0.0050")),   # vendor says less
        request("c", uncached=1_000, out=100, list_usd=0.0045, reported=None),                # nothing to compare
    ])
    run_model(con, "marts/mart_reconciliation_daily.sql")
    run_model(con, "marts/mart_reconciliation_monthly.sql")
    row = con.execute("SELECT requests, compared_requests, computed_list_usd, reported_usd, variance_usd, "
                      "list_output_usd FROM mart_reconciliation_monthly").fetchone()
    # compared: a + b = 0.0105 vs 0.0095 -> +0.0010; output class: 400 tokens x $15 = 6,000 µ$
    assert row == (3, 2, Decimal("0.0105"), Decimal("0.0095"), Decimal("0.0010"), Decimal("0.006"))


def test_repricing_is_a_join_on_token_sums(con):
    given(con, "int_request_costs", COSTS_COLS, [
        request("a", uncached=1_000_000, out=100_000, list_usd=4.5),
        request("b", provider="openai", model="gpt-y", uncached=1_000_000, out=0, list_usd=2.0),
        request("u", provider="openai", model="mystery", status="unpriced", uncached=10, out=10),
    ])
    run_model(con, "marts/mart_usage_for_repricing.sql")
    # a new card for claude-x from March 2026: input $2, output $10
    con.execute("INSERT INTO stg_rate_cards VALUES ('anthropic', 'claude-x', 'standard', 0, NULL, "
                "'2026-03-01', NULL, 2, 0.2, 2.5, 4, 10, 10)")
    con.execute("UPDATE stg_rate_cards SET valid_to = '2026-03-01' WHERE model = 'claude-x' AND service_tier = "
                "'standard' AND valid_from = '2026-01-01'")
    def run(**p):
        df = con.execute((sql_dir() / "queries/reprice.sql").read_text(),
                         {"start": D, "end": D, "tenants": None, "providers": None, "models": None,
                          "price_at": datetime(2026, 4, 1, tzinfo=timezone.utc),
                          **p}).pl()
        return {r["model"]: r for r in df.iter_rows(named=True)}

    now = run(discount_pct=None)
    # claude-x at April prices: 1,000,000 x 2 + 100,000 x 10 = $3.00 (was $4.50)
    c = now["claude-x"]
    assert (c["actual_list_usd"], c["repriced_list_usd"], c["repriced_effective_usd"], c["change_usd"]) == (
        Decimal("4.50"), Decimal("3.00"), Decimal("3.00"), Decimal("-1.50"))
    assert now["mystery"]["unpriced_at_new_prices"] == 1  # still unpriced: counted, not costed
    proposed = run(discount_pct=15)
    # a proposed 15 % off: 3.00 x 0.85 = 2.55; gpt-y 2.00 x 0.85 = 1.70 (change -0.30)
    assert proposed["claude-x"]["repriced_effective_usd"] == Decimal("2.55")
    assert (proposed["gpt-y"]["repriced_effective_usd"], proposed["gpt-y"]["change_usd"]) == (Decimal("1.70"),
                                                                                          Decimal("-0.30"))


def test_tag_spend_counts_a_request_under_each_tag(con):
    given(con, "int_request_costs", COSTS_COLS.replace("tagged_offline BOOLEAN", "tagged_offline BOOLEAN, tags VARCHAR[]"),
          [(*request("a", uncached=1_000, out=100, list_usd=0.0045)[:13], False, ["feature:rag", "env:prod"],
            *request("a", uncached=1_000, out=100, list_usd=0.0045)[14:]),
           (*request("b", uncached=1_000, out=100, list_usd=0.0045)[:13], False, [],
            *request("b", uncached=1_000, out=100, list_usd=0.0045)[14:])])
    run_model(con, "marts/mart_tag_spend_daily.sql")
    got = dict(con.execute("SELECT tag, effective_cost_usd FROM mart_tag_spend_daily ORDER BY tag").fetchall())
    assert got == {"(untagged)": Decimal("0.0045"), "env:prod": Decimal("0.0045"), "feature:rag": Decimal("0.0045")}


def test_money_never_passes_through_a_binary_float():
    """In DuckDB a DECIMAL or integer divided by an integer is a DOUBLE: money scales by × 0.01 or × 0.000001
    (exact DECIMAL), never by / 100 or / 1000000."""
    import re

    offenders = []
    for path in sorted(sql_dir().rglob("*.sql")):
        code = re.sub(r"--[^\n]*", "", path.read_text())
        offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"(?<!/)/\s*(100|1000000)\b(?!\.)", code)]
    assert offenders == []

"""Given/expect tests on in-memory DuckDB for the cost marts, with the arithmetic in comments."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.sqlgiven import given_real, memory, named, real_columns, run_model, settings
from tokenomics.config import sql_dir

D = date(2026, 3, 2)
T = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
FROM = datetime(2026, 1, 1, tzinfo=timezone.utc)
BUCKETS = ("uncached_input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning")


def request(rid, *, tenant="acme", provider="anthropic", model="claude-x", tier="standard", status="priced",
            cache="miss", stream=False, tags=(), latency=1000, uncached=0, read=0, w5=0, w1h=0, out=0,
            list_usd=None, discount=0, reported=None, avoided=None, deployment=None, start=T,
            prices=(3, 0.3, 3.75, 6, 15, 15)):
    """One int_request_costs row (the real relation's columns; those not named here are NULL)."""
    lst = Decimal(str(list_usd)) if list_usd is not None else None
    eff = lst * (100 - discount) / 100 if lst is not None else None
    return {"source": "s", "request_id": rid, "start_time": start, "day": start.date(), "tenant": tenant,
            "team": "team-1", "provider": provider, "model": model, "deployment": deployment or model,
            "service_tier": tier, "status": "success", "gateway_cache": cache, "is_stream": stream,
            "tags": list(tags), "tagged_offline": bool(set(tags) & {"workload:offline", "offline", "batch"}),
            "latency_ms": latency, "uncached_input_tokens": uncached, "cache_read_tokens": read,
            "cache_write_5m_tokens": w5, "cache_write_1h_tokens": w1h, "output_tokens": out, "reasoning_tokens": 0,
            "prompt_tokens": uncached + read + w5 + w1h, "completion_tokens": out, "pricing_status": status,
            "list_cost_usd": lst, "discount_pct": discount, "discount_usd": (lst - eff) if lst is not None else None,
            "effective_cost_usd": eff, "avoided_list_usd": avoided, "reported_cost_usd": reported,
            **{f"price_{b}": p for b, p in zip(BUCKETS, prices)}}


def card(provider, model, tier, prices, valid_from=FROM, valid_to=None):
    """One stg_rate_cards row: $ per 1M tokens by bucket, and staging's integer µ$ per 1M tokens from them."""
    row = {"provider": provider, "model": model, "service_tier": tier, "min_input_tokens": 0,
           "max_input_tokens": None, "valid_from": valid_from, "valid_to": valid_to}
    for b, p in zip(BUCKETS, prices):
        row[f"{b}_usd_per_mtok"] = p
        row[f"{b}_micro_per_mtok"] = int(Decimal(str(p)) * 1_000_000) if p is not None else None
    return row


@pytest.fixture()
def con():
    c = memory()
    settings(c)
    given_real(c, "stg_rate_cards", [
        card("anthropic", "claude-x", "standard", (3, 0.3, 3.75, 6, 15, 15)),
        card("anthropic", "claude-x", "batch", (1.5, 0.15, 1.875, 3, 7.5, 7.5)),
        card("openai", "gpt-y", "standard", (2, 0.5, None, None, 8, 8)),
    ])
    given_real(c, "stg_contract_discounts", [])
    yield c
    c.close()


def test_cache_savings_provider_gateway_and_self_hosted(con):
    given_real(con, "int_request_costs", [
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
    given_real(con, "ref_deployment_perf", named("deployment_id, prefill_gpu_seconds_per_token, note",
                                                 [("dep", 0.0002, "")]))
    given_real(con, "int_gpu_capacity_hourly", named("deployment_id, hour, gpu_count, capacity_cost_usd",
                                                     [("dep", T, 4, Decimal("14.40"))]))
    run_model(con, "marts/mart_cache_savings_daily.sql")
    got = {r[0]: r[1:] for r in con.execute("SELECT mechanism, cached_tokens, gross_savings_usd, write_premium_usd, "
                                            "net_savings_usd, net_savings_effective_usd FROM mart_cache_savings_daily").fetchall()}
    assert got["provider_prompt_cache"] == (10_000, Decimal("0.027"), Decimal("0.0045"), Decimal("0.0225"),
                                            Decimal("0.02025"))
    assert got["gateway_cache"][1:4] == (Decimal("0.012"), Decimal("0"), Decimal("0.012"))
    # self-hosted: 4,000 tokens x 0.0002 GPU-s = 0.8 GPU-s x ($14.40 / 4 GPUs / 3,600 s) = 0.8 x 0.001 = $0.0008
    assert float(got["self_hosted_prefix"][1]) == pytest.approx(0.0008)


def test_batch_advisor_classes_and_savings(con):
    given_real(con, "int_request_costs", [
        # streaming chat: interactive; 1,000 in / 100 out at standard = 3,000 + 1,500 = 4,500 µ$
        request("i1", stream=True, uncached=1_000, out=100, list_usd=0.0045),
        # tagged offline: same tokens; batch list = 1,500 + 750 = 2,250 µ$ -> saving 2,250 µ$
        request("o1", tags=["workload:offline"], uncached=1_000, out=100, list_usd=0.0045),
        # off-hours non-streaming at 03:00 UTC with a 20 % discount: effective 3,600; batch 2,250 x 0.8 = 1,800
        request("n1", start=T.replace(hour=3), uncached=1_000, out=100, list_usd=0.0045, discount=20),
        # already batch: realised = standard 4,500 - batch 2,250 = 2,250 µ$
        request("b1", tier="batch", uncached=1_000, out=100, list_usd=0.00225),
        # slow non-streaming on a model without a batch card: a candidate, but no price to move to
        request("s1", provider="openai", model="gpt-y", latency=45_000, uncached=1_000, out=100, list_usd=0.0028),
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


def test_flex_saving_where_a_flex_card_exists_and_the_traffic_is_on_neither_batch_nor_flex(con):
    given_real(con, "stg_rate_cards", [
        card("openai", "o-z", "standard", (2, 0.5, None, None, 8, 8)),
        card("openai", "o-z", "flex", (1, 0.25, None, None, 4, 4)),
        card("anthropic", "claude-x", "standard", (3, 0.3, 3.75, 6, 15, 15))])
    given_real(con, "int_request_costs", [
        # non-streaming at noon, 10 % discount: list 1,000 x 2 + 100 x 8 = 2,800 µ$, effective 2,520 µ$; flex list
        # 1,000 x 1 + 100 x 4 = 1,400 µ$, x 0.9 = 1,260 µ$ -> saving 2,520 - 1,260 = 1,260 µ$
        request("f1", provider="openai", model="o-z", uncached=1_000, out=100, list_usd=0.0028, discount=10),
        # streaming: the mart prices its move too (2,800 - 1,400 = 1,400 µ$); recommend_flex takes non_streaming only
        request("f2", provider="openai", model="o-z", stream=True, uncached=1_000, out=100, list_usd=0.0028),
        # already on flex: nothing to move
        request("f3", provider="openai", model="o-z", tier="flex", uncached=1_000, out=100, list_usd=0.0014),
        # no flex card for claude-x: NULL, not $0
        request("c1", uncached=1_000, out=100, list_usd=0.0045),
    ])
    run_model(con, "intermediate/int_request_tier_prices.sql")
    run_model(con, "marts/mart_batch_daily.sql")
    got = {r[:3]: r[3:] for r in con.execute(
        "SELECT model, service_tier, latency_class, requests_with_flex_price, move_to_flex_savings_usd "
        "FROM mart_batch_daily").fetchall()}
    assert got[("o-z", "standard", "non_streaming")] == (1, Decimal("0.00126"))
    assert got[("o-z", "standard", "interactive")] == (1, Decimal("0.0014"))
    assert got[("o-z", "flex", "non_streaming")] == (1, None)
    assert got[("claude-x", "standard", "non_streaming")] == (0, None)


def test_ledger_puts_api_and_allocated_gpu_cost_side_by_side(con):
    given_real(con, "mart_spend_daily", named(
        "day, tenant, team, provider, model, service_tier, pricing_status, requests, uncached_input_tokens, "
        "cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, "
        "list_cost_usd, effective_cost_usd", [
              (D, "acme", "t", "openai", "gpt-y", "standard", "priced", 10, 1000, 0, 0, 0, 500, 0, Decimal("1.00"), Decimal("0.90")),
              (D, "acme", "t", "openai", "gpt-z", "standard", "unpriced", 2, 100, 0, 0, 0, 50, 0, None, None),
              (D, "acme", "t", "hosted", "llama", "standard", "self_hosted", 5, 100, 0, 0, 0, 100, 0, None, None),
          ]))
    given_real(con, "mart_gpu_allocation_daily", named(
        "day, deployment_id, model, driver, idle_policy, tenant, team, requests, prompt_tokens, completion_tokens, "
        "allocated_usd", [
            (D, "dep", "llama", "tokens", "separate", "acme", "t", 5, 100, 100, Decimal("2.000000")),
            (D, "dep", "llama", "tokens", "separate", "__idle__", "", 0, 0, 0, Decimal("6.800000")),
        ]))
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
    given_real(con, "mart_ledger_daily", named(
        "day, tenant, team, provider, model, cost_source, driver, idle_policy, requests, unpriced_requests, "
        "input_tokens, output_tokens, list_cost_usd, effective_cost_usd", rows))
    given_real(con, "build_window", named("earliest, latest", [("2015-01-01 00:00:00+00", "2100-01-01 00:00:00+00")]))
    run_model(con, "marts/mart_spend_tenant_daily.sql")
    flagged = con.execute("SELECT day, tenant FROM mart_spend_tenant_daily WHERE is_anomaly").fetchall()
    assert flagged == [(days[19], "acme")]
    # robust z for 400 against a 14-day history of 98/102: median 100, MAD 2 -> 0.6745 x 300 / 2 = 101.2
    z = con.execute("SELECT robust_z FROM mart_spend_tenant_daily WHERE tenant = 'acme' AND day = ?", [days[19]]).fetchone()
    assert z[0] == pytest.approx(101.175)
    # zero days are in the grid: newco has rows (with $0) before its first spend
    assert con.execute("SELECT count(*) FROM mart_spend_tenant_daily WHERE tenant = 'newco'").fetchone()[0] == 20


def test_budget_burn_and_forecast(con):
    given_real(con, "stg_budgets", named("tenant, month, budget_usd", [("acme", date(2026, 3, 1), Decimal("3100"))]))
    given_real(con, "mart_spend_tenant_daily", named("day, tenant, spend_usd", [
        (date(2026, 3, 1) + timedelta(days=i), "acme", Decimal(100 if i < 3 else 200)) for i in range(10)]))
    run_model(con, "marts/mart_budget_daily.sql")
    day10 = con.execute("SELECT mtd_usd, planned_mtd_usd, forecast_usd, burn_pct FROM mart_budget_daily "
                        "WHERE day = DATE '2026-03-10'").fetchone()
    # MTD = 3 x 100 + 7 x 200 = 1,700; plan = 3,100 x 10/31 = 1,000; run rate (last 7 days) 200/day x 21 days
    # left -> forecast 1,700 + 4,200 = 5,900; burn 1,700 / 3,100 = 54.84 %
    assert day10 == (Decimal("1700"), Decimal("1000"), Decimal("5900"), Decimal("54.84"))


def test_reconciliation_compares_where_both_sides_exist(con):
    given_real(con, "int_request_costs", [
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
    given_real(con, "int_request_costs", [
        request("a", uncached=1_000_000, out=100_000, list_usd=4.5),
        request("b", provider="openai", model="gpt-y", uncached=1_000_000, out=0, list_usd=2.0),
        request("u", provider="openai", model="mystery", status="unpriced", uncached=10, out=10),
    ])
    run_model(con, "marts/mart_usage_for_repricing.sql")
    # a new card for claude-x from March 2026: input $2, output $10
    given_real(con, "stg_rate_cards", [card("anthropic", "claude-x", "standard", (2, 0.2, 2.5, 4, 10, 10),
                                            valid_from=datetime(2026, 3, 1, tzinfo=timezone.utc))], replace=False)
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
    given_real(con, "int_request_costs", [
        request("a", tags=["feature:rag", "env:prod"], uncached=1_000, out=100, list_usd=0.0045),
        request("b", uncached=1_000, out=100, list_usd=0.0045),
    ])
    run_model(con, "marts/mart_tag_spend_daily.sql")
    got = dict(con.execute("SELECT tag, effective_cost_usd FROM mart_tag_spend_daily ORDER BY tag").fetchall())
    assert got == {"(untagged)": Decimal("0.0045"), "env:prod": Decimal("0.0045"), "feature:rag": Decimal("0.0045")}


def test_given_tables_have_the_real_relations_columns():
    """The inputs above name columns of the real int_request_costs: one it no longer has fails the test."""
    con = memory()
    with pytest.raises(AssertionError, match="int_request_costs has no column list_output_usd"):
        given_real(con, "int_request_costs", [{**request("x"), "list_output_usd": Decimal("0.1")}])
    given_real(con, "int_request_costs", [request("x")])
    got = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                      "WHERE table_name = 'int_request_costs' ORDER BY ordinal_position").fetchall()
    assert tuple(got) == real_columns()["int_request_costs"]
    assert con.execute("SELECT run_id, unpriced_reason FROM int_request_costs").fetchall() == [(None, None)]


def test_money_never_passes_through_a_binary_float():
    """In DuckDB a DECIMAL or integer divided by an integer is a DOUBLE: money scales by × 0.01 or × 0.000001
    (exact DECIMAL), never by / 100 or / 1000000."""
    import re

    offenders = []
    for path in sorted(sql_dir().rglob("*.sql")):
        code = re.sub(r"--[^\n]*", "", path.read_text())
        offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"(?<!/)/\s*(100|1000000)\b(?!\.)", code)]
    assert offenders == []

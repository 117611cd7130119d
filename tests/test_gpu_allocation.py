"""GPU cost allocation: Σ tenants + idle = the bill of every deployment-hour, in exact micro-dollars."""

from datetime import datetime, timezone

import pytest

from tests.sqlgiven import given_real, memory, named, run_model, settings

H1 = datetime(2026, 3, 1, 10, tzinfo=timezone.utc)
H2 = datetime(2026, 3, 1, 11, tzinfo=timezone.utc)
H3 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)

# the columns the tests fill; the tables have the real relations' columns and types (sqlgiven.given_real)
REQUEST_COLS = ("deployment, start_time, tenant, team, prompt_tokens, completion_tokens, latency_ms, pricing_status, "
                "gateway_cache")
HOURLY_COLS = "deployment_id, hour, model, gpu_count, gpu_cost_usd, busy_fraction"


def at(hour, minute):
    return hour.replace(minute=minute)


@pytest.fixture()
def alloc():
    con = memory()
    settings(con, decode_weight=4)
    given_real(con, "int_request_costs", named(REQUEST_COLS, [
        # H1: three tenants, identical usage -> a three-way tie on a $1.00 bill
        ("dep", at(H1, 1), "a", "t", 100, 0, 1000.0, "self_hosted", "miss"),
        ("dep", at(H1, 2), "b", "t", 100, 0, 1000.0, "self_hosted", "miss"),
        ("dep", at(H1, 3), "c", "t", 100, 0, 1000.0, "self_hosted", "miss"),
        # H2: a sends prompt-heavy, b decode-heavy traffic; latencies 3 s vs 1 s
        ("dep", at(H2, 1), "a", "t", 300, 0, 3000.0, "self_hosted", "miss"),
        ("dep", at(H2, 2), "b", "t", 0, 100, 1000.0, "self_hosted", "miss"),
        # an API request is never part of a GPU bill
        ("gpt", at(H2, 3), "a", "t", 999, 999, 10.0, "priced", "miss"),
        # H3: nobody
    ]))
    given_real(con, "int_gpu_hourly", named(HOURLY_COLS, [
        ("dep", H1, "llama", 4, 1.000000, 0.5),
        ("dep", H2, "llama", 4, 8.800000, 0.25),
        ("dep", H3, "llama", 4, 8.800000, 0.0),
    ]))
    run_model(con, "intermediate/int_self_hosted_hourly.sql")
    run_model(con, "intermediate/int_gpu_allocation_hourly.sql")
    run_model(con, "marts/mart_gpu_allocation_daily.sql")
    yield con
    con.close()


def shares(con, hour, driver, policy):
    rows = con.execute("SELECT tenant, allocated_micro FROM int_gpu_allocation_hourly WHERE hour = ? AND driver = ? "
                       "AND idle_policy = ? ORDER BY tenant", [hour, driver, policy]).fetchall()
    return dict(rows)


def test_three_way_tie_goes_to_the_first_tenant(alloc):
    # $1.00 = 1,000,000 µ$ / 3 = 333,333 r 1 each; one leftover µ$ goes to the first in (remainder, tenant) order.
    assert shares(alloc, H1, "tokens", "proportional") == {"a": 333_334, "b": 333_333, "c": 333_333}


def test_separate_idle_policy_charges_only_busy_time(alloc):
    # busy 50 %: workload 500,000 µ$ -> 166,666 each + 2 leftover (a, b); idle = 1,000,000 - 500,000.
    assert shares(alloc, H1, "tokens", "separate") == {"__idle__": 500_000, "a": 166_667, "b": 166_667, "c": 166_666}


def test_drivers_weigh_tenants_differently(alloc):
    bill = 8_800_000  # 4 GPUs x $2.20
    # tokens: a 300, b 100 -> 6,600,000 / 2,200,000
    assert shares(alloc, H2, "tokens", "proportional") == {"a": 6_600_000, "b": 2_200_000}
    # weighted (decode x4): a 300, b 400 -> 8,800,000 x 3/7 = 3,771,428.57 -> 3,771,428 ; b 5,028,571.43 -> 5,028,571;
    # leftover 1 µ$ to the larger remainder (a: .57 > b: .43)
    assert shares(alloc, H2, "weighted_tokens", "proportional") == {"a": 3_771_429, "b": 5_028_571}
    # gpu_seconds: 3,000 ms vs 1,000 ms -> 3/4, 1/4
    assert shares(alloc, H2, "gpu_seconds", "proportional") == {"a": 6_600_000, "b": 2_200_000}
    # separate at 25 % busy: workload 2,200,000 by tokens 3:1 -> 1,650,000 / 550,000; idle 6,600,000
    assert shares(alloc, H2, "tokens", "separate") == {"__idle__": 6_600_000, "a": 1_650_000, "b": 550_000}
    assert sum(shares(alloc, H2, "weighted_tokens", "separate").values()) == bill


def test_an_hour_without_traffic_is_all_idle_under_both_policies(alloc):
    for policy in ("proportional", "separate"):
        assert shares(alloc, H3, "tokens", policy) == {"__idle__": 8_800_000}


def test_identity_every_deployment_hour_driver_and_policy(alloc):
    bad = alloc.execute("""
        SELECT a.hour, a.driver, a.idle_policy, sum(a.allocated_micro) AS parts, any_value(g.gpu_cost_usd) AS bill
        FROM int_gpu_allocation_hourly a JOIN int_gpu_hourly g ON g.deployment_id = a.deployment_id AND g.hour = a.hour
        GROUP BY ALL HAVING sum(a.allocated_micro) <> any_value(g.gpu_cost_usd) * 1000000""").fetchall()
    assert bad == []
    combos = alloc.execute("SELECT count(DISTINCT (hour, driver, idle_policy)) FROM int_gpu_allocation_hourly").fetchone()
    assert combos[0] == 3 * 3 * 2


def test_daily_mart_sums_to_the_daily_bill(alloc):
    # day bill = 1.00 + 8.80 + 8.80 = 18.60 for every driver and policy
    rows = alloc.execute("SELECT driver, idle_policy, sum(allocated_usd) FROM mart_gpu_allocation_daily "
                         "GROUP BY ALL").fetchall()
    assert len(rows) == 6 and all(str(total) == "18.600000" for _, _, total in rows)


def test_all_zero_weights_split_equally():
    con = memory()
    settings(con)
    given_real(con, "int_request_costs", named(REQUEST_COLS, [
        ("dep", at(H1, 1), "a", "t", 0, 0, None, "self_hosted", "miss"),
        ("dep", at(H1, 2), "b", "t", 0, 0, None, "self_hosted", "miss"),
    ]))
    given_real(con, "int_gpu_hourly", named(HOURLY_COLS, [("dep", H1, "llama", 1, 3.000001, 1.0)]))
    run_model(con, "intermediate/int_self_hosted_hourly.sql")
    run_model(con, "intermediate/int_gpu_allocation_hourly.sql")
    # 3,000,001 µ$ / 2 = 1,500,000 r 1 -> a gets the odd micro-dollar
    assert shares(con, H1, "gpu_seconds", "proportional") == {"a": 1_500_001, "b": 1_500_000}

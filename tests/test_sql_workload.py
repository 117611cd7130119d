"""Given/expect tests on in-memory DuckDB for the what-if relations: usage mart, workload, API prices."""

from datetime import date
from decimal import Decimal

from tests.sqlgiven import memory
import pytest

from tokenomics.config import sql_dir

SQL = sql_dir()


def _run(con, relative: str, **params):
    return con.execute((SQL / relative).read_text(), params or None)


@pytest.fixture()
def con():
    c = memory()
    c.execute("""CREATE TABLE int_request_costs (start_time TIMESTAMPTZ, tenant VARCHAR, provider VARCHAR,
        model VARCHAR, deployment VARCHAR, pricing_status VARCHAR, gateway_cache VARCHAR,
        prompt_tokens BIGINT, completion_tokens BIGINT, latency_ms DOUBLE, ttft_ms DOUBLE)""")
    rows = [
        # hour 10:00 — acme: three self-hosted requests, one with unknown latency
        ("2026-03-01 10:05:00+00", "acme", "vllm", "llama", "dep-a", "self_hosted", "miss", 1000, 100, 7200.0, 200.0),
        ("2026-03-01 10:20:00+00", "acme", "vllm", "llama", "dep-a", "self_hosted", "miss", 3000, 300, 3600.0, 400.0),
        ("2026-03-01 10:40:00+00", "acme", "vllm", "llama", "dep-a", "self_hosted", "miss", 2000, 200, None, None),
        # same hour, a gateway cache hit: never reaches the model, excluded from the workload
        ("2026-03-01 10:45:00+00", "acme", "vllm", "llama", "dep-a", "gateway_cache_hit", "exact", 9000, 900, 5.0, 5.0),
        # hour 11:00 — globex on an API model
        ("2026-03-01 11:10:00+00", "globex", "openai", "gpt-y", "gpt-y", "priced", "miss", 500, 50, 1800.0, 100.0),
    ]
    c.executemany("INSERT INTO int_request_costs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    _run(c, "marts/mart_usage_hourly.sql")
    yield c
    c.close()


def test_usage_mart_grain_and_sums(con):
    rows = con.execute("""SELECT hour, tenant, gateway_cache, requests, prompt_tokens, completion_tokens,
        requests_with_latency, latency_ms_sum FROM mart_usage_hourly ORDER BY hour, gateway_cache""").fetchall()
    assert [(r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows] == [
        ("acme", "exact", 1, 9000, 900, 1, 5.0),
        ("acme", "miss", 3, 6000, 600, 2, 10800.0),   # 7,200 + 3,600 ms; the NULL latency is not counted
        ("globex", "miss", 1, 500, 50, 1, 1800.0),
    ]


def test_workload_profile_for_one_route(con):
    p = _run(con, "queries/workload_profile.sql", start=date(2026, 3, 1), end=date(2026, 3, 1), tenants=["acme"],
             route="vllm/llama").fetchone()
    requests, mean_in, mean_out, total, peak_rps, peak_conc, hours = p
    assert requests == 3                       # the cache hit is excluded
    assert mean_in == pytest.approx(2000)      # 6,000 / 3
    assert mean_out == pytest.approx(200)      # 600 / 3
    assert total == 6600
    assert peak_rps == pytest.approx(3 / 3600)
    assert peak_conc == pytest.approx(10800 / 3_600_000)  # request-ms in flight / ms per hour = 0.003
    assert hours == 24


def test_workload_profile_everything(con):
    p = _run(con, "queries/workload_profile.sql", start=date(2026, 3, 1), end=date(2026, 3, 1), tenants=None,
             route=None).fetchone()
    assert p[0] == 4 and p[3] == 7150  # 6,600 + 550
    routes = _run(con, "queries/workload_routes.sql", start=date(2026, 3, 1), end=date(2026, 3, 1),
                  tenants=None).fetchall()
    assert routes == [("vllm/llama", 3), ("openai/gpt-y", 1)]


def test_api_prices_blend_and_context_tier(con):
    con.execute("""CREATE TABLE stg_rate_cards AS SELECT * FROM (VALUES
        ('openai', 'gpt-y', 'standard', 0, NULL, TIMESTAMPTZ '2026-01-01', NULL, 2.5::DECIMAL(18,6), 10.0::DECIMAL(18,6)),
        ('openai', 'gpt-y', 'batch', 0, NULL, TIMESTAMPTZ '2026-01-01', NULL, 1.25::DECIMAL(18,6), 5.0::DECIMAL(18,6)),
        ('anthropic', 'claude-x', 'standard', 0, 200000, TIMESTAMPTZ '2026-01-01', NULL, 3.0::DECIMAL(18,6), 15.0::DECIMAL(18,6)),
        ('anthropic', 'claude-x', 'standard', 200000, NULL, TIMESTAMPTZ '2026-01-01', NULL, 6.0::DECIMAL(18,6), 22.5::DECIMAL(18,6)),
        ('openai', 'old', 'standard', 0, NULL, TIMESTAMPTZ '2025-01-01', TIMESTAMPTZ '2026-01-01', 1.0::DECIMAL(18,6), 1.0::DECIMAL(18,6)),
        ('vertex_ai', 'free-preview', 'standard', 0, NULL, TIMESTAMPTZ '2026-01-01', NULL, 0::DECIMAL(18,6), 0::DECIMAL(18,6))
    ) t(provider, model, service_tier, min_input_tokens, max_input_tokens, valid_from, valid_to,
        uncached_input_usd_per_mtok, output_usd_per_mtok)""")
    rows = _run(con, "queries/api_prices.sql", day=date(2026, 3, 1), isl=3000, osl=1000, requests=1000).fetchall()
    got = {(r[0], r[1], r[2]): r[5:] for r in rows}
    assert ("openai", "old", "standard") not in got  # expired card
    assert ("vertex_ai", "free-preview", "standard") not in got  # $0 in and out: no price, never the cheapest
    # gpt-y standard: (3,000 x 2.5 + 1,000 x 10) / 4,000 = 17,500 / 4,000 = 4.375 $/1M;
    # per request 17,500 / 1e6 = $0.0175; 1,000 requests = $17.50
    assert got[("openai", "gpt-y", "standard")] == (Decimal("4.375000"), Decimal("0.017500000"), Decimal("17.50"))
    # batch: half of everything
    assert got[("openai", "gpt-y", "batch")] == (Decimal("2.187500"), Decimal("0.008750000"), Decimal("8.75"))
    # claude-x below 200k: (3,000 x 3 + 1,000 x 15) / 4,000 = 6.0
    assert got[("anthropic", "claude-x", "standard")][0] == Decimal("6.000000")
    long = _run(con, "queries/api_prices.sql", day=date(2026, 3, 1), isl=250_000, osl=1000, requests=1).fetchall()
    # 250k prompt falls in the >=200k tier: (250,000 x 6 + 1,000 x 22.5) / 251,000 = 1,522,500 / 251,000 = 6.065737
    assert {(r[0], r[1]): r[5] for r in long}[("anthropic", "claude-x")] == Decimal("6.065737")


def test_request_shape_buckets_and_cumulative_share(con):
    con.execute("ALTER TABLE int_request_costs ADD COLUMN day DATE")
    con.execute("UPDATE int_request_costs SET day = start_time::DATE")
    _run(con, "marts/mart_request_shape_daily.sql")
    rows = _run(con, "queries/workload_shape.sql", start=date(2026, 3, 1), end=date(2026, 3, 1), tenants=["acme"],
                route=None).fetchall()
    got = {(k, b): (lo, hi, n, round(share, 4), round(cum, 4)) for k, b, lo, hi, n, share, cum, _ in rows}
    # inputs 1,000 / 3,000 / 2,000 -> log2 buckets 9 [512,1024), 11 [2048,4096), 10 [1024,2048);
    # the cache hit (9,000) is excluded
    assert got[("input", 9)] == (512, 1024, 1, 0.3333, 0.3333)
    assert got[("input", 10)] == (1024, 2048, 1, 0.3333, 0.6667)
    assert got[("input", 11)] == (2048, 4096, 1, 0.3333, 1.0)
    # outputs 100 / 300 / 200 -> buckets 6 [64,128), 8 [256,512), 7 [128,256)
    assert [b for (k, b) in got if k == "output"] == [6, 7, 8]

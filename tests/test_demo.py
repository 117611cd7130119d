"""The demo goes through the real ingest path and every generated line is accounted for."""

from tokenomics.ingest.runner import REGISTRY, ingest_paths
from tokenomics.warehouse import connect


def test_generated_equals_loaded_plus_quarantined_plus_duplicates(demo):
    m = demo["manifest"]
    con = connect(demo["db"], read_only=True, snapshot=False)
    read, loaded, quarantined, duplicate = con.execute(
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(rows_duplicate)"
        " FROM ingest_runs WHERE source = 'litellm'").fetchone()
    assert read == m["lines_written"] == loaded + quarantined + duplicate
    assert (loaded, quarantined, duplicate) == (m["expected_loaded"], m["expected_quarantined"], m["expected_duplicate"])
    assert con.execute("SELECT count(*) FROM raw_requests").fetchone()[0] == m["requests_valid"]
    assert con.execute("SELECT count(*) FROM raw_gpu_samples").fetchone()[0] == m["telemetry_rows"]


def test_demo_has_what_the_pages_need(demo):
    con = connect(demo["db"], read_only=True, snapshot=False)
    q = lambda sql: con.execute(sql).fetchone()[0]
    assert q("SELECT count(DISTINCT tenant) FROM raw_requests") >= 30
    assert q("SELECT count(*) FROM int_request_costs WHERE pricing_status = 'unpriced'") > 0
    assert q("SELECT count(*) FROM int_request_costs WHERE rate_context_tier = 200000") > 0
    assert q("SELECT count(*) FROM int_request_costs WHERE service_tier = 'batch' AND pricing_status = 'priced'") > 0
    assert q("SELECT count(*) FROM int_request_costs WHERE cache_write_1h_tokens > 0") > 0
    assert q("SELECT count(DISTINCT rate_valid_from) FROM int_request_costs WHERE model = 'gpt-4o'") == 2 or \
        q("SELECT min(day) FROM int_request_costs") > __import__("datetime").date(2026, 10, 15)
    assert q("SELECT sum(hours_without_traffic) FROM mart_gpu_daily") > 0  # idle hours are billed too
    # Σ tenants = total: the mart reconciles to the ledger exactly
    assert q("SELECT sum(effective_cost_usd) FROM mart_spend_daily") == q("SELECT sum(effective_cost_usd) FROM int_request_costs")


def test_rerunning_ingest_adds_nothing(demo, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(demo["db"].read_bytes())
    con = connect(copy)
    before = con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]
    results = ingest_paths(con, "litellm", [demo["raw"] / "gateway" / "litellm"])
    assert results and all(r.status == "skipped_already_ingested" for r in results)
    assert con.execute("SELECT count(*) FROM raw_requests").fetchone()[0] == before
    assert "litellm" in REGISTRY


def test_ingest_health_freshness_is_the_newest_event_per_source(demo):
    """Freshness comes from per-run maxima (int_ingest_freshness), and must equal a scan of the raw rows."""
    con = connect(demo["db"], read_only=True, snapshot=False)
    expected = dict(con.execute("SELECT source, max(start_time) FROM raw_requests GROUP BY source"
                                " UNION ALL SELECT 'nvidia-smi', max(ts) FROM raw_gpu_samples").fetchall())
    got = dict(con.execute("SELECT source, newest_event FROM mart_ingest_health").fetchall())
    assert expected and all(got[source] == newest for source, newest in expected.items())
    con.close()


def test_consecutive_periods_share_one_fleet_and_do_not_overlap(tmp_path):
    """bench/scale.py --chunks: each period's requests fall inside it, ids differ, GPU UUIDs stay the same."""
    from datetime import timedelta

    import polars as pl

    from tokenomics.demo.generate import END, DemoConfig, generate_requests, write_telemetry

    early = DemoConfig(seed=11, requests=2_000, days=3, end=END - timedelta(days=3), gpu_serial=11)
    late = DemoConfig(seed=12, requests=2_000, days=3, gpu_serial=11)
    first, second = generate_requests(early), generate_requests(late)
    cut = (END - timedelta(days=3)).timestamp()
    assert (END - timedelta(days=6)).timestamp() <= first["start"].min() <= first["start"].max() < cut
    assert cut <= second["start"].min() <= second["start"].max() < END.timestamp()
    assert not set(first["id"]) & set(second["id"])
    uuids = []
    for cfg, df in ((early, first), (late, second)):
        out = tmp_path / str(cfg.seed)
        write_telemetry(df, out, cfg)
        csv = pl.concat([pl.read_csv(f) for f in sorted((out / "telemetry" / "nvidia-smi").glob("*.csv"))])
        uuids.append(set(csv[" uuid"].str.strip_chars()))
    assert uuids[0] == uuids[1] and len(uuids[0]) > 1

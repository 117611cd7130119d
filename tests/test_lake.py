"""Raw facts as Hive-partitioned Parquet (local and S3), written once per run, and read back through the
requests-parquet source into an identical warehouse."""

from datetime import datetime, timezone
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload, write_jsonl
from tokenomics.lake import publish
from tokenomics.warehouse import open_warehouse

COLUMNS = ("source, request_id, row_hash, start_time, end_time, tenant, team, project, user_hash, api_key_hash, tags,"
           " provider, requested_model, resolved_model, deployment, region, service_tier, uncached_input_tokens,"
           " cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, status,"
           " is_stream, ttft_ms, latency_ms, gateway_cache, reported_cost_usd")


@pytest.fixture()
def gateway(tmp_path):
    con = open_warehouse(tmp_path / "wh.duckdb")
    day1 = [payload(f"a{i}", "2026-03-01T10:00:00", "openai", "gpt-y", 100 + i, 10, cached=i) for i in range(20)]
    day2 = [payload(f"b{i}", "2026-03-02T23:30:00", "anthropic", "claude-x", 300, 30, creation=100) for i in range(15)]
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "first.jsonl", day1 + day2)
    ingest_paths(con, "litellm", [tmp_path / "in" / "first.jsonl"])
    yield con
    con.close()


def _rows(con, where: str = "") -> list:
    return con.execute(f"SELECT {COLUMNS} FROM raw_requests {where} ORDER BY source, request_id").fetchall()


def test_lake_layout_and_incremental_runs(gateway, tmp_path):
    lake = tmp_path / "lake"
    first = {r.relation: r for r in publish(gateway, str(lake))}
    assert (first["requests"].runs, first["requests"].rows) == (1, 35)
    parts = sorted(p.relative_to(lake / "requests").parent.as_posix() for p in (lake / "requests").rglob("*.parquet"))
    assert parts == ["date=2026-03-01/source=litellm", "date=2026-03-02/source=litellm"]
    # any engine that reads Hive partitions sees the same rows (DuckDB stands in for Trino/Athena/Spark here)
    seen = duckdb.connect().execute("SELECT count(*), sum(output_tokens), count(DISTINCT date), min(source) FROM "
                                    "read_parquet(?, hive_partitioning = true)",
                                    [str(lake / "requests" / "**" / "*.parquet")]).fetchone()
    assert seen == (35, gateway.execute("SELECT sum(output_tokens) FROM raw_requests").fetchone()[0], 2, "litellm")
    assert all(r.runs == 0 for r in publish(gateway, str(lake)))  # nothing new: nothing written
    files_before = set((lake / "requests").rglob("*.parquet"))
    write_jsonl(tmp_path / "in" / "second.jsonl", [payload("c1", "2026-03-02T12:00:00", "openai", "gpt-y", 5, 1)])
    ingest_paths(gateway, "litellm", [tmp_path / "in" / "second.jsonl"])
    second = {r.relation: r for r in publish(gateway, str(lake))}
    assert (second["requests"].runs, second["requests"].rows, second["requests"].files) == (1, 1, 1)
    assert files_before < set((lake / "requests").rglob("*.parquet"))  # added beside, nothing rewritten


def test_lake_holds_every_table_the_models_read(gateway, tmp_path):
    """Every table the model SQL reads that no model builds (derived from the SQL, not a list kept by hand) is in
    the lake, with the table's rows, and manifest.json says where and with which columns."""
    from tokenomics.lake import read_manifest
    from tokenomics.portable import model_inputs

    lake = tmp_path / "lake"
    publish(gateway, str(lake))
    inputs = model_inputs()
    assert {"raw_requests", "raw_gpu_samples", "rate_cards", "contract_discounts", "gpu_rates",
            "gpu_deployments", "cost_settings", "budgets", "ref_deployment_perf"} <= set(inputs)
    manifest = read_manifest(str(lake))
    assert sorted(manifest["relations"]) == sorted(inputs)
    reader = duckdb.connect()
    for table, spec in manifest["relations"].items():
        expected = gateway.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if not (lake / spec["path"]).exists():  # facts with no run yet (no GPU samples here): no folder
            assert expected == 0 and spec["partitioned_by"], table
            continue
        files = str(lake / spec["path"] / "**" / "*.parquet")
        got = reader.execute(f"SELECT count(*) FROM read_parquet('{files}')").fetchone()[0]
        assert got == expected, table
        assert [c for c, _ in spec["columns"]] == [d[0] for d in gateway.execute(f"DESCRIBE {table}").fetchall()]
    assert manifest["relations"]["raw_requests"]["partitioned_by"] == ["date", "source"]
    publish(gateway, str(lake))  # the snapshots are replaced, never duplicated
    assert [p.name for p in (lake / "rate_cards").iterdir()] == ["rate_cards.parquet"]


def test_lake_round_trip_into_a_new_warehouse_is_exact(gateway, tmp_path):
    lake = tmp_path / "lake"
    publish(gateway, str(lake))
    fresh = open_warehouse(tmp_path / "fresh.duckdb")
    results = ingest_paths(fresh, "requests-parquet", [lake / "requests"])
    assert {r.status for r in results} == {"loaded"} and sum(r.counts.loaded for r in results) == 35
    assert _rows(fresh) == _rows(gateway)  # same source, hash, timestamps, decimals, tags
    # the gateway's own log loaded afterwards is recognised row for row: same (source, id, hash)
    [again] = ingest_paths(fresh, "litellm", [tmp_path / "in" / "first.jsonl"])
    assert (again.counts.loaded, again.counts.duplicate) == (0, 35)


def test_lake_on_s3(gateway, s3_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lake")
    publish(gateway, "s3://lake/tokenomics")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"])
    assert any(k.startswith("tokenomics/requests/date=2026-03-01/source=litellm/") for k in keys)
    assert all(k.endswith(".parquet") for k in keys if k != "tokenomics/manifest.json")
    assert "tokenomics/manifest.json" in keys and "tokenomics/rate_cards/rate_cards.parquet" in keys
    assert all(r.runs == 0 for r in publish(gateway, "s3://lake/tokenomics"))


def test_hostile_parquet_rows_are_quarantined_with_the_row_as_json(warehouse, tmp_path):
    t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
    base = {"request_id": "ok", "start_time": t0, "end_time": t0, "tenant": "acme", "provider": "openai",
            "resolved_model": "gpt-y", "service_tier": "standard", "uncached_input_tokens": 10,
            "cache_read_tokens": 0, "cache_write_5m_tokens": 0, "cache_write_1h_tokens": 0, "output_tokens": 5,
            "reasoning_tokens": 0, "status": "success", "is_stream": False, "latency_ms": 100, "gateway_cache": "miss"}
    rows = [base, {**base, "request_id": "neg", "output_tokens": -5}, {**base, "request_id": "tier", "service_tier": "vip"},
            {**base, "request_id": "", "tenant": ""}, base, {**base, "output_tokens": 6}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "x.parquet")
    [r] = ingest_paths(warehouse, "requests-parquet", [tmp_path / "x.parquet"])
    assert (r.counts.read, r.counts.loaded, r.counts.quarantined, r.counts.duplicate) == (6, 1, 4, 1)
    got = dict(warehouse.execute("SELECT line_no, reason FROM quarantine").fetchall())
    assert "token count" in got[2] and "service_tier" in got[3] and "request_id is missing" in got[4]
    assert "repeated with different content (first at line 1)" in got[6]
    raw = warehouse.execute("SELECT raw FROM quarantine WHERE line_no = 2").fetchone()[0]
    assert '"request_id":"neg"' in raw and '"output_tokens":-5' in raw
    # rows without a source column take the source named on the command line
    assert warehouse.execute("SELECT source FROM raw_requests").fetchall() == [("requests-parquet",)]
    pq.write_table(pa.Table.from_pylist([{"request_id": "x"}]), tmp_path / "thin.parquet")
    [bad] = ingest_paths(warehouse, "requests-parquet", [tmp_path / "thin.parquet"])
    assert bad.status == "failed" and "required columns missing: start_time" in bad.message


def test_cli_lake_and_sql(demo, tmp_path):
    import subprocess
    import sys

    db = tmp_path / "wh.duckdb"
    db.write_bytes(Path(demo["db"]).read_bytes())
    cli = [sys.executable, "-m", "tokenomics.cli", "--db", str(db)]
    first = subprocess.run([*cli, "lake", "--dest", str(tmp_path / "lake")], capture_output=True, text=True, check=True)
    assert "requests" in first.stdout and "gpu_samples" in first.stdout
    again = subprocess.run([*cli, "lake", "--dest", str(tmp_path / "lake")], capture_output=True, text=True, check=True)
    assert all(line.split()[1] == "0" for line in again.stdout.splitlines()[2:])  # no new runs the second time
    trino = subprocess.run([*cli, "sql", "--dialect", "trino"], capture_output=True, text=True, check=True).stdout
    assert "-- mart_spend_daily" in trino and "CONTAINS(" in trino and "GROUP BY ALL" not in trino


@pytest.mark.parametrize("prepass_rows", [4_000_000, 0], ids=["lookup per piece", "lookup once per file"])
def test_parquet_commits_in_pieces_and_resumes(gateway, tmp_path, monkeypatch, prepass_rows):
    import tokenomics.ingest.known
    import tokenomics.ingest.requests_parquet as rp

    monkeypatch.setattr(tokenomics.ingest.known, "PREPASS_ROWS", prepass_rows)
    lake = tmp_path / "lake"
    publish(gateway, str(lake))
    one = tmp_path / "one.parquet"
    duckdb.connect().execute("COPY (SELECT * FROM read_parquet(?, hive_partitioning = true) ORDER BY request_id) TO '"
                             + str(one).replace("'", "''") + "' (FORMAT parquet)",
                             [str(lake / "requests" / "**" / "*.parquet")])
    monkeypatch.setattr(rp, "PIECE_ROWS", 4)  # 35 rows: 9 pieces
    real, calls = rp._load_piece, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(rp, "_load_piece", failing)
    fresh = open_warehouse(tmp_path / "fresh.duckdb")
    [failed] = ingest_paths(fresh, "requests-parquet", [one])
    assert failed.status == "failed"
    assert fresh.execute("SELECT lines_done FROM ingest_progress").fetchone()[0] == 16  # 4 pieces committed
    monkeypatch.setattr(rp, "_load_piece", real)
    [resumed] = ingest_paths(fresh, "requests-parquet", [one])
    assert resumed.status == "loaded" and (resumed.counts.read, resumed.counts.loaded) == (35, 35)
    assert _rows(fresh) == _rows(gateway)

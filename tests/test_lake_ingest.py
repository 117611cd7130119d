"""Issue 20 item 4: `tokenomics ingest … --to-lake` validates and normalises files straight into the lake, several
workers at once, idempotent by the lake's manifest of ingested files, every file's rows accounted for; the same
request in two files is dropped by the engine; and Spark's marts from that lake equal the warehouse path's."""

import json
import shutil
import uuid

import pytest

from tests.test_spark_build import _assert_equal
from tokenomics import spark_build
from tokenomics.cli import DEMO_LAYOUT
from tokenomics.lake_ingest import MARKERS, ingest_to_lake

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (apt install openjdk-17-jre-headless)")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    from tokenomics.cli import build_demo

    base = tmp_path_factory.mktemp("tolake")
    db = base / "wh.duckdb"  # the same files through the warehouse, for comparison
    build_demo(base / "raw", db, seed=5, requests=3000, days=40)  # two monthly gateway files
    results = []
    for source, folder in DEMO_LAYOUT:  # prices and deployments first, as the warehouse path
        results += ingest_to_lake(source, [base / "raw" / folder], str(base / "lake"), workers=2)
    return {"base": base, "db": db, "lake": base / "lake", "results": results}


def test_every_file_lands_with_its_rows_accounted_for(lake):
    results = lake["results"]
    assert results and all(r.status == "loaded" for r in results), [(r.uri, r.status, r.message) for r in results]
    assert all(r.counts.reconciles() for r in results)
    gateway = [r for r in results if r.source == "litellm"]
    assert len(gateway) == 2 and sum(r.counts.loaded for r in gateway) > 2500
    root = lake["lake"]
    assert any((root / "requests").rglob("date=*/source=*/*.parquet"))
    assert (root / "manifest.json").exists() and any((root / "ingest_runs").glob("*.parquet"))
    markers = list((root / MARKERS).rglob("*.json"))
    assert len(markers) == len(results)
    assert all(json.loads(m.read_text())["status"] == "loaded" for m in markers)


def test_a_lake_on_s3_holds_the_same_rows_as_the_folder_lake_and_skips_files_it_has(lake, s3_endpoint, tmp_path):
    import boto3
    import duckdb

    from tokenomics.lake import fetch, reference_tables

    bucket = f"to-lake-{uuid.uuid4().hex[:8]}"  # moto keeps every server's buckets in one process: a fresh one
    boto3.client("s3").create_bucket(Bucket=bucket)
    remote, results = f"s3://{bucket}/tokenomics", []
    for source, folder in DEMO_LAYOUT:
        results += ingest_to_lake(source, [lake["base"] / "raw" / folder], remote, workers=2)
    by_file = lambda rs: {r.uri: (r.status, r.counts.read, r.counts.loaded, r.counts.quarantined,  # noqa: E731
                                  r.counts.duplicate) for r in rs}
    assert by_file(results) == by_file(lake["results"])
    again = ingest_to_lake("litellm", [lake["base"] / "raw" / "gateway" / "litellm"], remote, workers=2)
    assert [r.status for r in again] == ["skipped", "skipped"]

    copy = fetch(remote, tmp_path / "copy")
    assert len(list((copy / MARKERS).rglob("*.json"))) == len(results)
    con = duckdb.connect()
    # per run: run ids and times differ (compared by their counts above); build_window ends at the time of writing
    runs = {"ingest_runs", "quarantine", "build_window"}

    def rows(root, folder):
        glob = str(root / folder / ("**/*.parquet" if folder in ("requests", "gpu_samples") else "*.parquet"))
        rel = con.sql("SELECT * FROM read_parquet(?, hive_partitioning = true)", params=[glob])
        keep = [c for c in rel.columns if c not in ("run_id", "loaded_at")]
        return sorted(rel.select(*keep).fetchall(), key=repr)

    for folder in ["requests", "gpu_samples", *(t for t in reference_tables() if t not in runs)]:
        if any((lake["lake"] / folder).rglob("*.parquet")):
            assert rows(copy, folder) == rows(lake["lake"], folder), folder
    quarantined = "SELECT count(*) FROM read_parquet(?)"
    assert (con.execute(quarantined, [str(copy / "quarantine" / "*.parquet")]).fetchone()
            == con.execute(quarantined, [str(lake["lake"] / "quarantine" / "*.parquet")]).fetchone())


def test_ingesting_the_same_files_again_adds_nothing(lake):
    before = sorted(str(p) for p in lake["lake"].rglob("*.parquet"))
    again = ingest_to_lake("litellm", [lake["base"] / "raw" / "gateway" / "litellm"], str(lake["lake"]), workers=2)
    assert [r.status for r in again] == ["skipped", "skipped"]
    assert sorted(str(p) for p in lake["lake"].rglob("*.parquet")) == before


def test_spark_marts_from_the_lake_equal_the_warehouse_paths_even_with_data_sent_twice(lake, tmp_path):
    # a gateway re-sends part of a log: a new file to the manifest (other bytes), every request in it a duplicate
    # of one already in the lake, for the engine to drop
    first = sorted((lake["base"] / "raw" / "gateway" / "litellm").glob("*.jsonl"))[0]
    copy = tmp_path / "resent"
    copy.mkdir()
    (copy / "resent.jsonl").write_text("".join(first.read_text().splitlines(keepends=True)[:300]))
    (resent,) = ingest_to_lake("litellm", [copy], str(lake["lake"]))
    assert resent.status == "loaded" and resent.counts.loaded > 0
    # and telemetry: the first readings of a GPU host again, in a file of the same name (the host) elsewhere
    telemetry = sorted((lake["base"] / "raw" / "telemetry" / "nvidia-smi").glob("*.csv"))[0]
    again = tmp_path / "telemetry-again"
    again.mkdir()
    (again / telemetry.name).write_text("".join(telemetry.read_text().splitlines(keepends=True)[:200]))
    (readings,) = ingest_to_lake("nvidia-smi", [again], str(lake["lake"]))
    assert readings.status == "loaded" and readings.counts.loaded > 100
    out = lake["base"] / "out"
    spark_build.build(str(lake["lake"]), str(out), master="local[2]")
    # every model but the per-run bookkeeping (a run per file here, per invocation in the warehouse: other run ids)
    runs = ("int_ingest_freshness", "mart_ingest_health")
    assert {"mart_spend_daily", "mart_ledger_daily", "mart_focus_daily"} <= set(_assert_equal(lake["db"], out, runs))

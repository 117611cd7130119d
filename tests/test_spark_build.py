"""Issue 20: the models run on Apache Spark (local) from the lake, as `tokenomics sql --dialect spark` prints them, and
every model table equals DuckDB's — money to the cent and beyond (DECIMAL, exact), counts exactly, floats to 9
significant digits; a later build rewrites only the changed days; `publish --from-lake` serves the pages from it.

Trino/Athena: the printed SQL is parse-checked only (tests/test_portable.py); no server can be installed here."""

import math
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import payload, write_jsonl
from tokenomics import spark_build
from tokenomics.lake import publish as lake_publish
from tokenomics.warehouse import build_models, connect, open_warehouse

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (apt install openjdk-17-jre-headless)")


def _cell(v):
    """One value as both engines must agree on it: DECIMAL/integers exactly (scale aside), instants in UTC."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else str(v.normalize())
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, list):
        return tuple(_cell(x) for x in v)
    return v


def _rows(con, sql: str, params=None) -> list[tuple]:
    """The rows, normalised (_cell), in one order: floats last in the sort key, so rows that differ only in a
    float's last digits (sums in another order) meet in the same place."""
    rows = [tuple(_cell(v) for v in row) for row in con.execute(sql, params or []).fetchall()]
    return sorted(rows, key=lambda r: (repr([x for x in r if not isinstance(x, float)]),
                                       [x for x in r if isinstance(x, float)]))


def _same(a: list[tuple], b: list[tuple]) -> bool:
    """Equal row for row: every value exactly, floats to 1e-9 relative (parallel sums differ in the last bits)."""
    return len(a) == len(b) and all(
        len(x) == len(y) and all(math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12) if isinstance(u, float)
                                 and isinstance(v, float) else u == v for u, v in zip(x, y))
        for x, y in zip(a, b))


def _spark_rows(con, out: Path, name: str, key: str | None, columns: list[str]) -> list[tuple]:
    """A model as Spark wrote it (no files: it had no rows)."""
    if not any((out / name).rglob("*.parquet")):
        return []
    select = ", ".join(f'"{c}"' for c in columns)
    files = str(out / name / "**" / "*.parquet")
    return _rows(con, f"SELECT {select} FROM read_parquet(?, hive_partitioning = {bool(key)})", [files])


def cli_build(lake, out, env: dict[str, str], master: str | None = None) -> dict[str, str]:
    """`tokenomics build --engine spark` as a user runs it (the CLI in a process and JVM of its own, with ``env`` added
    to the environment); model → what it wrote, from the table it prints."""
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "tokenomics.cli", "build", "--engine", "spark", "--lake", str(lake), "--out", str(out)]
    done = subprocess.run(command + (["--master", master] if master else []), capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    rows = [line.split() for line in done.stdout.splitlines()[2:] if line.strip()]
    return {row[0]: " ".join(row[1:]) for row in rows}


@pytest.fixture(scope="module")
def spark_lake(tmp_path_factory):
    from tokenomics.cli import build_demo

    base = tmp_path_factory.mktemp("spark")
    db = base / "wh.duckdb"
    build_demo(base / "raw", db, seed=11, requests=3000, days=6)
    con = open_warehouse(db)
    lake_publish(con, str(base / "lake"))
    con.close()
    out = base / "out"
    first = spark_build.build(str(base / "lake"), str(out), master="local[2]")
    return {"base": base, "db": db, "lake": base / "lake", "out": out, "first": first}


def _assert_equal(db: Path, out: Path, skip: tuple[str, ...] = ()) -> list[str]:
    duck = connect(db, read_only=True, snapshot=False)
    compared = []
    for name, key in spark_build.tables().items():
        if name in skip:
            continue
        columns = [c for (c, *_) in duck.execute(f'DESCRIBE "{name}"').fetchall()]
        ours = _rows(duck, f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{name}"')
        theirs = _spark_rows(duck, out, name, key, columns)
        assert _same(theirs, ours), (name, len(theirs), len(ours),
                                     next(((t, o) for t, o in zip(theirs, ours) if not _same([t], [o])), None))
        compared.append(name)
    duck.close()
    return compared


def test_every_model_table_built_on_spark_equals_duckdb(spark_lake):
    compared = _assert_equal(spark_lake["db"], spark_lake["out"])
    assert {"mart_spend_daily", "mart_ledger_daily", "mart_focus_daily", "mart_model_resolution",
            "int_gpu_allocation_hourly", "mart_budget_daily"} <= set(compared)
    assert spark_lake["first"]["written"]["mart_spend_daily"] == "every day"
    assert spark_lake["first"]["written"]["mart_budget_daily"] == "whole"  # month-to-date: never by day


def test_a_later_spark_build_rewrites_only_the_changed_days_and_still_equals_duckdb(spark_lake, tmp_path):
    con = open_warehouse(spark_lake["db"])
    day = con.execute("SELECT max(day) FROM mart_spend_daily").fetchone()[0]
    late = [payload(f"spark-late-{i}", f"{day}T09:00:00", "openai", "gpt-4o", 2000, 300, tenant="initech")
            for i in range(7)]
    write_jsonl(tmp_path / "late.jsonl", late)
    from tokenomics.ingest.runner import ingest_paths

    ingest_paths(con, "litellm", [tmp_path / "late.jsonl"])
    build_models(con)
    lake_publish(con, str(spark_lake["lake"]))
    con.close()
    again = spark_build.build(str(spark_lake["lake"]), str(spark_lake["out"]), master="local[2]")
    assert again["changed_days"] == [str(day)]
    assert again["written"]["mart_spend_daily"] == "1 day(s)"
    # computed for that day only: the ledger priced only its requests (the summing marts read nothing else)
    import duckdb

    priced = duckdb.connect().execute("SELECT DISTINCT start_time::DATE FROM read_parquet(?)",
                                      [str(spark_lake["out"] / "_work" / "int_request_costs" / "*.parquet")]).fetchall()
    assert priced == [(day,)]
    _assert_equal(spark_lake["db"], spark_lake["out"])


def test_publish_from_lake_serves_the_pages_from_the_spark_build(spark_lake, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    served = tmp_path / "from-lake.duckdb"
    snapshot = spark_build.publish_from_lake(str(spark_lake["out"]), served)
    assert snapshot.exists()
    ours, theirs = connect(spark_lake["db"], read_only=True), connect(served, read_only=True)
    for mart in ("mart_spend_daily", "mart_ledger_daily", "mart_gpu_daily", "rate_cards"):
        columns = ", ".join(f'"{c}"' for (c, *_) in ours.execute(f'DESCRIBE "{mart}"').fetchall())
        assert _same(_rows(theirs, f'SELECT {columns} FROM "{mart}"'), _rows(ours, f'SELECT {columns} FROM "{mart}"')), mart
    total = theirs.execute("SELECT sum(effective_cost_usd) FROM mart_spend_daily").fetchone()[0]
    ours.close()
    theirs.close()
    monkeypatch.setenv("TOKENOMICS_DB", str(served))
    page = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "main.py"), default_timeout=60).run()
    assert not page.exception
    assert total > 0


def test_publish_from_lake_reads_the_build_and_the_lake_from_s3(spark_lake, s3_endpoint, tmp_path):
    """The build's output and the lake in a bucket (a real S3 API over HTTP): the same snapshot as from local folders."""
    import json

    from tokenomics import objectstore

    client = objectstore.client()
    client.create_bucket(Bucket="models")
    for folder, prefix in ((spark_lake["out"], "spark/out"), (spark_lake["lake"], "lake")):
        for path in Path(folder).rglob("*"):
            if path.is_file():
                body = path.read_bytes()
                if path.name == spark_build.STATE:  # the build ran on the lake as it now sits in the bucket
                    body = json.dumps({**json.loads(body), "lake": "s3://models/lake"}).encode()
                client.put_object(Bucket="models", Key=f"{prefix}/{path.relative_to(folder).as_posix()}", Body=body)
    local = spark_build.publish_from_lake(str(spark_lake["out"]), tmp_path / "local.duckdb")
    remote = spark_build.publish_from_lake("s3://models/spark/out", tmp_path / "remote.duckdb")
    ours, theirs = connect(local, read_only=True), connect(remote, read_only=True)
    lake = json.loads((Path(spark_lake["lake"]) / "manifest.json").read_text())["relations"]
    small = [t for t, spec in lake.items() if not spec.get("partitioned_by")]
    served = {t for (t,) in ours.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert served == {t for (t,) in theirs.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    tables = [t for t in [*spark_build.tables(), *small] if t in served]  # the model and lake tables it serves
    assert "mart_spend_daily" in tables and "rate_cards" in tables
    for table in tables:
        columns = ", ".join(f'"{c}"' for (c, *_) in ours.execute(f'DESCRIBE "{table}"').fetchall())
        assert _rows(theirs, f'SELECT {columns} FROM "{table}"') == _rows(ours, f'SELECT {columns} FROM "{table}"'), table
    ours.close()
    theirs.close()


def test_spark_scores_names_with_duckdbs_jaro_winkler_to_the_last_bit():
    """Spark 4's own jaro_winkler_similarity scores differently; the script's tokenomics_jaro_winkler is DuckDB's."""
    import random

    import duckdb

    from tokenomics.portable import SPARK_FUNCTIONS

    spark = spark_build.session("local[1]")
    for statement in SPARK_FUNCTIONS:
        spark.sql(statement)
    names = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-sonnet-4-5", "llama-3.3-70b", "o1", "", "a"]
    rng = random.Random(1)
    pairs = [(a, b) for a in names for b in names] + [
        ("".join(rng.choice("abcde-1") for _ in range(rng.randint(0, 12))),
         "".join(rng.choice("abcde-1") for _ in range(rng.randint(0, 12)))) for _ in range(400)]
    spark.createDataFrame(pairs, "a string, b string").createOrReplaceTempView("pairs")
    ours = spark.sql("SELECT a, b, tokenomics_jaro_winkler(a, b) AS s FROM pairs").collect()
    builtin = spark.sql("SELECT jaro_winkler_similarity(a, b) AS s FROM pairs").collect()
    duck = duckdb.connect()
    expected = [duck.execute("SELECT jaro_winkler_similarity(?, ?)", [r.a, r.b]).fetchone()[0] for r in ours]
    assert [r.s for r in ours] == expected
    assert [r.s for r in builtin] != expected  # why the function is there

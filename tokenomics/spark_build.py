"""`tokenomics build --engine spark`: the same models on Apache Spark, over the lake, written back as Parquet.

The statements are `tokenomics sql --dialect spark`'s, executed as printed (session settings, function
definitions, a view per lake relation, every model in build order).  Spark runs locally (`--master`, default
local[*]) or on a cluster through Spark Connect when SPARK_REMOTE is set.  Each model that DuckDB builds as a
table is written under <out>/<model>/ as Parquet: partitioned by day (`day`, or the UTC day of `hour`) where it
has one, whole otherwise.  A later build computes and rewrites only the day partitions whose lake files changed
since the last one (<out>/_build_state.json remembers the lake's files; Spark's dynamic partition overwrite): the
ledger prices only those days' requests, the models keyed by day compute only those days, and every model without
a day is computed whole from the merged partitions; a changed reference table or telemetry recomputes every day.
`tokenomics publish --from-lake <out>` turns the result into the dashboard's read snapshot.

The lake and the output may be folders or s3://bucket/prefix: Spark reads and writes S3 through Hadoop's s3a
connector (hadoop-aws and its AWS SDK on the classpath: a cluster has them; locally, `spark.jars` in
spark-defaults.conf), at AWS_ENDPOINT_URL(_S3) when set, as boto3 does (MinIO, moto).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from tokenomics.incremental import annotation, ledger_fact, stages
from tokenomics.lake import (RELATIONS, fetch, listing, load_small_tables, local_view, read_manifest, read_text,
                             write_text)
from tokenomics.models import LAYERS, model_files
from tokenomics.objectstore import is_s3
from tokenomics.portable import spark_models, spark_path, spark_preamble
from tokenomics.warehouse import build_models, open_warehouse, publish

STATE = "_build_state.json"
REQUESTS = "requests"                                        # the lake folder of the requests, by date=
PARTITIONED_OTHER = {folder for folder in RELATIONS if folder != REQUESTS}  # telemetry: every day on a change
DAY = "_day"  # the partition column written beside a model's own columns (dropped again on publish)
SESSION = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
           "spark.sql.shuffle.partitions": "4", "spark.sql.adaptive.enabled": "true",
           "spark.sql.sources.partitionOverwriteMode": "dynamic",
           "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS"}  # UTC instants, as DuckDB's TIMESTAMPTZ


def session(master: str | None = None, s3: bool = False):
    """A Spark session: Spark Connect at $SPARK_REMOTE, else a local one (master, default local[*]); with ``s3`` a
    local one reads S3 where boto3 does (the cluster's own settings apply under Spark Connect)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("tokenomics")
    if os.environ.get("SPARK_REMOTE"):
        builder = builder.remote(os.environ["SPARK_REMOTE"])
    else:
        builder = builder.master(master or "local[*]").config("spark.driver.memory", "2g").config(
            "spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "tokenomics-spark-warehouse"))  # unused
        for key, value in (s3a_settings() if s3 else {}).items():
            builder = builder.config(key, value)
    for key, value in SESSION.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if not os.environ.get("SPARK_REMOTE"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def s3a_settings() -> dict[str, str]:
    """Hadoop's s3a connector pointed where boto3 points (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL: MinIO, moto):
    path-style requests, and plain HTTP when the endpoint says so.  Nothing without an endpoint (AWS itself)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return {}
    return {"spark.hadoop.fs.s3a.endpoint": endpoint, "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https://")).lower()}


def _scoped(insert: str, column: str, days: list[str]) -> str:
    """A table model's INSERT cut to the given UTC days of its key column: a filter on its output (so exact), which
    Spark pushes down to the scans where it can."""
    listed = ", ".join(f"DATE'{day}'" for day in days)
    return f"{insert}\nWHERE to_date(`{column}`) IN ({listed})" if days else f"{insert}\nWHERE false"


def _ledger() -> tuple[str, str]:
    """The ledger model's name, as the DuckDB build finds it (incremental.stages), and the time column its fact is
    priced by (its '-- ledger:' header)."""
    ledger = stages([(layer, path) for layer in LAYERS for path in model_files(layer)]).ledger
    return ledger.name, ledger_fact(ledger)[1]


def _texts() -> dict[str, str]:
    return {p.stem: p.read_text() for layer in LAYERS for p in model_files(layer)}


def tables() -> dict[str, str | None]:
    """The models DuckDB materialises as tables (views are steps, not outputs), in build order, each with the
    column whose UTC day partitions it: the key of a model refreshed by day (its '-- incremental: <column> by day'
    header) — a model without one (month-to-date sums, spans across days) is rewritten whole every build."""
    out = {}
    for name, text in _texts().items():  # the model files in build order, as the script has them
        if "CREATE OR REPLACE VIEW" in text.upper():
            continue
        how = annotation(text)
        out[name] = how.column if how and how.grain == "day" else None
    return out


def _lake_files(lake: str, manifest: dict) -> dict[str, str]:
    """Every Parquet file of the lake: the facts' by size (named per ingest run, written once), the other tables'
    snapshots by content (rewritten on every `tokenomics lake`; on S3 by ETag): what a later build compares."""
    partitioned = {spec["path"] for spec in manifest["relations"].values() if spec.get("partitioned_by")}
    fact = lambda name: name.split("/", 1)[0] in partitioned  # noqa: E731
    if is_s3(lake):
        return {name: f"size:{size}" if fact(name) else f"etag:{etag}"
                for name, (size, etag) in listing(lake).items() if name.endswith(".parquet")}
    root = Path(lake)
    out = {}
    for p in root.rglob("*.parquet"):
        name = p.relative_to(root).as_posix()
        out[name] = (f"size:{p.stat().st_size}" if fact(name)
                     else "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def _has_rows(out: str, name: str) -> bool:
    """Whether Spark wrote any file of model ``name`` under out (a model with no rows has none)."""
    if is_s3(out):
        return any(key.endswith(".parquet") for key in listing(f"{out.rstrip('/')}/{name}"))
    return any((Path(out) / name).rglob("*.parquet"))


def _changed_days(manifest: dict, before: dict[str, str], now: dict[str, str]) -> set[str] | None:
    """The UTC days whose rows can change: the date= partitions of requests with new or rewritten files.  None:
    every day — reference data changed, or telemetry (readings after a gap bill idle hours on days without any).
    Bookkeeping snapshots (ingest runs) and the logged model names change with every ingest and touch no day of
    their own: the requests that brought them are in the changed partitions."""
    roles = {spec["path"]: spec.get("role", "reference") for spec in manifest["relations"].values()}
    days = set()
    for f in {f for f in set(before) | set(now) if before.get(f) != now.get(f)}:
        folder = f.split("/", 1)[0]
        if folder == REQUESTS:
            days.add(next(p for p in f.split("/") if p.startswith("date=")).split("=", 1)[1])
        elif roles.get(folder, "reference") not in ("bookkeeping", "fact", "engine") or folder in PARTITIONED_OTHER:
            return None
    return days


def build(lake: str, out: str, master: str | None = None, full: bool = False) -> dict:
    """Run the models on Spark, model by model in build order, and write each table model under out/<model>/;
    returns what was written.  After a first build, only the changed days are computed where that is exact: the
    ledger prices only those days' requests (every table that reads it sums by day), each model keyed by day
    computes only those days and overwrites only their partitions, and what reads it next reads its merged
    partitions; every other model is computed whole."""
    # folders as absolute paths: a Spark Connect server resolves relative ones against its own working directory,
    # and publish --from-lake reads the lake named in the build state from wherever it runs
    lake, out = (location if is_s3(location) else str(Path(location).resolve()) for location in (lake, out))
    if not is_s3(out):
        Path(out).mkdir(parents=True, exist_ok=True)
    state = read_text(out, STATE)
    before = json.loads(state) if state and not full else None
    manifest = read_manifest(lake)  # one read (a GET on S3) for the bookkeeping and the views
    files = _lake_files(lake, manifest)
    changed = None if before is None else _changed_days(manifest, before["files"], files)
    days = None if changed is None else sorted(changed)
    spark = session(master, s3=is_s3(lake) or is_s3(out))
    for statement in spark_preamble(lake, manifest):
        spark.sql(statement).collect()
    keys = tables()
    ledger, priced_by = _ledger()
    timings: dict[str, float] = {}
    written = {}
    for name, statements in spark_models(f"{out.rstrip('/')}/_work").items():
        started = time.perf_counter()
        if len(statements) == 2:  # a table model (or the ledger): written, then read back as a view
            insert, view = statements
            scope = keys.get(name) or (priced_by if name == ledger else None)
            spark.sql(_scoped(insert, scope, days) if days is not None and scope else insert).collect()
            spark.sql(view).collect()
            if name in keys:
                written[name] = _write(spark, name, keys[name], out, days)
            timings[name] = round(time.perf_counter() - started, 2)
        else:
            spark.sql(statements[0]).collect()
    write_text(out, STATE, json.dumps({"lake": lake, "files": files, "models": written, "seconds": timings}, indent=1))
    return {"written": written, "changed_days": days, "seconds": timings}


def _write(spark, name: str, key: str | None, out: str, days: list[str] | None) -> str:
    """A table model into out/<name>: whole, or by UTC day of its key; after a first build only the changed days'
    partitions are overwritten (dynamic partition overwrite), and the model's view then reads every partition."""
    from pyspark.sql import functions as F

    df, target = spark.table(name), f"{spark_path(out).rstrip('/')}/{name}"
    if key is None:
        df.write.mode("overwrite").parquet(target)
        return "whole"
    df.withColumn(DAY, F.to_date(F.col(key)).cast("string")).write.mode("overwrite").partitionBy(DAY).parquet(target)
    if days is None:
        return "every day"
    if _has_rows(out, name):  # what reads it next: every day (none written: it has no rows at all)
        spark.read.parquet(target).drop(DAY).createOrReplaceTempView(name)
    return f"{len(days)} day(s)"


def publish_from_lake(out: str, db: Path) -> Path:
    """The dashboard's read snapshot from a Spark build's output (a folder, or s3://bucket/prefix): a warehouse file
    holding the lake's reference and bookkeeping tables and every model table as Spark wrote it (the per-request facts
    stay in the lake), published as `tokenomics build` publishes.  The models' DuckDB types come from building them
    once on no facts.  An output or a lake on S3 is read from a local copy (the lake's: its small tables only)."""
    with tempfile.TemporaryDirectory(prefix="tokenomics-from-lake-") as tmp:
        if is_s3(out):
            out = str(fetch(out, Path(tmp) / "out", folders=list(tables())))  # not _work: the per-request ledger
        lake = json.loads((Path(out) / STATE).read_text())["lake"].rstrip("/")
        return _publish_local(out, str(local_view(lake, Path(tmp) / "lake")), db)


def _publish_local(out: str, lake: str, db: Path) -> Path:
    """publish_from_lake once the build output and the lake's small tables are local folders."""
    con = open_fresh(db)
    load_small_tables(con, lake)  # the facts stay in the lake: per request, never in the snapshot
    build_models(con, full=True)  # every model's table, with DuckDB's column types, from no facts
    for name, key in tables().items():
        files = f"{out.rstrip('/')}/{name}/**/*.parquet"
        con.execute(f'DELETE FROM "{name}"')
        if not _has_rows(out, name):
            continue  # no rows: Spark wrote no file
        drop = f" EXCLUDE ({DAY})" if key else ""
        con.execute(f'INSERT INTO "{name}" BY NAME SELECT *{drop} FROM read_parquet(?, hive_partitioning = {bool(key)})',
                    [files])
    target = publish(con)
    con.close()
    return target


def open_fresh(db: Path):
    """A new warehouse file for the snapshot (refusing one that holds ingested requests: it is not a lake copy)."""
    con = open_warehouse(db)
    if con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]:
        con.close()
        raise ValueError(f"{db} holds ingested requests: publish --from-lake writes a warehouse of its own")
    return con

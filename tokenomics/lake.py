"""Raw facts as Hive-partitioned Parquet — <dest>/<relation>/date=YYYY-MM-DD/source=NAME/<run>-<n>.parquet —
so Trino, Athena or Spark can query the same data when one machine is not enough.

Incremental and idempotent: each ingest run is written once per destination (lake_exports records it),
its files are named after the run, so a re-run after a crash rewrites the same names instead of adding
copies.  Files are written to a staging folder first and moved (or uploaded) whole: a reader never sees a
half-written file.  Destinations: a folder, or s3://bucket/prefix (boto3)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

# relation name in the lake → (table, timestamp column that gives the date partition)
RELATIONS = {"requests": ("raw_requests", "start_time"), "gpu_samples": ("raw_gpu_samples", "ts")}


@dataclass
class LakeResult:
    relation: str
    runs: int
    rows: int
    files: int


def pending_runs(con: duckdb.DuckDBPyConnection, dest: str, relation: str) -> list[str]:
    table, _ = RELATIONS[relation]
    return [r for (r,) in con.execute(
        f"SELECT DISTINCT run_id FROM {table} ANTI JOIN (SELECT run_id FROM lake_exports WHERE dest = ? AND relation = ?)"
        " USING (run_id) ORDER BY run_id", [dest, relation]).fetchall()]


def publish(con: duckdb.DuckDBPyConnection, dest: str) -> list[LakeResult]:
    """Write every run not yet in the lake at dest; returns what was written per relation."""
    dest = dest.rstrip("/")
    results = []
    con.execute("BEGIN TRANSACTION")
    try:
        for relation, (table, ts_column) in RELATIONS.items():
            runs = pending_runs(con, dest, relation)
            result = LakeResult(relation, len(runs), 0, 0)
            for run_id in runs:
                rows, files = _write_run(con, dest, relation, table, ts_column, run_id)
                con.execute("INSERT INTO lake_exports VALUES (?, ?, ?, ?, ?, ?)",
                            [dest, relation, run_id, rows, files, datetime.now(timezone.utc)])
                result.rows += rows
                result.files += files
            results.append(result)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")  # files already moved are rewritten under the same names next time
        raise
    return results


def _write_run(con, dest: str, relation: str, table: str, ts_column: str, run_id: str) -> tuple[int, int]:
    rel = con.sql(f"SELECT *, {ts_column}::DATE AS date FROM {table} WHERE run_id = $run_id",
                  params={"run_id": run_id})
    with tempfile.TemporaryDirectory(prefix="tokenomics-lake-") as staging:
        out = Path(staging) / "out"
        rel.to_parquet(str(out), partition_by=["date", "source"], compression="zstd", overwrite=True)
        written = sorted(p for p in out.rglob("*.parquet"))
        rows = sum(pq.ParquetFile(p).metadata.num_rows for p in written)  # footers: no second scan of the table
        named = []
        for n, path in enumerate(written):  # name files after the run: re-running rewrites, never duplicates
            final = path.with_name(f"{run_id}-{n}.parquet")
            path.rename(final)
            named.append(final)
        if dest.startswith("s3://"):
            _upload(named, out, dest, relation)
        else:
            _move(named, out, Path(dest) / relation)
    return rows, len(named)


def _move(files: list[Path], root: Path, target: Path) -> None:
    for path in files:
        final = target / path.relative_to(root)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_suffix(".parquet.tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(final)  # atomic on one file system: readers see the whole file or none


def _upload(files: list[Path], root: Path, dest: str, relation: str) -> None:
    from ingest import s3

    bucket, prefix = s3.split(dest)
    client = s3.client()
    for path in files:
        key = "/".join(p for p in (prefix.strip("/"), relation, path.relative_to(root).as_posix()) if p)
        client.upload_file(str(path), bucket, key)  # S3 makes an object visible only once it is complete

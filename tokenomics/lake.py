"""Raw facts as Hive-partitioned Parquet — <dest>/<relation>/date=YYYY-MM-DD/source=NAME/<run>-<n>.parquet —
so Trino, Athena or Spark can query the same data when one machine is not enough.  Beside them, every other
table the models read (rate cards, contract discounts, GPU rates and deployments, … — derived from the model SQL,
tokenomics.portable.model_inputs) as one snapshot file each, <dest>/<table>/<table>.parquet, rewritten on every
publish, and <dest>/manifest.json: each relation's table, folder, partition columns and column types, which
`tokenomics sql --dialect spark` turns into DDL over the lake.

Incremental and idempotent: each ingest run is written once per destination (lake_exports records it),
its files are named after the run, so a re-run after a crash rewrites the same names instead of adding
copies.  Files are written to a staging folder first and moved (or uploaded) whole: a reader never sees a
half-written file.  Destinations: a folder, or s3://bucket/prefix (boto3)."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from tokenomics import objectstore as s3
from tokenomics.incremental import table_exists
from tokenomics.portable import model_inputs
from tokenomics.warehouse import refresh_reference_tables

# relation name in the lake → (table, timestamp column that gives the date partition)
RELATIONS = {"requests": ("raw_requests", "start_time"), "gpu_samples": ("raw_gpu_samples", "ts")}
PARTITION_COLUMNS = ("date", "source")
MANIFEST = "manifest.json"


def reference_tables() -> list[str]:
    """The tables the models read besides the partitioned facts: a snapshot of each goes in the lake."""
    facts = {table for table, _ in RELATIONS.values()}
    return [t for t in model_inputs() if t not in facts]


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
    refresh_reference_tables(con)  # the tables computed in Python (ref_deployment_perf), as a build has them
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
        for table in reference_tables():
            results.append(LakeResult(table, 0, _write_reference(con, dest, table), 1))
        _write_manifest(con, dest)
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
        if s3.is_s3(dest):
            _upload(named, out, dest, relation)
        else:
            _move(named, out, Path(dest) / relation)
    return rows, len(named)


def _write_reference(con, dest: str, table: str) -> int:
    """The whole table as <dest>/<table>/<table>.parquet (small: rate cards, deployments, …), replaced whole."""
    return write_rows(con, dest, table, f"{table}.parquet", f"SELECT * FROM {table}")


def write_rows(con, dest: str, folder: str, name: str, query: str, params: dict | None = None) -> int:
    """A query's rows as <dest>/<folder>/<name> (Parquet), staged and moved (or uploaded) whole; returns the rows."""
    with tempfile.TemporaryDirectory(prefix="tokenomics-lake-") as staging:
        out = Path(staging) / folder
        out.mkdir()
        path = out / name
        con.sql(query, params=params).to_parquet(str(path), compression="zstd")
        rows = pq.ParquetFile(path).metadata.num_rows
        if s3.is_s3(dest):
            _upload([path], Path(staging), dest, "")
        else:
            _move([path], Path(staging), Path(dest))
    return rows


def load_small_tables(con: duckdb.DuckDBPyConnection, lake: str) -> None:
    """A local lake's tables that are not partitioned facts into a warehouse, each replacing the table of that name:
    reference snapshots, and the bookkeeping written per ingest run (read as the distinct union).  A table the
    migrations do not create (ref_deployment_perf, computed by a build) is created as the lake holds it."""
    for table, spec in read_manifest(lake)["relations"].items():
        folder = Path(lake) / spec["path"]
        if spec.get("partitioned_by") or not any(folder.glob("*.parquet")):
            continue
        files = [str(folder / "*.parquet")]
        if table_exists(con, table):
            con.execute(f'DELETE FROM "{table}"')
            con.execute(f'INSERT INTO "{table}" BY NAME SELECT DISTINCT * FROM read_parquet(?)', files)
        else:
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet(?)', files)


def manifest(con: duckdb.DuckDBPyConnection) -> dict:
    """relation (the table name the models use) → its folder in the lake, partition columns and columns (name,
    DuckDB type, in the table's order; partition columns come back as strings from the folder names)."""
    def columns(table: str) -> list[list[str]]:
        return [[name, kind] for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()]

    # each table's role, from its comment (migration 019): fact, bookkeeping, engine — else reference data
    comments = dict(con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'"
                                " AND database_name = current_database()").fetchall())
    role = lambda t: (comments.get(t) or "").split(":", 1)[0].split(",")[0].strip() or "reference"  # noqa: E731
    relations = {table: {"path": relation, "partitioned_by": list(PARTITION_COLUMNS), "columns": columns(table),
                         "role": "fact"} for relation, (table, _) in RELATIONS.items()}
    relations.update({table: {"path": table, "partitioned_by": [], "columns": columns(table), "role": role(table)}
                      for table in reference_tables()})
    return {"format": 1, "written_at": datetime.now(timezone.utc).isoformat(), "relations": relations}


def read_manifest(dest: str) -> dict:
    text = read_text(dest, MANIFEST)
    if text is None:
        raise FileNotFoundError(f"no lake manifest at {dest.rstrip('/')}/{MANIFEST} (write one with `tokenomics lake`)")
    return json.loads(text)


def _key(dest: str, relative: str) -> tuple[str, str]:
    """s3://bucket/prefix + 'a/b' -> ('bucket', 'prefix/a/b')."""
    bucket, prefix = s3.split(dest.rstrip("/"))
    return bucket, "/".join(p for p in (prefix.strip("/"), relative) if p)


def read_text(dest: str, relative: str) -> str | None:
    """A small file of the lake (its manifest, an ingest marker), or None when there is none — folder or S3 alike."""
    if s3.is_s3(dest):
        bucket, key = _key(dest, relative)
        client = s3.client()
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        except client.exceptions.NoSuchKey:
            return None
    path = Path(dest) / relative
    return path.read_text() if path.exists() else None


def write_text(dest: str, relative: str, text: str) -> None:
    """A small file of the lake, whole or not at all: renamed into place in a folder, one PUT on S3."""
    if s3.is_s3(dest):
        bucket, key = _key(dest, relative)
        s3.client().put_object(Bucket=bucket, Key=key, Body=text.encode())
    else:
        s3.atomic_write(Path(dest) / relative, text.encode())


def local_view(dest: str, scratch: Path) -> Path:
    """Where to read the lake's manifest and small tables from: the folder itself, or for an s3:// lake a copy of
    them (never the partitioned facts) under scratch — the tables its manifest lists and those the models read."""
    if not s3.is_s3(dest):
        return Path(dest)
    scratch.mkdir(parents=True, exist_ok=True)
    text = read_text(dest, MANIFEST)
    listed = [spec["path"] for spec in json.loads(text)["relations"].values()
              if not spec.get("partitioned_by")] if text else []
    return fetch(dest, scratch, folders=sorted(set(listed) | set(reference_tables())))


def listing(uri: str) -> dict[str, tuple[int, str]]:
    """Every object under s3://bucket/prefix: its key relative to the prefix → (size, ETag); folder markers left out."""
    bucket, prefix = s3.split(uri.rstrip("/"))
    prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
    out = {}
    for page in s3.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix):]
            if relative and not relative.endswith("/"):
                out[relative] = (item["Size"], item["ETag"].strip('"'))
    return out


def fetch(uri: str, target: Path, folders: list[str] | None = None) -> Path:
    """A local copy of what a lake or a Spark build's output holds under s3://bucket/prefix — every object, or only the
    files at its top (manifest, build state) and those under ``folders`` — for the readers that read local folders
    (publish --from-lake).  Returns target."""
    bucket, prefix = s3.split(uri.rstrip("/"))
    prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
    client = s3.client()
    for relative in listing(uri):
        if folders is not None and "/" in relative and relative.split("/", 1)[0] not in folders:
            continue
        local = target / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(bucket, prefix + relative, str(local))
    return target


def _write_manifest(con, dest: str) -> None:
    write_text(dest, MANIFEST, json.dumps(manifest(con), indent=2) + "\n")


def _move(files: list[Path], root: Path, target: Path) -> None:
    for path in files:
        final = target / path.relative_to(root)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_suffix(".parquet.tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(final)  # atomic on one file system: readers see the whole file or none


def _upload(files: list[Path], root: Path, dest: str, relation: str) -> None:
    client = s3.client()
    for path in files:
        bucket, key = _key(dest, "/".join(p for p in (relation, path.relative_to(root).as_posix()) if p))
        client.upload_file(str(path), bucket, key)  # S3 makes an object visible only once it is complete

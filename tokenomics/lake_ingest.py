"""`tokenomics ingest SOURCE PATHS --to-lake DEST`: files validated and normalised straight into the lake.

No warehouse in between: each file is ingested by the same code as `tokenomics ingest` into a scratch DuckDB of
its own (the lake's small tables loaded first, as ingest reads them), and what it produced goes to the lake —
the facts as <relation>/date=/source=/<run>-<n>.parquet, this run's bookkeeping rows (ingest_runs, the model
names it logged, its quarantine) as <table>/<run>.parquet, and for a reference source (rate cards, contracts,
deployments) the table's new snapshot.  The lake is a folder or s3://bucket/prefix: on S3 the manifest and small
tables a file's ingest reads are fetched into its scratch folder, and what it writes is uploaded.  Several worker processes take different files at once (a reference
source one at a time: each file rewrites a whole snapshot).  Idempotent by a lake manifest of ingested files,
_ingested/<source>/<sha256>.json, written last: a file already there is skipped.  A worker killed part-way
leaves no marker, so the file is ingested again under a new run; the rows both runs wrote, like the same
request or reading arriving in two files, are duplicates the engine drops (the lake's views keep one row per
request id or device reading within a day partition, the lowest run id's: tokenomics.portable.LAKE_DEDUP).  Each file's accounting is `tokenomics ingest`'s:
read = loaded + quarantined + duplicate (duplicates within the file; across files the engine drops them).
"""

from __future__ import annotations

import json
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from tokenomics.config import plausible_window
from tokenomics.incremental import table_digest, table_exists
from tokenomics.ingest.runner import REGISTRY, FileResult, expand, ingest_file, sha256_file
from tokenomics.lake import (MANIFEST, RELATIONS, _write_manifest, _write_reference, _write_run, load_small_tables,
                             local_view, read_text, reference_tables, write_rows, write_text)
from tokenomics.warehouse import open_warehouse, refresh_reference_tables

MARKERS = "_ingested"
PER_RUN = ("ingest_runs", "model_names", "quarantine")  # bookkeeping written per run, read as the union


def _marker(source: str, digest: str) -> str:
    """The file's entry in the lake's manifest of ingested files, relative to the lake."""
    return f"{MARKERS}/{source}/{digest}.json"


def ingest_to_lake(source: str, paths: list[Path], dest: str, options: dict | None = None,
                   workers: int = 1) -> list[FileResult]:
    """Ingest local files of one source into the lake at dest (a folder or s3://bucket/prefix); returns one result
    per file."""
    jobs = [(source, str(f), dest, options or {}) for f in expand(list(paths), REGISTRY[source].patterns)]
    if not jobs:
        return []
    first, snapshot = _one(jobs[0])  # one file first: whether this source rewrites a snapshot (a reference source)
    if snapshot or workers <= 1:
        return [first] + [_one(job)[0] for job in jobs[1:]]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [first] + [result for result, _ in pool.map(_one, jobs[1:])]


def _one(job: tuple[str, str, str, dict]) -> tuple[FileResult, bool]:
    """Ingest one file into the lake: (its result, whether it rewrote a reference snapshot)."""
    source, path, dest, options = job
    digest = sha256_file(Path(path))
    marker = _marker(source, digest)
    if (done := read_text(dest, marker)) is not None:
        run = json.loads(done)["run_id"]
        return FileResult(source, path, "skipped", message=f"already in the lake (run {run})"), False

    with tempfile.TemporaryDirectory(prefix="tokenomics-to-lake-") as scratch:
        view = local_view(dest, Path(scratch) / "lake")  # the lake's manifest and small tables, read locally
        con = open_warehouse(Path(scratch) / "scratch.duckdb")
        if (view / MANIFEST).exists():
            load_small_tables(con, str(view))  # what ingest reads: deployments, known model names…

        refresh_reference_tables(con)  # what a build computes (ref_deployment_perf), if the lake lacks it
        before = {t: _digest(con, t) for t in _snapshots()}
        con.execute("CREATE TEMP TABLE _names_before AS SELECT * FROM model_names")
        run_id = uuid.uuid4().hex
        result = ingest_file(con, REGISTRY[source], Path(path), options, run_id)
        changed = []
        if result.status == "loaded":
            for relation, (table, ts) in RELATIONS.items():
                if con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", [run_id]).fetchone()[0]:
                    _write_run(con, dest, relation, table, ts, run_id)
            if _digest(con, "gpu_deployments") != before.get("gpu_deployments"):
                refresh_reference_tables(con)  # recomputed from the new deployments
            changed = [t for t in _snapshots() if _digest(con, t) != before[t]]
            for table in changed:  # a reference source: its table's new snapshot, whole
                _write_reference(con, dest, table)
        per_run = {"ingest_runs": "SELECT * FROM ingest_runs WHERE run_id = $run",
                   "quarantine": "SELECT * FROM quarantine WHERE run_id = $run",
                   "model_names": "SELECT * FROM model_names EXCEPT SELECT * FROM _names_before"}
        for table, query in per_run.items():
            params = {"run": run_id} if "$run" in query else None
            if con.sql(f"SELECT count(*) FROM ({query})", params=params).fetchone()[0]:
                write_rows(con, dest, table, f"{run_id}.parquet", query, params)

        # the window a build fills zero days within, as `tokenomics build` writes it; and every small table the lake
        # has no snapshot of yet (settings and other tables the migrations fill), so the lake is complete
        con.execute("DELETE FROM build_window; INSERT INTO build_window VALUES (?, ?)", list(plausible_window()))
        for table in _snapshots():
            if not any((view / table).glob("*.parquet")):
                _write_reference(con, dest, table)
        if not (view / MANIFEST).exists():
            _write_manifest(con, dest)
        con.close()
    # last: the file counts as in the lake only once everything it produced is
    write_text(dest, marker, json.dumps({"run_id": run_id, "file": path, **asdict(result)}, default=str, indent=1))
    return result, bool(changed)


def _snapshots() -> list[str]:
    """The lake's whole-table snapshots a reference source may change (not the per-run bookkeeping)."""
    return [t for t in reference_tables() if t not in PER_RUN]


def _digest(con, table: str) -> str:
    """A table's digest (incremental.table_digest), or 'missing' before a build first computes it."""
    return table_digest(con, table) if table_exists(con, table) else "missing"

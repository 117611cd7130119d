"""The dashboard keeps answering while an ingest holds the warehouse; a killed ingest loses nothing."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from tokenomics import queries
from tokenomics.access import LOCAL
from tokenomics.config import serving_path


def _hold_write_lock(db: Path) -> subprocess.Popen:
    """Another process that opens the warehouse read-write and keeps it (what a running ingest does)."""
    code = textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r})
        con.execute("BEGIN")
        con.execute("CREATE TEMP TABLE busy AS SELECT 1")
        print("locked", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_readers_use_the_snapshot_while_a_writer_holds_the_warehouse(demo, tmp_path):
    db = tmp_path / "wh.duckdb"
    db.write_bytes(Path(demo["db"]).read_bytes())
    con = __import__("tokenomics.warehouse", fromlist=["open_warehouse"]).open_warehouse(db)
    __import__("tokenomics.warehouse", fromlist=["build_models"]).build_models(con)  # publishes the snapshot
    con.close()
    assert serving_path(db).exists()
    writer = _hold_write_lock(db)
    try:
        with pytest.raises(duckdb.IOException):  # what the dashboard hit before: the file is locked
            duckdb.connect(str(db), read_only=True)
        start, end = queries.period(db)                     # through the data layer: answered
        view = queries.overview(db, LOCAL, queries.Filters(start, end))
        assert view["kpis"]["requests"][0] > 0
    finally:
        writer.kill()
        writer.wait()


def test_a_build_replaces_the_snapshot_atomically(demo, tmp_path):
    from tokenomics.warehouse import build_models, open_warehouse

    db = tmp_path / "wh.duckdb"
    db.write_bytes(Path(demo["db"]).read_bytes())
    con = open_warehouse(db)
    build_models(con)
    first = serving_path(db).stat().st_ino
    build_models(con, full=True)
    con.close()
    assert serving_path(db).stat().st_ino != first       # a new file renamed into place, not rewritten
    assert not list(tmp_path.glob(".*.tmp-*"))


def _ingest(db: Path, files: list[Path]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tokenomics.cli", "--db", str(db), "ingest", "litellm",
                             *map(str, files), "--no-build"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _totals(db: Path) -> tuple | None:
    """Row totals of an ingest, or None where the schema was never committed (killed during setup)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'raw_requests'").fetchone()[0]:
            return None
        return con.execute("SELECT (SELECT count(*) FROM raw_requests), (SELECT count(*) FROM quarantine), "
                           "(SELECT sum(output_tokens) FROM raw_requests), (SELECT count(*) FROM ingest_manifest)"
                           ).fetchone()
    finally:
        con.close()


@pytest.mark.parametrize("when", ["during the first file", "after the first file committed"])
def test_sigkill_mid_ingest_then_rerun_equals_one_clean_run(demo, tmp_path, when):
    files = sorted((Path(demo["raw"]) / "gateway" / "litellm").glob("*.jsonl"))
    assert len(files) >= 2
    clean = tmp_path / "clean.duckdb"
    started = time.perf_counter()
    assert _ingest(clean, files).wait(timeout=300) == 0
    duration = time.perf_counter() - started
    crashed = tmp_path / "crashed.duckdb"
    proc = _ingest(crashed, files)
    if when == "during the first file":
        time.sleep(duration * 0.4)                         # well before the same work could be done
    else:
        for line in proc.stdout:                           # the CLI reports each file as it commits
            if b"loaded" in line:
                break
    os.kill(proc.pid, signal.SIGKILL)                      # no cleanup, no rollback handler: a real crash
    assert proc.wait() == -signal.SIGKILL
    partial = _totals(crashed) if crashed.exists() else None
    assert partial != _totals(clean)                       # the crash left the job unfinished
    rerun = _ingest(crashed, files)
    assert rerun.wait(timeout=300) == 0, rerun.stdout.read()
    assert _totals(crashed) == _totals(clean)
    again = _ingest(crashed, files)                        # and once more: idempotent
    assert again.wait(timeout=300) == 0
    assert _totals(crashed) == _totals(clean)

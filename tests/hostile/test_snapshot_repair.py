"""Issue 18 §2: the read snapshot never falls behind the warehouse for good.  A build killed after its commit
(or a publish killed part-way, or a full disk at the rename) leaves the snapshot behind; the next
`tokenomics build` — even with nothing new to build — republishes, and the snapshot then equals the warehouse
relation by relation.  No half-written snapshot file is left behind."""

import os
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload, write_jsonl
from tokenomics import warehouse as wh
from tokenomics.access import Principal
from tokenomics.config import serving_path
from tokenomics.queries import snapshot_status
from tokenomics.warehouse import build_models, open_warehouse

ADMIN = Principal(user="admin@example.com", role="admin")


def _day(tmp: Path, name: str, day: str, n: int) -> Path:
    path = tmp / f"{name}.jsonl"
    write_jsonl(path, [payload(f"{name}-{i}", f"{day}T{10 + i % 8:02d}:00:00", "openai", "gpt-y", 100 + i, 10)
                       for i in range(n)])
    return path


def _assert_snapshot_equals_warehouse(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"ATTACH {wh._literal(str(serving_path(db)))} AS snap (READ_ONLY)")
        # every data relation; the build's own bookkeeping (when it last ran) is not data
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'snap'"
                                            " AND table_name NOT IN ('snapshot_state', 'model_state')").fetchall()]
        assert "mart_spend_daily" in tables and "quarantine" in tables
        for t in tables:  # as multisets; floats to 9 significant digits (a rebuilt mart's parallel float sums
            #               differ in the last bits from the copy published a build earlier)
            snap, live = (_bag(con.execute(f'SELECT * FROM {d}."{t}"').fetchall()) for d in ("snap", "main"))
            assert snap == live, f"{t}: {list((snap - live).elements())[:2]} vs {list((live - snap).elements())[:2]}"
    finally:
        con.close()


def _bag(rows) -> Counter:
    return Counter(repr(tuple(float(f"{v:.9g}") if isinstance(v, float) else v for v in row)) for row in rows)


def _no_temp_files(db: Path) -> bool:
    return not list(db.parent.glob(f".{serving_path(db).name}.tmp-*"))


def _killed_after_commit(monkeypatch):
    monkeypatch.setattr(wh, "publish", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt("SIGKILL")))


def _killed_while_copying(monkeypatch):
    real = wh._patch_appended

    def dies(con, name, column):  # the patch has copied the old snapshot and started on the relations
        real(con, name, column)
        raise KeyboardInterrupt("SIGKILL mid-publish")
    monkeypatch.setattr(wh, "_patch_appended", dies)


def _disk_full_at_rename(monkeypatch):
    def full(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(wh.os, "replace", full)


@pytest.mark.parametrize("kill", [_killed_after_commit, _killed_while_copying, _disk_full_at_rename],
                         ids=["after commit", "during publish", "disk full at rename"])
def test_the_next_build_repairs_a_snapshot_left_behind(tmp_path, monkeypatch, kill):
    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    ingest_paths(con, "litellm", [_day(tmp_path, "a", "2026-03-01", 40)])
    build_models(con)
    ingest_paths(con, "litellm", [_day(tmp_path, "b", "2026-03-02", 30)])
    with monkeypatch.context() as m:
        kill(m)
        with pytest.raises((KeyboardInterrupt, OSError)):
            build_models(con)
    assert _no_temp_files(db)  # a failed publish removes its half-written file
    con.close()
    status = snapshot_status(db, ADMIN)
    assert status["readable"] and not status["in_sync"] and status["runs_missing"] == 1 and status["rows_missing"] == 30
    con = open_warehouse(db)
    assert build_models(con)  # nothing new to build: it still republishes
    con.close()
    _assert_snapshot_equals_warehouse(db)
    repaired = snapshot_status(db, ADMIN)
    assert (repaired["in_sync"], repaired["runs_missing"], repaired["rows_missing"]) == (True, 0, 0)
    # and the next incremental build patches a snapshot that is current again
    con = open_warehouse(db)
    ingest_paths(con, "litellm", [_day(tmp_path, "c", "2026-03-03", 20)])
    build_models(con)
    con.close()
    _assert_snapshot_equals_warehouse(db)


def test_a_dead_publishers_temp_file_is_removed(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    ingest_paths(con, "litellm", [_day(tmp_path, "a", "2026-03-01", 5)])
    stale = db.parent / f".{serving_path(db).name}.tmp-999999999"  # no such process
    stale.write_bytes(b"half a snapshot")
    Path(str(stale) + ".wal").write_bytes(b"and its log")
    build_models(con)
    con.close()
    assert not stale.exists() and _no_temp_files(db)


def test_status_is_unknown_while_a_writer_holds_the_warehouse(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    ingest_paths(con, "litellm", [_day(tmp_path, "a", "2026-03-01", 5)])
    build_models(con)
    con.close()
    import subprocess
    import sys
    import time

    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        status = snapshot_status(db, ADMIN)
        assert status["readable"] is False and status["published_at"] is not None
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert snapshot_status(db, ADMIN)["in_sync"] is True and os.path.exists(serving_path(db))


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
def test_sigkill_anywhere_in_a_build_then_build_equals_the_warehouse(demo, tmp_path, fraction):
    """A real crash (SIGKILL, no handler runs) at a point of an incremental build's duration — planning,
    pricing, merging or publishing — and the next `tokenomics build` leaves a snapshot equal to the warehouse."""
    import shutil
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "wh.duckdb"
    shutil.copyfile(demo["db"], db)
    shutil.copyfile(serving_path(demo["db"]), serving_path(db))
    late = _day(tmp_path, "late", "2026-11-10", 3000)
    build = [sys.executable, "-m", "tokenomics.cli", "--db", str(db), "build"]
    assert subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(db), "ingest", "litellm", str(late),
                           "--no-build"], capture_output=True).returncode == 0
    probe = tmp_path / "probe.duckdb"  # the same build, timed on a copy
    shutil.copyfile(db, probe)
    shutil.copyfile(serving_path(db), serving_path(probe))
    started = time.perf_counter()
    assert subprocess.run([*build[:3], "--db", str(probe), "build"], capture_output=True).returncode == 0
    duration = time.perf_counter() - started
    proc = subprocess.Popen(build, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(duration * fraction)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = subprocess.run(build, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    _assert_snapshot_equals_warehouse(db)
    assert _no_temp_files(db)
    status = snapshot_status(db, ADMIN)
    assert (status["in_sync"], status["runs_missing"]) == (True, 0)

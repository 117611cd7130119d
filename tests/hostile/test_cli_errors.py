"""Issue 18 §8: what an operator can get wrong is answered with a sentence and exit code 2, not a traceback,
and nothing is half-done."""

import subprocess
import sys

import pytest

from tests.helpers import payload, write_jsonl
from tokenomics.cli import main
from tokenomics.warehouse import open_warehouse


def _ok_file(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [payload("a1", "2026-03-01T10:00:00", "openai", "gpt-y", 10, 5)])
    return tmp_path / "a.jsonl"


def test_unknown_source_is_a_sentence(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "wh.duckdb"), "ingest", "litelm", str(_ok_file(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "unknown source 'litelm'" in err and "litellm" in err and "Traceback" not in err


def test_a_missing_path_ingests_nothing(tmp_path, capsys):
    db = tmp_path / "wh.duckdb"
    assert main(["--db", str(db), "ingest", "litellm", str(_ok_file(tmp_path)), str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    con = open_warehouse(db)
    assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 0  # the first file was not loaded either
    con.close()


def test_a_second_writer_is_told_who_holds_the_warehouse(tmp_path):
    db = tmp_path / "wh.duckdb"
    open_warehouse(db).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        run = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(db), "ingest", "litellm",
                              str(_ok_file(tmp_path)), "--no-build"], capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 2 and "another process is writing the warehouse" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_export_to_a_file_or_an_empty_month_is_explained(tmp_path, capsys):
    db = tmp_path / "wh.duckdb"
    assert main(["--db", str(db), "ingest", "litellm", str(_ok_file(tmp_path))]) == 0
    capsys.readouterr()
    (tmp_path / "afile").write_text("not a folder")
    assert main(["--db", str(db), "export", "--period", "2026-03", "--dest", str(tmp_path / "afile")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert main(["--db", str(db), "export", "--period", "2025-01", "--dest", str(tmp_path / "out")]) == 0
    assert "has no data" in capsys.readouterr().err


def test_a_full_disk_during_ingest_reports_its_cause_not_a_rollback_error(tmp_path, monkeypatch):
    """The failure that ends DuckDB's transaction (a full disk does) used to be hidden behind "cannot rollback -
    no transaction is active"."""
    from dataclasses import replace

    import tokenomics.ingest.litellm  # noqa: F401  (registers the source)
    from tokenomics.ingest.runner import REGISTRY, ingest_paths

    def disk_full(con, path, ctx):
        con.execute("COMMIT")  # what DuckDB's own failure does to the transaction
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(REGISTRY, "litellm", replace(REGISTRY["litellm"], load=disk_full))
    con = open_warehouse(tmp_path / "wh.duckdb")
    [r] = ingest_paths(con, "litellm", [_ok_file(tmp_path)])
    assert r.status == "failed" and "No space left on device" in r.message and "rollback" not in r.message
    con.close()


def test_a_failed_export_write_leaves_no_temp_file(tmp_path, monkeypatch):
    from tokenomics import exports, objectstore

    def full(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(objectstore.os, "fsync", full)  # every atomic write goes through objectstore
    files = [exports.ExportFile("a.csv", b"x,y\n", 1)]
    with pytest.raises(OSError, match="No space left"):
        exports._write_local(files, str(tmp_path), "out")
    assert not list((tmp_path / "out").glob(".*tmp*")) and not (tmp_path / "out" / "a.csv").exists()


def test_db_may_follow_the_command(tmp_path, capsys):
    """Users write `tokenomics build --db X` as often as `tokenomics --db X build`: both name the same file."""
    after, before = tmp_path / "after.duckdb", tmp_path / "before.duckdb"
    assert main(["ingest", "litellm", str(_ok_file(tmp_path)), "--db", str(after)]) == 0
    assert main(["--db", str(before), "ingest", "litellm", str(_ok_file(tmp_path))]) == 0
    for db in (after, before):
        con = open_warehouse(db)
        assert con.execute("SELECT count(*) FROM raw_requests").fetchone()[0] == 1
        con.close()

"""An upgrade without a build: a warehouse built from other model SQL is refused with what to run, by the CLI and the
dashboard alike, instead of failing on a column its marts lack; `tokenomics build` makes it readable again."""

import shutil
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tokenomics import queries
from tokenomics.config import sql_dir

APP = Path(__file__).resolve().parent.parent / "app"


def test_a_warehouse_built_from_other_model_sql_says_run_build_until_it_is_rebuilt(books, monkeypatch, tmp_path):
    db = books["db"]
    assert queries.stale_reason(db) is None  # built by this version
    newer = tmp_path / "sql"  # the next version's SQL: one mart changed
    shutil.copytree(sql_dir(), newer)
    mart = newer / "marts" / "mart_batch_daily.sql"
    mart.write_text(mart.read_text() + "\n-- a column the next version adds would be here\n")
    monkeypatch.setenv("TOKENOMICS_SQL_DIR", str(newer))
    monkeypatch.setenv("TOKENOMICS_DB", str(db))
    reason = queries.stale_reason(db)
    assert reason and "another version" in reason and "`tokenomics build`" in reason

    cli = [sys.executable, "-m", "tokenomics.cli", "--db", str(db)]
    refused = subprocess.run([*cli, "recommend", "--period", books["month"]], capture_output=True, text=True)
    assert refused.returncode == 2 and "run `tokenomics build`" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr

    page = AppTest.from_file(str(APP / "main.py"), default_timeout=60).run()
    assert not page.exception and "tokenomics build" in page.error[0].value

    built = subprocess.run([*cli, "build"], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert queries.stale_reason(db) is None
    again = subprocess.run([*cli, "recommend", "--period", books["month"]], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr

"""Per-model fingerprints (issue 19 item 3): a change rebuilds only the models whose SQL or inputs changed, and an
effective-dated reference change (a new rate card) re-prices only the requests from its valid_from on — each
time with exactly the tables a full rebuild gives, warehouse and read snapshot alike."""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers import raise_prices_from
from tests.test_incremental import _bag, _last_build, _tables
from tokenomics.config import ENV_SQL_DIR, sql_dir
from tokenomics.warehouse import build_models, connect, open_warehouse


def _copy(demo, tmp_path) -> Path:
    db = tmp_path / "wh.duckdb"
    shutil.copyfile(demo["db"], db)
    shutil.copyfile(Path(str(demo["db"]) + ".serving"), Path(str(db) + ".serving"))
    return db


def _label(con) -> str:
    return con.execute("SELECT value FROM model_state WHERE key = 'last_build'").fetchone()[0]


def _equals_a_full_rebuild(db: Path, tmp_path: Path) -> None:
    """Every table of the warehouse and of its read snapshot equals what a full rebuild of a copy gives."""
    full_db = tmp_path / "full.duckdb"
    shutil.copyfile(db, full_db)
    con = open_warehouse(full_db)
    build_models(con, full=True)
    assert _last_build(con) == "full"
    con.close()
    for snapshot in (False, True):
        ours, full = connect(db, read_only=True, snapshot=snapshot), connect(full_db, read_only=True, snapshot=snapshot)
        assert _tables(ours) == _tables(full)
        for table in _tables(full):
            columns = ["key", "runs"] if table == "snapshot_state" else None
            assert _bag(ours, table, columns) == _bag(full, table, columns), (snapshot, table)
        ours.close()
        full.close()


def test_a_new_rate_card_reprices_only_from_its_valid_from(demo, tmp_path):
    db = _copy(demo, tmp_path)
    con = open_warehouse(db)
    last = con.execute("SELECT max(day) FROM mart_spend_daily").fetchone()[0]
    start = last - timedelta(days=3)
    provider, model = con.execute(
        "SELECT provider, model FROM mart_spend_daily WHERE day >= ? AND list_cost_usd > 0"
        " GROUP BY ALL ORDER BY sum(list_cost_usd) DESC LIMIT 1", [start]).fetchone()
    before = dict(con.execute("SELECT day, sum(list_cost_usd) FROM mart_spend_daily WHERE provider = ? AND model = ?"
                              " GROUP BY 1", [provider, model]).fetchall())
    raise_prices_from(con, start, provider, model, "test")
    build_models(con)
    assert _label(con).startswith(f"incremental (repriced from {start})"), _label(con)
    after = dict(con.execute("SELECT day, sum(list_cost_usd) FROM mart_spend_daily WHERE provider = ? AND model = ?"
                             " GROUP BY 1", [provider, model]).fetchall())
    assert all(after[d] == before[d] for d in before if d < start)  # history before the card: untouched
    assert all(after[d] > before[d] for d in before if d >= start)  # from it on: the new prices
    build_models(con)
    assert _label(con).split(" (")[0].split()[0] == "incremental" and "repriced" not in _label(con)
    con.close()
    _equals_a_full_rebuild(db, tmp_path)


def test_a_gpu_rate_change_reprices_from_its_first_day(demo, tmp_path):
    db = _copy(demo, tmp_path)
    con = open_warehouse(db)
    first = con.execute("SELECT min(valid_from) FROM gpu_rates").fetchone()[0]
    con.execute("UPDATE gpu_rates SET usd_per_gpu_hour = usd_per_gpu_hour + 1")  # every row: all its history
    build_models(con)
    assert f"repriced from {first.date()}" in _label(con) and not _label(con).startswith("full")
    con.close()
    _equals_a_full_rebuild(db, tmp_path)


def test_an_undated_reference_change_rebuilds_only_what_reads_it(demo, tmp_path):
    db = _copy(demo, tmp_path)
    con = open_warehouse(db)
    con.execute("UPDATE budgets SET budget_usd = budget_usd * 2")
    build_models(con)
    assert _label(con).startswith("incremental (rebuilt mart_budget_daily"), _label(con)
    assert "mart_spend_daily" not in _label(con) and "repriced" not in _label(con)
    con.close()
    _equals_a_full_rebuild(db, tmp_path)


@pytest.fixture()
def editable(demo, tmp_path, monkeypatch):
    """A copy of the demo warehouse built from a copy of sql/ the test may edit: (its sql/, its connection)."""
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    monkeypatch.setenv(ENV_SQL_DIR, str(copy))
    return copy, open_warehouse(_copy(demo, tmp_path))


def test_editing_one_mart_rebuilds_it_and_what_reads_it_only(editable, tmp_path):
    copy, con = editable
    db = tmp_path / "wh.duckdb"
    build_models(con)  # (the demo was built from the same SQL: nothing to do)
    assert "rebuilt" not in _label(con)
    mart = copy / "marts" / "mart_gpu_daily.sql"
    mart.write_text(mart.read_text() + "\n-- a comment is an edit too\n")
    build_models(con)
    label = _label(con)
    assert label.startswith("incremental (rebuilt ") and "mart_gpu_daily" in label, label
    assert "mart_spend_daily" not in label and "int_request_costs" not in label
    con.close()
    _equals_a_full_rebuild(db, tmp_path)


def test_editing_the_ledger_rebuilds_everything(editable):
    copy, con = editable
    ledger = copy / "intermediate" / "int_request_costs.sql"
    ledger.write_text(ledger.read_text() + "\n-- priced the same, but the engine cannot know\n")
    build_models(con)
    assert _last_build(con) == "full"
    con.close()

"""Incremental model builds: after an ingest, refresh only what the new runs touched.

A model opts in with a header line `-- incremental: <column> by <grain>`:
  run   — per-request tables: rows of the new ingest runs are appended (int_request_costs);
  day   — rows whose <column>::DATE is a day the new runs have facts on are deleted and recomputed;
  month — the same for whole months (date_trunc('month', <column>)).
Everything else is rebuilt whole: views, and tables computed from small inputs or across days
(anomalies, budgets, GPU hours).  While an incremental model is recomputed, the big relation it reads
(raw_requests, int_request_costs) is shadowed by a TEMP view of the new runs' rows or affected days, so
the work scales with the new data, not the warehouse; the key filter on the output keeps it exact.

Any change to the model SQL or to reference data (rate cards, discounts, GPU rates, deployments,
settings, budgets, vendor usage/costs) changes the fingerprint and forces a full build, because those
re-price history.  tests/test_incremental.py proves incremental == full, table by table."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

_ANNOTATION = re.compile(r"^--\s*incremental:\s*(\w+)\s+by\s+(run|day|month)\s*$", re.M)
_CREATE = re.compile(r"CREATE\s+OR\s+REPLACE\s+TABLE\s+(\w+)\s+AS\s", re.I)
REFERENCE_TABLES = ("rate_cards", "contract_discounts", "gpu_rates", "gpu_deployments", "cost_settings", "budgets",
                    "vendor_usage", "vendor_costs", "ref_deployment_perf")
KEY_EXPR = {"day": "{col}::DATE", "month": "date_trunc('month', {col})::DATE", "run": "{col}"}
# what each grain's recomputation reads, shadowed by the rows that matter
SHADOW = {"run": ("raw_requests", "run_id IN (SELECT key FROM _inc_keys_run)"),
          "day": ("int_request_costs", "day IN (SELECT key FROM _inc_keys_day)"),
          "month": ("int_request_costs", "date_trunc('month', day)::DATE IN (SELECT key FROM _inc_keys_month)")}


@dataclass(frozen=True)
class Plan:
    """What a build will do: full, or incremental for these runs (and the days/months they touch)."""

    full: bool
    fingerprint: str
    runs: tuple[str, ...]


def annotation(text: str) -> tuple[str, str] | None:
    match = _ANNOTATION.search(text)
    return (match.group(1), match.group(2)) if match else None


def fingerprint(con: duckdb.DuckDBPyConnection, model_paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in model_paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for table in REFERENCE_TABLES:
        count, total = con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t").fetchone()
        digest.update(f"{table}:{count}:{total}".encode())
    return digest.hexdigest()


def plan(con: duckdb.DuckDBPyConnection, model_paths: list[Path], full: bool) -> Plan:
    fp = fingerprint(con, model_paths)
    stored = con.execute("SELECT value FROM model_state WHERE key = 'fingerprint'").fetchone()
    runs = tuple(r for (r,) in con.execute(
        "SELECT DISTINCT run_id FROM ingest_runs WHERE status = 'loaded' AND rows_loaded > 0"
        " AND run_id NOT IN (SELECT run_id FROM model_built_runs) ORDER BY 1").fetchall())
    incremental_ok = not full and stored is not None and stored[0] == fp and all(
        _exists(con, _CREATE.search(p.read_text()).group(1)) for p in model_paths if annotation(p.read_text()))
    return Plan(full=not incremental_ok, fingerprint=fp, runs=runs)


def _exists(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'",
                       [name]).fetchone()[0] > 0


def prepare(con: duckdb.DuckDBPyConnection, p: Plan) -> None:
    """The key sets of an incremental build, as temp tables the refresh statements read."""
    con.execute("CREATE OR REPLACE TEMP TABLE _inc_keys_run AS SELECT unnest(?::VARCHAR[]) AS key", [list(p.runs)])
    con.execute("""CREATE OR REPLACE TEMP TABLE _inc_keys_day AS
        SELECT DISTINCT start_time::DATE AS key FROM raw_requests WHERE run_id IN (SELECT key FROM _inc_keys_run)
        UNION SELECT DISTINCT ts::DATE FROM raw_gpu_samples WHERE run_id IN (SELECT key FROM _inc_keys_run)""")
    con.execute("CREATE OR REPLACE TEMP TABLE _inc_keys_month AS"
                " SELECT DISTINCT date_trunc('month', key)::DATE AS key FROM _inc_keys_day")


def refresh(con: duckdb.DuckDBPyConnection, text: str, column: str, grain: str) -> None:
    """Delete the affected keys' rows and insert them recomputed, reading only the shadowed rows."""
    match = _CREATE.search(text)
    name, select = match.group(1), text[match.end():].strip().rstrip(";")
    big, condition = SHADOW[grain]
    db = '"' + con.execute("SELECT current_database()").fetchone()[0].replace('"', '""') + '"'
    # temp objects live in catalog temp, schema main: only catalog.main.name reaches the real table
    con.execute(f"CREATE OR REPLACE TEMP VIEW {big} AS SELECT * FROM {db}.main.{big} WHERE {condition}")
    try:
        replace_keys(con, f"{db}.main.{name}", f"({select}) AS fresh", column, grain)
    finally:
        con.execute(f"DROP VIEW IF EXISTS temp.{big}")


def replace_keys(con: duckdb.DuckDBPyConnection, target: str, rows: str, column: str, grain: str) -> None:
    """In target, swap the affected keys' rows for those of rows (a relation or subquery): the one
    delete-then-insert both the model refresh and the snapshot patch use."""
    where = f"{KEY_EXPR[grain].format(col=column)} IN (SELECT key FROM _inc_keys_{grain})"
    con.execute(f"DELETE FROM {target} WHERE {where}")
    con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {rows} WHERE {where}")


def record(con: duckdb.DuckDBPyConnection, p: Plan, when) -> None:
    """Remember the fingerprint and which runs the models now include."""
    con.execute("INSERT OR REPLACE INTO model_state VALUES ('fingerprint', ?), ('last_build', ?)",
                [p.fingerprint, f"{'full' if p.full else 'incremental'} {when.isoformat()}"])
    if p.full:
        con.execute("INSERT OR IGNORE INTO model_built_runs SELECT DISTINCT run_id, ? FROM ingest_runs"
                    " WHERE status = 'loaded'", [when])
    else:
        con.execute("INSERT OR IGNORE INTO model_built_runs SELECT key, ? FROM _inc_keys_run", [when])

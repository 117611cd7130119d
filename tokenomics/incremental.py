"""Incremental model builds: after an ingest, refresh only what the new runs touched.

A model opts in with a header line `-- incremental: <column> by <grain>[, summing <cols>][; min <cols>][; max <cols>]`:
  run   — per-request tables: rows of the new ingest runs are appended (int_request_costs);
          `, appended after publish`: the rows are appended once the marts are published, in a transaction
          of their own (nothing the pages read waits for the per-request ledger's write; a run published but
          not yet appended — a crash in between — is priced and appended by the next build);
  day   — rows whose <column>::DATE is a day the new runs have facts on are deleted and recomputed;
  month — the same for whole months (date_trunc('month', <column>)).
  summing — the model is a plain sum/count over requests: only the new runs' priced requests are
          aggregated, and added to the affected days' rows (grouped by every other column); `; min <cols>`
          and `; max <cols>` name columns kept at their least/greatest instead (first/last seen).  Requests are
          append-only (a re-sent request is a duplicate, never an update), so adding is exact, and the
          work scales with the new rows, not with how busy the affected days already were.
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from tokenomics.config import timed

_COLUMNS = r"(\w+(?:\s*,\s*\w+)*)"
_ANNOTATION = re.compile(rf"^--\s*incremental:\s*(\w+)\s+by\s+(run|day|month)(?:\s*,\s*summing\s+{_COLUMNS})?"
                         rf"(?:\s*;\s*min\s+{_COLUMNS})?(?:\s*;\s*max\s+{_COLUMNS})?"
                         rf"(\s*,\s*appended after publish)?\s*$", re.M)
_CREATE = re.compile(r"CREATE\s+OR\s+REPLACE\s+TABLE\s+(\w+)\s+AS\s", re.I)
REFERENCE_TABLES = ("rate_cards", "contract_discounts", "gpu_rates", "gpu_deployments", "cost_settings", "budgets",
                    "vendor_usage", "vendor_costs", "ref_deployment_perf")
KEY_EXPR = {"day": "{col}::DATE", "month": "date_trunc('month', {col})::DATE", "run": "{col}"}
# what each grain's recomputation reads, shadowed by the rows that matter
SHADOW = {"run": (("raw_requests", "run_id IN (SELECT key FROM _inc_keys_run)"),
                  ("raw_gpu_samples", "run_id IN (SELECT key FROM _inc_keys_run)")),
          # a day's rows read only that day's rows: every day-keyed input is cut to the affected days
          "day": (("int_request_costs", "day IN (SELECT key FROM _inc_keys_day)"),
                  ("int_request_meters", "day IN (SELECT key FROM _inc_keys_day)"),
                  ("int_gpu_hourly", "hour::DATE IN (SELECT key FROM _inc_keys_day)"),
                  ("int_self_hosted_hourly", "hour::DATE IN (SELECT key FROM _inc_keys_day)"),
                  ("int_gpu_allocation_hourly", "hour::DATE IN (SELECT key FROM _inc_keys_day)")),
          "month": (("int_request_costs", "date_trunc('month', day)::DATE IN (SELECT key FROM _inc_keys_month)"),)}
# what a summing model aggregates: the new runs' priced requests — int_request_costs is refreshed first, and
# its new rows are kept in memory (_inc_new_int_request_costs) so that no mart re-reads them from disk
NEW_ROWS = (("int_request_costs", "_inc_new_int_request_costs"),)


@dataclass(frozen=True)
class How:
    """A model's incremental annotation: key column, grain, and how a merging model combines new rows
    with old: the columns it adds, and those it keeps the least or greatest of (first/last seen)."""

    column: str
    grain: str
    sums: tuple[str, ...] = ()
    mins: tuple[str, ...] = ()
    maxes: tuple[str, ...] = ()
    deferred: bool = False  # run grain: appended after the marts are published (append_deferred)

    @property
    def merges(self) -> dict[str, str]:
        """Column → the aggregate that combines its old and new values; empty for recomputed models."""
        return {**{c: "sum" for c in self.sums}, **{c: "min" for c in self.mins}, **{c: "max" for c in self.maxes}}


@dataclass(frozen=True)
class Plan:
    """What a build will do: full, or incremental for these runs (and the days/months they touch)."""

    full: bool
    fingerprint: str
    runs: tuple[str, ...]


def annotation(text: str) -> How | None:
    match = _ANNOTATION.search(text)
    if not match:
        return None

    def columns(group: str | None) -> tuple[str, ...]:
        return tuple(c.strip() for c in group.split(",")) if group else ()

    return How(match.group(1), match.group(2), *(columns(match.group(i)) for i in (3, 4, 5)), bool(match.group(6)))


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
        table_exists(con, _CREATE.search(p.read_text()).group(1)) for p in model_paths if annotation(p.read_text()))
    return Plan(full=not incremental_ok, fingerprint=fp, runs=runs)


def table_exists(con: duckdb.DuckDBPyConnection, name: str, database: str | None = None) -> bool:
    """Whether main.<name> is a table in the database (default: the connection's own)."""
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'"
                       " AND database_name = coalesce(?, current_database())", [name, database]).fetchone()[0] > 0


def prepare(con: duckdb.DuckDBPyConnection, p: Plan) -> None:
    """The key sets of an incremental build, as temp tables the refresh statements read."""
    _run_keys(con, p.runs)
    # A deployment is billed every hour from its first to its last telemetry: telemetry that resumes after
    # a gap (or arrives before the earliest) adds idle hours on days with no new facts of their own.
    con.execute("""CREATE OR REPLACE TEMP TABLE _inc_keys_day AS
        WITH spans AS (
            SELECT d.deployment_id,
                max(s.ts) FILTER (WHERE s.run_id NOT IN (SELECT key FROM _inc_keys_run)) AS old_last,
                min(s.ts) FILTER (WHERE s.run_id NOT IN (SELECT key FROM _inc_keys_run)) AS old_first,
                min(s.ts) FILTER (WHERE s.run_id IN (SELECT key FROM _inc_keys_run)) AS new_first,
                max(s.ts) FILTER (WHERE s.run_id IN (SELECT key FROM _inc_keys_run)) AS new_last
            FROM raw_gpu_samples s
            JOIN (SELECT deployment_id, unnest(hosts) AS host FROM gpu_deployments) d ON d.host = s.host
            GROUP BY d.deployment_id
        ),
        gaps AS (
            SELECT old_last AS gap_from, new_first AS gap_to FROM spans WHERE new_first > old_last
            UNION ALL SELECT new_last, old_first FROM spans WHERE new_last < old_first
        )
        SELECT DISTINCT start_time::DATE AS key FROM raw_requests WHERE run_id IN (SELECT key FROM _inc_keys_run)
        UNION SELECT DISTINCT ts::DATE FROM raw_gpu_samples WHERE run_id IN (SELECT key FROM _inc_keys_run)
        UNION SELECT t.day::DATE
        FROM gaps CROSS JOIN unnest(generate_series(date_trunc('day', gap_from), gap_to, INTERVAL 1 DAY)) AS t(day)""")
    con.execute("CREATE OR REPLACE TEMP TABLE _inc_keys_month AS"
                " SELECT DISTINCT date_trunc('month', key)::DATE AS key FROM _inc_keys_day")


def _run_keys(con: duckdb.DuckDBPyConnection, runs) -> None:
    """_inc_keys_run: the runs the statements that follow work on."""
    con.execute("CREATE OR REPLACE TEMP TABLE _inc_keys_run AS SELECT unnest(?::VARCHAR[]) AS key", [list(runs)])


@contextmanager
def _shadowed(con: duckdb.DuckDBPyConnection, shadows: list[tuple[str, str]]) -> Iterator[None]:
    """Each (relation, rows) as a TEMP view of that name while the block runs: temp objects live in
    catalog temp, schema main, so unqualified names in the model SQL read the rows that matter, and only
    catalog.main.name reaches the real table."""
    for big, rows in shadows:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {big} AS {rows}")
    try:
        yield
    finally:
        for big, _ in shadows:
            con.execute(f"DROP VIEW IF EXISTS temp.{big}")


def _grain_shadows(db: str, grain: str) -> list[tuple[str, str]]:
    """What a recomputation at this grain reads: the big relations cut to the affected keys (SHADOW)."""
    return [(big, f"SELECT * FROM {db}.main.{big} WHERE {condition}") for big, condition in SHADOW[grain]]


def refresh(con: duckdb.DuckDBPyConnection, text: str, how: How) -> None:
    """Bring one model up to date with the new runs, reading only the rows that matter."""
    name, select = _parts(text)
    db = _database(con)
    target = f"{db}.main.{name}"
    shadows = [(big, f"SELECT * FROM temp.main.{rows}") for big, rows in NEW_ROWS] if how.merges \
        else _grain_shadows(db, how.grain)
    with _shadowed(con, shadows):
        if how.merges:
            _add(con, target, select, how)
        elif how.grain == "run":  # the new rows, kept for the models after this one (NEW_ROWS)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _inc_new_{name} AS {select}")
            if not how.deferred:
                replace_keys(con, target, f"_inc_new_{name}", how.column, how.grain)
        else:
            replace_keys(con, target, f"({select}) AS fresh", how.column, how.grain)


def _parts(text: str) -> tuple[str, str]:
    """A table model's name and its SELECT."""
    match = _CREATE.search(text)
    return match.group(1), text[match.end():].strip().rstrip(";")


def _database(con: duckdb.DuckDBPyConnection) -> str:
    return '"' + con.execute("SELECT current_database()").fetchone()[0].replace('"', '""') + '"'


def append_deferred(con: duckdb.DuckDBPyConnection, models: list[str], when) -> list[str]:
    """After the marts are published: append to each deferred per-request table (the priced ledger) the
    runs the models hold but it does not — the new runs' rows kept in memory by refresh, and any run an
    earlier build published without appending (it crashed in between), priced again now.  One
    transaction; returns the runs appended."""
    pending = [r for (r,) in con.execute("SELECT run_id FROM model_built_runs WHERE run_id NOT IN"
                                         " (SELECT run_id FROM ledger_built_runs) ORDER BY 1").fetchall()]
    if not pending:
        return []
    db = _database(con)
    con.execute("BEGIN TRANSACTION")
    try:
        for text in models:
            name, select = _parts(text)
            kept, target = f"temp.main._inc_new_{name}", f"{db}.main.{name}"
            if not table_exists(con, f"_inc_new_{name}", "temp"):  # no new runs this build
                con.execute(f"CREATE TEMP TABLE _inc_new_{name} AS SELECT * FROM {target} LIMIT 0")
            held = {r for (r,) in con.execute(f"SELECT DISTINCT run_id FROM {kept}").fetchall()}
            stale = [r for r in pending if r not in held]
            if stale:  # published by an earlier build that did not get this far
                _run_keys(con, stale)
                with _shadowed(con, _grain_shadows(db, "run")), timed(f"ledger/{name}/reprice"):
                    con.execute(f"INSERT INTO {kept} BY NAME {select}")
            _run_keys(con, pending)
            with timed(f"ledger/{name}/replace"):
                replace_keys(con, target, kept, "run_id", "run")
        con.execute("INSERT OR IGNORE INTO ledger_built_runs SELECT key, ? FROM _inc_keys_run", [when])
        with timed("ledger/commit"):
            con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return pending


def forget_new_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the new runs' rows kept in memory for the build."""
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'temp'"
                               " AND starts_with(table_name, '_inc_new_')").fetchall():
        con.execute(f'DROP TABLE temp.main."{name}"')


def _add(con: duckdb.DuckDBPyConnection, target: str, select: str, how: How) -> None:
    """Merge the new rows' aggregate into the affected keys' existing rows (grouped by the other columns)."""
    columns = con.execute(f"DESCRIBE {target}").fetchall()
    merges = how.merges
    if missing := sorted(set(merges) - {c[0] for c in columns}):
        raise ValueError(f"{target}: merged columns {missing} are not in the table")
    keys = [f'"{c[0]}"' for c in columns if c[0] not in merges]
    merged = [f'{merges[c[0]]}("{c[0]}")::{c[1]} AS "{c[0]}"' for c in columns if c[0] in merges]
    where = f"{KEY_EXPR[how.grain].format(col=how.column)} IN (SELECT key FROM _inc_keys_{how.grain})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _inc_delta AS {select}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _inc_merged AS
        SELECT {', '.join(keys)}, {', '.join(merged)}
        FROM (SELECT * FROM {target} WHERE {where} UNION ALL BY NAME SELECT * FROM _inc_delta)
        GROUP BY {', '.join(keys)}""")
    replace_keys(con, target, "_inc_merged", how.column, how.grain)
    con.execute("DROP TABLE _inc_delta; DROP TABLE _inc_merged")


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
    if p.full:  # the ledger was rebuilt whole with the rest
        for table in ("model_built_runs", "ledger_built_runs"):
            con.execute(f"INSERT OR IGNORE INTO {table} SELECT DISTINCT run_id, ? FROM ingest_runs"
                        " WHERE status = 'loaded'", [when])
    else:
        con.execute("INSERT OR IGNORE INTO model_built_runs SELECT key, ? FROM _inc_keys_run", [when])

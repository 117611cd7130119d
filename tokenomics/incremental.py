"""Incremental model builds: after an ingest, refresh only what the new runs touched.

The priced ledger (int_request_costs) is a view: a build prices requests batch by batch into memory
(_inc_new_int_request_costs; a batch is a span of whole days, ≤ TOKENOMICS_BUILD_BATCH_ROWS requests) and
the models that sum over requests aggregate each batch and add it to their rows; the per-request rows are
never written.  A full build is the same loop over every request; an incremental one over the new runs'.

A model opts in with a header line `-- incremental: <column> by <grain>[, summing <cols>][; min <cols>][; max <cols>]`:
  run   — rows of the new ingest runs are recomputed (run_id-keyed tables);
  day   — rows whose <column>::DATE is a day the new runs have facts on are deleted and recomputed;
  month — the same for whole months (date_trunc('month', <column>)).
  summing — the model is a plain sum/count over priced requests: each batch is aggregated and added to the
          batch's days' rows (grouped by every other column); `; min <cols>` and `; max <cols>` name columns
          kept at their least/greatest instead (first/last seen).  Requests are append-only (a re-sent
          request is a duplicate, never an update), so adding is exact, and the work scales with the new
          rows, not with how busy the affected days already were.
Everything else is rebuilt whole: views, and tables computed from small inputs or across days
(anomalies, budgets, GPU hours).  While a keyed model is recomputed, the big relations it reads are
shadowed by TEMP views of the new runs' rows or affected days, so the work scales with the new data, not
the warehouse; the key filter on the output keeps it exact.

Any change to the model SQL, to the SQL macros they call (sql/macros) or to reference data (rate cards,
discounts, GPU rates, deployments, settings, budgets, vendor usage/costs) changes the fingerprint and
forces a full build, because those re-price history.  tests/test_incremental.py proves incremental == full,
table by table."""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import duckdb

from tokenomics.config import timed
from tokenomics.settings import settings

_COLUMNS = r"(\w+(?:\s*,\s*\w+)*)"
_ANNOTATION = re.compile(rf"^--\s*incremental:\s*(\w+)\s+by\s+(run|day|month)(?:\s*,\s*summing\s+{_COLUMNS})?"
                         rf"(?:\s*;\s*min\s+{_COLUMNS})?(?:\s*;\s*max\s+{_COLUMNS})?\s*$", re.M)
_CREATE = re.compile(r"CREATE\s+OR\s+REPLACE\s+(?:TABLE|VIEW)\s+(\w+)\s+AS\s", re.I)
_VIEW = re.compile(r"CREATE\s+OR\s+REPLACE\s+VIEW\s", re.I)
KEY_EXPR = {"day": "{col}::DATE", "month": "date_trunc('month', {col})::DATE", "run": "{col}"}
# the key filter, with the keys' bounds on the column itself first: DuckDB prunes row groups by a column's
# min/max, which a cast such as hour::DATE hides (a full scan of an hourly mart per merge and per patch)
KEY_FILTER = {"day": "{col} >= (SELECT min(key) FROM {keys}) AND {col} < (SELECT max(key) + 1 FROM {keys})"
                     " AND {expr} IN (SELECT key FROM {keys})",
              "month": "{col} >= (SELECT min(key) FROM {keys}) AND {col} < (SELECT max(key) + INTERVAL 1 MONTH"
                       " FROM {keys}) AND {expr} IN (SELECT key FROM {keys})",
              "run": "{expr} IN (SELECT key FROM {keys})"}


def key_filter(grain: str, column: str, keys: str | None = None) -> str:
    """Rows of `column` whose key at this grain is in the keys table (default: the grain's own key set)."""
    return KEY_FILTER[grain].format(col=column, expr=KEY_EXPR[grain].format(col=column), keys=keys or f"_inc_keys_{grain}")
# what each grain's recomputation reads, shadowed by the rows that matter
SHADOW = {"run": (("raw_requests", "run_id"), ("raw_gpu_samples", "run_id")),
          # a day's rows read only that day's rows: every day-keyed input is cut to the affected days (the
          # ledger never is: only summing models read it, batch by batch — see stages)
          "day": (("int_request_meters", "day"), ("int_gpu_hourly", "hour"), ("int_self_hosted_hourly", "hour"),
                  ("int_gpu_allocation_hourly", "hour")),
          "month": ()}
# The priced ledger: a view over the requests, priced batch by batch into this temp table while a build runs;
# what every summing model aggregates (they read the ledger's name, shadowed by the batch)
LEDGER, BATCH_ROWS = "int_request_costs", "_inc_new_int_request_costs"
# requests per batch: a batch's priced rows are held in memory (spilling beyond the build's memory cap)


@dataclass(frozen=True)
class How:
    """A model's incremental annotation: key column, grain, and how a merging model combines new rows
    with old: the columns it adds, and those it keeps the least or greatest of (first/last seen)."""

    column: str
    grain: str
    sums: tuple[str, ...] = ()
    mins: tuple[str, ...] = ()
    maxes: tuple[str, ...] = ()

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

    return How(match.group(1), match.group(2), *(columns(match.group(i)) for i in (3, 4, 5)))


NOT_REFERENCE = ("fact", "bookkeeping", "engine")  # table comments (migration 019) of what is not reference data


def reference_tables(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Reference data, found from the model graph: the tables the models read that no model builds, minus those
    whose comment declares them facts (built incrementally), bookkeeping or the engine's own.  A change to one
    re-prices history (a full build); a new reference table is picked up without touching this code."""
    from tokenomics.models import external_tables

    declared = {name for name, comment in con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'"
        " AND database_name = current_database()").fetchall()
        if comment and comment.split(":", 1)[0].strip() in NOT_REFERENCE}
    return tuple(sorted(external_tables() - declared))


def fingerprint(con: duckdb.DuckDBPyConnection, model_paths: list[Path]) -> str:
    """What the built models are a function of: their SQL, the SQL macros they call (sql/macros: the
    pricing rules — editing one re-prices history), and the reference data."""
    from tokenomics.models import macro_files

    digest = hashlib.sha256()
    for path in [*model_paths, *macro_files()]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for table in reference_tables(con):
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
    return [(big, f"SELECT * FROM {db}.main.{big} WHERE {key_filter(grain, column)}") for big, column in SHADOW[grain]]


def refresh(con: duckdb.DuckDBPyConnection, text: str, how: How) -> None:
    """Bring one keyed model (not a summing one: see merge) up to date, reading only the rows that matter."""
    name, select = _parts(text)
    db = _database(con)
    target = f"{db}.main.{name}"
    with _shadowed(con, _grain_shadows(db, how.grain)):
        replace_keys(con, target, f"({select}) AS fresh", how.column, how.grain)


@dataclass(frozen=True)
class Model:
    """One model file of the build: its relation name, SQL and incremental annotation (None: rebuilt whole)."""

    layer: str
    path: Path
    text: str
    how: How | None

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class Stages:
    """The build's three steps: models that do not depend on a summing model (before), the summing models
    (fed batch by batch), and the models downstream of them (after); each in build order."""

    before: list[Model]
    summing: list[Model]
    after: list[Model]


def stages(paths: list[tuple[str, Path]]) -> Stages:
    """Split the build order (dependencies found by name: warehouse.references) into the three steps;
    a summing model that reads another summing model or anything downstream of one could not be fed batch by
    batch, nor one that does not read the ledger (adding it up per batch would count it again)."""
    from tokenomics.models import references

    models = [Model(layer, path, text, annotation(text)) for layer, path in paths for text in [path.read_text()]]
    reads = references({m.name: m.text for m in models})

    def upstream(name: str, seen: frozenset = frozenset()) -> set[str]:
        direct = reads[name] - seen
        return direct.union(*(upstream(d, seen | direct | {name}) for d in direct)) if direct else set()

    summing = {m.name for m in models if m.how and m.how.merges}
    closure = {m.name: upstream(m.name) for m in models}
    for name in sorted(summing):
        if LEDGER not in closure[name] or closure[name] & summing:
            raise ValueError(f"{name}: a summing model must read {LEDGER} and no other summing model")
    downstream = {m.name for m in models if closure[m.name] & summing}
    if bad := sorted(n for n in summing if closure[n] & downstream):
        raise ValueError(f"{bad}: a summing model cannot read a model built after the summing models")
    views = {m.name for m in models if _VIEW.search(m.text)}

    def prices(name: str) -> bool:  # reads the ledger itself, or through views: would price every request
        return any(r == LEDGER or (r in views and prices(r)) for r in reads[name])

    if bad := sorted(m.name for m in models if m.name not in summing | views and prices(m.name)):
        raise ValueError(f"{bad}: only summing models (and views) may read {LEDGER}; a table reading it would "
                         "price every request on every build")
    return Stages([m for m in models if m.name not in summing | downstream],
                  [m for m in models if m.name in summing], [m for m in models if m.name in downstream])


def spans(con: duckdb.DuckDBPyConnection, p: Plan) -> list[tuple[date, date] | None]:
    """The batches to price — all requests (full) or the new runs' — as [first day, day after the last) spans
    of whole UTC days holding ≤ TOKENOMICS_BUILD_BATCH_ROWS requests each (a busier day is a batch of its
    own), so the priced rows in memory stay bounded however many requests a build prices.  None: one batch of
    every row the build prices — an incremental build whose runs loaded no more than that (the run ledger
    says, without a scan).  A full build of no requests still gets one (empty) batch: the summing tables are
    created from it."""
    limit = settings().build_batch_rows
    if not p.full and con.execute("SELECT coalesce(sum(rows_loaded), 0) FROM ingest_runs"
                                  " WHERE run_id IN (SELECT key FROM _inc_keys_run)").fetchone()[0] <= limit:
        return [None]
    per_day = con.execute("SELECT start_time::DATE AS day, count(*) FROM raw_requests WHERE true" + _runs(p)
                          + " GROUP BY 1 ORDER BY 1").fetchall()
    found = day_spans(per_day, limit)
    return found or ([(date(1970, 1, 1), date(1970, 1, 1))] if p.full else [])


def price(con: duckdb.DuckDBPyConnection, ledger_text: str, p: Plan, span: tuple[date, date] | None) -> None:
    """Price one batch into BATCH_ROWS (the span's requests — None: every request the build prices — of the
    new runs unless full), with _inc_keys_batch holding the batch's days: what merge feeds the summing
    models.  The span's bounds are bound into DuckDB variables, which the shadow reads as constants: row
    groups outside them are skipped by their min/max (bounds from a table, as scalar subqueries, are not
    constants: with a run filter too, DuckDB read every run's row groups of those days, 0.65 s vs 0.01 s)."""
    _, select = _parts(ledger_text)
    rows = f"SELECT * FROM {_database(con)}.main.raw_requests WHERE true{_runs(p)}"
    if span is not None:
        # day bounds as UTC midnights (the connection's time zone), bound, never formatted into the SQL
        con.execute("SET VARIABLE tokenomics_batch_from = ?::DATE::TIMESTAMPTZ", [span[0]])
        con.execute("SET VARIABLE tokenomics_batch_to = ?::DATE::TIMESTAMPTZ", [span[1]])
        rows += (" AND start_time >= getvariable('tokenomics_batch_from')"
                 " AND start_time < getvariable('tokenomics_batch_to')")
    with _shadowed(con, [("raw_requests", rows)]), timed(f"intermediate/{LEDGER}"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {BATCH_ROWS} AS {select}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _inc_keys_batch AS SELECT DISTINCT day AS key FROM {BATCH_ROWS}")


def _runs(p: Plan) -> str:
    """The request filter of an incremental build: the new runs' rows only."""
    return "" if p.full else " AND run_id IN (SELECT key FROM _inc_keys_run)"


def forget_batch(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the batch's priced rows before its transaction commits: DuckDB keeps a table dropped or replaced
    inside a transaction until the commit (for a rollback), so batches in one transaction would pile up."""
    con.execute(f"DROP TABLE IF EXISTS temp.main.{BATCH_ROWS}")


def begin(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the models as being rebuilt: several batches commit one by one, so a build that dies before
    record() leaves marts part-fed — the cleared fingerprint makes the next build a full one."""
    con.execute("INSERT OR REPLACE INTO model_state VALUES ('fingerprint', 'building')")


def day_spans(per_day: list[tuple[date, int]], limit: int) -> list[tuple[date, date]]:
    """Consecutive days grouped into [first day, day after the last) spans of ≤ limit requests each."""
    spans: list[tuple[date, date]] = []
    start, total = None, 0
    for day, count in per_day:
        if start is not None and total + count > limit:
            spans.append((start, day))
            start, total = None, 0
        start = day if start is None else start
        total += count
    if start is not None:
        spans.append((start, per_day[-1][0] + timedelta(days=1)))
    return spans


def merge(con: duckdb.DuckDBPyConnection, model: Model, create: bool) -> None:
    """Feed one batch of priced requests to a summing model: create the table from it (a full build's first
    batch) or add its aggregate to the batch's days' rows."""
    with _shadowed(con, [(LEDGER, f"SELECT * FROM temp.main.{BATCH_ROWS}")]):
        if create:
            con.execute(model.text)
        else:
            name, select = _parts(model.text)
            _add(con, f"{_database(con)}.main.{name}", select, model.how)


def _parts(text: str) -> tuple[str, str]:
    """A model's name and its SELECT."""
    match = _CREATE.search(text)
    return match.group(1), text[match.end():].strip().rstrip(";")


def _database(con: duckdb.DuckDBPyConnection) -> str:
    return '"' + con.execute("SELECT current_database()").fetchone()[0].replace('"', '""') + '"'


def forget_build_state(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what the build kept in memory: the last batch's priced rows and days, and the key sets."""
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'temp'"
                               " AND starts_with(table_name, '_inc_')").fetchall():
        con.execute(f'DROP TABLE temp.main."{name}"')


def _add(con: duckdb.DuckDBPyConnection, target: str, select: str, how: How) -> None:
    """Merge the new rows' aggregate into the affected keys' existing rows (grouped by the other columns)."""
    columns = con.execute(f"DESCRIBE {target}").fetchall()
    merges = how.merges
    if missing := sorted(set(merges) - {c[0] for c in columns}):
        raise ValueError(f"{target}: merged columns {missing} are not in the table")
    keys = [f'"{c[0]}"' for c in columns if c[0] not in merges]
    merged = [f'{merges[c[0]]}("{c[0]}")::{c[1]} AS "{c[0]}"' for c in columns if c[0] in merges]
    where = key_filter(how.grain, how.column, "_inc_keys_batch")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _inc_delta AS {select}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _inc_merged AS
        SELECT {', '.join(keys)}, {', '.join(merged)}
        FROM (SELECT * FROM {target} WHERE {where} UNION ALL BY NAME SELECT * FROM _inc_delta)
        GROUP BY {', '.join(keys)}""")
    replace_keys(con, target, "_inc_merged", how.column, how.grain, "_inc_keys_batch")
    con.execute("DROP TABLE _inc_delta; DROP TABLE _inc_merged")


def replace_keys(con: duckdb.DuckDBPyConnection, target: str, rows: str, column: str, grain: str,
                 keys: str | None = None) -> None:
    """In target, swap the affected keys' rows (default: the grain's, _inc_keys_<grain>) for those of rows (a
    relation or subquery): the one delete-then-insert the model refresh, the merge and the snapshot patch use."""
    where = key_filter(grain, column, keys)
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

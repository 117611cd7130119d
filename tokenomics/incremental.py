"""Incremental model builds: after an ingest, refresh only what the new runs touched.

The priced ledger (the model whose header says `-- ledger: <fact> by <time column>`) is a view: a build prices requests batch by batch into memory
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

Each model has a fingerprint (model_fingerprints): its SQL, the SQL macros (sql/macros: the pricing rules),
the fingerprints of the models it reads and the digests of the reference tables it reads; the build compares
them with the last build's (model_state 'model:<name>').  A model whose SQL or undated inputs changed is
rebuilt whole, with everything downstream (its fingerprint moves too) — all of history only when that is the
ledger or a summing model, or a macro (every model).  A change to an effective-dated reference table (its
comment says 'effective from <column>': rate cards, contract discounts, GPU rates) re-prices from the earliest
validity start among the rows added or removed since the last build (model_reference_rows): every keyed model
recomputes the days from then on, and the summing models drop those days and are fed the requests from then
on again.  tests/test_incremental.py and tests/test_partial_builds.py prove each path equals a full rebuild,
table by table."""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import Iterator

import duckdb

from tokenomics.config import timed
from tokenomics.models import code_digest, external_tables, macro_files, reads, references
from tokenomics.settings import settings
from tokenomics.sqlscript import run_script

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
# The ledger prices its fact batch by batch (whole days of the fact's time column) into this temp table
BATCH_ROWS = "_inc_new_ledger"
# A model says what the engine needs to know of it in header lines (never a list of model names here):
#   -- ledger: <fact> by <time column>  the priced per-row view of that fact the summing models add up, batch
#                                        by batch (exactly one)
#   -- shadow: <column> by day  a model refreshed by day reads only the affected days of this relation
_LEDGER = re.compile(r"^--\s*ledger:", re.M)
_LEDGER_FACT = re.compile(r"^--\s*ledger:\s*(\w+)\s+by\s+(\w+)", re.M)
_SHADOW = re.compile(r"^--\s*shadow:\s*(\w+)\s+by\s+day\s*$", re.M)


def is_ledger(text: str) -> bool:
    """Whether a model's SQL declares it the ledger ('-- ledger: <fact> by <time column>' header)."""
    return bool(_LEDGER.search(text))


def ledger_fact(ledger: Model) -> tuple[str, str]:
    """The fact table the ledger prices and the time column its batches are cut by (its header)."""
    found = _LEDGER_FACT.search(ledger.text)
    if not found:
        raise ValueError(f"{ledger.name}: the ledger header must say what it prices: '-- ledger: <fact> by <time column>'")
    return found[1], found[2]


# a model refreshed by run reads only the new runs' rows of the facts (tables whose comment says 'fact:')
RUN_COLUMN = "run_id"


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
    """What a build will do: full, or incremental for these runs (and the days/months they touch); in an
    incremental build, models whose SQL or undated inputs changed are rebuilt whole (``rebuild``), and when
    effective-dated reference rows changed, every keyed model recomputes the days from ``reprice_from`` on
    (``reprice_ledger``: the requests from then on are priced again and the summing models re-fed)."""

    full: bool
    fingerprint: str
    runs: tuple[str, ...]
    models: dict = field(default_factory=dict)        # per model: (fingerprint, fingerprint of undated inputs)
    references: dict = field(default_factory=dict)    # per reference table: its digest, as the plan saw it
    rebuild: frozenset[str] = frozenset()
    reprice_from: date | None = None
    reprice_ledger: bool = False
    changed_references: frozenset[str] = frozenset()
    shadows: dict = field(default_factory=dict)       # grain -> ((relation, key column), …) cut to the keys

    @property
    def label(self) -> str:
        """What model_state's last_build says: full or incremental, and what was re-priced or rebuilt."""
        if self.full:
            return "full"
        extra = [f"repriced from {self.reprice_from}"] if self.reprice_from else []
        extra += [f"rebuilt {', '.join(sorted(self.rebuild))}"] if self.rebuild else []
        return "incremental" + (f" ({'; '.join(extra)})" if extra else "")


def annotation(text: str) -> How | None:
    match = _ANNOTATION.search(text)
    if not match:
        return None

    def columns(group: str | None) -> tuple[str, ...]:
        return tuple(c.strip() for c in group.split(",")) if group else ()

    return How(match.group(1), match.group(2), *(columns(match.group(i)) for i in (3, 4, 5)))


NOT_REFERENCE = ("fact", "bookkeeping", "engine")  # table comments (migration 019) of what is not reference data
_EFFECTIVE = re.compile(r"effective from (\w+)")    # a reference table's comment naming its validity start column


def _comments(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {name: comment or "" for name, comment in con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'"
        " AND database_name = current_database()").fetchall()}


def reference_tables(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Reference data, found from the model graph: the tables the models read that no model builds, minus those
    whose comment declares them facts (built incrementally), bookkeeping or the engine's own.  A change to one
    re-computes what reads it; a new reference table is picked up without touching this code."""
    comments = _comments(con)
    declared = {n for n, c in comments.items() if c.split(":", 1)[0].strip() in NOT_REFERENCE}
    return tuple(sorted(external_tables() - declared))


def effective_columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Effective-dated reference tables (comment 'reference, effective from <column>: …') and that column: a row
    of one prices only what happened on or after it, so a change re-prices from there, not all history."""
    comments = _comments(con)
    return {t: m.group(1) for t in reference_tables(con) if (m := _EFFECTIVE.search(comments.get(t, "")))}


def run_keyed_facts(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The facts (comment 'fact: …') that carry the ingest run of each row: what a run-keyed refresh cuts."""
    facts = {n for n, c in _comments(con).items() if c.split(":", 1)[0].strip() == "fact"}
    with_run = {t for (t,) in con.execute("SELECT table_name FROM duckdb_columns() WHERE column_name = ?"
                                          " AND schema_name = 'main' AND database_name = current_database()",
                                          [RUN_COLUMN]).fetchall()}
    return tuple(sorted(facts & with_run))


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    count, total = con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t").fetchone()
    return f"{table}:{count}:{total}"


def model_fingerprints(con: duckdb.DuckDBPyConnection, texts: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Per model (in build order): (fingerprint, fingerprint without effective-dated reference data), and the
    reference tables' digests.  A model's fingerprint covers its SQL, the SQL macros (sql/macros: the pricing
    rules), the fingerprints of the models it reads and the digests of the reference tables it reads: it
    changes exactly when the model's rows can."""
    macros = b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in macro_files())
    digests = {t: table_digest(con, t) for t in reference_tables(con)}
    dated = effective_columns(con)
    direct = reads(texts)
    out: dict[str, tuple[str, str]] = {}

    def one(name: str) -> tuple[str, str]:
        if name not in out:
            code = hashlib.sha256(texts[name].encode() + b"\0" + macros).hexdigest()
            models = [one(r) for r in sorted(direct[name]) if r in texts and r != name]
            tables = sorted(r for r in direct[name] if r in digests)
            full = [code, *(m[0] for m in models), *(digests[t] for t in tables)]
            undated = [code, *(m[1] for m in models), *(digests[t] for t in tables if t not in dated)]
            out[name] = tuple(hashlib.sha256("|".join(parts).encode()).hexdigest() for parts in (full, undated))
        return out[name]

    for name in texts:
        one(name)
    return out, digests


def _stored(con: duckdb.DuckDBPyConnection, prefix: str) -> dict[str, str]:
    return {k[len(prefix):]: v for k, v in con.execute(
        "SELECT key, value FROM model_state WHERE starts_with(key, ?)", [prefix]).fetchall()}


def reprice_start(con: duckdb.DuckDBPyConnection, tables: set[str]) -> date | None:
    """The first day a change to these effective-dated tables can re-price: the earliest validity start of a
    row added or removed since the last build (model_reference_rows).  None: no record to compare with."""
    dated, first = effective_columns(con), None
    for table in sorted(tables):
        if not con.execute("SELECT count(*) FROM model_reference_rows WHERE table_name = ?", [table]).fetchone()[0] \
                and con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
            return None
        column = dated[table]
        found = con.execute(f"""
            WITH now AS (SELECT hash(t) AS h, t."{column}"::TIMESTAMPTZ AS eff FROM {table} t),
            was AS (SELECT row_hash AS h, effective AS eff FROM model_reference_rows WHERE table_name = ?)
            SELECT min(eff) FROM ((SELECT * FROM now EXCEPT ALL SELECT * FROM was)
                                  UNION ALL (SELECT * FROM was EXCEPT ALL SELECT * FROM now))""", [table]).fetchone()[0]
        if found is not None:
            day = found.astimezone(timezone.utc).date()
            first = day if first is None else min(first, day)
    return first


def plan(con: duckdb.DuckDBPyConnection, models: list, full: bool) -> Plan:
    """Compare each model's fingerprint with the last build's: nothing changed → refresh what the new runs touch;
    only effective-dated reference rows changed → also re-price from the earliest change; a model's SQL or
    undated inputs changed → rebuild it (and what reads it) whole — all of history only if that is the ledger or
    a summing model (or the last build never finished)."""
    texts = {m.name: m.text for m in models}
    fps, digests = model_fingerprints(con, texts)
    fp = hashlib.sha256("|".join(f"{n}={f[0]}" for n, f in fps.items()).encode()).hexdigest()
    runs = tuple(r for (r,) in con.execute(
        "SELECT DISTINCT run_id FROM ingest_runs WHERE status = 'loaded' AND rows_loaded > 0"
        " AND run_id NOT IN (SELECT run_id FROM model_built_runs) ORDER BY 1").fetchall())
    shadows = {"run": tuple((t, RUN_COLUMN) for t in run_keyed_facts(con)),
               "day": tuple((m.name, c.group(1)) for m in models if (c := _SHADOW.search(m.text))), "month": ()}
    whole = Plan(full=True, fingerprint=fp, runs=runs, models=fps, references=digests, shadows=shadows)
    state = con.execute("SELECT value FROM model_state WHERE key = 'fingerprint'").fetchone()
    stored, stored_undated = _stored(con, "model:"), _stored(con, "undated:")
    missing = any(not table_exists(con, m.name) for m in models if m.how)
    if full or state is None or state[0] == "building" or not stored or missing:
        return whole
    changed = {n for n in fps if stored.get(n) != fps[n][0]}
    undated = {n for n in fps if stored_undated.get(n) != fps[n][1]}
    ledger_side = {m.name for m in models if _LEDGER.search(m.text) or (m.how and m.how.merges)}
    if undated & ledger_side:
        return whole
    stored_refs = _stored(con, "ref:")
    references = frozenset(t for t, d in digests.items() if stored_refs.get(t) != d)
    start = None
    if repriced := changed - undated:
        start = reprice_start(con, set(references) & set(effective_columns(con)))
        if start is None:
            return whole
    return Plan(full=False, fingerprint=fp, runs=runs, models=fps, references=digests, rebuild=frozenset(undated),
                reprice_from=start, reprice_ledger=bool(repriced & ledger_side), changed_references=references,
                shadows=shadows)


def table_exists(con: duckdb.DuckDBPyConnection, name: str, database: str | None = None) -> bool:
    """Whether main.<name> is a table in the database (default: the connection's own)."""
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'"
                       " AND database_name = coalesce(?, current_database())", [name, database]).fetchone()[0] > 0


def prepare(con: duckdb.DuckDBPyConnection, p: Plan) -> None:
    """The key sets of an incremental build, as temp tables the refresh statements read: the new runs, then
    the days and months they affect (sql/incremental/affected_days.sql holds which days a fact affects)."""
    _run_keys(con, p.runs)
    run_script(con, "incremental/affected_days.sql", {"reprice_from": p.reprice_from})


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


def _grain_shadows(db: str, grain: str, shadows: dict) -> list[tuple[str, str]]:
    """What a recomputation at this grain reads: the relations the plan cuts to the affected keys."""
    return [(big, f"SELECT * FROM {db}.main.{big} WHERE {key_filter(grain, column)}")
            for big, column in shadows.get(grain, ())]


def refresh(con: duckdb.DuckDBPyConnection, text: str, how: How, shadows: dict) -> None:
    """Bring one keyed model (not a summing one: see merge) up to date, reading only the rows that matter."""
    name, select = _parts(text)
    db = _database(con)
    target = f"{db}.main.{name}"
    with _shadowed(con, _grain_shadows(db, how.grain, shadows)):
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

    @property
    def ledger(self) -> Model:
        """The priced per-request view (header '-- ledger:'), built before the summing models."""
        return next(m for m in self.before if _LEDGER.search(m.text))


def stages(paths: list[tuple[str, Path]]) -> Stages:
    """Split the build order (dependencies found by name: warehouse.references) into the three steps;
    a summing model that reads another summing model or anything downstream of one could not be fed batch by
    batch, nor one that does not read the ledger (adding it up per batch would count it again)."""
    models = [Model(layer, path, text, annotation(text)) for layer, path in paths for text in [path.read_text()]]
    reads = references({m.name: m.text for m in models})

    def upstream(name: str, seen: frozenset = frozenset()) -> set[str]:
        direct = reads[name] - seen
        return direct.union(*(upstream(d, seen | direct | {name}) for d in direct)) if direct else set()

    ledgers = [m.name for m in models if _LEDGER.search(m.text)]
    if len(ledgers) != 1:
        raise ValueError(f"exactly one model must be the ledger ('-- ledger:' header), found {ledgers}")
    ledger = ledgers[0]
    ledger_fact(next(m for m in models if m.name == ledger))  # names its fact and time column, or the build stops
    summing = {m.name for m in models if m.how and m.how.merges}
    closure = {m.name: upstream(m.name) for m in models}
    for name in sorted(summing):
        if ledger not in closure[name] or closure[name] & summing:
            raise ValueError(f"{name}: a summing model must read {ledger} and no other summing model")
    downstream = {m.name for m in models if closure[m.name] & summing}
    if bad := sorted(n for n in summing if closure[n] & downstream):
        raise ValueError(f"{bad}: a summing model cannot read a model built after the summing models")
    views = {m.name for m in models if _VIEW.search(m.text)}

    def prices(name: str) -> bool:  # reads the ledger itself, or through views: would price every request
        return any(r == ledger or (r in views and prices(r)) for r in reads[name])

    if bad := sorted(m.name for m in models if m.name not in summing | views and prices(m.name)):
        raise ValueError(f"{bad}: only summing models (and views) may read {ledger}; a table reading it would "
                         "price every request on every build")
    return Stages([m for m in models if m.name not in summing | downstream],
                  [m for m in models if m.name in summing], [m for m in models if m.name in downstream])


def spans(con: duckdb.DuckDBPyConnection, ledger: Model, p: Plan) -> list[tuple[date, date] | None]:
    """The batches to price — all requests (full) or the new runs' — as [first day, day after the last) spans
    of whole UTC days holding ≤ TOKENOMICS_BUILD_BATCH_ROWS requests each (a busier day is a batch of its
    own), so the priced rows in memory stay bounded however many requests a build prices.  None: one batch of
    every row the build prices — an incremental build whose runs loaded no more than that (the run ledger
    says, without a scan).  A full build of no requests still gets one (empty) batch: the summing tables are
    created from it."""
    limit = settings().build_batch_rows
    if not p.full and not p.reprice_ledger and con.execute("SELECT coalesce(sum(rows_loaded), 0) FROM ingest_runs"
                                  " WHERE run_id IN (SELECT key FROM _inc_keys_run)").fetchone()[0] <= limit:
        return [None]
    fact, column = ledger_fact(ledger)
    per_day = con.execute(f"SELECT {column}::DATE AS day, count(*) FROM {fact} WHERE true" + _runs(p, column)
                          + " GROUP BY 1 ORDER BY 1").fetchall()
    found = day_spans(per_day, limit)
    return found or ([(date(1970, 1, 1), date(1970, 1, 1))] if p.full else [])


def price(con: duckdb.DuckDBPyConnection, ledger: Model, p: Plan, span: tuple[date, date] | None) -> None:
    """Price one batch into BATCH_ROWS (the span's requests — None: every request the build prices — of the
    new runs unless full), with _inc_keys_batch holding the batch's days: what merge feeds the summing
    models.  The span's bounds are bound into DuckDB variables, which the shadow reads as constants: row
    groups outside them are skipped by their min/max (bounds from a table, as scalar subqueries, are not
    constants: with a run filter too, DuckDB read every run's row groups of those days, 0.65 s vs 0.01 s)."""
    _, select = _parts(ledger.text)
    fact, column = ledger_fact(ledger)
    rows = f"SELECT * FROM {_database(con)}.main.{fact} WHERE true{_runs(p, column)}"
    if span is not None:
        # day bounds as UTC midnights (the connection's time zone), bound, never formatted into the SQL
        con.execute("SET VARIABLE tokenomics_batch_from = ?::DATE::TIMESTAMPTZ", [span[0]])
        con.execute("SET VARIABLE tokenomics_batch_to = ?::DATE::TIMESTAMPTZ", [span[1]])
        rows += (f" AND {column} >= getvariable('tokenomics_batch_from')"
                 f" AND {column} < getvariable('tokenomics_batch_to')")
    with _shadowed(con, [(fact, rows)]), timed(f"{ledger.layer}/{ledger.name}"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {BATCH_ROWS} AS {select}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _inc_keys_batch AS SELECT DISTINCT day AS key FROM {BATCH_ROWS}")


def _runs(p: Plan, column: str) -> str:
    """The fact filter of an incremental build: the new runs' rows, and when re-pricing every row from the
    first affected day on (column: the fact's time column)."""
    if p.full:
        return ""
    runs = "run_id IN (SELECT key FROM _inc_keys_run)"
    if p.reprice_ledger:
        return f" AND ({runs} OR {column} >= getvariable('tokenomics_reprice_from'))"
    return f" AND {runs}"


def clear_repriced(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Before a re-priced ledger feeds a summing model, drop its rows from the first affected day on: the
    batches then add every request of those days again (and only the new runs' before it)."""
    name, _ = _parts(model.text)
    con.execute(f"DELETE FROM {_database(con)}.main.{name} WHERE {model.how.column}::DATE >= "
                "getvariable('tokenomics_reprice_from')::DATE")


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


def merge(con: duckdb.DuckDBPyConnection, model: Model, create: bool, ledger: str) -> None:
    """Feed one batch of priced requests to a summing model: create the table from it (a full build's first
    batch) or add its aggregate to the batch's days' rows."""
    with _shadowed(con, [(ledger, f"SELECT * FROM temp.main.{BATCH_ROWS}")]):
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
    """Remember the fingerprints (global, per model, per reference table), the effective-dated reference rows
    the models were priced with, and which runs the models now include."""
    con.execute("INSERT OR REPLACE INTO model_state VALUES ('fingerprint', ?), ('last_build', ?), ('code', ?)",
                [p.fingerprint, f"{p.label} {when.isoformat()}", code_digest()])
    con.execute("DELETE FROM model_state WHERE starts_with(key, 'model:') OR starts_with(key, 'undated:')"
                " OR starts_with(key, 'ref:')")
    rows = [(f"{kind}:{name}", fps[i]) for name, fps in p.models.items() for i, kind in enumerate(("model", "undated"))]
    rows += [(f"ref:{t}", digest) for t, digest in p.references.items()]  # unchanged since plan(): one transaction
    con.executemany("INSERT INTO model_state VALUES (?, ?)", rows)
    con.execute("DELETE FROM model_reference_rows")
    for table, column in effective_columns(con).items():
        con.execute(f"INSERT INTO model_reference_rows SELECT ?, hash(t), t.\"{column}\"::TIMESTAMPTZ FROM {table} t",
                    [table])
    if p.full:
        con.execute("INSERT OR IGNORE INTO model_built_runs SELECT DISTINCT run_id, ? FROM ingest_runs"
                    " WHERE status = 'loaded'", [when])
    else:
        con.execute("INSERT OR IGNORE INTO model_built_runs SELECT key, ? FROM _inc_keys_run", [when])

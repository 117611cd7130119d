"""The DuckDB warehouse: versioned migrations, and the staging → intermediate → marts build."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

import tokenomics.pricing.perf  # the package itself is light: the model's modules are not imported here
from tokenomics import incremental
from tokenomics.config import db_path, job_limits, plausible_window, read_path, serving_path, sql_dir, timed
from tokenomics.incremental import How, Model, Plan, reference_tables, replace_keys, table_exists
from tokenomics.models import LAYERS, code_digest, macro_files, model_files, references  # noqa: F401  (re-exported: callers' import path)

# Model layers are built in this order; within a layer, files run in name order.
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def migrations(directory: Path | None = None) -> list[Migration]:
    """All migration files, in version order; a gap or duplicate version is a packaging bug."""
    found = []
    for path in sorted((directory or sql_dir() / "migrations").glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name must be NNN_name.sql: {path.name}")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"migration versions must be 1..N without gaps: {versions}")
    return found


def persist_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The macros also as the warehouse file's own (not TEMP): its views call them, so a plain DuckDB session on
    the file (the duckdb CLI, a notebook) can query stg_rate_cards or int_request_costs too."""
    for path in macro_files():
        con.execute(path.read_text().replace("CREATE OR REPLACE TEMP MACRO", "CREATE OR REPLACE MACRO"))


def connect(path: str | Path | None = None, *, read_only: bool = False,
            snapshot: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (creating its folder); ':memory:' gives a scratch warehouse.

    Read-only connections open the read snapshot when one has been published (see publish) — marts and
    reference data, not per-request rows; snapshot=False opens the warehouse file itself (no writer
    may hold it then).
    """
    target = str(path) if str(path) == ":memory:" else db_path(path)
    named = str(target)  # what the user calls it (not its snapshot)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        if read_only and snapshot:
            target = read_path(target)  # the published snapshot: readable while an ingest writes
    con = duckdb.connect(str(target), read_only=read_only)
    if read_only and target != ":memory:":
        try:
            require_current(con, named)
        except StaleWarehouse:
            con.close()
            raise
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    # SQL macros (sql/macros/*.sql, in name order): in_scope, and the pricing rules every model and query
    # shares — token_cost, discounts, the rate card in force (docs/cost_model.md).  TEMP: per connection.
    for path in macro_files():
        con.execute(path.read_text())
    return con


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None) -> int:
    """Apply pending migrations, each in its own transaction; returns the resulting version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    applied = current_version(con)
    for migration in migrations():
        if migration.version <= applied or (target is not None and migration.version > target):
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.path.read_text())
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [migration.version, migration.name, datetime.now(timezone.utc)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied = migration.version
    return applied


def refresh_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Tables computed in Python that models join: the what-if model's per-deployment prefill cost.

    Recomputed only when the deployments or the performance model (its code and data) changed: loading
    the model costs about a second, which an incremental build after every ingest should not pay."""
    cur = con.execute("SELECT deployment_id, gpu_type, gpu_count, model, \"precision\", engine, tensor_parallel "
                      "FROM gpu_deployments ORDER BY deployment_id")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    key = _perf_inputs_key(rows)
    stored = con.execute("SELECT value FROM model_state WHERE key = 'ref_deployment_perf'").fetchone()
    if stored and stored[0] == key and table_exists(con, "ref_deployment_perf"):
        return
    from tokenomics.pricing.perf.fleet import deployment_perf

    con.execute("DROP TABLE IF EXISTS ref_deployment_perf")
    con.execute("CREATE TABLE ref_deployment_perf (deployment_id VARCHAR, prefill_gpu_seconds_per_token DOUBLE, "
                "note VARCHAR)")
    for r in deployment_perf(rows) if rows else []:  # a few rows: one plain INSERT each is fastest in DuckDB
        con.execute("INSERT INTO ref_deployment_perf VALUES (?, ?, ?)",
                    [r["deployment_id"], r["prefill_gpu_seconds_per_token"], r["note"]])
    con.execute("INSERT OR REPLACE INTO model_state VALUES ('ref_deployment_perf', ?)", [key])


def _perf_inputs_key(rows: list[dict]) -> str:
    """What ref_deployment_perf depends on: the deployments, and the perf model's code and data files."""
    digest = hashlib.sha256(repr(rows).encode())
    perf = Path(tokenomics.pricing.perf.__file__).parent
    for path in sorted(perf.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".yaml", ".yml", ".csv"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_CREATE = re.compile(r"CREATE\s+OR\s+REPLACE\s+(TABLE|VIEW)\s+(\w+)", re.I)


def _drop_if_kind_changed(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """A model that became a view (or a table) replaces the old object of the other kind."""
    match = _CREATE.search(text)
    if not match:
        return
    kind, name = match.group(1).upper(), match.group(2)
    other = "VIEW" if kind == "TABLE" else "TABLE"
    catalog = "duckdb_views()" if other == "VIEW" else "duckdb_tables()"
    exists = con.execute(f"SELECT count(*) FROM {catalog} WHERE {'view_name' if other == 'VIEW' else 'table_name'} = ?"
                         " AND NOT internal AND schema_name = 'main'", [name]).fetchone()[0]
    if exists:
        con.execute(f'DROP {other} "{name}"')


def build_models(con: duckdb.DuckDBPyConnection, full: bool = False) -> list[str]:
    """Build staging views, intermediate tables and marts, then publish the read snapshot.

    Incremental when it can be (tokenomics.incremental): only the new ingest runs' requests are priced
    and only the days they touch are re-aggregated; full when asked, on first build, or when model SQL or
    reference data changed.  Either way requests are priced in batches the summing models add up, never
    written per request; with several batches each commits on its own (a build that dies part-way makes
    the next one full), and readers see nothing of it until the snapshot is published.  DuckDB's memory is
    capped meanwhile (TOKENOMICS_BUILD_MEMORY, default 6GB; it spills beyond that)."""
    with job_limits(con, "build"):
        return _build_models(con, full)


def _build_models(con: duckdb.DuckDBPyConnection, full: bool) -> list[str]:
    try:
        if path := _file(con):  # a publisher SIGKILLed earlier left its half-written file: gone now
            _remove_stale_temp_files(serving_path(path))
        before = state_key(con)  # what a snapshot of the warehouse as it stands would record
        con.execute("BEGIN TRANSACTION")
        # the window the models that fill in zero days and hours stay within
        con.execute("DELETE FROM build_window; INSERT INTO build_window VALUES (?, ?)", list(plausible_window()))
        persist_macros(con)
        try:
            with timed("plan"):
                refresh_reference_tables(con)
                paths = [(layer, path) for layer in LAYERS for path in model_files(layer)]
                steps = incremental.stages(paths)
                plan = incremental.plan(con, [*steps.before, *steps.summing, *steps.after], full)
                if not plan.full:
                    incremental.prepare(con, plan)
            refreshed: dict[str, incremental.How] = {}  # refreshed by key: what publish patches
            for model in steps.before:
                _build_one(con, plan, model, refreshed)
            batches = incremental.spans(con, steps.ledger, plan) if plan.full or plan.runs or plan.reprice_ledger else []
            if len(batches) > 1:  # committed with the first batch: a build that dies later makes the next full
                incremental.begin(con)
            if plan.reprice_ledger:
                for model in steps.summing:
                    incremental.clear_repriced(con, model)
            for i, span in enumerate(batches):
                if i:  # a transaction per batch: DuckDB frees what one replaced only when it commits
                    with timed("commit"):
                        con.execute("COMMIT; BEGIN TRANSACTION")
                incremental.price(con, steps.ledger, plan, span)
                for model in steps.summing:
                    with timed(f"{model.layer}/{model.name}"):
                        incremental.merge(con, model, plan.full and i == 0, steps.ledger.name)
                incremental.forget_batch(con)
            if batches and not plan.full:
                refreshed.update({m.name: m.how for m in steps.summing})
            for model in steps.after:
                _build_one(con, plan, model, refreshed)
            with timed("commit"):
                incremental.record(con, plan, datetime.now(timezone.utc))
                con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        with timed("publish"):
            # the snapshot says what it holds: current → nothing to do; the warehouse as it was before this
            # build → patch what this build refreshed; anything else (a build or publish killed part-way, a
            # full disk, a snapshot from elsewhere) → copy everything, so it never stays behind
            held = snapshot_key(con)
            if plan.full or held != state_key(con):  # a full build always rewrites it whole
                publish(con, refreshed if (held == before and not plan.full) else None, plan.changed_references)
    finally:
        incremental.forget_build_state(con)
    return [f"{m.layer}/{m.name}" for m in (*steps.before, *steps.summing, *steps.after)]


def _build_one(con: duckdb.DuckDBPyConnection, plan: Plan, model: Model, refreshed: dict[str, How]) -> None:
    """A model that is not summing: rebuilt whole (full builds, views, unannotated tables) or by key."""
    with timed(f"{model.layer}/{model.name}"):
        if plan.full or model.how is None or model.name in plan.rebuild:
            _drop_if_kind_changed(con, model.text)
            con.execute(model.text)
        elif plan.runs or plan.reprice_from:
            incremental.refresh(con, model.text, model.how, plan.shadows)
            refreshed[model.name] = model.how


# Never copied into the read snapshot: the per-request relations (too big to copy on every build; a view
# over one would scan it), and every intermediate model no query or export reads (the dashboard and
# exports read marts).  The warehouse file itself keeps them all.
_PER_REQUEST = frozenset({"raw_requests", "raw_gpu_samples", "stg_requests", "stg_gpu_samples",
                          "build_window",  # (and the build's own window: no reader needs it)
                          "alert_log"})  # (alerts sent: message texts with tenants' spend, read by `alert` only)


def not_served() -> frozenset[str]:
    """Derived from the SQL, so a new intermediate model is left out of the snapshot unless a page reads it."""
    read = "\n".join(p.read_text() for folder in ("queries", "exports") for p in (sql_dir() / folder).glob("*.sql"))
    return _PER_REQUEST | {p.stem for p in model_files("intermediate") if not re.search(rf"\b{p.stem}\b", read)}


def state_key(con: duckdb.DuckDBPyConnection) -> str:
    """What the marts are built from: the model fingerprint, the ingest runs they include and the model SQL's
    digest (its last part: what a reader compares with its own, see connect)."""
    fingerprint, runs, digest, code = con.execute(
        "SELECT (SELECT max(value) FROM model_state WHERE key = 'fingerprint'), count(*),"
        " md5(coalesce(string_agg(run_id, ',' ORDER BY run_id), '')),"
        " (SELECT max(value) FROM model_state WHERE key = 'code') FROM model_built_runs").fetchone()
    return f"{fingerprint}|{runs}|{digest}|{code}"


class StaleWarehouse(RuntimeError):
    """The tables were built from other model SQL than this version's (an upgrade without a build): its readers would
    fail on a missing column or, worse, read one that means something else."""


def _built_code(con: duckdb.DuckDBPyConnection) -> tuple[bool, str | None]:
    """(built at all, the model SQL digest it was built from) of what a read connection opened: a snapshot says it
    in its state key, a warehouse in model_state; None where the builder predates the digest."""
    try:
        row = con.execute(f"SELECT key FROM {SNAPSHOT_STATE}").fetchone()
        parts = row[0].split("|") if row and row[0] else []
        return bool(row), (parts[3] if len(parts) > 3 and parts[3] != "None" else None)
    except duckdb.CatalogException:
        pass
    try:
        found = dict(con.execute("SELECT key, value FROM model_state WHERE key IN ('fingerprint', 'code')").fetchall())
    except duckdb.CatalogException:
        return False, None
    return found.get("fingerprint") not in (None, "building"), found.get("code")


def require_current(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Refuse to read a warehouse built from other model SQL than this version's, saying what to run."""
    built, code = _built_code(con)
    if built and code != code_digest():
        raise StaleWarehouse(f"the warehouse {target} was built by another version of Tokenomics's models, so its "
                             "tables may lack what this version reads: run `tokenomics build` (it rebuilds what "
                             "changed), then retry")


SNAPSHOT_STATE = "snapshot_state"  # in the read snapshot: the state_key it was published from


def snapshot_key(con: duckdb.DuckDBPyConnection) -> str | None:
    """The state_key the read snapshot was published from; None without one (or one that predates it)."""
    path = _file(con)
    target = serving_path(path) if path else None
    if not target or not target.exists():
        return None
    try:
        snap = duckdb.connect(str(target), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = snap.execute(f"SELECT key FROM {SNAPSHOT_STATE}").fetchone()
        return row[0] if row else None
    except duckdb.CatalogException:
        return None
    finally:
        snap.close()


def _remove_stale_temp_files(target: Path) -> None:
    """Half-written snapshots of publishes that died (their process is gone) are removed."""
    for stale in target.parent.glob(f".{target.name}.tmp-*"):  # the file and DuckDB's .wal beside it
        pid = re.match(r".*\.tmp-(\d+)", stale.name)
        if pid and int(pid.group(1)) != os.getpid() and not Path(f"/proc/{pid.group(1)}").exists():
            stale.unlink(missing_ok=True)


def publish(con: duckdb.DuckDBPyConnection, refreshed: dict[str, How] | None = None,
            changed_references: frozenset[str] = frozenset()) -> Path | None:
    """Write the read snapshot — every table and view readers use, as tables — and rename it into place.

    Readers (the dashboard, exports) open the snapshot, so they keep answering while an ingest holds
    the warehouse's write lock; they switch to new data when the rename lands, never to a half-copy.
    The per-request tables stay in the warehouse only.  After an incremental build (refreshed: the
    relations refreshed by key), the previous snapshot is copied and only the refreshed keys' rows are
    replaced in it; the reference tables are kept unless ``changed_references`` names them, the
    append-only raw tables get the runs they lack, and every other relation is copied whole (they are small).
    The snapshot records the state_key it holds (SNAPSHOT_STATE), so the next build can tell it is behind."""
    path = _file(con)
    if not path:
        return None
    target = serving_path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    _remove_stale_temp_files(target)
    try:
        _write_snapshot(con, tmp, refreshed is not None and target.exists(), refreshed, target, changed_references)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed publish leaves no half-written file behind
        raise
    return target


def _write_snapshot(con, tmp: Path, patch: bool, refreshed: dict[str, How] | None, target: Path,
                    changed_references: frozenset[str] = frozenset()) -> None:
    """The snapshot's contents into tmp: a copy of the last one patched by key, or every relation copied."""
    if patch:
        with timed("publish/copy snapshot"):
            shutil.copyfile(target, tmp)
    runs = [r for (r,) in con.execute("SELECT run_id FROM model_built_runs ORDER BY 1").fetchall()]
    excluded = not_served()
    relations = [r for (r,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database()"
        " UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
        " AND database_name = current_database() ORDER BY 1").fetchall() if r not in excluded]
    # DuckDB cannot bind ATTACH's path: it is our own file name, quoted as a SQL string literal
    con.execute(f"ATTACH {_literal(str(tmp))} AS serving_snapshot")
    try:
        # after an incremental build the reference tables it did not see change: keep the snapshot's copies
        kept = {t for t in reference_tables(con)
                if patch and t not in changed_references and table_exists(con, t, "serving_snapshot")}
        for name in relations:
            if name in kept:
                continue
            with timed(f"publish/{name}"):
                if patch and name in refreshed:
                    how = refreshed[name]
                    replace_keys(con, f'serving_snapshot.main."{name}"', f'main."{name}"', how.column, how.grain)
                elif patch and name in APPENDED and table_exists(con, name, "serving_snapshot"):
                    _patch_appended(con, name, APPENDED[name])
                else:
                    con.execute(f'CREATE OR REPLACE TABLE serving_snapshot.main."{name}" AS SELECT * FROM main."{name}"')
        con.execute(f"CREATE OR REPLACE TABLE serving_snapshot.main.{SNAPSHOT_STATE} AS"
                    " SELECT ? AS key, ?::VARCHAR[] AS runs, now() AS published_at", [state_key(con), runs])
    finally:
        with timed("publish/detach"):  # DuckDB checkpoints the attached file here
            con.execute("DETACH serving_snapshot")
    with timed("publish/fsync"), open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())


# Raw tables readers see that only ever grow, run by run (key column): the quarantine keeps every rejected
# line (~1.2 kB each: 43 MB at 100M requests), which copying whole made a third of each publish
APPENDED = {"quarantine": "run_id"}


def _patch_appended(con: duckdb.DuckDBPyConnection, name: str, column: str) -> None:
    """In the snapshot, replace the rows of the runs whose row count differs from the warehouse's."""
    snap = f'serving_snapshot.main."{name}"'
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _inc_keys_appended AS
        SELECT {column} AS key
        FROM (SELECT {column}, count(*) AS n FROM main."{name}" GROUP BY 1) w
        FULL JOIN (SELECT {column}, count(*) AS n FROM {snap} GROUP BY 1) s USING ({column})
        WHERE w.n IS DISTINCT FROM s.n""")
    replace_keys(con, snap, f'main."{name}"', column, "run", "_inc_keys_appended")


def _file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse file this connection writes (None for an in-memory warehouse)."""
    return con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_warehouse(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Writable connection with the schema at the latest version."""
    con = connect(path)
    migrate(con)
    return con

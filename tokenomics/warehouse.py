"""The DuckDB warehouse: versioned migrations, and the staging → intermediate → marts build."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from tokenomics.config import db_path, sql_dir

# Model layers are built in this order; within a layer, files run in name order.
LAYERS: tuple[str, ...] = ("staging", "intermediate", "marts")
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


def connect(path: str | Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (creating its folder); ':memory:' gives a scratch warehouse."""
    target = str(path) if str(path) == ":memory:" else db_path(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
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


def model_files(layer: str) -> list[Path]:
    """SQL model files of one layer, in build order."""
    return sorted((sql_dir() / layer).glob("*.sql"))


def build_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)build every staging view, intermediate table and mart in one transaction."""
    built = []
    con.execute("BEGIN TRANSACTION")
    try:
        for layer in LAYERS:
            for path in model_files(layer):
                con.execute(path.read_text())
                built.append(f"{layer}/{path.stem}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return built


def open_warehouse(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Writable connection with the schema at the latest version."""
    con = connect(path)
    migrate(con)
    return con

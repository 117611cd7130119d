"""Given/expect helpers: build the upstream relations a model reads as in-memory tables, run the model.

given_real() makes a relation with the real relation's columns and types (from the real migrations and
model SQL on an empty warehouse) and fills only the columns a test names: a test keeps no copy of a
relation's columns, so renaming or removing a column it uses fails the test instead of testing a ghost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import duckdb

from tokenomics.config import sql_dir


def memory() -> duckdb.DuckDBPyConnection:
    from tokenomics.warehouse import connect

    return connect(":memory:")


def given(con, name: str, columns: str, rows: list[tuple]) -> None:
    """CREATE TABLE name (columns) and insert rows — the 'given' side of a model test.  For a relation of the
    warehouse (raw tables, staging, intermediate, marts) prefer given_real: no hand-declared columns."""
    con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)


def run_model(con, relative: str, **params) -> None:
    con.execute((sql_dir() / relative).read_text(), params or None)


def settings(con, decode_weight: float = 4, z: float = 3.5, min_change: float = 25) -> None:
    given_real(con, "stg_cost_settings", [{"decode_token_weight": decode_weight, "anomaly_robust_z": z,
                                           "anomaly_min_change_usd": min_change}])


@cache
def real_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every relation of an empty warehouse built the real way (migrations, then build_models: staging views,
    intermediate and mart tables): name -> ((column, type), ...) in the relation's order."""
    from tokenomics.warehouse import build_models, open_warehouse

    con = open_warehouse(":memory:")
    try:
        build_models(con)
        rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                           "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    finally:
        con.close()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        found.setdefault(table, []).append((column, kind))
    return {table: tuple(columns) for table, columns in found.items()}


def given_real(con, name: str, rows: Iterable[Mapping[str, Any]], *, replace: bool = True) -> None:
    """CREATE TABLE name with the real relation's columns and types (replace=False: add to the table made
    before) and insert rows that name only the columns the test cares about; the others are NULL."""
    known = real_columns()
    if name not in known:
        raise AssertionError(f"{name} is not a relation of the warehouse (migrations + models); use given()")
    columns = dict(known[name])
    if replace:
        body = ", ".join(f'"{c}" {kind}' for c, kind in columns.items())
        con.execute(f'CREATE OR REPLACE TABLE "{name}" ({body})')
    by_shape: dict[tuple[str, ...], list[tuple]] = {}
    for row in rows:
        if unknown := sorted(set(row) - set(columns)):
            raise AssertionError(f"{name} has no column {', '.join(unknown)} (it has: {', '.join(columns)})")
        by_shape.setdefault(tuple(row), []).append(tuple(row.values()))
    for shape, values in by_shape.items():
        names = ", ".join(f'"{c}"' for c in shape)
        marks = ", ".join("?" for _ in shape)
        con.executemany(f'INSERT INTO "{name}" ({names}) VALUES ({marks})', values)


def named(columns: str, rows: Iterable[tuple]) -> list[dict[str, Any]]:
    """Positional rows as given_real rows: named('day, tenant, spend_usd', [(d, 'acme', 1)])."""
    names = [c.strip() for c in columns.split(",")]
    out = []
    for row in rows:
        if len(row) != len(names):
            raise AssertionError(f"{len(row)} values for {len(names)} columns {names}: {row!r}")
        out.append(dict(zip(names, row)))
    return out

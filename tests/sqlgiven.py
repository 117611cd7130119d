"""Given/expect helpers: build the upstream relations a model reads as in-memory tables, run the model."""

from __future__ import annotations

import duckdb

from tokenomics.config import sql_dir


def memory() -> duckdb.DuckDBPyConnection:
    from tokenomics.warehouse import connect

    return connect(":memory:")


def given(con, name: str, columns: str, rows: list[tuple]) -> None:
    """CREATE TABLE name (columns) and insert rows — the 'given' side of a model test."""
    con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)


def run_model(con, relative: str, **params) -> None:
    con.execute((sql_dir() / relative).read_text(), params or None)


def settings(con, decode_weight: float = 4, z: float = 3.5, min_change: float = 25) -> None:
    given(con, "stg_cost_settings", "decode_token_weight DECIMAL(18,6), anomaly_robust_z DECIMAL(18,6), "
          "anomaly_min_change_usd DECIMAL(18,6)", [(decode_weight, z, min_change)])

"""The model SQL (sql/staging, intermediate, marts) in another engine's dialect, through sqlglot — for
running the same marts on Trino/Athena/Spark over the Parquet lake when one machine is not enough.

Tested both ways: every relation is transpiled DuckDB → Trino → DuckDB and the round-tripped SQL must
rebuild identical tables (tests/test_portable_sql.py).  Known sqlglot gaps are patched here, not in the
SQL: list_has_any(), should a model use it, becomes Trino's ARRAYS_OVERLAP (sqlglot 30 writes the `&&`
operator, which Trino lacks), and DuckDB's GROUP BY ALL becomes GROUP BY <positions> (sqlglot copies it through unchanged).
The models also call two DuckDB macros defined in tokenomics.warehouse.connect — token_cost() and
in_scope() — which another engine needs as SQL functions (Trino: CREATE FUNCTION with the same CASE).
Written to be portable: set-returning functions go in FROM (CROSS JOIN UNNEST), not in SELECT lists."""

from __future__ import annotations

from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ErrorLevel


MODEL_LAYERS = ("staging", "intermediate", "marts")


def _explicit_group_by_all(node: exp.Expression) -> exp.Expression:
    """DuckDB's GROUP BY ALL → GROUP BY the positions of the non-aggregate select items (Trino has no
    GROUP BY ALL shorthand; its ALL is a set quantifier)."""
    if isinstance(node, exp.Select) and isinstance(node.args.get("group"), exp.Group) and node.args["group"].args.get("all"):
        positions = [exp.Literal.number(i) for i, item in enumerate(node.expressions, start=1)
                     if not _aggregates(item)]
        node.set("group", exp.Group(expressions=positions))
    return node


def _aggregates(item: exp.Expression) -> bool:
    """True when the item contains an aggregate outside any window (an OVER() makes it a row value)."""
    for agg in item.find_all(exp.AggFunc):
        if not agg.find_ancestor(exp.Window):
            return True
    return False


class TokenomicsTrino(Trino):
    """Trino, with the fixes the model SQL needs."""

    class Parser(Trino.Parser):
        FUNCTIONS = {**Trino.Parser.FUNCTIONS,
                     "ARRAYS_OVERLAP": lambda args: exp.ArrayOverlaps(this=args[0], expression=args[1])}

    class Generator(Trino.Generator):
        TRANSFORMS = {**Trino.Generator.TRANSFORMS,
                      exp.ArrayOverlaps: lambda self, e: self.func("ARRAYS_OVERLAP", e.this, e.expression)}


DIALECTS = {"trino": TokenomicsTrino, "duckdb": "duckdb"}


def transpile(sql: str, dialect: str, read: str = "duckdb") -> str:
    """One statement in another dialect; anything sqlglot cannot express raises instead of guessing."""
    tree = sqlglot.parse_one(sql, read=DIALECTS.get(read, read))
    if dialect != "duckdb":
        tree = tree.transform(_explicit_group_by_all)
    return tree.sql(dialect=DIALECTS.get(dialect, dialect), unsupported_level=ErrorLevel.RAISE, pretty=True)


def model_sql(dialect: str) -> dict[str, str]:
    """relation name → its model SQL in the dialect, in build order."""
    from tokenomics.warehouse import model_files

    return {path.stem: transpile(Path(path).read_text(), dialect)
            for layer in MODEL_LAYERS for path in model_files(layer)}

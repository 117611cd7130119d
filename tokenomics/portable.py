"""The model SQL (sql/staging, intermediate, marts) in another engine's dialect, through sqlglot — for
running the same marts on Trino/Athena/Spark over the Parquet lake when one machine is not enough.

Tested both ways: every relation is transpiled DuckDB → Trino → DuckDB and the round-tripped SQL must
rebuild identical tables (tests/test_portable_sql.py).  Known sqlglot gaps are patched here, not in the
SQL: list_has_any(), should a model use it, becomes Trino's ARRAYS_OVERLAP (sqlglot 30 writes the `&&`
operator, which Trino lacks), DuckDB's GROUP BY ALL becomes GROUP BY <positions> (sqlglot copies it through unchanged),
and DuckDB's integer division a // b becomes (a - MOD(a, b)) / b, exact (sqlglot goes through a DOUBLE).
The models call the SQL macros of sql/macros (token_cost, in_force, in_tier, net_of_discount, …), which
tokenomics.warehouse.connect defines on every DuckDB connection; another engine has none, so they are
inlined here: each call is replaced by the macro's body with the arguments substituted (as DuckDB itself
expands them), before the SQL is written in the other dialect.
Written to be portable: set-returning functions go in FROM (CROSS JOIN UNNEST), not in SELECT lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
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


def _exact_int_div(node: exp.IntDiv) -> exp.Expression:
    """DuckDB's a // b (integer division, toward zero) as (a - MOD(a, b)) / b: exact in Trino for BIGINT and
    DECIMAL(38, 0) alike (sqlglot 30 writes CAST(TRUNCATE(CAST(a AS DOUBLE) / b) AS BIGINT): a double past 2^53)."""
    a, b = node.this, node.expression
    return exp.Div(this=exp.Paren(this=exp.Sub(this=a.copy(), expression=exp.Mod(this=a.copy(), expression=b.copy()))),
                   expression=b.copy(), typed=True)


def _read_hugeint(node: exp.Expression) -> exp.Expression:
    """Back from Trino: DECIMAL(38, 0), as the generator writes HUGEINT (no model declares it), to HUGEINT —
    DuckDB divides a DECIMAL by // as a DOUBLE."""
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.DECIMAL \
            and [e.sql() for e in node.expressions] == ["38", "0"]:
        return exp.DataType.build("HUGEINT", dialect="duckdb")
    return node


def _read_int_div(node: exp.Expression) -> exp.Expression:
    """Back from Trino: (a - MOD(a, b)) / b, as _exact_int_div writes it, to an integer division (DuckDB's //,
    not /)."""
    if isinstance(node, exp.Div) and isinstance(node.this, exp.Paren) and isinstance(node.this.this, exp.Sub):
        sub = node.this.this
        if isinstance(sub.expression, exp.Mod) and sub.expression.this == sub.this \
                and sub.expression.expression == node.expression:
            return exp.IntDiv(this=sub.this.copy(), expression=node.expression.copy())
    return node


class TokenomicsTrino(Trino):
    """Trino, with the fixes the model SQL needs."""

    class Parser(Trino.Parser):
        FUNCTIONS = {**Trino.Parser.FUNCTIONS,
                     "ARRAYS_OVERLAP": lambda args: exp.ArrayOverlaps(this=args[0], expression=args[1])}

    class Generator(Trino.Generator):
        TRANSFORMS = {**Trino.Generator.TRANSFORMS,
                      exp.ArrayOverlaps: lambda self, e: self.func("ARRAYS_OVERLAP", e.this, e.expression),
                      exp.IntDiv: lambda self, e: self.sql(_exact_int_div(e))}
        # DuckDB's HUGEINT (token_cost's 128-bit products): Trino has no 128-bit integer; DECIMAL(38, 0) is exact
        TYPE_MAPPING = {**Trino.Generator.TYPE_MAPPING, exp.DataType.Type.INT128: "DECIMAL(38, 0)"}


DIALECTS = {"trino": TokenomicsTrino, "duckdb": "duckdb"}


@dataclass(frozen=True)
class Macro:
    """A scalar SQL macro of sql/macros: its parameters and body (DuckDB SQL)."""

    name: str
    params: tuple[str, ...]
    body: exp.Expression


_MACRO = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+(.+?);",
                    re.I | re.S)


def macros() -> dict[str, Macro]:
    """name → macro, from the files connect() loads."""
    from tokenomics.warehouse import macro_files

    return _parse_macros(tuple((p.name, p.read_text()) for p in macro_files()))


@lru_cache(maxsize=8)
def _parse_macros(files: tuple[tuple[str, str], ...]) -> dict[str, Macro]:
    found = {}
    for _, text in files:
        code = re.sub(r"--[^\n]*", "", text)
        for name, params, body in _MACRO.findall(code):
            if re.match(r"\s*TABLE\b", body, re.I):
                raise ValueError(f"table macro {name}: only scalar macros can be inlined")
            found[name.lower()] = Macro(name.lower(), tuple(p.strip().lower() for p in params.split(",") if p.strip()),
                                        sqlglot.parse_one(body, read="duckdb"))
    return found


# arguments substituted as they are; anything else (a + b, x AND y, …) goes in parentheses
_ATOMS = (exp.Column, exp.Literal, exp.Paren, exp.Func, exp.Placeholder, exp.Parameter, exp.Null, exp.Boolean)


def inline_macros(tree: exp.Expression, defined: dict[str, Macro]) -> exp.Expression:
    """Every call of a macro replaced by its body, arguments substituted (parenthesised), recursively."""
    def expand(node: exp.Expression) -> exp.Expression:
        macro = defined.get(node.name.lower()) if isinstance(node, exp.Anonymous) else None
        if macro is None:
            return node
        args = node.expressions
        if len(args) != len(macro.params):
            raise ValueError(f"{macro.name}() takes {len(macro.params)} arguments, got {len(args)}")
        bound = dict(zip(macro.params, args))

        def substitute(inner: exp.Expression) -> exp.Expression:
            if isinstance(inner, exp.Column) and not inner.table and inner.name.lower() in bound:
                arg = bound[inner.name.lower()].copy()
                return arg if isinstance(arg, _ATOMS) else exp.Paren(this=arg)
            return inner

        return inline_macros(macro.body.copy().transform(substitute), defined)

    return tree.transform(expand)


def transpile(sql: str, dialect: str, read: str = "duckdb") -> str:
    """One statement in another dialect; anything sqlglot cannot express raises instead of guessing.
    Written for another engine, the SQL macros (sql/macros) are inlined: that engine has none."""
    tree = sqlglot.parse_one(sql, read=DIALECTS.get(read, read))
    if read == "trino":
        tree = tree.transform(_read_hugeint).transform(_read_int_div)
    if dialect != "duckdb":
        tree = inline_macros(tree, macros())
        tree = tree.transform(_explicit_group_by_all)
    return tree.sql(dialect=DIALECTS.get(dialect, dialect), unsupported_level=ErrorLevel.RAISE, pretty=True)


def model_sql(dialect: str) -> dict[str, str]:
    """relation name → its model SQL in the dialect, in build order."""
    from tokenomics.warehouse import model_files

    return {path.stem: transpile(Path(path).read_text(), dialect)
            for layer in MODEL_LAYERS for path in model_files(layer)}

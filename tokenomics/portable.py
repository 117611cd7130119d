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
from sqlglot.dialects.spark import Spark
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ErrorLevel

from tokenomics.incremental import is_ledger
from tokenomics.models import macro_files, model_files


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


_MEDIAN_SORTED = "ARRAY_SORT(FILTER({a}, median_x -> median_x IS NOT NULL))"


def _spark_median(arr: exp.Expression) -> exp.Expression:
    """DuckDB's list_aggregate(l, 'median') (quantile_cont 0.5, NULLs ignored, lo + (hi − lo) × 0.5 — the same
    bits as DuckDB's interpolation) from the sorted array; Spark has no array median.  The sorted array is bound
    once, as the variable of a lambda over a one-element array (written out at each use, a median of medians
    grows quadratically)."""
    s = "median_s"
    body = (f"CASE WHEN SIZE({s}) = 0 THEN NULL WHEN SIZE({s}) % 2 = 1 THEN ELEMENT_AT({s}, CAST((SIZE({s}) + 1) / 2 AS INT))"
            f" ELSE ELEMENT_AT({s}, CAST(SIZE({s}) / 2 AS INT)) + (ELEMENT_AT({s}, CAST(SIZE({s}) / 2 AS INT) + 1)"
            f" - ELEMENT_AT({s}, CAST(SIZE({s}) / 2 AS INT))) * 0.5 END")
    sorted_ = _MEDIAN_SORTED.format(a=arr.transform(_spark_rewrite).sql(dialect=TokenomicsSpark))
    return sqlglot.parse_one(f"ELEMENT_AT(TRANSFORM(ARRAY({sorted_}), {s} -> {body}), 1)", read="spark")


def _glob_like(pattern: exp.Expression) -> exp.Expression:
    """A GLOB pattern as the LIKE pattern (escape '\\') that matches the same strings: * → %, ? → _, and a literal
    \\, % or _ escaped.  Exact for patterns without a [...] class, which _spark_glob refuses at run time."""
    like = pattern
    for old, new in (("\\", "\\\\"), ("%", "\\%"), ("_", "\\_"), ("*", "%"), ("?", "_")):
        like = exp.Anonymous(this="REPLACE", expressions=[like, exp.Literal.string(old), exp.Literal.string(new)])
    return like


def _spark_glob(node: exp.Glob) -> exp.Expression:
    """value GLOB pattern (DuckDB) → value LIKE <translated pattern>: exact for *, ? and literal characters; a
    pattern with a [...] class raises (raise_error) instead of matching differently."""
    value, pattern = node.this, node.expression
    if isinstance(pattern, exp.Literal):
        if "[" in pattern.this:
            raise ValueError(f"GLOB pattern {pattern.this!r}: character classes have no exact LIKE spelling")
        like = pattern.this.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%").replace("?", "_")
        return exp.Like(this=value.copy(), expression=exp.Literal.string(like))
    guard = exp.GT(this=exp.Anonymous(this="INSTR", expressions=[pattern.copy(), exp.Literal.string("[")]),
                   expression=exp.Literal.number(0))
    error = exp.Anonymous(this="RAISE_ERROR", expressions=[exp.Literal.string(
        "contract model_pattern with a [...] class: no exact LIKE spelling in Spark (tokenomics.portable)")])
    return exp.Case(ifs=[exp.If(this=guard, true=exp.Cast(this=error, to=exp.DataType.build("BOOLEAN")))],
                    default=exp.Like(this=value.copy(), expression=_glob_like(pattern.copy())))


def _is_infinity(node: exp.Expression) -> bool:
    return isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string \
        and node.this.this.lower() in ("infinity", "+infinity")


def _spark_rewrite(node: exp.Expression) -> exp.Expression:
    """DuckDB constructs with no (exact) Spark spelling, rewritten to ones with the same results."""
    # ts < coalesce(valid_to, 'infinity') (in_force): Spark has no infinite timestamp — under ANSI the cast fails,
    # without it is NULL and nothing matches an open-ended card.  Same rows: valid_to IS NULL OR ts < valid_to.
    if isinstance(node, exp.LT) and isinstance(node.expression, exp.Coalesce) \
            and len(node.expression.expressions) == 1 and _is_infinity(node.expression.expressions[0]):
        bound = node.expression.this
        return exp.Paren(this=exp.Or(this=exp.Is(this=bound.copy(), expression=exp.Null()),
                                     expression=exp.LT(this=node.this.copy(), expression=bound.copy())))
    if _is_infinity(node):
        raise ValueError("an 'infinity' timestamp outside ts < coalesce(valid_to, 'infinity'): no Spark spelling")
    if isinstance(node, exp.Glob):
        return _spark_glob(node)
    # avg is a DOUBLE in DuckDB whatever it averages; Spark's avg of a DECIMAL is a DECIMAL (other digits, other type)
    if isinstance(node, exp.Avg) and not isinstance(node.this, exp.Cast):
        return exp.Avg(this=exp.Cast(this=node.this.copy(), to=exp.DataType.build("DOUBLE")))
    # to_json(a string) → the JSON string literal ('"gpt-4o"'); Spark's to_json takes structs only: the value of a
    # one-field struct's JSON, NULL staying NULL (the models quote names this way only)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "to_json":
        (value,) = node.expressions
        body = exp.Anonymous(this="to_json", expressions=[exp.Anonymous(
            this="named_struct", expressions=[exp.Literal.string("v"), value.copy()])])
        quoted = exp.Substring(this=body, start=exp.Literal.number(6),
                               length=exp.Sub(this=exp.Length(this=body.copy()), expression=exp.Literal.number(6)))
        return exp.Case(ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null())],
                        default=quoted)
    # Spark 4's own jaro_winkler_similarity scores differently (283 of 1,669 test pairs): DuckDB's algorithm instead
    if isinstance(node, exp.JarowinklerSimilarity):
        return exp.Anonymous(this="tokenomics_jaro_winkler", expressions=[node.this.copy(), node.expression.copy()])
    if isinstance(node, exp.Anonymous) and node.name.lower() == "list_aggregate":
        arr, fn = node.expressions
        if not (isinstance(fn, exp.Literal) and fn.this.lower() == "median"):
            raise ValueError(f"list_aggregate(…, {fn.sql()}): only 'median' is translated")
        return _spark_median(arr)
    # len(list) → SIZE (sqlglot writes LENGTH, a string function in Spark); the models take len() of lists only
    if isinstance(node, exp.Length):
        return exp.ArraySize(this=node.this)
    # DuckDB's / is always a DOUBLE division (integers and DECIMALs alike); Spark divides DECIMALs exactly, so
    # the digits would differ from the 13th on: divide DOUBLEs as DuckDB does
    if isinstance(node, exp.Div) and not node.args.get("typed"):
        return exp.Div(this=exp.Cast(this=node.this, to=exp.DataType.build("DOUBLE")),
                       expression=exp.Cast(this=node.expression, to=exp.DataType.build("DOUBLE")), typed=True)
    # a cast to an integer type rounds in DuckDB (half away from zero), truncates in Spark
    if isinstance(node, exp.Cast) and node.to.this in _INTEGER_TYPES and not isinstance(node.this, exp.Literal):
        return exp.Cast(this=exp.Round(this=node.this), to=node.to)
    # CROSS JOIN LATERAL (VALUES (…outer columns…), …) AS m(cols) → LATERAL VIEW INLINE(ARRAY(STRUCT(…), …)) m AS cols
    if isinstance(node, exp.Join) and isinstance(node.this, exp.Lateral) \
            and isinstance(node.this.this, exp.Subquery) and isinstance(node.this.this.this, exp.Values):
        lateral = node.this
        alias = lateral.args.get("alias") or lateral.this.args.get("alias")
        names = [c.name for c in alias.columns]
        rows = [exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(n), expression=v.copy())
                                        for n, v in zip(names, row.expressions)])
                for row in lateral.this.this.expressions]
        return exp.Lateral(this=exp.Inline(this=exp.Array(expressions=rows)), view=True, alias=exp.TableAlias(this=exp.to_identifier(alias.name),
                                             columns=[exp.to_identifier(n) for n in names]))
    return node


_INTEGER_TYPES = {exp.DataType.Type.BIGINT, exp.DataType.Type.INT, exp.DataType.Type.SMALLINT,
                  exp.DataType.Type.TINYINT, exp.DataType.Type.INT128}


def _spark_int_div(node: exp.IntDiv) -> exp.Expression:
    """a // b exactly, as a DECIMAL(38, 0): Spark's DIV returns a BIGINT (overflows past 2^63: pico-dollar sums are
    larger) and its / of two BIGINTs is a DOUBLE; (a − a % b) / b of DECIMAL(38, 0)s is exact (toward zero, as
    DuckDB's //)."""
    dec = exp.DataType.build("DECIMAL(38, 0)")
    a = exp.Cast(this=node.this.copy(), to=dec)
    div = _exact_int_div(exp.IntDiv(this=a, expression=node.expression.copy()))
    return exp.Cast(this=div, to=dec.copy())


class TokenomicsSpark(Spark):
    """Spark SQL (4.x), with the fixes the model SQL needs; run it with the session settings of SPARK_SETTINGS."""

    class Generator(Spark.Generator):
        TRANSFORMS = {**Spark.Generator.TRANSFORMS,
                      exp.IntDiv: lambda self, e: self.sql(_spark_int_div(e))}
        # HUGEINT: Spark has no 128-bit integer; DECIMAL(38, 0) is exact (allowPrecisionLoss=false keeps it so)
        TYPE_MAPPING = {**Spark.Generator.TYPE_MAPPING, exp.DataType.Type.INT128: "DECIMAL(38, 0)"}


# the session settings the printed Spark SQL starts with: results must not depend on the cluster's defaults
SPARK_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",  # DuckDB's connections are UTC: days and hours cut the same way
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",  # else products are rounded to 6 decimals
    "spark.sql.legacy.sizeOfNull": "false",  # SIZE(NULL) is NULL (DuckDB's len), not -1, with ANSI off too
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",  # date=/source= folders stay strings
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    # a temporary view keeps its analysed plan: else each reference re-analyses the SQL of every view below it
    # (minutes and gigabytes for the marts' chains)
    "spark.sql.legacy.storeAnalyzedPlanForView": "true",
    "spark.sql.ansi.enabled": "true",  # pinned: a cluster default of false would turn errors into silent NULLs
}

# DuckDB functions Spark lacks, as Spark SQL functions (defined before the models): the same algorithm, the same
# floating-point operations in the same order, so the results are equal to the last bit.
SPARK_FUNCTIONS = [
    # tokenomics_jaro_winkler: DuckDB's jaro_winkler_similarity (rapidfuzz's), not Spark's: characters match within max(len)/2 − 1 positions, each
    # character of b at most once, greedily in a's order; transpositions = mismatched matched pairs / 2; the
    # Winkler bonus (0.1 per common leading character, at most 4) only above 0.7; 0 when either string is empty.
    """CREATE OR REPLACE TEMPORARY FUNCTION tokenomics_jaro_winkler(a STRING, b STRING) RETURNS DOUBLE RETURN
CASE WHEN length(a) = 0 OR length(b) = 0 THEN 0.0D ELSE aggregate(
    sequence(1, length(a)),
    named_struct('used', array_repeat(0, length(b)), 'pos', CAST(array() AS ARRAY<INT>)),
    (acc, i) -> aggregate(
        array(array_min(filter(
            IF(greatest(1, i - greatest(CAST(greatest(length(a), length(b)) div 2 AS INT) - 1, 0))
                   <= least(length(b), i + greatest(CAST(greatest(length(a), length(b)) div 2 AS INT) - 1, 0)),
               sequence(greatest(1, i - greatest(CAST(greatest(length(a), length(b)) div 2 AS INT) - 1, 0)),
                        least(length(b), i + greatest(CAST(greatest(length(a), length(b)) div 2 AS INT) - 1, 0))),
               CAST(array() AS ARRAY<INT>)),
            j -> element_at(acc.used, j) = 0 AND substring(b, j, 1) = substring(a, i, 1)))),
        acc,
        (s, j) -> IF(j IS NULL, s, named_struct('used', transform(s.used, (u, k) -> IF(k + 1 = j, 1, u)),
                                                 'pos', concat(s.pos, array(i))))),
    acc -> IF(size(acc.pos) = 0, 0.0D, aggregate(
        array((CAST(size(acc.pos) AS DOUBLE) / length(a) + CAST(size(acc.pos) AS DOUBLE) / length(b)
               + CAST(size(acc.pos) - size(filter(sequence(1, size(acc.pos)), k ->
                     element_at(transform(acc.pos, p -> substring(a, p, 1)), k)
                     <> element_at(filter(transform(acc.used, (u, q) -> IF(u = 1, substring(b, q + 1, 1), NULL)),
                                          x -> x IS NOT NULL), k))) div 2 AS DOUBLE) / size(acc.pos)) / 3.0D),
        0.0D,
        (z, jaro) -> IF(jaro > 0.7D, jaro + CAST(IF(array_position(transform(sequence(1, least(4, length(a), length(b))),
                                                                               k -> substring(a, k, 1) = substring(b, k, 1)), false) = 0,
                                                    least(4, length(a), length(b)),
                                                    array_position(transform(sequence(1, least(4, length(a), length(b))),
                                                                             k -> substring(a, k, 1) = substring(b, k, 1)), false) - 1)
                                                 AS DOUBLE) * 0.1D * (1.0D - jaro), jaro)))) END""",
]

DIALECTS = {"trino": TokenomicsTrino, "duckdb": "duckdb", "spark": TokenomicsSpark}


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
    if dialect == "spark":
        tree = tree.transform(_spark_rewrite)
    return tree.sql(dialect=DIALECTS.get(dialect, dialect), unsupported_level=ErrorLevel.RAISE, pretty=True)


def model_sql(dialect: str) -> dict[str, str]:
    """relation name → its model SQL in the dialect, in build order.  For Spark each is one or two statements
    that run as they are (see spark_statements)."""
    if dialect == "spark":
        return {name: ";\n".join(statements) for name, statements in spark_models("_models").items()}
    return {path.stem: transpile(Path(path).read_text(), dialect)
            for layer in MODEL_LAYERS for path in model_files(layer)}


def model_inputs() -> list[str]:
    """The tables the models read that no model builds (raw facts and reference tables), from the model SQL
    itself: every table reference minus the models and the CTEs."""
    paths = [path for layer in MODEL_LAYERS for path in model_files(layer)]
    models = {path.stem for path in paths}
    found: dict[str, None] = {}
    for path in paths:
        tree = sqlglot.parse_one(Path(path).read_text(), read="duckdb")
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if table.name and table.name not in models and table.name not in ctes:
                found[table.name] = None
    return sorted(found)


def _expand_star_replace(tree: exp.Expression, outputs: dict[str, list[str]]) -> exp.Expression:
    """DuckDB's alias.* REPLACE (expr AS col, …) → every column of the aliased model, in order, the replaced ones
    swapped in (Spark has no star REPLACE).  The columns come from that model's own select list."""
    for select in list(tree.find_all(exp.Select)):
        items = []
        for item in select.expressions:
            star = item.this if isinstance(item, exp.Column) and isinstance(item.this, exp.Star) else None
            if star is None or not star.args.get("replace"):
                items.append(item)
                continue
            if star.args.get("except") or star.args.get("rename"):
                raise ValueError("alias.* EXCLUDE/RENAME: not translated")
            alias = item.table
            source = next((t.name for t in select.find_all(exp.Table) if t.alias_or_name == alias), None)
            if source not in outputs:
                raise ValueError(f"{alias}.* REPLACE: the columns of {source!r} are not known")
            replaced = {a.alias.lower(): a for a in star.args["replace"]}
            items += [replaced[c.lower()].copy() if c.lower() in replaced else exp.column(c, table=alias)
                      for c in outputs[source]]
        select.set("expressions", items)
    return tree


def _model_outputs(trees: dict[str, exp.Expression]) -> dict[str, list[str]]:
    """model → its column names, where its outermost select lists them (no star)."""
    out = {}
    for name, tree in trees.items():
        query = tree.expression
        if isinstance(query, exp.Select) and not any(isinstance(e, exp.Star) or
                                                     (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
                                                     for e in query.expressions):
            out[name] = query.named_selects
    return out


def spark_models(work: str) -> dict[str, list[str]]:
    """relation → the Spark statements that build it.  A table model (and the ledger: read by a dozen models, priced
    once) is written as Parquet to <work>/<name> (INSERT OVERWRITE DIRECTORY: re-running the script rewrites it)
    and read back as a temporary view of that name — what reads it starts from its files, so plans stay one model
    deep (a chain of 37 cached views ran Spark's analyser out of memory); a view stays a temporary view.  No
    catalog needed; the statements run as printed in spark-sql or through spark.sql(), and `tokenomics build
    --engine spark` runs exactly these, then writes the tables out by day."""
    trees, texts = {}, {}
    for layer in MODEL_LAYERS:
        for path in model_files(layer):
            text = Path(path).read_text()
            tree = sqlglot.parse_one(text, read="duckdb")
            if not isinstance(tree, exp.Create) or tree.kind not in ("TABLE", "VIEW"):
                raise ValueError(f"{path.name}: a model is one CREATE OR REPLACE TABLE/VIEW … AS")
            trees[tree.this.name], texts[tree.this.name] = tree, text
    outputs = _model_outputs(trees)
    out = {}
    for name, tree in trees.items():
        query = transpile(_expand_star_replace(tree.expression.copy(), outputs).sql(dialect="duckdb"), "spark")
        if tree.kind == "TABLE" or is_ledger(texts[name]):
            path = _spark_string(f"{spark_path(work).rstrip('/')}/{name}")
            out[name] = [f"INSERT OVERWRITE DIRECTORY {path} USING parquet\nSELECT * FROM (\n{query}\n)",
                         f"CREATE OR REPLACE TEMPORARY VIEW {name} USING parquet OPTIONS (path {path})"]
        else:
            out[name] = [f"CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{query}"]
    return out


def spark_path(location: str) -> str:
    """A location as Spark opens it: s3://bucket/key through Hadoop's s3a connector (open-source Spark has no s3://
    file system; EMR and Databricks read s3a:// too), a folder as it is."""
    return "s3a://" + location[len("s3://"):] if location.startswith("s3://") else location


def spark_lake_views(lake: str, manifest: dict) -> list[str]:
    """A temporary view per lake relation (manifest.json of `tokenomics lake`) over its Parquet folder, with the
    table's own columns in its order (the date= partition column dropped, source= kept as a column)."""
    lake = spark_path(lake).rstrip("/")
    views = []
    for table, spec in manifest["relations"].items():
        columns = ", ".join(f"`{name}`" for name, _ in spec["columns"])
        files = f"parquet.`{lake}/{spec['path']}`"
        if table in LAKE_DEDUP:
            # ingested straight into the lake, the same request or reading can arrive twice (in two files): one row per
            # key within a day partition, the first run's (a warehouse-written lake has none to drop)
            keys, order = (", ".join(f"`{k}`" for k in part) for part in LAKE_DEDUP[table])
            files = (f"(SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY {order}) AS `_copy`"
                     f" FROM {files}) WHERE `_copy` = 1")
            views.append(f"CREATE OR REPLACE TEMPORARY VIEW {table} AS SELECT {columns} FROM {files}")
        elif not spec.get("partitioned_by") and spec.get("role") in ("fact", "bookkeeping"):
            # written per ingest run (tokenomics/lake_ingest.py): the union, each row once
            views.append(f"CREATE OR REPLACE TEMPORARY VIEW {table} AS SELECT DISTINCT {columns} FROM {files}")
        else:
            views.append(f"CREATE OR REPLACE TEMPORARY VIEW {table} AS SELECT {columns} FROM {files}")
    return views


# a fact's identity within a day partition of the lake: a request by source and id, a reading by device and time
# (and which copy is kept: the lowest run's)
LAKE_DEDUP = {"raw_requests": (("date", "source", "request_id"), ("run_id", "row_hash")),
              "raw_gpu_samples": (("date", "host", "gpu_uuid", "ts"), ("run_id",))}


def _spark_string(text: str) -> str:
    """A Spark SQL string literal (backslashes and quotes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def spark_preamble(lake: str, manifest: dict) -> list[str]:
    """What the models' statements need first: session settings, functions, a view per lake relation."""
    return [f"SET {key}={value}" for key, value in SPARK_SETTINGS.items()] + SPARK_FUNCTIONS + spark_lake_views(lake, manifest)


def spark_statements(lake: str, manifest: dict, work: str | None = None) -> list[str]:
    """The whole Spark script, statement by statement: session settings, functions, the lake's views, every model
    in dependency (build) order, the table models written under ``work`` (default <lake>/_models)."""
    work = work or f"{lake.rstrip('/')}/_models"
    return spark_preamble(lake, manifest) + [s for stmts in spark_models(work).values() for s in stmts]


def spark_script(lake: str, manifest: dict, work: str | None = None) -> str:
    """spark_statements as one script (statements end with ';' and a blank line), as `tokenomics sql --dialect spark`
    prints it: runs as it is in spark-sql or statement by statement through spark.sql()."""
    return "".join(f"{statement};\n\n" for statement in spark_statements(lake, manifest, work))


def split_script(script: str) -> list[str]:
    """spark_script's text back into statements (no statement contains ';' + blank line)."""
    return [s.strip() for s in script.split(";\n\n") if s.strip() and not s.strip().startswith("--")]

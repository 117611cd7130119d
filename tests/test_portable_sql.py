"""The marts are portable SQL: each model transpiled DuckDB → Trino → DuckDB (sqlglot) rebuilds tables
identical to the original's on the demo warehouse, and the Trino text uses Trino's functions (the pricing
macros of sql/macros inlined: the round trip rebuilding identical tables checks the inlining too)."""

import re
import shutil
from collections import Counter

import pytest

from tokenomics.portable import macros, model_sql, transpile
from tokenomics.warehouse import connect, model_files


@pytest.fixture(scope="module")
def trino_sql():
    return model_sql("trino")


def test_every_model_transpiles_to_trino(trino_sql):
    assert len(trino_sql) == sum(len(model_files(layer)) for layer in ("staging", "intermediate", "marts"))
    joined = "\n".join(trino_sql.values())
    assert "CONTAINS(c.tags, 'batch')" in joined and "&&" not in joined  # list_contains → CONTAINS
    assert "GROUP BY ALL" not in joined and "GROUP BY\n    1," in joined  # patched: Trino has no GROUP BY ALL
    assert "SEQUENCE(" in joined and "CROSS JOIN UNNEST(" in joined  # generate_series, set-returning in FROM
    # the SQL macros (sql/macros) are DuckDB's: inlined, none is called (Trino has no HUGEINT either)
    assert not [m for m in macros() if re.search(rf"\b{m}\s*\(", joined, re.I)] and "INT128" not in joined


def test_known_sqlglot_gaps_are_patched():
    """sqlglot 30 writes list_has_any() as the `&&` operator, which Trino lacks, and a // b through a DOUBLE."""
    assert transpile("SELECT list_has_any(a, b) FROM t", "trino").split() == ["SELECT", "ARRAYS_OVERLAP(a,", "b)",
                                                                               "FROM", "t"]
    assert "a && b" in transpile("SELECT ARRAYS_OVERLAP(a, b) FROM t", "duckdb", read="trino")
    # DuckDB's integer division: sqlglot goes through a DOUBLE (inexact past 2^53 — pico-dollar sums are larger)
    trino = transpile("SELECT l // 1000000 FROM t", "trino")
    assert trino.split() == ["SELECT", "(", "l", "-", "l", "%", "1000000", ")", "/", "1000000", "FROM", "t"]
    assert transpile(trino, "duckdb", read="trino").split() == ["SELECT", "l", "//", "1000000", "FROM", "t"]


def _bag(con, query: str) -> Counter:
    """Rows as a multiset.  Floats to 9 significant digits: DuckDB sums them in parallel, in no fixed
    order, so the last bits differ between any two runs; DECIMAL money is compared exactly."""
    def cell(v):
        return float(f"{v:.9g}") if isinstance(v, float) else v
    return Counter(repr(tuple(map(cell, row))) for row in con.execute(query).fetchall())


def test_round_tripped_sql_rebuilds_identical_tables(demo, trino_sql, tmp_path):
    copy = tmp_path / "roundtrip.duckdb"
    shutil.copyfile(demo["db"], copy)
    con, original = connect(copy), connect(demo["db"], read_only=True, snapshot=False)
    for name, text in trino_sql.items():
        con.execute(transpile(text, "duckdb", read="trino"))
        query = f'SELECT * FROM "{name}"'
        assert _bag(con, query) == _bag(original, query), name
        assert [d[:2] for d in con.execute(query).description] == [d[:2] for d in original.execute(query).description]
    con.close()
    original.close()


def test_printed_sql_piped_into_a_reader_that_stops_early_ends_quietly():
    # ~96 kB of SQL, more than a pipe holds: `head` closes its end while the CLI is still printing
    import subprocess
    import sys

    run = subprocess.run(f"'{sys.executable}' -m tokenomics.cli sql --dialect trino | head -c 10", shell=True,
                         capture_output=True, text=True, timeout=120)
    assert len(run.stdout) == 10 and run.stdout.startswith("-- ")
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr, run.stderr

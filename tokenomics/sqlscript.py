"""Run a checked-in SQL script statement by statement, binding only the parameters each one names."""

from __future__ import annotations

import re
import sys
import time
from functools import lru_cache
import duckdb

from tokenomics.config import sql_dir
from tokenomics.settings import settings

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


@lru_cache(maxsize=None)
def statements(relative: str) -> tuple[str, ...]:
    """Split a script under sql/ on ';' at line end (scripts keep ';' out of literals for this)."""
    text = (sql_dir() / relative).read_text()
    parts = re.split(r";\s*\n", text)
    return tuple(p.strip() for p in parts if _COMMENT.sub("", p).strip())


def run_script(con: duckdb.DuckDBPyConnection, relative: str, params: dict) -> None:
    """Execute each statement with the subset of params it references (values are always bound)."""
    for statement in statements(relative):
        names = set(_PARAM.findall(_COMMENT.sub("", statement)))
        missing = names - params.keys()
        if missing:
            raise KeyError(f"{relative}: parameters not supplied: {sorted(missing)}")
        started = time.perf_counter()
        con.execute(statement, {name: params[name] for name in names} or None)
        if settings().sql_timing:
            head = " ".join(_COMMENT.sub("", statement).split())[:70]
            print(f"{time.perf_counter() - started:7.2f}s  {relative}: {head}", file=sys.stderr)

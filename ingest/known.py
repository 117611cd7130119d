"""The stored requests an input's rows can collide with (_known, _repeated: sql/ingest/requests_known.sql).

Finding them means scanning every stored (source, request_id).  For a small warehouse that scan is cheap
and is done per piece, from the piece's own ids.  Once the warehouse is large (PREPASS_ROWS stored
requests), a multi-piece input is first read once for its ids alone and looked up once: a 1M-row file
into 110M stored requests took minutes as 20 scans, and takes one scan and a light pass over the file."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import duckdb

from ingest.sqlscript import run_script

# stored requests from which one up-front lookup per input beats one per piece (a scan of 4M ids ≈ 0.1 s,
# the ids-only pass ≈ 0.2 s per 64 MiB piece)
PREPASS_ROWS = int(os.environ.get("TOKENOMICS_KNOWN_PREPASS_ROWS", 4_000_000))
_TABLES = ("_known", "_repeated", "_input_ids")


def stored_requests(con: duckdb.DuckDBPyConnection) -> int:
    """Rows in raw_requests (DuckDB answers from table statistics, without a scan)."""
    return con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]


def worth_prepass(con: duckdb.DuckDBPyConnection, pieces: int) -> bool:
    return pieces > 1 and stored_requests(con) >= PREPASS_ROWS


def start_ids(con: duckdb.DuckDBPyConnection) -> None:
    """An empty _input_ids for a loader to fill with its input's (source, request_id)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _input_ids (source VARCHAR, request_id VARCHAR)")


def look_up(con: duckdb.DuckDBPyConnection) -> None:
    """_known and _repeated from _input_ids (which it drops)."""
    run_script(con, "ingest/requests_known.sql", {})


def look_up_candidates(con: duckdb.DuckDBPyConnection) -> None:
    """_known and _repeated for one piece on its own, from its valid _candidates."""
    con.execute("CREATE OR REPLACE TEMP TABLE _input_ids AS"
                " SELECT source, request_id FROM _candidates WHERE len(reasons) = 0")
    look_up(con)


@contextmanager
def scope(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Drops the lookup tables when the input is done (or failed)."""
    try:
        yield
    finally:
        forget(con)


def forget(con: duckdb.DuckDBPyConnection) -> None:
    for table in _TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")

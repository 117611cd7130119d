"""The stored requests an input's rows can collide with (_known, _repeated: sql/ingest/requests_known.sql).

Finding them means scanning every stored (source, request_id).  For a small warehouse that scan is cheap
and is done per piece, from the piece's own ids.  Once the warehouse is large (PREPASS_ROWS stored
requests), a multi-piece input is first read once for its ids alone and looked up once: a 1M-row file
into 110M stored requests took minutes as 20 scans, and takes one scan and a light pass over the file.
The sources landed in Python batches (Bedrock, mapped files, LiteLLM_SpendLogs: ingest/requests.land) do
the same once their own source holds PREPASS_ROWS requests: the input's ids first, then every batch
joins _known."""

from __future__ import annotations

from contextlib import contextmanager
from itertools import islice
from typing import Callable, Iterable, Iterator

import duckdb

from tokenomics.sqlscript import run_script
from tokenomics.settings import settings

# stored requests from which one up-front lookup per input beats one per piece (a scan of 12M ids ≈ 0.35 s,
# about what the ids-only pass costs per 64 MiB piece)
PREPASS_ROWS = settings().known_prepass_rows
_TABLES = ("_known", "_repeated", "_input_ids")


def stored_requests(con: duckdb.DuckDBPyConnection) -> int:
    """Rows in raw_requests (DuckDB answers from table statistics, without a scan)."""
    return con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]


def worth_prepass(con: duckdb.DuckDBPyConnection, pieces: int) -> bool:
    return pieces > 1 and stored_requests(con) >= PREPASS_ROWS


def look_up_once_if_large(con: duckdb.DuckDBPyConnection, source: str,
                          collect: Callable[[duckdb.DuckDBPyConnection], None]) -> bool:
    """For the sources landed in Python batches (ingest/requests.land): once their own source holds
    PREPASS_ROWS requests, look the input up once (look_up_input) and say so — the batches then join
    _known.  A batch's lookup reads only its source's stored rows (DuckDB skips row groups of other
    sources), so the source's own size decides; the run ledger gives it without a scan."""
    stored = con.execute("SELECT coalesce(sum(rows_loaded), 0) FROM ingest_runs WHERE source = ? AND status = 'loaded'",
                         [source]).fetchone()[0]
    if stored < PREPASS_ROWS:
        return False
    look_up_input(con, collect)
    return True


def look_up_input(con: duckdb.DuckDBPyConnection, collect: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """_known and _repeated for a whole input: collect(cursor) fills the cursor's _input_ids piece by piece.

    It runs on a cursor of its own, outside the file's transaction: inside it, DuckDB keeps every Arrow
    piece registered and dropped until the commit (a 1M-row file held 1.3 GB that way).  Only the small
    results (stored rows the input collides with, ids it repeats) come back to this connection."""
    cursor = con.cursor()
    try:
        cursor.execute("CREATE OR REPLACE TEMP TABLE _input_ids (source VARCHAR, request_id VARCHAR)")
        collect(cursor)
        look_up(cursor)
        found = {name: cursor.execute(f"SELECT * FROM {name}").to_arrow_table() for name in ("_known", "_repeated")}
    finally:
        cursor.close()
    for name, rows in found.items():
        con.register("_found", rows)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _found")
        finally:
            con.unregister("_found")


def add_ids(cursor: duckdb.DuckDBPyConnection, source: str, ids: Iterable[str], chunk: int = 100_000) -> None:
    """Append an input's request ids to the cursor's _input_ids, chunk by chunk (for a look_up_input collect)."""
    it = iter(ids)
    while batch := list(islice(it, chunk)):
        cursor.execute("INSERT INTO _input_ids SELECT ?, unnest(?::VARCHAR[])", [source, batch])


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

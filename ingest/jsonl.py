"""Shared path for JSON-lines sources: read lines in DuckDB, let a source script classify each one."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.runner import Counts, LoadContext
from ingest.sqlscript import run_script
from tokenomics.config import hash_salt

# Unit separator: cannot appear unescaped in valid JSON, so each line arrives as one column.
LINE_DELIMITER = chr(31)


def load_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, ctx: LoadContext, script: str
) -> Counts:
    """Run jsonl_lines.sql then the source's script; store quarantined lines; return the counts."""
    params = {
        "path": str(path),
        "delim": LINE_DELIMITER,
        "salt": hash_salt(),
        "source": ctx.source,
        "run_id": ctx.run_id,
    }
    run_script(con, "ingest/jsonl_lines.sql", params)
    run_script(con, script, params)
    now = datetime.now(timezone.utc)
    con.execute(
        "INSERT INTO quarantine SELECT ?, ?, ?, line_no, raw, reason, ? FROM ("
        " SELECT line_no, raw, 'undecodable line: ' || reason AS reason FROM _rejected"
        " UNION ALL SELECT _line_no(o.line_no), l.raw, o.reason FROM _outcome o JOIN _lines l USING (line_no)"
        " WHERE o.outcome = 'quarantined')",
        [ctx.run_id, ctx.source, ctx.uri, now],
    )
    rejected = con.execute("SELECT count(*) FROM _rejected").fetchone()[0]
    by_outcome = dict(con.execute("SELECT outcome, count(*) FROM _outcome GROUP BY ALL").fetchall())
    lines = con.execute("SELECT count(*) FROM _lines").fetchone()[0]
    counts = Counts(
        read=lines + rejected,
        loaded=con.execute("SELECT count(*) FROM _candidates ANTI JOIN _outcome USING (line_no)").fetchone()[0],
        quarantined=by_outcome.get("quarantined", 0) + rejected,
        duplicate=by_outcome.get("duplicate", 0),
    )
    con.execute("DROP VIEW IF EXISTS _lines")
    for table in ("_read", "_shift", "_rejected", "_parsed", "_candidates", "_outcome"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return counts

"""Canonical request rows from Parquet: the Tokenomics lake (tokenomics lake), or a file with the same
columns written by another pipeline.  Read in pieces of row groups (pyarrow), typed, checked and landed
in SQL; each piece commits with its position, so memory does not grow with the file."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tokenomics.ingest import known
from tokenomics.ingest.runner import Counts, LoadContext, Resume, Source, register
from tokenomics.sqlscript import run_script
from tokenomics.config import plausible_window

REQUIRED = ("request_id", "start_time", "end_time", "tenant", "provider", "resolved_model", "service_tier",
            "uncached_input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
            "output_tokens", "reasoning_tokens", "status", "is_stream", "latency_ms", "gateway_cache")
OPTIONAL = ("tenant_rule", "team", "project", "user_hash", "api_key_hash", "tags", "requested_model", "deployment", "region",
            "ttft_ms", "reported_cost_usd")
RENAMED = {"source": "src_source", "row_hash": "given_row_hash"}  # kept when present (a lake row keeps both)


PIECE_ROWS = 250_000  # rows per committed piece: memory is bounded by this, not the file


def _hive(path: Path) -> dict[str, str]:
    """Partition values in the path (…/date=2026-11-01/source=litellm/…), as the lake writes them."""
    return dict(part.split("=", 1) for part in path.parent.parts if "=" in part)


def _source_view(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """_parquet_src over one piece: every canonical column, NULL where an optional one is absent."""
    present = set(table.column_names)
    exprs = ["file_row_number"] + [f'"{c}"' for c in REQUIRED]
    exprs += [f'"{c}"' if c in present else f"NULL AS {c}" for c in OPTIONAL]
    exprs += [f'"{c}" AS {alias}' if c in present else f"NULL AS {alias}" for c, alias in RENAMED.items()]
    con.from_arrow(table).project(", ".join(exprs)).create_view("_parquet_src", replace=True)


def load(con, path: Path, ctx: LoadContext) -> Counts:
    """Row groups in pieces of PIECE_ROWS, each committed with its position (ctx.checkpoint) like large
    JSON-lines files; a re-run after a crash resumes after the last committed piece."""
    start = ctx.resume or Resume()
    total = Counts().add(start.counts)
    parquet = pq.ParquetFile(path)
    rows, size = parquet.metadata.num_rows, path.stat().st_size
    hive = _hive(path)
    missing = [c for c in REQUIRED if c not in set(parquet.schema_arrow.names) | set(hive)]
    if missing:
        raise ValueError(f"{path.name}: required columns missing: {', '.join(missing)}")
    prepass = known.worth_prepass(con, -(-(rows - start.lines_done) // PIECE_ROWS))
    with known.scope(con):
        if prepass:
            _collect_ids(con, parquet, hive, start, ctx)
        for first, done, batch in _remaining(parquet, start):
            table = _with_hive(pa.Table.from_batches([batch]).append_column(
                "file_row_number", pa.array(np.arange(first, done, dtype=np.int64))), hive)
            total.add(_load_piece(con, table, ctx, per_piece_lookup=not prepass))
            ctx.advance(size * batch.num_rows // max(rows, 1))
            if ctx.checkpoint and done < rows:
                ctx.checkpoint(size * done // rows, done, total)
    return total


def _remaining(parquet: pq.ParquetFile, start: Resume, columns: list[str] | None = None) -> Iterator[tuple[int, int, pa.RecordBatch]]:
    """(rows before, rows up to and including, batch) for each piece of PIECE_ROWS not committed before
    an interruption."""
    done = 0
    for batch in parquet.iter_batches(batch_size=PIECE_ROWS, columns=columns):
        first, done = done, done + batch.num_rows
        if done > start.lines_done:
            yield first, done, batch


def _with_hive(table: pa.Table, hive: dict[str, str]) -> pa.Table:
    """Partition values from the path as columns, where the file does not hold them itself."""
    for key, value in hive.items():
        if key not in table.column_names:
            table = table.append_column(key, pa.array([value] * table.num_rows, pa.string()))
    return table


def _collect_ids(con, parquet: pq.ParquetFile, hive: dict[str, str], start: Resume, ctx: LoadContext) -> None:
    """The remaining rows' (source, request_id) — two columns, cheap to read — then one lookup."""
    columns = [c for c in ("request_id", "source") if c in parquet.schema_arrow.names]

    def collect(cursor) -> None:
        for _, _, batch in _remaining(parquet, start, columns):
            table = _with_hive(pa.Table.from_batches([batch]), hive)
            source = "source" if "source" in table.column_names else "NULL"
            cursor.from_arrow(table).project(f"{source} AS src_source, request_id").create_view("_parquet_ids", replace=True)
            try:
                run_script(cursor, "ingest/requests_parquet_ids.sql", {"source": ctx.source})
            finally:
                cursor.execute("DROP VIEW IF EXISTS _parquet_ids")

    known.look_up_input(con, collect)


def _load_piece(con, table: pa.Table, ctx: LoadContext, per_piece_lookup: bool) -> Counts:
    earliest, latest = plausible_window()
    params = {"source": ctx.source, "run_id": ctx.run_id, "line_offset": 0, "earliest": earliest, "latest": latest}
    _source_view(con, table)
    try:
        for step in ("ingest/request_row_hash.sql", "ingest/requests_parquet.sql"):
            run_script(con, step, params)
        if per_piece_lookup:
            known.look_up_candidates(con)
        run_script(con, "ingest/requests_land.sql", params)
        read = con.execute("SELECT count(*) FROM _candidates").fetchone()[0]
        outcome = dict(con.execute("SELECT outcome, count(*) FROM _outcome GROUP BY ALL").fetchall())
        if outcome.get("quarantined"):  # the raw row, as JSON, only for the rows that are quarantined
            con.execute(
                "INSERT INTO quarantine SELECT ?, ?, ?, o.line_no, to_json(s), o.reason, ? FROM _outcome o"
                " JOIN (SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS line_no FROM _parquet_src) s"
                " USING (line_no) WHERE o.outcome = 'quarantined'",
                [ctx.run_id, ctx.source, ctx.uri, datetime.now(timezone.utc)])
    finally:
        con.execute("DROP VIEW IF EXISTS _parquet_src")
        for temp in ("_candidates", "_outcome"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    quarantined, duplicate = outcome.get("quarantined", 0), outcome.get("duplicate", 0)
    return Counts(read=read, loaded=read - quarantined - duplicate, quarantined=quarantined, duplicate=duplicate)


register(Source("requests-parquet", load, ("*.parquet",),
                "Canonical request rows in Parquet (the Tokenomics lake: requests/date=…/source=…/*.parquet)"))

"""Canonical request rows from Parquet: the Tokenomics lake (tokenomics lake), or a file with the same
columns written by another pipeline.  Typed, checked and landed in SQL, at DuckDB's Parquet speed."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.runner import Counts, LoadContext, Source, register
from ingest.sqlscript import run_script

REQUIRED = ("request_id", "start_time", "end_time", "tenant", "provider", "resolved_model", "service_tier",
            "uncached_input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
            "output_tokens", "reasoning_tokens", "status", "is_stream", "latency_ms", "gateway_cache")
OPTIONAL = ("team", "project", "user_hash", "api_key_hash", "tags", "requested_model", "deployment", "region",
            "ttft_ms", "reported_cost_usd")
RENAMED = {"source": "src_source", "row_hash": "given_row_hash"}  # kept when present (a lake row keeps both)


def _source_view(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """_parquet_src: every canonical column, NULL where an optional one is absent; hive partitions
    (…/source=litellm/…) count as columns."""
    rel = con.read_parquet(str(path), hive_partitioning=True, file_row_number=True)
    present = set(rel.columns)
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        raise ValueError(f"{path.name}: required columns missing: {', '.join(missing)}")
    exprs = ["file_row_number"] + [f'"{c}"' for c in REQUIRED]
    exprs += [f'"{c}"' if c in present else f"NULL AS {c}" for c in OPTIONAL]
    exprs += [f'"{c}" AS {alias}' if c in present else f"NULL AS {alias}" for c, alias in RENAMED.items()]
    rel.project(", ".join(exprs)).create_view("_parquet_src", replace=True)


def load(con, path: Path, ctx: LoadContext) -> Counts:
    params = {"source": ctx.source, "run_id": ctx.run_id, "line_offset": 0}
    _source_view(con, path)
    try:
        for step in ("ingest/request_row_hash.sql", "ingest/requests_parquet.sql", "ingest/requests_land.sql"):
            run_script(con, step, params)
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
    ctx.advance(path.stat().st_size)
    return Counts(read=read, loaded=read - quarantined - duplicate, quarantined=quarantined, duplicate=duplicate)


register(Source("requests-parquet", load, ("*.parquet",),
                "Canonical request rows in Parquet (the Tokenomics lake: requests/date=…/source=…/*.parquet)"))

"""Shared landing for gateway-request sources parsed in Python: canonical GatewayRequest records →
raw_requests, exactly once.  Same (source, request_id) with the same content is a duplicate; with
different content it is quarantined as a conflict (the first version stands)."""

from __future__ import annotations

import hashlib
import json

import polars as pl

from tokenomics.ingest.runner import Counts, LoadContext, quarantine_rows
from tokenomics.config import hash_salt
from tokenomics.records import GatewayRequest, hash_identifier


def pseudonym(value: str | None) -> str | None:
    """The same salted hash the SQL sources use: identifiers are never stored in the clear."""
    return hash_identifier(value, hash_salt())


def _row(r: GatewayRequest) -> dict:
    t = r.tokens
    return {"request_id": r.request_id, "start_time": r.start_time, "end_time": r.end_time, "tenant": r.tenant,
            "tenant_rule": r.tenant_rule,
            "team": r.team, "project": r.project, "user_hash": r.user_hash, "api_key_hash": r.api_key_hash,
            "tags": list(r.tags), "provider": r.provider, "requested_model": r.requested_model,
            "resolved_model": r.resolved_model, "deployment": r.deployment, "region": r.region,
            "service_tier": r.service_tier.value, "uncached_input_tokens": t.uncached_input_tokens,
            "cache_read_tokens": t.cache_read_tokens, "cache_write_5m_tokens": t.cache_write_5m_tokens,
            "cache_write_1h_tokens": t.cache_write_1h_tokens, "output_tokens": t.output_tokens,
            "reasoning_tokens": t.reasoning_tokens, "status": r.status.value, "is_stream": r.is_stream,
            "ttft_ms": r.ttft_ms, "latency_ms": r.latency_ms, "gateway_cache": r.gateway_cache.value,
            "reported_cost_usd": None if r.reported_cost_usd is None else str(r.reported_cost_usd)}


# each landing row's outcome against the stored rows it can collide with ({stored}: raw_requests, or the
# input's _known when its collisions were looked up once) and the rows before it in the batch
_OUTCOME = """
    WITH ranked AS (
        SELECT l._i, l.line_no, l.request_id, l.row_hash, l.raw,
            first_value(l.row_hash) OVER (PARTITION BY l.request_id ORDER BY l._i) AS first_hash,
            row_number() OVER (PARTITION BY l.request_id ORDER BY l._i) AS nth,
            e.row_hash AS loaded_hash
        FROM _landing l
        LEFT JOIN {stored} e ON e.source = $source AND e.request_id = l.request_id
    )
    SELECT _i, line_no, raw, request_id,
        CASE WHEN loaded_hash = row_hash OR (loaded_hash IS NULL AND nth > 1 AND row_hash = first_hash)
                 THEN 'duplicate'
             WHEN loaded_hash IS NOT NULL OR nth > 1 THEN 'conflict'
             ELSE 'new' END AS outcome
    FROM ranked"""


def land(con, ctx: LoadContext, records: list[tuple[int | None, str, GatewayRequest]], known: bool = False) -> Counts:
    """Insert validated records; returns loaded / duplicate / quarantined (conflict) counts.

    known: the input's stored collisions were looked up once (ingest/known.py: _known, _repeated), so this
    batch joins _known instead of scanning every stored request id; its rows whose id comes again later
    in the input join _known as they land."""
    counts = Counts()
    if not records:
        return counts
    rows = []
    for i, (line_no, raw, record) in enumerate(records):
        row = _row(record)
        # the content hash covers the request, not how its tenant was found (rows hashed before keep theirs)
        content = {k: v for k, v in row.items() if k != "tenant_rule"}
        row["row_hash"] = hashlib.md5(json.dumps(content, default=str, sort_keys=True).encode()).hexdigest()
        rows.append({"_i": i, "line_no": line_no, "raw": raw, **row})
    batch = pl.DataFrame(rows, infer_schema_length=None, schema_overrides={"line_no": pl.Int64})
    con.register("_landing", batch)
    try:
        outcome = con.execute(_OUTCOME.format(stored="_known" if known else "raw_requests"),
                              {"source": ctx.source}).pl()
        new = outcome.filter(pl.col("outcome") == "new")["_i"].to_list()
        con.execute("""
            INSERT INTO raw_requests BY NAME
            SELECT $source AS source, request_id, row_hash, start_time, end_time, tenant, tenant_rule, team, project, user_hash,
                api_key_hash, tags, provider, requested_model, resolved_model, deployment, region, service_tier,
                uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                output_tokens, reasoning_tokens, status, is_stream, ttft_ms, latency_ms, gateway_cache,
                reported_cost_usd::DECIMAL(38, 12) AS reported_cost_usd, $run_id AS run_id
            FROM _landing WHERE list_contains($new, _i)""", {"source": ctx.source, "run_id": ctx.run_id, "new": new})
        con.execute("INSERT OR IGNORE INTO model_names SELECT DISTINCT provider, resolved_model FROM _landing"
                    " WHERE list_contains($new, _i)", {"new": new})  # for the resolver (int_model_resolution)
        if known:
            con.execute("""
                INSERT INTO _known
                SELECT $source, request_id, row_hash FROM _landing
                WHERE list_contains($new, _i) AND request_id IN (SELECT request_id FROM _repeated WHERE source = $source)
                """, {"source": ctx.source, "new": new})
    finally:
        con.unregister("_landing")
    conflicts = outcome.filter(pl.col("outcome") == "conflict")
    counts.loaded = len(new)
    counts.duplicate = outcome.filter(pl.col("outcome") == "duplicate").height
    counts.quarantined = quarantine_rows(con, ctx, [
        (r["line_no"], r["raw"], f"request {r['request_id']} was already loaded with different content")
        for r in conflicts.iter_rows(named=True)])
    return counts

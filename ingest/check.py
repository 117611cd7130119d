"""`tokenomics check`: a dry run of an ingest — what would load, be quarantined (by reason, with examples), be
unpriced (by model) and which attribution rule named each tenant — without writing to the warehouse.

The input goes through the real sources and the real build, in a scratch warehouse of its own (a temporary
file, deleted afterwards) that starts with the reference data of the warehouse's read snapshot — rate cards,
contracts, model aliases, deployments — so pricing and attribution are exactly what an ingest would give.
Duplicates count against the warehouse too: a request id it already holds is reported as already loaded."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tokenomics.ingest.runner import ingest_paths
from tokenomics.config import read_path
from tokenomics.incremental import reference_tables, table_exists
from tokenomics.warehouse import _literal, build_models, open_warehouse

EXAMPLES = 3  # quarantined lines shown per reason


def dry_run(source: str, paths: list, options: dict, warehouse: Path | None, prices: list[Path] = ()) -> dict:
    """The report of ingesting ``paths`` as ``source`` into ``warehouse`` (or an empty one), nothing written."""
    snapshot = read_path(warehouse) if warehouse else None
    live = _literal(str(snapshot)) if snapshot and snapshot.exists() else None
    with tempfile.TemporaryDirectory(prefix="tokenomics-check-") as scratch:
        con = open_warehouse(Path(scratch) / "check.duckdb")
        try:
            if live:  # attached only while read: the build must see one database
                # DuckDB cannot bind ATTACH's path: the warehouse's own file name, quoted as a SQL string literal
                con.execute(f"ATTACH {live} AS live (READ_ONLY)")
                for table in (*reference_tables(con), "model_names"):  # the warehouse's, not the migrations' defaults
                    if not table_exists(con, table, "live"):
                        continue
                    if table_exists(con, table):
                        con.execute(f"DELETE FROM main.{table}")
                        con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM live.main.{table}")
                    else:  # computed by builds (ref_deployment_perf), not by migrations
                        con.execute(f"CREATE TABLE main.{table} AS SELECT * FROM live.main.{table}")
                con.execute("DETACH live")
            files = [result for catalogue in prices for result in ingest_paths(  # reported too: a bad one says why
                con, "litellm-prices", [catalogue], {k: v for k, v in options.items() if k == "valid_from"})]
            files += ingest_paths(con, source, paths, options)
            build_models(con, full=True)
            return _report(con, files, _already_loaded(con, warehouse))
        finally:
            con.close()


def _already_loaded(con, warehouse: Path | None) -> int | None:
    """Requests of the input the warehouse holds (its raw rows are not in the read snapshot); None when there
    is no warehouse yet or a writer holds it."""
    if not warehouse or not Path(warehouse).exists():
        return None
    try:
        con.execute(f"ATTACH {_literal(str(warehouse))} AS stored (READ_ONLY)")
    except Exception:  # duckdb.IOException: another process is writing the warehouse
        return None
    try:
        return con.execute("SELECT count(*) FROM raw_requests r SEMI JOIN stored.main.raw_requests l"
                           " USING (source, request_id)").fetchone()[0]
    finally:
        con.execute("DETACH stored")


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _report(con, files, already: int) -> dict:
    """The scratch warehouse holds only this input's requests: every figure is about the input."""
    rows = lambda sql: _rows(con, sql)  # noqa: E731
    return {
        "files": [{"file": f.uri, "status": f.status, "read": f.counts.read, "loaded": f.counts.loaded,
                   "quarantined": f.counts.quarantined, "duplicate": f.counts.duplicate, "message": f.message}
                  for f in files],
        "already_in_warehouse": already,
        "quarantined": rows(f"""
            SELECT reason, count(*) AS rows, list(uri || ':' || line_no ORDER BY uri, line_no)[1:{EXAMPLES}] AS examples
            FROM quarantine WHERE source NOT IN ('litellm-prices') GROUP BY reason ORDER BY rows DESC, reason"""),
        "unpriced": rows("""
            SELECT c.provider, c.model, count(*) AS requests, any_value(c.unpriced_reason) AS reason,
                   any_value(m.rule) AS rule, any_value(m.candidates) AS closest_entries,
                   any_value(m.override_line) AS add_to_model_aliases
            FROM int_request_costs c
            LEFT JOIN mart_model_resolution m ON m.provider = c.provider AND m.model = c.model
            WHERE c.pricing_status = 'unpriced' GROUP BY ALL ORDER BY requests DESC, c.provider, c.model"""),
        "priced": rows("""
            SELECT pricing_status, count(*) AS requests, sum(list_cost_usd)::DECIMAL(18, 6) AS list_cost_usd
            FROM int_request_costs GROUP BY ALL ORDER BY requests DESC"""),
        "tenants": rows("""
            SELECT tenant, coalesce(tenant_rule, 'given by the source') AS rule, count(*) AS requests
            FROM raw_requests GROUP BY ALL ORDER BY requests DESC, tenant"""),
        "models": rows("""
            SELECT m.provider, m.model, m.rule, m.card_provider, m.card_model
            FROM mart_model_resolution m SEMI JOIN raw_requests r ON r.provider = m.provider AND r.resolved_model = m.model
            ORDER BY m.rule = 'unmatched' DESC, m.provider, m.model"""),
    }

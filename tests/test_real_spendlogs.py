"""LiteLLM_SpendLogs as the proxy creates it (the table from LiteLLM's own schema.prisma) holding LiteLLM's own
test rows, in a real PostgreSQL; and one mapping: a request read from SpendLogs and from its JSON log is the
same row (provenance: tests/fixtures/real/README.md)."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tokenomics.ingest.runner import ingest_paths

LITELLM = Path(__file__).parent / "fixtures" / "real" / "litellm"
PRISMA_TYPES = {"String": "TEXT", "Float": "DOUBLE PRECISION", "Int": "INTEGER", "DateTime": "TIMESTAMP(3)",
                "Json": "JSONB", "BigInt": "BIGINT", "Boolean": "BOOLEAN"}
COMPARED = ("request_id", "start_time", "end_time", "tenant", "tenant_rule", "team", "project", "user_hash",
            "api_key_hash", "tags", "provider", "requested_model", "resolved_model", "deployment", "region",
            "service_tier", "uncached_input_tokens", "cache_read_tokens", "cache_write_5m_tokens",
            "cache_write_1h_tokens", "output_tokens", "reasoning_tokens", "status", "latency_ms", "gateway_cache",
            "reported_cost_usd")


def ddl(schema: str) -> str:
    """CREATE TABLE from the genuine prisma model block: one column per field line, Prisma's type mapping."""
    columns = []
    for line in schema.splitlines():
        m = re.match(r"\s+(\w+)\s+(\w+)(\??)", line)
        if m and m.group(2) in PRISMA_TYPES:
            columns.append(f'"{m.group(1)}" {PRISMA_TYPES[m.group(2)]}' + (" PRIMARY KEY" if "@id" in line else ""))
    return f'CREATE TABLE "LiteLLM_SpendLogs" ({", ".join(columns)})'


@pytest.fixture()
def spendlogs(postgres_url):
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as db:
        db.execute(sa.text('DROP TABLE IF EXISTS "LiteLLM_SpendLogs"'))
        db.execute(sa.text(ddl((LITELLM / "schema_LiteLLM_SpendLogs.prisma").read_text())))
    yield engine
    engine.dispose()


def _insert(engine, row: dict) -> None:
    with engine.begin() as db:  # the newer test rows name columns this schema version lacks: left out
        present = {c["name"] for c in sa.inspect(db).get_columns("LiteLLM_SpendLogs")}
        cols = [c for c in row if c in present]
        db.execute(sa.text(f'INSERT INTO "LiteLLM_SpendLogs" ({", ".join(chr(34) + c + chr(34) for c in cols)})'
                           f' VALUES ({", ".join(":" + c for c in cols)})'), {c: row[c] for c in cols})


def _rows(con, source):
    cur = con.execute(f"SELECT {', '.join(COMPARED)}, is_stream, ttft_ms FROM raw_requests WHERE source = ? "
                      "ORDER BY request_id", [source])
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


def test_the_prisma_schema_gives_the_columns_the_pull_reads():
    from tokenomics.ingest.litellm_spendlogs import COLUMNS

    text = ddl((LITELLM / "schema_LiteLLM_SpendLogs.prisma").read_text())
    assert all(f'"{c}"' in text for c in COLUMNS)  # every column we select exists in LiteLLM's own schema


@pytest.mark.parametrize("fixture", ["spend_logs_row_anthropic_expected.json", "spend_logs_row_anthropic_router_expected.json"])
def test_litellm_test_rows_pull_with_their_quirks(warehouse, spendlogs, postgres_url, fixture):
    row = json.loads((LITELLM / fixture).read_text())
    _insert(spendlogs, row)
    [r] = ingest_paths(warehouse, "litellm-spendlogs", [postgres_url])
    assert (r.counts.read, r.counts.loaded) == (1, 1), r.message
    [got] = _rows(warehouse, "litellm-spendlogs")
    # team_id "" and user "" mean unset: no team; end_user 'test_user_1' is hashed; no tenant given: unattributed
    assert (got["tenant"], got["tenant_rule"], got["team"]) == ("unattributed", "unattributed", None)
    assert got["user_hash"] and "test_user" not in got["user_hash"]
    # prompt 2,095 (no cache) and completion 503; completionStartTime = endTime: not streamed
    assert (got["uncached_input_tokens"], got["output_tokens"], got["is_stream"], got["ttft_ms"]) == (2095, 503, False, None)
    assert got["latency_ms"] == 13 and str(got["reported_cost_usd"].normalize()) == "0.01383"
    if "router" in fixture:  # model_group / model_id set: requested model and deployment
        assert (got["requested_model"], got["deployment"]) == ("my-anthropic-model-group", "my-unique-model-id")
    else:  # "" falls back to the model and to no deployment
        assert (got["requested_model"], got["deployment"]) == ("claude-3-7-sonnet-20250219", None)


def test_one_request_through_spendlogs_and_through_its_json_log_is_one_row(warehouse, spendlogs, postgres_url, tmp_path):
    """LiteLLM's GCS test pair: the SpendLogs row and the StandardLoggingPayload of the same call (the test
    files carry two runs' ids: the payload's id is set to the row's).  Every column agrees except is_stream
    and ttft_ms: the payload says stream=true, a SpendLogs row has no stream flag, and its first token at
    the end time reads as not streamed — the one fact only the JSON log carries; and the times, which the
    table keeps to the millisecond (Prisma's DateTime is timestamp(3))."""
    row = json.loads((LITELLM / "gcs_pub_sub_spend_logs_payload.json").read_text())
    _insert(spendlogs, row)
    ingest_paths(warehouse, "litellm-spendlogs", [postgres_url])
    doc = json.loads((LITELLM / "gcs_pub_sub_standard_logging_payload.json").read_text())
    doc["id"] = row["request_id"]
    (tmp_path / "one.json").write_text(json.dumps(doc))
    [r] = ingest_paths(warehouse, "litellm", [tmp_path / "one.json"])
    assert r.counts.loaded == 1
    [from_db], [from_log] = _rows(warehouse, "litellm-spendlogs"), _rows(warehouse, "litellm")
    same = [k for k in COMPARED if k not in ("start_time", "end_time")]
    assert {k: from_db[k] for k in same} == {k: from_log[k] for k in same}
    for k in ("start_time", "end_time"):  # .847371 -> .847, .851954 -> .852
        assert abs((from_db[k] - from_log[k]).total_seconds()) < 0.0005, k
    assert (from_log["is_stream"], from_db["is_stream"]) == (True, False)
    # priced alike by the real catalogue: gpt-4o $2.50 in / $10 out per 1M, 10 × 2.5 + 20 × 10 = 225 µ$ — what
    # LiteLLM logged as spend (0.00022500000000000002 as a float)
    from tokenomics.warehouse import build_models

    ingest_paths(warehouse, "litellm-prices", [LITELLM / "model_prices_and_context_window.json"], {"valid_from": "2020-01-01"})
    build_models(warehouse)
    costs = warehouse.execute("SELECT source, pricing_status, list_cost_usd FROM int_request_costs ORDER BY source").fetchall()
    assert costs == [("litellm", "priced", Decimal("0.000225")), ("litellm-spendlogs", "priced", Decimal("0.000225"))]

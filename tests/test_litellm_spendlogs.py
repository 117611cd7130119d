"""LiteLLM_SpendLogs from a real PostgreSQL: quirks normalised, incremental, exactly once, no prompt text."""

import json

import pytest
import sqlalchemy as sa

import tokenomics.ingest.known
import tokenomics.ingest.litellm_spendlogs
from tokenomics.ingest.runner import ingest_paths

DDL = '''
CREATE TABLE "LiteLLM_SpendLogs" (
    request_id TEXT PRIMARY KEY, call_type TEXT, api_key TEXT, spend DOUBLE PRECISION, total_tokens INT,
    prompt_tokens INT, completion_tokens INT, "startTime" TIMESTAMP(3), "endTime" TIMESTAMP(3),
    "completionStartTime" TIMESTAMP(3), model TEXT, model_id TEXT, model_group TEXT, custom_llm_provider TEXT,
    api_base TEXT, "user" TEXT, metadata JSONB, cache_hit TEXT, cache_key TEXT, request_tags JSONB, team_id TEXT,
    end_user TEXT, requester_ip_address TEXT, messages JSONB, response JSONB, session_id TEXT, status TEXT,
    proxy_server_request JSONB)
'''


def _row(rid, start, prompt=1000, completion=300, usage=None, **extra):
    usage = usage if usage is not None else {
        "prompt_tokens": prompt, "completion_tokens": completion,
        "prompt_tokens_details": {"cached_tokens": 600}, "cache_creation_input_tokens": 100,
        "completion_tokens_details": {"reasoning_tokens": 50}}
    return {"request_id": rid, "call_type": "acompletion", "api_key": "sk-hashed-by-litellm", "spend": 0.0042,
            "total_tokens": prompt + completion, "prompt_tokens": prompt, "completion_tokens": completion,
            "startTime": start, "endTime": start.replace("00.000", "02.500"),
            "completionStartTime": start.replace("00.000", "00.400"), "model": "claude-sonnet-4-5",
            "model_group": "claude-sonnet", "custom_llm_provider": "anthropic", "user": "alice",
            "metadata": json.dumps({"usage_object": usage, "spend_logs_metadata": {"tenant": "acme"},
                                    "user_api_key_team_alias": "search"}),
            "cache_hit": "False", "request_tags": json.dumps(["feature:rag"]), "team_id": "t1",
            "messages": json.dumps([{"role": "user", "content": "SECRET PROMPT"}]),
            "response": json.dumps({"content": "SECRET ANSWER"}), "status": "success", **extra}


@pytest.fixture()
def gateway_db(postgres_url):
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as db:
        db.execute(sa.text('DROP TABLE IF EXISTS "LiteLLM_SpendLogs"'))
        db.execute(sa.text(DDL))
    yield engine
    engine.dispose()


def _insert(engine, rows):
    cols = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in cols)
    marks = ", ".join(f":{c}" for c in cols)
    with engine.begin() as db:
        db.execute(sa.text(f'INSERT INTO "LiteLLM_SpendLogs" ({quoted}) VALUES ({marks})'), rows)


def test_spendlogs_land_with_disjoint_buckets_and_no_text(warehouse, gateway_db, postgres_url):
    _insert(gateway_db, [_row("r1", "2026-11-03 10:00:00.000"), _row("r2", "2026-11-03 11:00:00.000")])
    [r] = ingest_paths(warehouse, "litellm-spendlogs", [postgres_url])
    assert r.status == "loaded" and (r.counts.read, r.counts.loaded) == (2, 2)
    assert "@" in r.uri and "tokenomics@" not in r.uri             # credentials are not recorded
    row = warehouse.execute("SELECT tenant, team, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, "
                            "output_tokens, reasoning_tokens, ttft_ms, latency_ms, tags FROM raw_requests "
                            "WHERE request_id = 'r1'").fetchone()
    # prompt 1,000 includes 600 cache reads and 100 cache writes -> 300 uncached; completion 300 includes 50
    # reasoning -> 250 output; first token 400 ms, done at 2,500 ms
    assert row == ("acme", "search", 300, 600, 100, 250, 50, 400, 2500, ["feature:rag"])
    assert "SECRET" not in str(warehouse.execute("SELECT * FROM raw_requests").fetchall())


def test_pulls_are_incremental_and_exactly_once(warehouse, gateway_db, postgres_url):
    _insert(gateway_db, [_row("r1", "2026-11-03 10:00:00.000")])
    ingest_paths(warehouse, "litellm-spendlogs", [postgres_url])
    _insert(gateway_db, [_row("r2", "2026-11-03 12:00:00.000"),
                         _row("bad", "2026-11-03 12:30:00.000", usage={"prompt_tokens_details": {"cached_tokens": 5000}})])
    [r] = ingest_paths(warehouse, "litellm-spendlogs", [postgres_url])
    # the overlap hour re-reads nothing old here (r1 is 2 h older); r2 loads, the impossible row is quarantined
    assert (r.counts.loaded, r.counts.quarantined) == (1, 1)
    [again] = ingest_paths(warehouse, "litellm-spendlogs", [postgres_url])
    # the overlap re-reads r2 and the bad row: both are duplicates now — a bad row is quarantined once
    assert (again.counts.read, again.counts.loaded, again.counts.duplicate, again.counts.quarantined) == (2, 0, 2, 0)
    assert warehouse.execute("SELECT count(*) FROM raw_requests").fetchone()[0] == 2
    [(reason, uri)] = warehouse.execute("SELECT reason, uri FROM quarantine").fetchall()
    assert reason == "cache tokens exceed prompt_tokens" and uri.endswith("#bad")


def test_unreachable_database_is_a_recorded_failure(warehouse):
    [r] = ingest_paths(warehouse, "litellm-spendlogs", ["postgresql://nobody:secret@127.0.0.1:1/none"])
    assert r.status == "failed" and "secret" not in r.uri
    assert warehouse.execute("SELECT status FROM ingest_runs").fetchone()[0] == "failed"


@pytest.mark.parametrize("prepass_rows", [10**12, 0], ids=["lookup-per-batch", "lookup-once-per-pull"])
def test_both_lookups_give_the_same_pull(warehouse, gateway_db, postgres_url, monkeypatch, prepass_rows):
    """Batches of 2: a large warehouse reads the pull window's ids first and looks them up once
    (ingest/known.py); a small one looks up every batch. Same rows, duplicates and conflicts either way."""
    monkeypatch.setattr(tokenomics.ingest.litellm_spendlogs, "BATCH", 2)
    monkeypatch.setattr(tokenomics.ingest.known, "PREPASS_ROWS", prepass_rows)
    _insert(gateway_db, [_row(f"r{i}", f"2026-11-03 10:{10 * i:02d}:00.000") for i in range(1, 6)])
    [first] = ingest_paths(warehouse, "litellm-spendlogs", [postgres_url])
    assert (first.counts.read, first.counts.loaded) == (5, 5)
    # r5 is changed after we loaded it; r6 and r7 are new; the overlap hour re-reads r1..r5
    with gateway_db.begin() as db:
        db.execute(sa.text('UPDATE "LiteLLM_SpendLogs" SET spend = spend + 7'
                           " WHERE request_id = 'r5'"))
    _insert(gateway_db, [_row("r6", "2026-11-03 11:00:00.000"), _row("r7", "2026-11-03 11:05:00.000")])
    [second] = ingest_paths(warehouse, "litellm-spendlogs", [postgres_url])
    counts = second.counts
    assert (counts.read, counts.loaded, counts.duplicate, counts.quarantined) == (7, 2, 4, 1)
    assert warehouse.execute("SELECT count(*), count(DISTINCT request_id) FROM raw_requests").fetchone() == (7, 7)
    [reason] = warehouse.execute("SELECT reason FROM quarantine").fetchone()
    assert "r5 already loaded with different content" in reason
    assert warehouse.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('_known', '_repeated')"
                             ).fetchone()[0] == 0  # the lookup tables are gone after the pull

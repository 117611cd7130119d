"""LiteLLM StandardLoggingPayload quirks, hostile lines and exactly-once behaviour."""

import json

from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload, write_jsonl
from tokenomics.config import hash_salt
from tokenomics.records import GatewayRequest, TokenBuckets, hash_identifier

COLUMNS = ("request_id, start_time, end_time, tenant, team, project, user_hash, api_key_hash, tags, provider,"
           " requested_model, resolved_model, deployment, region, service_tier, uncached_input_tokens,"
           " cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens,"
           " status, is_stream, ttft_ms, latency_ms, gateway_cache, reported_cost_usd")


def _rows(con):
    cur = con.execute(f"SELECT {COLUMNS} FROM raw_requests ORDER BY request_id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_prompt_tokens_include_cache_and_completion_includes_reasoning(warehouse, tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [payload("q1", "2026-01-01T00:00:00", "anthropic", "claude-x", 10_000, 900,
                                               cached=6_000, creation=3_000, creation_1h=1_000, reasoning=400,
                                               stream=True)])
    [result] = ingest_paths(warehouse, "litellm", [tmp_path / "a.jsonl"])
    assert (result.counts.loaded, result.counts.quarantined) == (1, 0)
    [row] = _rows(warehouse)
    assert (row["uncached_input_tokens"], row["cache_read_tokens"], row["cache_write_5m_tokens"],
            row["cache_write_1h_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (1000, 6000, 2000, 1000, 500, 400)
    assert row["ttft_ms"] == 300 and row["latency_ms"] == 2000
    # the SQL fast path produces records the canonical pydantic model accepts
    tokens = TokenBuckets(**{k: row.pop(k) for k in list(row) if k.endswith("_tokens")})
    GatewayRequest(tokens=tokens, tags=tuple(row.pop("tags")), **row)


def test_privacy_no_text_and_hashed_users(warehouse, tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [payload("q1", "2026-01-01T00:00:00", "openai", "gpt-y", 10, 5)])
    ingest_paths(warehouse, "litellm", [tmp_path])
    dump = json.dumps(warehouse.execute("SELECT * FROM raw_requests").fetchall(), default=str)
    assert "SECRET" not in dump and "alice@acme.test" not in dump


HOSTILE = {
    "not valid JSON": '{"id": "x1", "startTime": 17',
    "not a JSON object": "[1, 2, 3]",
    "id is missing": {"no": "id"},
    "prompt_tokens is negative": payload("n1", "2026-01-01T00:00:00", "openai", "gpt-y", -5, 1),
    "completion_tokens is not an integer": {**payload("n2", "2026-01-01T00:00:00", "openai", "gpt-y", 5, 1)},
    "startTime is not a timestamp": {**payload("n3", "2026-01-01T00:00:00", "openai", "gpt-y", 5, 1),
                                     "startTime": "yesterday"},
    "cache tokens exceed prompt_tokens": payload("n4", "2026-01-01T00:00:00", "openai", "gpt-y", 5, 1, cached=9),
    "prompt_tokens is absurd": payload("n5", "2026-01-01T00:00:00", "openai", "gpt-y", 10**12, 1),
}
HOSTILE["completion_tokens is not an integer"]["metadata"]["usage_object"]["completion_tokens"] = "12k"


def test_hostile_lines_are_quarantined_with_reasons(warehouse, tmp_path):
    good = payload("ok", "2026-01-01T00:00:00", "openai", "gpt-y", 10, 5)
    lines = [good, *HOSTILE.values(), "", good]
    write_jsonl(tmp_path / "h.jsonl", lines)
    with (tmp_path / "h.jsonl").open("ab") as handle:  # a line that is not UTF-8 at all
        handle.write(b'{"id": "bin", "x": "\xff\xfe"}\n')
    [r] = ingest_paths(warehouse, "litellm", [tmp_path / "h.jsonl"])
    c = r.counts
    assert (c.read, c.loaded, c.quarantined, c.duplicate) == (1 + len(HOSTILE) + 1 + 1, 1, len(HOSTILE) + 1, 1)
    reasons = [x for (x,) in warehouse.execute("SELECT reason FROM quarantine ORDER BY line_no").fetchall()]
    for expected in HOSTILE:
        assert any(expected in reason for reason in reasons), expected
    assert any("invalid UTF-8" in reason for reason in reasons)
    lines_no = [n for (n,) in warehouse.execute("SELECT line_no FROM quarantine ORDER BY line_no").fetchall()]
    assert lines_no == list(range(2, 2 + len(HOSTILE))) + [len(lines) + 1]  # physical line numbers


def test_reingest_is_idempotent_and_conflicts_are_quarantined(warehouse, tmp_path):
    first = payload("d1", "2026-01-01T00:00:00", "openai", "gpt-y", 10, 5)
    write_jsonl(tmp_path / "a.jsonl", [first])
    ingest_paths(warehouse, "litellm", [tmp_path / "a.jsonl"])
    [again] = ingest_paths(warehouse, "litellm", [tmp_path / "a.jsonl"])
    assert again.status == "skipped_already_ingested"
    changed = payload("d1", "2026-01-01T00:00:00", "openai", "gpt-y", 10, 6)
    write_jsonl(tmp_path / "b.jsonl", [first, changed])  # new file: a re-delivery plus a conflicting copy
    [r] = ingest_paths(warehouse, "litellm", [tmp_path / "b.jsonl"])
    assert (r.counts.loaded, r.counts.duplicate, r.counts.quarantined) == (0, 1, 1)
    assert warehouse.execute("SELECT count(*) FROM raw_requests").fetchone()[0] == 1


def test_quarantine_never_keeps_prompt_text_or_user_ids(warehouse, tmp_path):
    """A rejected line is kept for diagnosis as its allow-listed fields (id, times, model, token counts…) —
    not its messages, response, any field not on the list, nor the user's id or key hash; a line that is not
    JSON keeps no text at all: its size, a salted hash and the id/startTime read from its well-formed start."""
    bad = payload("p1", "2026-01-01T00:00:00", "openai", "gpt-y", 10, -5)  # negative completion tokens
    bad["messages"] = [{"role": "user", "content": "SECRET prompt about the merger"}]
    bad["response"] = {"choices": [{"message": {"content": "SECRET answer"}}]}
    bad["proxy_server_request"] = {"body": {"messages": "SECRET again"}}
    bad["end_user"] = "alice@example.com"
    bad["metadata"]["user_api_key_user_id"] = "alice@example.com"
    bad["metadata"]["user_api_key_hash"] = "SECRET-unsalted-key-hash"
    write_jsonl(tmp_path / "q.jsonl", [bad])
    with (tmp_path / "q.jsonl").open("a") as handle:  # truncated mid-line: not JSON
        handle.write('{"id": "p2", "startTime": 1767225600, "messages": [{"content": "SECRET cut"\n')
    [r] = ingest_paths(warehouse, "litellm", [tmp_path / "q.jsonl"])
    assert (r.counts.loaded, r.counts.quarantined) == (0, 2)
    kept = dict(warehouse.execute("SELECT line_no, raw FROM quarantine").fetchall())
    for raw in kept.values():
        assert "SECRET" not in raw and "alice" not in raw, raw
    parsed = json.loads(kept[1])
    assert parsed["id"] == "p1" and parsed["model"] == "gpt-y" and parsed["metadata.usage_object.completion_tokens"] == -5
    assert not any(key.endswith(("user_id", "end_user", "_hash", "messages", "response", "request")) for key in parsed)
    line = '{"id": "p2", "startTime": 1767225600, "messages": [{"content": "SECRET cut"'
    assert json.loads(kept[2]) == {"id": "p2", "startTime": "1767225600", "text": "not kept", "bytes": len(line),
                                   "sha256": hash_identifier(line, hash_salt())}

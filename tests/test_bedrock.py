"""Bedrock invocation logs: gzipped JSON lines, disjoint cache counts, ARN → tenant, hostile input."""

import gzip
import json
from pathlib import Path

import pytest

import tokenomics.ingest.bedrock
import tokenomics.ingest.known
from tokenomics.ingest.runner import ingest_paths

FIXTURE = Path(__file__).parent / "fixtures" / "bedrock" / "invocations-2026-11-03.json.gz"
# stored collisions looked up per batch (a small warehouse) or once per file after reading its ids (a large one)
LOOKUPS = pytest.mark.parametrize("prepass_rows", [10**12, 0], ids=["lookup-per-batch", "lookup-once-per-file"])


@pytest.fixture()
def lookup(monkeypatch, prepass_rows):
    monkeypatch.setattr(tokenomics.ingest.bedrock, "BATCH_LINES", 2)
    monkeypatch.setattr(tokenomics.ingest.known, "PREPASS_ROWS", prepass_rows)


def _by_id(con):
    return {r[0][-2:]: r[1:] for r in con.execute(
        "SELECT request_id, tenant, team, tags, provider, resolved_model, region, uncached_input_tokens, "
        "cache_read_tokens, cache_write_5m_tokens, output_tokens, latency_ms, api_key_hash FROM raw_requests").fetchall()}


def test_invocations_land_with_bedrock_token_semantics(warehouse):
    [result] = ingest_paths(warehouse, "bedrock", [FIXTURE])
    assert (result.counts.read, result.counts.loaded) == (2, 2)
    rows = _by_id(warehouse)
    acme = rows["01"]
    # inputTokenCount 1,200 EXCLUDES the 8,000 cache reads and 500 cache writes: buckets stay disjoint
    assert acme[:6] == ("acme", "search", ["feature:rag"], "bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0",
                        "us-east-1")
    assert acme[6:10] == (1200, 8000, 500, 350) and acme[10] == 2140
    assert acme[11] and "arn:aws" not in acme[11]           # the caller's ARN is hashed, never stored
    # no requestMetadata tenant: the assumed role's name is the tenant
    assert rows["02"][0] == "globex-batch"
    body = warehouse.execute("SELECT count(*) FROM raw_requests WHERE CAST(tags AS VARCHAR) LIKE '%SECRET%'").fetchone()
    assert body[0] == 0


@LOOKUPS
def test_tenant_map_and_exactly_once(warehouse, tmp_path, lookup):
    mapping = tmp_path / "tenants.yaml"
    mapping.write_text("'arn:aws:sts::123456789012:assumed-role/globex-*': globex\n")
    ingest_paths(warehouse, "bedrock", [FIXTURE], {"tenant_map": str(mapping)})
    assert _by_id(warehouse)["02"][0] == "globex"
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(gzip.decompress(FIXTURE.read_bytes()))
    [again] = ingest_paths(warehouse, "bedrock", [copy], {"tenant_map": str(mapping)})
    assert (again.counts.read, again.counts.duplicate, again.counts.loaded) == (2, 2, 0)


@LOOKUPS
def test_hostile_lines_and_truncated_gzip(warehouse, tmp_path, lookup):
    good = gzip.decompress(FIXTURE.read_bytes()).decode().splitlines()
    first = json.loads(good[0])
    conflict = dict(first, output=dict(first["output"], outputTokenCount=999))   # same id, different content
    negative = dict(first, requestId="neg", input={"inputTokenCount": -5})
    absurd = dict(first, requestId="big", input={"inputTokenCount": 10**12})
    naive = dict(first, requestId="naive", timestamp="2026-11-03T10:15:02")
    lines = [good[0], json.dumps(conflict), json.dumps(negative), json.dumps(absurd), json.dumps(naive),
             "{not json", "[1, 2]"]
    data = ("\n".join(lines) + "\n").encode() + b"\xff\xfe broken utf8\n"
    blob = gzip.compress(data)
    truncated = tmp_path / "cut.json.gz"
    truncated.write_bytes(blob[: len(blob) - 12])                   # cut off the gzip trailer
    [result] = ingest_paths(warehouse, "bedrock", [truncated])
    c = result.counts
    assert c.read == c.loaded + c.quarantined + c.duplicate
    assert c.loaded == 1 and c.quarantined >= 7
    reasons = " | ".join(r for (r,) in warehouse.execute("SELECT reason FROM quarantine").fetchall())
    for expected in ("already loaded with different content", "greater than or equal to 0",
                     "less than or equal to 10000000", "no time zone", "not a JSON object", "truncated or corrupt"):
        assert expected in reasons, expected
    stored = " ".join(r for (r,) in warehouse.execute("SELECT raw FROM quarantine").fetchall())
    assert "SECRET" not in stored                                   # bodies are dropped even from quarantine

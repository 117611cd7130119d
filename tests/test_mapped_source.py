"""Generic mapped source: CSV, JSONL (dot paths) and Parquet with declared token conventions."""

import json

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tokenomics.ingest.known
import tokenomics.ingest.mapped
from tokenomics.ingest.runner import ingest_paths

MAPPING = {"name": "acme-gw", "format": "jsonl", "input_includes_cached": True, "defaults": {"provider": "openai"},
           "columns": {"request_id": "id", "start_time": "created_at", "latency_ms": "duration_ms",
                       "tenant": "meta.org", "model": "model", "input_tokens": "usage.prompt_tokens",
                       "cached_input_tokens": "usage.cached", "output_tokens": "usage.completion_tokens",
                       "reasoning_tokens": "usage.reasoning", "user": "meta.user"}}
ROW = {"id": "r1", "created_at": "2026-11-03T10:00:00Z", "duration_ms": 1500, "model": "gpt-4o",
       "meta": {"org": "acme", "user": "alice@example.com"}, "prompt": "SECRET PROMPT",
       "usage": {"prompt_tokens": 1000, "cached": 600, "completion_tokens": 300, "reasoning": 100}}


def _mapping(tmp_path, **changes):
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump({**MAPPING, **changes}))
    return {"mapping": str(path)}


def _tokens(con):
    return con.execute("SELECT source, tenant, provider, uncached_input_tokens, cache_read_tokens, output_tokens, "
                       "reasoning_tokens, latency_ms, user_hash FROM raw_requests ORDER BY request_id").fetchall()


def test_jsonl_dot_paths_and_included_cached_tokens(warehouse, tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text(json.dumps(ROW) + "\n")
    [r] = ingest_paths(warehouse, "mapped", [f], _mapping(tmp_path))
    assert r.counts.loaded == 1
    [row] = _tokens(warehouse)
    # input 1,000 includes 600 cached -> 400 uncached; output 300 includes 100 reasoning -> 200 + 100
    assert row[:8] == ("mapped:acme-gw", "acme", "openai", 400, 600, 200, 100, 1500)
    assert row[8] and "alice" not in row[8]
    assert "SECRET" not in str(warehouse.execute("SELECT * FROM raw_requests").fetchall())


def test_csv_and_parquet_with_flat_columns(warehouse, tmp_path):
    flat = {"request_id": "id", "start_time": "ts", "latency_ms": "ms", "tenant": "org", "provider": "vendor",
            "model": "model", "input_tokens": "in", "output_tokens": "out"}
    df = pl.DataFrame({"id": ["a", "b"], "ts": ["2026-11-03T10:00:00+00:00", "1793700000"], "ms": [10, 20],
                       "org": ["acme", "globex"], "vendor": ["anthropic", "anthropic"], "model": ["claude-x"] * 2,
                       "in": [100, 200], "out": [5, 6]})
    df.write_csv(tmp_path / "log.csv")
    df.write_parquet(tmp_path / "log.parquet")
    for fmt, file in (("csv", "log.csv"), ("parquet", "log.parquet")):
        opts = _mapping(tmp_path, format=fmt, name=f"gw-{fmt}", columns=flat, input_includes_cached=False)
        [r] = ingest_paths(warehouse, "mapped", [tmp_path / file], opts)
        assert (r.counts.read, r.counts.loaded) == (2, 2), fmt
    assert warehouse.execute("SELECT count(DISTINCT source), sum(uncached_input_tokens) FROM raw_requests").fetchone() \
        == (2, 600)


def test_hostile_rows_are_quarantined_and_counts_add_up(warehouse, tmp_path):
    bad = [dict(ROW, id="neg", usage={"prompt_tokens": -1, "completion_tokens": 1}),
           dict(ROW, id="naive", created_at="2026-11-03T10:00:00"),
           dict(ROW, id="", usage=ROW["usage"]),
           dict(ROW, id="cached-more", usage={"prompt_tokens": 10, "cached": 50, "completion_tokens": 1}),
           dict(ROW, id="type", usage={"prompt_tokens": "lots", "completion_tokens": 1}),
           dict(ROW, id="r1"), dict(ROW, id="r1", duration_ms=9)]           # duplicate id, different content
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(json.dumps(b) for b in bad) + "\n{oops\n[1]\n")
    [r] = ingest_paths(warehouse, "mapped", [f], _mapping(tmp_path))
    c = r.counts
    assert c.read == c.loaded + c.quarantined + c.duplicate == 9
    assert c.loaded == 1 and c.quarantined == 8
    stored = str(warehouse.execute("SELECT raw, reason FROM quarantine").fetchall())
    assert "SECRET" not in stored and "not valid JSON" in stored and "already loaded with different content" in stored


def test_mapping_file_errors_are_clear(warehouse, tmp_path):
    f = tmp_path / "log.jsonl"
    f.write_text(json.dumps(ROW) + "\n")
    cols = {k: v for k, v in MAPPING["columns"].items() if k != "tenant"}
    [r] = ingest_paths(warehouse, "mapped", [f], _mapping(tmp_path, columns=cols))
    assert r.status == "failed" and "lacks required fields ['tenant']" in r.message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(st.sampled_from(["id", "created_at", "duration_ms", "model", "meta", "usage"]),
                                st.one_of(st.none(), st.integers(-10**13, 10**13), st.text(max_size=20),
                                          st.floats(allow_nan=True), st.booleans(),
                                          st.dictionaries(st.sampled_from(["org", "prompt_tokens", "cached",
                                                                           "completion_tokens"]),
                                                          st.one_of(st.integers(-5, 10**9), st.text(max_size=5)),
                                                          max_size=4)),
                                max_size=6), min_size=1, max_size=15))
@example(rows=[{"created_at": 6.77680361916768e+16}])  # found by the fuzzer: fromtimestamp raised OSError
def test_fuzzed_rows_never_crash_and_always_add_up(warehouse, tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("fuzz")
    f = tmp / "fuzz.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    [r] = ingest_paths(warehouse, "mapped", [f], _mapping(tmp))
    assert r.status in ("loaded", "skipped_already_ingested")
    c = r.counts
    assert c.read == c.loaded + c.quarantined + c.duplicate


@pytest.mark.parametrize("prepass_rows", [10**12, 0], ids=["lookup-per-batch", "lookup-once-per-file"])
def test_both_lookups_give_the_same_counts(warehouse, tmp_path, monkeypatch, prepass_rows):
    """Batches of 2; a large warehouse reads the file's ids first and looks them up once (ingest/known.py)."""
    monkeypatch.setattr(tokenomics.ingest.mapped, "BATCH", 2)
    monkeypatch.setattr(tokenomics.ingest.known, "PREPASS_ROWS", prepass_rows)
    opts = _mapping(tmp_path)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(json.dumps(dict(ROW, id=i)) + "\n" for i in ("r1", "r2")))
    second.write_text("".join(json.dumps(row) + "\n" for row in (
        dict(ROW, id="r3"), dict(ROW, id="r1"),                  # batch 1: new, a duplicate of the earlier file
        dict(ROW, id="r4"), dict(ROW, id="r2", duration_ms=9),   # batch 2: new, a conflict with the earlier file
        dict(ROW, id="r3"), dict(ROW, id="r5"))))                # batch 3: repeats batch 1 (duplicate), new
    ingest_paths(warehouse, "mapped", [first], opts)
    [r] = ingest_paths(warehouse, "mapped", [second], opts)
    c = r.counts
    assert (c.read, c.loaded, c.duplicate, c.quarantined) == (6, 3, 2, 1)
    assert warehouse.execute("SELECT count(*), count(DISTINCT request_id) FROM raw_requests").fetchone() == (5, 5)

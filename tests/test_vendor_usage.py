"""Vendor usage APIs: each provider's token quirk normalised, overlapping windows replace, bad rows kept."""

import json
from datetime import datetime, timezone
from pathlib import Path

from tokenomics.ingest.runner import ingest_paths

FIX = Path(__file__).parent / "fixtures" / "vendor_usage"


def _rows(con, provider):
    return con.execute("SELECT model, service_tier, batch, requests, uncached_input_tokens, cache_read_tokens, "
                       "cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, api_key_hash FROM vendor_usage "
                       "WHERE provider = ? ORDER BY model", [provider]).fetchall()


def test_openai_input_tokens_include_cached(warehouse):
    [r] = ingest_paths(warehouse, "openai-usage", [FIX / "openai-usage-2026-11-01.json"])
    assert (r.counts.read, r.counts.loaded) == (2, 2)
    gpt4o, mini = _rows(warehouse, "openai")
    # input 1,200,000 INCLUDES 800,000 cached: uncached 400,000 + cache read 800,000
    assert gpt4o[:9] == ("gpt-4o-2024-08-06", "standard", False, 950, 400_000, 800_000, 0, 0, 300_000)
    assert mini[1:3] == ("batch", True)
    assert gpt4o[9] and "key_abc" not in gpt4o[9]          # key ids are hashed


def test_anthropic_buckets_are_already_disjoint(warehouse):
    ingest_paths(warehouse, "anthropic-usage", [FIX / "anthropic-usage-2026-11-01.json"])
    [row] = _rows(warehouse, "anthropic")
    assert row[4:9] == (20_000, 150_000, 7_000, 3_000, 9_000)


def test_refetched_window_replaces_never_double_counts(warehouse, tmp_path):
    ingest_paths(warehouse, "openai-usage", [FIX / "openai-usage-2026-11-01.json"])
    page = json.loads((FIX / "openai-usage-2026-11-01.json").read_text())
    page["data"][0]["results"][0]["output_tokens"] = 310_000      # the day's late-arriving usage
    page["data"][0]["results"] = page["data"][0]["results"][:1]
    later = tmp_path / "openai-usage-2026-11-01-refetch.json"
    later.write_text(json.dumps(page))
    ingest_paths(warehouse, "openai-usage", [later])
    assert warehouse.execute("SELECT count(*), sum(output_tokens) FROM vendor_usage").fetchone() == (1, 310_000)


def test_bad_results_are_quarantined(warehouse, tmp_path):
    page = {"data": [
        {"start_time": 1793491200, "end_time": 1793577600, "results": [
            {"input_tokens": 10, "output_tokens": 1, "input_cached_tokens": 50, "model": "gpt-4o"},   # cached > input
            {"input_tokens": -1, "output_tokens": 1, "model": "gpt-4o"},
            {"input_tokens": 10, "output_tokens": 1, "model": "gpt-4o"}]},
        {"start_time": "2026-11-02T00:00:00", "end_time": "2026-11-03T00:00:00Z", "results": []},   # no zone
    ]}
    f = tmp_path / "openai-usage-bad.json"
    f.write_text(json.dumps(page))
    [r] = ingest_paths(warehouse, "openai-usage", [f])
    c = r.counts
    assert c.read == c.loaded + c.quarantined + c.duplicate and (c.loaded, c.quarantined) == (1, 3)
    reasons = " | ".join(x for (x,) in warehouse.execute("SELECT reason FROM quarantine").fetchall())
    assert "exceed input_tokens" in reasons and "greater than or equal to 0" in reasons and "no time zone" in reasons
    assert warehouse.execute("SELECT min(bucket_start) FROM vendor_usage").fetchone()[0] == datetime(
        2026, 11, 1, tzinfo=timezone.utc)

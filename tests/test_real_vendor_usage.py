"""Vendor usage and cost APIs on genuine responses (tests/fixtures/real/openai, …/anthropic; provenance in
tests/fixtures/real/README.md): every result loads, token buckets are disjoint per the vendor's own definitions."""

import shutil
from pathlib import Path

import pytest

from tokenomics.ingest.runner import ingest_paths

REAL = Path(__file__).parent / "fixtures" / "real"


def _load(warehouse, tmp_path, source: str, fixture: Path, name: str):
    """The sources take files named like the API (openai-usage*.json); copy the genuine page under one."""
    target = tmp_path / name
    shutil.copy(fixture, target)
    [result] = ingest_paths(warehouse, source, [target])
    assert result.counts.reconciles()
    return result


def _usage(warehouse, provider):
    return warehouse.execute(
        "SELECT requests, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,"
        " output_tokens FROM vendor_usage WHERE provider = ?", [provider]).fetchall()


def test_openai_current_spec_splits_cache_writes_out_of_input(warehouse, tmp_path):
    # input_tokens 1,000 INCLUDES 400 cached and 100 cache writes; input_uncached_tokens 500 is the rest
    r = _load(warehouse, tmp_path, "openai-usage", REAL / "openai" / "usage-completions.json", "openai-usage-now.json")
    assert (r.counts.read, r.counts.loaded) == (1, 1)
    assert _usage(warehouse, "openai") == [(5, 500, 400, 100, 0, 500)]


@pytest.mark.parametrize("fixture", ["usage-completions-legacy-2026-07.json", "usage-completions-initial-2024-12.json"])
def test_openai_older_pages_without_the_split_still_load(warehouse, tmp_path, fixture):
    # older spec: input 1,000 includes 800 cached, no cache-write field -> uncached 200
    r = _load(warehouse, tmp_path, "openai-usage", REAL / "openai" / fixture, "openai-usage-old.json")
    assert (r.counts.read, r.counts.loaded) == (1, 1)
    [(requests, uncached, cached, writes, writes_1h, output)] = _usage(warehouse, "openai")
    assert uncached + cached == 1000 and writes == writes_1h == 0 and output == 500


def test_openai_parts_that_do_not_add_up_are_quarantined(warehouse, tmp_path):
    text = (REAL / "openai" / "usage-completions.json").read_text().replace('"input_uncached_tokens": 500',
                                                                           '"input_uncached_tokens": 600')
    (tmp_path / "openai-usage-bad.json").write_text(text)
    [r] = ingest_paths(warehouse, "openai-usage", [tmp_path / "openai-usage-bad.json"])
    assert (r.counts.loaded, r.counts.quarantined) == (0, 1)
    assert "is not input_tokens" in warehouse.execute("SELECT reason FROM quarantine").fetchone()[0]


@pytest.mark.parametrize("fixture", ["usage-report-messages.json", "usage-report-messages-2026-02-speed.json",
                                     "usage-report-messages-legacy-2026-01.json",
                                     "usage-report-messages-docs-anthropic-2025.json"])
def test_anthropic_usage_reports_are_disjoint_buckets(warehouse, tmp_path, fixture):
    # uncached 1,500 excludes the 200 cache reads and the 500 (5m) + 1,000 (1h) cache writes
    r = _load(warehouse, tmp_path, "anthropic-usage", REAL / "anthropic" / fixture, "anthropic-usage-x.json")
    assert r.counts.loaded == r.counts.read >= 1
    rows = _usage(warehouse, "anthropic")
    assert all(row[1:] == (1500, 200, 500, 1000, 500) for row in rows), rows


def _costs(warehouse, provider):
    return warehouse.execute("SELECT model, token_class, service_tier, amount_usd FROM vendor_costs WHERE provider = ?"
                             " ORDER BY ALL", [provider]).fetchall()


@pytest.mark.parametrize("fixture", ["costs.json", "costs-legacy-2026-07.json", "costs-initial-2024-12.json"])
def test_openai_costs_amount_is_dollars_exactly(warehouse, tmp_path, fixture):
    # amount.value 0.06 is USD (not cents), read through its decimal text: exactly $0.06
    _load(warehouse, tmp_path, "openai-costs", REAL / "openai" / fixture, "openai-costs-x.json")
    [(model, token_class, tier, amount)] = _costs(warehouse, "openai")
    assert str(amount.normalize()) == "0.06" and tier == "standard"


@pytest.mark.parametrize("fixture", ["cost-report.json", "cost-report-2026-02-speed.json",
                                     "cost-report-legacy-2026-01.json", "cost-report-docs-anthropic-2025.json"])
def test_anthropic_cost_report_amount_is_cents_as_a_decimal_string(warehouse, tmp_path, fixture):
    # "123.78912" cents = $1.2378912, exactly; token_type uncached_input_tokens -> our uncached_input class
    _load(warehouse, tmp_path, "anthropic-costs", REAL / "anthropic" / fixture, "anthropic-costs-x.json")
    [(model, token_class, tier, amount)] = _costs(warehouse, "anthropic")
    assert str(amount.normalize()) == "1.2378912" and token_class == "uncached_input" and tier == "standard"

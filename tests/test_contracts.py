"""Contract files: effective-dated discounts and GPU rates, exactly once, conflicts quarantined."""

import copy

import yaml

from tokenomics.ingest.runner import ingest_paths
from tokenomics.demo.catalogue import CONTRACTS


def test_reload_is_duplicate_and_changed_or_invalid_rows_are_quarantined(warehouse, tmp_path):
    (tmp_path / "contracts.yaml").write_text(yaml.safe_dump(CONTRACTS))
    [first] = ingest_paths(warehouse, "contracts", [tmp_path / "contracts.yaml"])
    assert (first.counts.read, first.counts.loaded) == (5, 5)
    changed = copy.deepcopy(CONTRACTS)
    changed["gpu_rates"][0]["usd_per_gpu_hour"] = "2.50"  # same key and valid_from, different rate
    changed["discounts"].append({"contract_id": "x", "provider": "p", "discount_pct": "150",
                                 "valid_from": "2026-01-01T00:00:00Z"})
    (tmp_path / "contracts-v2.yaml").write_text(yaml.safe_dump(changed))
    [second] = ingest_paths(warehouse, "contracts", [tmp_path / "contracts-v2.yaml"])
    c = second.counts
    assert (c.read, c.loaded, c.quarantined, c.duplicate) == (6, 0, 2, 4)
    reasons = sorted(r for (r,) in warehouse.execute("SELECT reason FROM quarantine").fetchall())
    assert reasons[0].startswith("conflicts with the value already loaded") and "less than or equal to 100" in reasons[1]
    rate = warehouse.execute("SELECT usd_per_gpu_hour FROM gpu_rates WHERE rate_ref = 'h100-committed'").fetchone()[0]
    assert str(rate) == "2.200000"  # the first value stands


def test_budgets_and_settings_are_revisable_and_validated(warehouse, tmp_path):
    doc = {"budgets": [{"tenant": "acme", "month": "2026-03-01", "budget_usd": "1000.00"},
                       {"tenant": "acme", "month": "2026-03-15", "budget_usd": "5.00"}],      # not a month start
           "settings": {"decode_token_weight": 3, "no_such_setting": 1}}
    (tmp_path / "contracts-budgets.yaml").write_text(yaml.safe_dump(doc))
    [first] = ingest_paths(warehouse, "contracts", [tmp_path / "contracts-budgets.yaml"])
    assert (first.counts.read, first.counts.loaded, first.counts.quarantined) == (4, 2, 2)
    doc["budgets"][0]["budget_usd"] = "1200.00"   # finance revises the budget: the new value replaces the old
    doc["settings"]["decode_token_weight"] = 3    # unchanged: a duplicate
    (tmp_path / "contracts-budgets-v2.yaml").write_text(yaml.safe_dump(doc))
    [second] = ingest_paths(warehouse, "contracts", [tmp_path / "contracts-budgets-v2.yaml"])
    assert (second.counts.loaded, second.counts.duplicate, second.counts.quarantined) == (1, 1, 2)
    assert str(warehouse.execute("SELECT budget_usd FROM budgets").fetchone()[0]) == "1200.00"
    assert str(warehouse.execute("SELECT value FROM cost_settings WHERE key = 'decode_token_weight'").fetchone()[0]) \
        == "3.000000"


def test_demo_budgets_are_loaded(demo):
    import duckdb

    con = duckdb.connect(str(demo["db"]), read_only=True)
    assert con.execute("SELECT count(*) FROM budgets").fetchone()[0] == demo["manifest"]["budgets"] > 0
    assert con.execute("SELECT count(*) FROM mart_budget_daily").fetchone()[0] > 0
    con.close()

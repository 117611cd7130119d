"""Hand-priced requests: the ledger must match the arithmetic in the comments to the micro-dollar."""

import json
from decimal import Decimal

import pytest

from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload, write_jsonl
from tokenomics.warehouse import build_models

M = 1e-6
CATALOGUE_JAN = {
    "claude-x": {
        "litellm_provider": "anthropic", "mode": "chat",
        "input_cost_per_token": 3 * M, "output_cost_per_token": 15 * M,
        "cache_creation_input_token_cost": 3.75 * M, "cache_creation_input_token_cost_above_1hr": 6 * M,
        "cache_read_input_token_cost": 0.3 * M,
        "input_cost_per_token_above_200k_tokens": 6 * M, "output_cost_per_token_above_200k_tokens": 22.5 * M,
        "cache_read_input_token_cost_above_200k_tokens": 0.6 * M,
        "cache_creation_input_token_cost_above_200k_tokens": 7.5 * M,
        "input_cost_per_token_batches": 1.5 * M, "output_cost_per_token_batches": 7.5 * M,
    },
    "gpt-y": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2.5 * M,
              "output_cost_per_token": 10 * M, "cache_read_input_token_cost": 1.25 * M},
}
CATALOGUE_MAR = json.loads(json.dumps(CATALOGUE_JAN))
CATALOGUE_MAR["gpt-y"]["input_cost_per_token"] = 2.0 * M  # price cut effective 2026-03-01
CONTRACTS = """
discounts:
  - {contract_id: ant-ea, provider: anthropic, model_pattern: "*", discount_pct: "10",
     valid_from: "2026-02-01T00:00:00Z", valid_to: null}
"""

REQUESTS = [
    # R1 cache write, Jan (no discount yet): prompt 10,000 = 6,000 uncached + 3,000 5m write + 1,000 1h write
    # 6000×3 + 3000×3.75 + 1000×6 + 500×15 = 18,000 + 11,250 + 6,000 + 7,500 = 42,750 µ$
    payload("r1", "2026-01-10T12:00:00", "anthropic", "claude-x", 10_000, 500, creation=4_000, creation_1h=1_000),
    # R2 cache read, Feb (10% discount): 2,000 uncached + 18,000 read; 1,000 out
    # 2000×3 + 18000×0.3 + 1000×15 = 6,000 + 5,400 + 15,000 = 26,400 µ$; discount 2,640 → effective 23,760 µ$
    payload("r2", "2026-02-10T12:00:00", "anthropic", "claude-x", 20_000, 1_000, cached=18_000),
    # R3 long context: prompt 250,000 > 200k → every token at the >200k row: 200,000×6 + 50,000×0.6 + 2,000×22.5
    # = 1,200,000 + 30,000 + 45,000 = 1,275,000 µ$
    payload("r3", "2026-01-15T12:00:00", "anthropic", "claude-x", 250_000, 2_000, cached=50_000),
    # R4 batch: 100,000×1.5 + 10,000×7.5 = 150,000 + 75,000 = 225,000 µ$
    payload("r4", "2026-01-20T12:00:00", "anthropic", "claude-x", 100_000, 10_000, batch=True),
    # R5 one second before the price change: 1,000×2.5 + 100×10 = 3,500 µ$
    payload("r5", "2026-02-28T23:59:59", "openai", "gpt-y", 1_000, 100),
    # R6 exactly at valid_from (inclusive): 1,000×2.0 + 100×10 = 3,000 µ$
    payload("r6", "2026-03-01T00:00:00", "openai", "gpt-y", 1_000, 100),
    # R7 reasoning + cache read: uncached 976, read 1,024, output 300, reasoning 1,200 (billed as output)
    # 976×2.0 + 1024×1.25 + 300×10 + 1200×10 = 1,952 + 1,280 + 3,000 + 12,000 = 18,232 µ$
    payload("r7", "2026-03-02T00:00:00", "openai", "gpt-y", 2_000, 1_500, cached=1_024, reasoning=1_200),
    # R8 unknown model: unpriced (NULL), never $0
    payload("r8", "2026-03-02T00:00:00", "openai", "mystery-1", 1_000, 100),
    # R9 answered by the gateway cache: no vendor call, $0
    payload("r9", "2026-03-02T00:00:00", "openai", "gpt-y", 1_000, 100, cache_hit=True),
]
EXPECTED_LIST_MICRO = {"r1": 42_750, "r2": 26_400, "r3": 1_275_000, "r4": 225_000, "r5": 3_500, "r6": 3_000,
                       "r7": 18_232, "r9": 0}
EXPECTED_DISCOUNT_MICRO = {"r2": 2_640}


@pytest.fixture()
def ledger(warehouse, tmp_path):
    (tmp_path / "model_prices_2026-01-01.json").write_text(json.dumps(CATALOGUE_JAN))
    (tmp_path / "model_prices_2026-03-01.json").write_text(json.dumps(CATALOGUE_MAR))
    (tmp_path / "contracts.yaml").write_text(CONTRACTS)
    write_jsonl(tmp_path / "gateway.jsonl", REQUESTS)
    for source in ("litellm-prices", "contracts", "litellm"):
        results = ingest_paths(warehouse, source, [tmp_path])
        assert all(r.status == "loaded" for r in results), results
    build_models(warehouse)
    return warehouse


def micro(value) -> Decimal:
    return Decimal(value) * 1_000_000


def test_each_request_priced_by_hand(ledger):
    rows = dict(ledger.execute("SELECT request_id, list_cost_usd FROM int_request_costs").fetchall())
    for rid, expected in EXPECTED_LIST_MICRO.items():
        assert micro(rows[rid]) == expected, rid
    assert rows["r8"] is None


def test_discount_and_effective(ledger):
    got = {r[0]: r[1:] for r in ledger.execute(
        "SELECT request_id, discount_usd, effective_cost_usd, list_cost_usd FROM int_request_costs").fetchall()}
    for rid, (discount, effective, listed) in got.items():
        if listed is None:
            assert effective is None
            continue
        assert micro(discount) == EXPECTED_DISCOUNT_MICRO.get(rid, 0), rid
        assert effective == listed - discount  # identity: effective = list − discounts


def test_statuses_and_tiers(ledger):
    got = {r[0]: r[1:] for r in ledger.execute(
        "SELECT request_id, pricing_status, service_tier, rate_context_tier, unpriced_reason FROM int_request_costs").fetchall()}
    assert got["r3"][2] == 200_000 and got["r1"][2] == 0
    assert got["r4"][1] == "batch"
    assert got["r8"][0] == "unpriced" and "no rate card" in got["r8"][3]
    assert got["r9"][0] == "gateway_cache_hit"


def test_mart_sums_reconcile_to_ledger(ledger):
    ledger_total, mart_total = ledger.execute(
        "SELECT (SELECT sum(effective_cost_usd) FROM int_request_costs),"
        " (SELECT sum(effective_cost_usd) FROM mart_spend_daily)").fetchone()
    assert ledger_total == mart_total
    # 42,750 + 23,760 + 1,275,000 + 225,000 + 3,500 + 3,000 + 18,232 = 1,591,242 µ$
    assert micro(mart_total) == 1_591_242


def test_repricing_history_is_a_join(ledger, tmp_path):
    """A card published later with an earlier valid_from re-prices history on rebuild, no re-ingest."""
    late = {"mystery-1": {"litellm_provider": "openai", "input_cost_per_token": 1 * M, "output_cost_per_token": 2 * M}}
    path = tmp_path / "late" / "model_prices_2026-01-01.json"
    path.parent.mkdir()
    path.write_text(json.dumps(late))
    ingest_paths(ledger, "litellm-prices", [path])
    build_models(ledger)
    cost = ledger.execute("SELECT list_cost_usd FROM int_request_costs WHERE request_id = 'r8'").fetchone()[0]
    assert micro(cost) == 1_000 * 1 + 100 * 2  # 1,200 µ$


def test_gateway_cache_hit_keeps_what_it_would_have_cost(ledger):
    # r9 was answered by the gateway cache: $0 spent; avoided = 1,000 x 2.0 + 100 x 10 = 3,000 µ$ (March card)
    listed, avoided = ledger.execute(
        "SELECT list_cost_usd, avoided_list_usd FROM int_request_costs WHERE request_id = 'r9'").fetchone()
    assert micro(listed) == 0 and micro(avoided) == 3_000


def test_overlapping_discounts_take_the_largest_in_force(ledger, tmp_path):
    """Contracts overlap in time and pattern: each request gets the largest discount in force at its start
    (valid_from inclusive, valid_to exclusive)."""
    more = tmp_path / "more"
    more.mkdir()
    (more / "contracts.yaml").write_text("""
discounts:
  - {contract_id: promo, provider: anthropic, model_pattern: "claude-*", discount_pct: "25",
     valid_from: "2026-02-05T00:00:00Z", valid_to: "2026-02-15T00:00:00Z"}
  - {contract_id: small, provider: anthropic, model_pattern: "claude-x", discount_pct: "5",
     valid_from: "2026-01-01T00:00:00Z", valid_to: "2026-02-10T12:00:00Z"}
  - {contract_id: oai, provider: openai, model_pattern: "gpt-*", discount_pct: "5",
     valid_from: "2026-03-01T00:00:00Z", valid_to: "2026-03-02T00:00:00Z"}
""")
    assert all(r.status == "loaded" for r in ingest_paths(ledger, "contracts", [more]))
    build_models(ledger)
    got = dict(ledger.execute("SELECT request_id, discount_pct FROM int_request_costs").fetchall())
    # r1 Jan 10: only 'small' (5); r2 Feb 10 12:00: ant-ea 10 and promo 25 ('small' ended at that instant) → 25;
    # r3 Jan 15, r4 Jan 20: 'small' → 5; r5 Feb 28 openai: none; r6 Mar 1 00:00: oai → 5;
    # r7 Mar 2 00:00: oai has ended (exclusive) → 0
    assert {k: got[k] for k in ("r1", "r2", "r3", "r4", "r5", "r6", "r7")} == {
        "r1": 5, "r2": 25, "r3": 5, "r4": 5, "r5": 0, "r6": 5, "r7": 0}


def test_extremes_stay_exact(warehouse, tmp_path):
    """The largest request at the largest allowed price, and the smallest price, priced to the pico-dollar."""
    catalogue = {
        "dear": {"litellm_provider": "openai", "input_cost_per_token": 0.1, "output_cost_per_token": 0.1,
                 "cache_read_input_token_cost": 0.1},  # 100,000 $/Mtok: the cap
        "cheap": {"litellm_provider": "openai", "input_cost_per_token": 1e-12, "output_cost_per_token": 1e-12},
    }
    (tmp_path / "model_prices_2026-01-01.json").write_text(json.dumps(catalogue))
    (tmp_path / "contracts.yaml").write_text("""
discounts:
  - {contract_id: odd, provider: openai, model_pattern: "*", discount_pct: "33.3333",
     valid_from: "2026-01-01T00:00:00Z", valid_to: null}
""")
    write_jsonl(tmp_path / "gateway.jsonl", [
        # prompt and completion at their 10M caps: (5M uncached + 5M cache read + 10M output) × 0.1 $ = 2,000,000 $
        payload("big", "2026-01-10T12:00:00", "openai", "dear", 10_000_000, 10_000_000, cached=5_000_000),
        # 4 + 3 tokens × 1e-12 $ = 7e-12 $; discount 7 × 0.333333 = 2.333331e-12 → rounds to 2e-12
        payload("tiny", "2026-01-10T12:00:00", "openai", "cheap", 4, 3),
    ])
    for source in ("litellm-prices", "contracts", "litellm"):
        assert all(r.status == "loaded" for r in ingest_paths(warehouse, source, [tmp_path]))
    build_models(warehouse)
    got = {r[0]: r[1:] for r in warehouse.execute(
        "SELECT request_id, list_cost_usd, discount_usd, effective_cost_usd FROM int_request_costs").fetchall()}
    assert got["big"] == (Decimal("2000000"), Decimal("666666"), Decimal("1333334"))  # × 33.3333 %
    assert got["tiny"] == (Decimal("7E-12"), Decimal("2E-12"), Decimal("5E-12"))

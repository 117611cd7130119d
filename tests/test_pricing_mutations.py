"""Hand-priced cases for each pricing term of sql/macros (docs/cost_model.md rules 1–4): every bucket at its own
price, every bucket's "tokens but no price" check, the card-in-force and context-tier boundaries, and the discount's
rounding.  Each case pins a term that a mutation of the macros changes (bench/mutations.py flips them one at a
time and checks these tests notice).  The ledger is the real one (migrations, staging, int_request_costs) on an
in-memory warehouse with rows inserted directly: no ingest, about a second.
Prices are $ per 1M tokens, so tokens × price is µ$ (× 1e-6 $); "p$" is a pico-dollar (1e-12 $)."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tokenomics.config import sql_dir
from tokenomics.warehouse import connect, migrate

JAN = datetime(2026, 1, 1, tzinfo=timezone.utc)
FEB = datetime(2026, 2, 1, tzinfo=timezone.utc)
MAR = datetime(2026, 3, 1, tzinfo=timezone.utc)
DAY = datetime(2026, 1, 10, 12, tzinfo=timezone.utc)
BUCKETS = ("uncached_input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning")

# (provider, model, tier, min_input_tokens, valid_from, valid_to, six prices in BUCKETS order)
CARDS = [
    # every bucket at a different price: a bucket priced at another bucket's price changes its cost
    ("openai", "six", "standard", 0, JAN, None, (1, 2, 3, 4, 5, 6)),
    # prices for input and output only / for the other four only
    ("openai", "gaps-a", "standard", 0, JAN, None, (1, None, None, None, 5, None)),
    ("openai", "gaps-b", "standard", 0, JAN, None, (None, 2, 3, 4, None, 6)),
    # a long-context tier from 200,000 prompt tokens
    ("anthropic", "long", "standard", 0, JAN, None, (1, None, None, None, 2, None)),
    ("anthropic", "long", "standard", 200_000, JAN, None, (10, None, None, None, 20, None)),
    # a price change on Feb 1 (the January card's valid_to defaults to it) and a card that expires on Mar 1
    ("openai", "dated", "standard", 0, JAN, None, (1, None, None, None, 1, None)),
    ("openai", "dated", "standard", 0, FEB, None, (2, None, None, None, 2, None)),
    ("openai", "expiring", "standard", 0, JAN, MAR, (1, None, None, None, 1, None)),
    # 1 µ$ per 1M tokens: one token costs one p$, so a discount's rounding shows in the last place
    ("openai", "pico-half", "standard", 0, JAN, None, (0.000001, None, None, None, 0.000001, None)),
    ("openai", "pico-third", "standard", 0, JAN, None, (0.000001, None, None, None, 0.000001, None)),
    # a family provider: bedrock_converse is covered by a contract for 'bedrock'
    ("bedrock_converse", "fam", "standard", 0, JAN, None, (1, None, None, None, 1, None)),
]
# (contract_id, provider, model_pattern, discount_pct, valid_from, valid_to)
DISCOUNTS = [
    ("half", "openai", "pico-half", Decimal(50), JAN, None),
    ("third", "openai", "pico-third", Decimal("33.3333"), JAN, None),
    ("fam", "bedrock", "fam", Decimal(10), JAN, None),
]


def tokens(**by_bucket) -> tuple[int, ...]:
    return tuple(by_bucket.get(b, 0) for b in BUCKETS)


# request_id → (provider, model, start, six token counts)
REQUESTS = {
    # 1,000,000 tokens in one bucket each: the list cost is the bucket's price, in $
    **{f"six-{b}": ("openai", "six", DAY, tokens(**{b: 1_000_000})) for b in BUCKETS},
    # all six: 1,000×1 + 2,000×2 + 3,000×3 + 4,000×4 + 5,000×5 + 6,000×6
    #        = 1,000 + 4,000 + 9,000 + 16,000 + 25,000 + 36,000 = 91,000 µ$
    "six-all": ("openai", "six", DAY, (1_000, 2_000, 3_000, 4_000, 5_000, 6_000)),
    # one token in a bucket the card has no price for: unpriced (NULL, never $0), with the bucket named
    **{f"gap-{b}": ("openai", "gaps-b" if b in ("uncached_input", "output") else "gaps-a", DAY,
                    tokens(**{b: 1})) for b in BUCKETS},
    # only priced buckets: 100×1 + 10×5 = 150 µ$ on gaps-a
    "gap-none": ("openai", "gaps-a", DAY, tokens(uncached_input=100, output=10)),
    # prompt 199,999: base tier, 199,999×1 = 199,999 µ$; prompt 200,000: the long tier, 200,000×10 = 2,000,000 µ$
    "tier-below": ("anthropic", "long", DAY, tokens(uncached_input=199_999)),
    "tier-at": ("anthropic", "long", DAY, tokens(uncached_input=200_000)),
    # 1,000 input tokens: Jan card 1,000×1 = 1,000 µ$ until Feb 1 (exclusive); Feb card 1,000×2 = 2,000 µ$ from it
    "card-before": ("openai", "dated", FEB - timedelta(microseconds=1), tokens(uncached_input=1_000)),
    "card-at": ("openai", "dated", FEB, tokens(uncached_input=1_000)),
    "expiring-last": ("openai", "expiring", MAR - timedelta(microseconds=1), tokens(uncached_input=1_000)),
    "expiring-gone": ("openai", "expiring", MAR, tokens(uncached_input=1_000)),
    # 5 tokens at 1 p$ = 5 p$; 50 %: 2.5 p$ rounds half up to 3 p$ → effective 2 p$
    "disc-half": ("openai", "pico-half", DAY, tokens(uncached_input=5)),
    # 8 p$ × 33.3333 % = 2.666664 p$ → 3 p$ → effective 5 p$
    "disc-third": ("openai", "pico-third", DAY, tokens(uncached_input=8)),
    # 7 p$ × 33.3333 % = 2.333331 p$ → 2 p$ → effective 5 p$
    "disc-third-down": ("openai", "pico-third", DAY, tokens(uncached_input=7)),
    # 1,000 tokens × 1 = 1,000 µ$; the bedrock contract's 10 % = 100 µ$ → effective 900 µ$
    "disc-family": ("bedrock_converse", "fam", DAY, tokens(uncached_input=1_000)),
}

MICRO, PICO = Decimal("0.000001"), Decimal("0.000000000001")


@pytest.fixture(scope="module")
def ledger():
    con = connect(":memory:")
    migrate(con)
    for provider, model, tier, floor, start, end, prices in CARDS:
        exact = [None if p is None else Decimal(str(p)) for p in prices]
        con.execute("INSERT INTO rate_cards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test', 'run-cards')",
                    [provider, model, tier, floor, start, end, *exact])
    for row in DISCOUNTS:
        con.execute("INSERT INTO contract_discounts VALUES (?, ?, ?, ?, ?, ?, 'run-contracts')", list(row))
    for rid, (provider, model, start, counts) in REQUESTS.items():
        con.execute("INSERT INTO raw_requests (source, request_id, row_hash, start_time, end_time, tenant, provider, "
                    "requested_model, resolved_model, service_tier, uncached_input_tokens, cache_read_tokens, "
                    "cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, status, is_stream, "
                    "latency_ms, gateway_cache, run_id) VALUES ('test', ?, ?, ?, ?, 'acme', ?, ?, ?, 'standard', "
                    "?, ?, ?, ?, ?, ?, 'success', false, 1000, 'miss', 'run-1')",
                    [rid, rid, start, start, provider, model, model, *counts])
    con.execute("INSERT INTO model_names SELECT DISTINCT provider, resolved_model FROM raw_requests")
    for model in ("staging/stg_rate_cards", "staging/stg_contract_discounts", "staging/stg_requests",
                  "intermediate/int_model_resolution", "intermediate/int_request_costs"):
        con.execute((sql_dir() / f"{model}.sql").read_text())
    yield con
    con.close()


def rows(con) -> dict[str, list[dict]]:
    """request_id → its ledger rows (one each, unless a boundary lets two cards match)."""
    cur = con.execute("SELECT request_id, pricing_status, unpriced_reason, rate_context_tier, list_cost_usd, "
                      "discount_usd, effective_cost_usd FROM int_request_costs")
    names = [d[0] for d in cur.description]
    found: dict[str, list[dict]] = {}
    for row in cur.fetchall():
        found.setdefault(row[0], []).append(dict(zip(names, row)))
    return found


def one(con, rid: str) -> dict:
    [row] = rows(con)[rid]  # exactly one card applies (rule 1)
    return row


@pytest.mark.parametrize("bucket, price", list(zip(BUCKETS, (1, 2, 3, 4, 5, 6))))
def test_each_bucket_is_priced_at_its_own_price(ledger, bucket, price):
    # 1,000,000 tokens × price $/1M = $price
    assert one(ledger, f"six-{bucket}")["list_cost_usd"] == price


def test_all_six_buckets_add_up(ledger):
    assert one(ledger, "six-all")["list_cost_usd"] == 91_000 * MICRO


@pytest.mark.parametrize("bucket, reason", list(zip(BUCKETS, (
    "no input price", "no cache-read price", "no 5m cache-write price", "no 1h cache-write price", "no output price",
    "no reasoning price"))))
def test_a_bucket_with_tokens_but_no_price_is_unpriced(ledger, bucket, reason):
    row = one(ledger, f"gap-{bucket}")
    assert (row["pricing_status"], row["unpriced_reason"], row["list_cost_usd"], row["effective_cost_usd"]) == (
        "unpriced", reason, None, None)


def test_buckets_without_tokens_need_no_price(ledger):
    row = one(ledger, "gap-none")
    assert (row["pricing_status"], row["unpriced_reason"], row["list_cost_usd"]) == ("priced", None, 150 * MICRO)


def test_the_context_tier_starts_at_its_threshold(ledger):
    # min_input_tokens ≤ prompt < the next tier's min (rule 1)
    below, at = one(ledger, "tier-below"), one(ledger, "tier-at")
    assert (below["rate_context_tier"], below["list_cost_usd"]) == (0, 199_999 * MICRO)
    assert (at["rate_context_tier"], at["list_cost_usd"]) == (200_000, 2_000_000 * MICRO)


def test_a_card_is_in_force_from_valid_from_until_valid_to_exclusive(ledger):
    assert one(ledger, "card-before")["list_cost_usd"] == 1_000 * MICRO  # the January card, to its last µs
    assert one(ledger, "card-at")["list_cost_usd"] == 2_000 * MICRO      # the February card, from its first
    assert one(ledger, "expiring-last")["list_cost_usd"] == 1_000 * MICRO
    gone = one(ledger, "expiring-gone")  # valid_to has passed and no card follows: unpriced
    assert (gone["pricing_status"], gone["list_cost_usd"]) == ("unpriced", None)


@pytest.mark.parametrize("rid, listed, discount", [
    ("disc-half", 5, 3),          # 5 × 50 % = 2.5 p$ → 3 (half up, never half even or down)
    ("disc-third", 8, 3),         # 8 × 33.3333 % = 2.666664 p$ → 3
    ("disc-third-down", 7, 2),    # 7 × 33.3333 % = 2.333331 p$ → 2
])
def test_the_discount_rounds_half_up_to_the_pico_dollar(ledger, rid, listed, discount):
    row = one(ledger, rid)
    assert (row["list_cost_usd"], row["discount_usd"], row["effective_cost_usd"]) == (
        listed * PICO, discount * PICO, (listed - discount) * PICO)


def test_a_contract_covers_the_providers_family(ledger):
    row = one(ledger, "disc-family")
    assert (row["list_cost_usd"], row["discount_usd"], row["effective_cost_usd"]) == (
        1_000 * MICRO, 100 * MICRO, 900 * MICRO)


def test_token_cost_is_null_when_a_bucket_has_tokens_but_no_price():
    """token_cost (re-pricing, recommendations, the batch advisor): the same rules on token sums."""
    con = connect(":memory:")
    # 1,000 1h writes at 6 $/1M (6,000,000 µ$/1M) = 6,000 µ$; 1,000 5m writes at 3.75 = 3,750 µ$
    priced = con.execute("SELECT token_cost(0, 0, 1000, 1000, 0, 0, 3000000, 300000, 3750000, 6000000, 15000000, "
                         "15000000)").fetchone()[0]
    assert priced == 9_750 * MICRO
    for bucket in range(6):
        counts = ["0"] * 6
        counts[bucket] = "1"
        prices = ["1"] * 6
        prices[bucket] = "NULL"
        got = con.execute(f"SELECT token_cost({', '.join(counts)}, {', '.join(prices)}), "
                          f"token_cost({', '.join(['0'] * 6)}, {', '.join(prices)})").fetchone()
        assert got == (None, Decimal(0)), BUCKETS[bucket]  # unpriced, never $0; no tokens need no price
    con.close()


def test_net_of_discount_is_the_ledgers_rounding_on_a_usd_amount():
    """What re-pricing, recommendations and the marts apply to sums: list − (list × d/100 rounded half up)."""
    con = connect(":memory:")
    got = con.execute("SELECT net_of_discount(0.000000000005, 50), discount_usd(0.000000000005, 50),"
                      " net_of_discount(3.00, 15), net_of_discount(-0.000000000005, 50), net_of_discount(1, NULL)"
                      ).fetchone()
    # 5 p$ − 2.5 p$ (→ 3) = 2 p$; $3.00 × 0.85 = $2.55; a negative amount rounds by magnitude; no discount
    assert got == (2 * PICO, 3 * PICO, Decimal("2.55"), -2 * PICO, 1)
    con.close()


def test_focus_contracted_cost_is_list_net_of_the_ledgers_discount(ledger):
    """FOCUS ContractedCost per meter row: list − discount, the discount rounded as in the ledger (rule 3)."""
    ledger.execute((sql_dir() / "intermediate/int_request_meters.sql").read_text())
    # no self-hosted GPUs here
    ledger.execute("CREATE OR REPLACE TABLE int_gpu_allocation_hourly (hour TIMESTAMPTZ, tenant VARCHAR, "
                   "model VARCHAR, deployment_id VARCHAR, driver VARCHAR, idle_policy VARCHAR, allocated_micro BIGINT, "
                   "prompt_tokens BIGINT, completion_tokens BIGINT)")
    ledger.execute("CREATE OR REPLACE TABLE int_gpu_hourly (deployment_id VARCHAR, hour TIMESTAMPTZ, "
                   "gpu_cost_usd DECIMAL(38, 12), gpu_count INTEGER)")
    ledger.execute((sql_dir() / "marts/mart_focus_daily.sql").read_text())
    got = {m: r for m, *r in ledger.execute(
        "SELECT model, list_unit_price, contracted_unit_price, list_cost, contracted_cost FROM mart_focus_daily "
        "WHERE model IN ('pico-half', 'pico-third', 'fam')").fetchall()}
    # pico-half: 5 tokens × $0.000001/1M = 5 p$; 50 % of 5 p$ = 2.5 → 3 p$ → 2 p$, as the ledger's effective
    # cost (never 3 p$: the net is not rounded on its own); unit price $0.000001 × 50 % = $0.0000005 exactly
    assert got["pico-half"] == [Decimal("0.000001"), Decimal("0.0000005"), 5 * PICO, 2 * PICO]
    # pico-third: 8 + 7 = 15 tokens = 15 p$; 15 × 33.3333 % = 4.999995 → 5 p$ → 10 p$
    assert got["pico-third"][2:] == [15 * PICO, 10 * PICO]
    # fam: 1,000 tokens × $1/1M = 1,000 µ$, 10 % off → 900 µ$; unit price $1 → $0.90
    assert got["fam"] == [1, Decimal("0.9"), 1_000 * MICRO, 900 * MICRO]

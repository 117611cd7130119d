"""Mutation test of the pricing rules: do the tests notice when a pricing term is wrong?

Run: .venv/bin/python bench/mutations.py [--only NAME_SUBSTRING] [--list]

Each mutation is one text edit to the SQL — mostly to the pricing macros (sql/macros), else to the model or
query that applies them: a bucket priced at another bucket's price, a bucket's "tokens but no price" check
dropped, the discount applied twice / not at all / rounded down, a card-in-force or context-tier boundary moved,
the batch tier looked up as standard, …  For each, the repo's sql/ is copied to a temporary folder, the edit is
applied there (the real files are never touched), and the pricing tests run against the copy in a subprocess
(pytest -x, with $TOKENOMICS_SQL_DIR pointing at it: tokenomics.config.sql_dir).  A failing test kills the
mutation; a mutation the tests pass survived.  Prints a table and the kill rate; exits 1 below 90 %, 2 when the
unmutated SQL fails the tests or a mutation's text is no longer found (the list needs updating).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL = ROOT / "sql"
ENV_SQL_DIR = "TOKENOMICS_SQL_DIR"  # tokenomics.config.ENV_SQL_DIR
THRESHOLD = 0.90
# the pricing tests: hand-priced ledgers, marts, re-pricing and recommendation queries (no demo warehouse: ~20 s)
TESTS = ["tests/test_pricing_mutations.py", "tests/test_golden_ledger.py", "tests/test_cost_marts.py",
         "tests/test_recommend.py", "tests/test_sql_workload.py", "tests/test_vendor_costs.py"]
DESELECT = "not demo and not fleet_wide"  # test_recommend's two tests on the demo warehouse (minutes to build)


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str      # relative to sql/
    old: str       # must occur in the file; every occurrence is replaced
    new: str


P, R = "macros/pricing.sql", "macros/rate_card.sql"
MUTATIONS = [
    # token cost per bucket: each bucket at another bucket's price
    Mutation("1h cache write at the 5m write price", P, "t_w1h * coalesce(p_w1h, 0)", "t_w1h * coalesce(p_w5, 0)"),
    Mutation("5m cache write at the 1h write price", P, "t_w5 * coalesce(p_w5, 0)", "t_w5 * coalesce(p_w1h, 0)"),
    Mutation("cache read at the input price", P, "t_read * coalesce(p_read, 0)", "t_read * coalesce(p_in, 0)"),
    Mutation("uncached input at the cache-read price", P, "t_in * coalesce(p_in, 0)", "t_in * coalesce(p_read, 0)"),
    Mutation("output at the input price", P, "t_out * coalesce(p_out, 0)", "t_out * coalesce(p_in, 0)"),
    Mutation("reasoning at the output price", P, "t_reason * coalesce(p_reason, 0)", "t_reason * coalesce(p_out, 0)"),
    Mutation("1h write price read from the 5m column (staging)", "staging/stg_rate_cards.sql",
             "micro_per_mtok(cache_write_1h_usd_per_mtok)", "micro_per_mtok(cache_write_5m_usd_per_mtok)"),
    # the rate card's validity (staging): valid_to defaults to the next card's valid_from
    Mutation("a card's valid_to not defaulted to the next card's", "staging/stg_rate_cards.sql",
             "coalesce(valid_to, lead(valid_from) OVER", "coalesce(valid_to, lead(NULL::TIMESTAMPTZ) OVER"),
    # "a bucket has tokens but no price" → unpriced (NULL, never $0)
    Mutation("unpriced check dropped: 1h cache write", P, "OR missing_price(t_w1h, p_w1h) ", ""),
    Mutation("unpriced check dropped: cache read", P, "OR missing_price(t_read, p_read) ", ""),
    Mutation("unpriced check dropped: reasoning", P, " OR missing_price(t_reason, p_reason))", ")"),
    Mutation("missing price flagged for a bucket without tokens", P, "(tokens > 0 AND price IS NULL)",
             "(tokens >= 0 AND price IS NULL)"),
    Mutation("token_cost: unpriced tokens cost $0", P, "THEN NULL", "THEN 0"),
    # the contract discount (rule 3)
    Mutation("discount not applied", P, "(coalesce(pct, 0) * 10000)::BIGINT", "(coalesce(pct, 0) * 0)::BIGINT"),
    Mutation("discount applied twice", P, "((list_pico // 1000000) * units + ((list_pico % 1000000)",
             "(2 * (list_pico // 1000000) * units + 2 * ((list_pico % 1000000)"),
    Mutation("discount rounded down", P, "* units + 500000) // 1000000", "* units + 0) // 1000000"),
    Mutation("discount rounded half down", P, "* units + 500000) // 1000000", "* units + 499999) // 1000000"),
    Mutation("net of discount adds the discount", P, "(amount_usd - discount_usd(amount_usd, pct))",
             "(amount_usd + discount_usd(amount_usd, pct))"),
    Mutation("contract does not cover the provider's family", P, "OR starts_with(provider, contract_provider || '_')",
             ""),
    Mutation("overlapping contracts: the smallest discount wins", "intermediate/int_request_costs.sql",
             "max(md.discount_pct)", "min(md.discount_pct)"),
    Mutation("re-pricing ignores a proposed discount", "queries/reprice.sql", "coalesce($discount_pct, contract_pct)",
             "contract_pct"),
    Mutation("model recommendation ignores the candidate's discount", "queries/recommend_models.sql",
             "net_of_discount(candidate_list_usd, candidate_pct)", "candidate_list_usd"),
    Mutation("move-to-batch saving ignores the discount", "marts/mart_batch_daily.sql",
             "net_of_discount(movable_batch_list_usd, discount_pct)", "movable_batch_list_usd"),
    Mutation("cache savings net of discount ignore it", "marts/mart_cache_savings_daily.sql",
             "sum(net_of_discount(gross_usd - premium_usd, discount_pct))", "sum(gross_usd - premium_usd)"),
    Mutation("FOCUS contracted cost at list", "marts/mart_focus_daily.sql",
             "net_of_discount(sum(tokens) * price * 0.000001, discount_pct) AS contracted_cost",
             "(sum(tokens) * price * 0.000001)::DECIMAL(38, 12) AS contracted_cost"),
    Mutation("vendor reconciliation ignores the discount", "marts/mart_vendor_reconciliation_daily.sql",
             "net_of_discount(m.tokens * m.price * 0.000001, m.discount_pct)", "m.tokens * m.price * 0.000001"),
    # the rate card in force (rule 1)
    Mutation("card in force only after valid_from (< not ≤)", R, "(ts >= valid_from", "(ts > valid_from"),
    Mutation("card still in force at valid_to (≤ not <)", R, "ts < coalesce(valid_to", "ts <= coalesce(valid_to"),
    Mutation("card key without the service tier", "intermediate/int_request_costs.sql",
             "AND rc.service_tier = req.service_tier\n", "\n"),
    # the context tier (rule 1)
    Mutation("context tier only above its threshold", R, "(prompt_tokens >= min_input_tokens",
             "(prompt_tokens > min_input_tokens"),
    Mutation("context tier up to and including the next threshold", R, "prompt_tokens < coalesce(max_input_tokens",
             "prompt_tokens <= coalesce(max_input_tokens"),
    # batch tier and cache-TTL advice
    Mutation("batch advisor looks up the standard card as batch", "intermediate/int_request_tier_prices.sql",
             "bt.service_tier = 'batch'", "bt.service_tier = 'standard'"),
    Mutation("cache advice prices today's 1h writes at the 5m price", "queries/recommend_cache.sql",
             "token_cost(0, 0, 0, u.write_1h_tokens, 0, 0,", "token_cost(0, 0, u.write_1h_tokens, 0, 0, 0,"),
]


def run_tests(sql: Path) -> tuple[bool, str, float]:
    """The pricing tests against the SQL in `sql`: (passed, the first failure's line, seconds)."""
    env = {**os.environ, ENV_SQL_DIR: str(sql)}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-k", DESELECT,
                           *TESTS], cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    failed = next((line.split(" - ")[0].removeprefix("FAILED ") for line in proc.stdout.splitlines()
                   if line.startswith(("FAILED", "ERROR"))), "")
    return proc.returncode == 0, failed, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the mutations whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or args.only.lower() in m.name.lower()]
    if args.list:
        for m in chosen:
            print(f"{m.path:45} {m.name}")
        return 0
    missing = [m.name for m in chosen if m.old not in (SQL / m.path).read_text()]
    if missing:
        print("mutation text not found (update bench/mutations.py):", *missing, sep="\n  ")
        return 2
    with tempfile.TemporaryDirectory(prefix="tokenomics-mutations-") as tmp:
        copy = Path(tmp) / "sql"
        shutil.copytree(SQL, copy)
        ok, failed, took = run_tests(copy)
        print(f"unmutated: tests {'pass' if ok else 'FAIL'} ({took:.0f} s)")
        if not ok:
            print(f"  {failed}")
            return 2
        results = []
        for m in chosen:
            target = copy / m.path
            original = target.read_text()
            target.write_text(original.replace(m.old, m.new))
            try:
                passed, failed, took = run_tests(copy)
            finally:
                target.write_text(original)
            results.append((m, not passed, failed, took))
            print(f"  {'killed  ' if not passed else 'SURVIVED'} {took:5.0f} s  {m.name}", flush=True)
    width = max(len(m.name) for m, *_ in results)
    print(f"\n{'mutation':{width}}  {'file':42}  result    killed by")
    for m, killed, failed, _ in results:
        print(f"{m.name:{width}}  {m.path:42}  {'killed  ' if killed else 'SURVIVED'}  {failed}")
    kills = sum(killed for _, killed, *_ in results)
    rate = kills / len(results)
    print(f"\nkill rate: {kills}/{len(results)} = {rate:.0%} (threshold {THRESHOLD:.0%})")
    return 0 if rate >= THRESHOLD else 1


if __name__ == "__main__":
    sys.exit(main())

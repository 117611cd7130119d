"""`tokenomics recommend`: what to change, and what it saves a month, from the command line."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

from tokenomics.config import db_path


def cmd_recommend(args) -> int:
    from tokenomics import chargeback, recommend

    options = recommend.Options(ttft_slo_ms=args.ttft_slo_ms, tpot_slo_ms=args.tpot_slo_ms, headroom=args.headroom)
    if args.period is None:  # the latest month with data
        known = recommend.months(db_path(args.db))
        if not known:
            print("error: the warehouse has no data yet (run `tokenomics ingest`, then `tokenomics build`)",
                  file=sys.stderr)
            return 2
        args.period = known[-1]
    try:
        found = recommend.recommend(db_path(args.db), args.period, options)
    except chargeback.ChargebackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cover = recommend.coverage(db_path(args.db), args.period)
    if args.csv:
        sys.stdout.write(recommend.to_csv(found, cover))
        return 0
    if args.json:  # amounts for the days with data; saving_per_month_usd at that rate over the whole month
        print(json.dumps([{**r.as_dict(), "days_with_data": cover.days, "month_days": cover.month_days,
                           "saving_per_month_usd": cover.per_month(r.saving_usd)} for r in found], indent=1,
                         default=lambda v: str(v) if isinstance(v, Decimal) else v))
        return 0
    if not found:
        print(f"no recommendation saves at least ${options.min_saving_usd} in {cover.describe()}")
        return 0
    if cover.partial:
        print(f"{args.period} has data for {cover.describe()}: amounts are for those days; ≈ /month is the same "
              "daily rate over the whole month.")
    for i, r in enumerate(found, 1):
        saving = (f"${r.saving_usd:,.2f} (≈ ${cover.per_month(r.saving_usd):,.2f}/month)" if cover.partial
                  else f"${r.saving_usd:,.2f}/month")
        print(f"{i:>2}. {saving} (range ${r.low_usd:,.2f}–${r.high_usd:,.2f})  {r.title}")
        print(f"    today ${r.today_usd:,.2f} → ${r.projected_usd:,.2f}; risk: {r.risk}")
    print("Recommendations on the same scope are alternatives: their savings do not add up.")
    return 0


def add_parsers(sub) -> None:
    r = sub.add_parser("recommend", help="recommendations ranked by $ saved per month: rightsize or scale GPU "
                       "deployments to zero, batch, cheaper models, API vs self-hosting, cache TTL, commitments")
    r.add_argument("--period", help="YYYY-MM (default: the latest month with data)")
    r.add_argument("--ttft-slo-ms", type=float, default=2000.0, help="latency SLO a rightsized plan must meet")
    r.add_argument("--tpot-slo-ms", type=float, default=100.0)
    r.add_argument("--headroom", type=float, default=1.3, help="capacity over the observed peak (1.3 = +30 %%)")
    out = r.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true", help="the list as CSV on stdout (what the page downloads)")
    r.set_defaults(func=cmd_recommend)

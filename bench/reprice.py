"""Re-pricing by valid_from: one new rate card at 10M+ requests, against the full build it used to trigger.

Run: .venv/bin/python bench/reprice.py [--requests 1000000] [--times 10] [--days 3 7] [--work DIR] [--out FILE]

In one run, on this machine:
  1. the demo generator's --requests gateway log lines (92 days), ingested through the real sources and built;
  2. every request copied --times − 1 more times in SQL (bench/scale_up.py's replicate: same days, tenants,
     models and token counts) → requests × times, then a full build (`tokenomics build --full`, a child
     process: wall time and peak RSS) — the baseline: before per-model fingerprints, any rate-card change
     made the next build a full one;
  3. for each --days N: a new rate card for the busiest priced model, prices doubled, valid from N days before
     the last request (a price change announced for the coming days lands like this), then `tokenomics build`
     — it re-prices only the requests from valid_from on; its time / the full build's is the ratio printed
     (issue 19: < 10 %).  The share of requests on/after valid_from is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import _quiet, child  # noqa: E402  (bench/scale.py)
from scale_up import replicate  # noqa: E402

from tests.helpers import raise_prices_from  # noqa: E402


def new_card(db: Path, days_before_end: int) -> dict:
    """A new card for the busiest priced (provider, model), valid from N days before the last request."""
    with duckdb.connect(str(db)) as con:
        last = con.execute("SELECT max(start_time)::DATE FROM raw_requests").fetchone()[0]
        start = last - timedelta(days=days_before_end - 1)
        provider, model = con.execute(
            "SELECT provider, model FROM mart_spend_daily WHERE list_cost_usd > 0 GROUP BY ALL"
            " ORDER BY sum(requests) DESC LIMIT 1").fetchone()
        raise_prices_from(con, start, provider, model, "bench-reprice")
        total, after = con.execute("SELECT count(*), count(*) FILTER (WHERE start_time >= ?::TIMESTAMPTZ)"
                                   " FROM raw_requests", [str(start)]).fetchone()
    return {"valid_from": str(start), "provider": provider, "model": model,
            "share_of_requests_from_valid_from": round(after / total, 4)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=1_000_000, help="generated gateway lines (before copying)")
    ap.add_argument("--times", type=int, default=10, help="copies of every request (10 → 10M from 1M)")
    ap.add_argument("--days", type=int, nargs="+", default=[3, 7], help="new cards valid from N days before the end")
    ap.add_argument("--work", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="reprice-"))
    db = work / "wh.duckdb"
    result: dict = {"demo": _quiet(child(["--db", str(db), "demo", "--requests", str(args.requests), "--days", "92",
                                          "--out", str(work / "raw"), "--no-serve"]))}
    result["replicate"] = replicate(db, args.times)
    result["build_full"] = _quiet(child(["--db", str(db), "build", "--full"]))
    result["build_noop"] = _quiet(child(["--db", str(db), "build"]))
    full_s = result["build_full"]["seconds"]
    print(f"{result['replicate']['requests']:,} requests; full build {full_s:.1f} s "
          f"(peak RSS {result['build_full']['peak_rss_mb']} MB); a build with nothing new "
          f"{result['build_noop']['seconds']:.1f} s", file=sys.stderr)
    result["cards"] = []
    for days in args.days:
        card = new_card(db, days)
        build = _quiet(child(["--db", str(db), "build"]))
        with duckdb.connect(str(db), read_only=True) as con:
            label = con.execute("SELECT value FROM model_state WHERE key = 'last_build'").fetchone()[0]
        card.update(build=build, last_build=label, ratio_to_full=round(build["seconds"] / full_s, 3))
        result["cards"].append(card)
        print(f"new card valid from {card['valid_from']} ({days} days, {card['share_of_requests_from_valid_from']:.1%}"
              f" of requests): build {build['seconds']:.1f} s = {card['ratio_to_full']:.1%} of the full build"
              f" [{label.rsplit(' ', 1)[0]}]", file=sys.stderr)
    text = json.dumps(result, indent=1, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

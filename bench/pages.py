"""Page render latency on a warehouse: every dashboard page, cold and warm (cached), p50/p95.

Run: .venv/bin/python bench/pages.py [WAREHOUSE]   (default: $TOKENOMICS_DB or ./data/tokenomics.duckdb)
Renders each page with Streamlit's AppTest (the real script, no browser) — the first run pays the
queries, later runs hit the per-filter-set cache — and prints the goal (< 1 s warm) next to each.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGES = ["overview", "tenant", "fleet", "savings", "batch", "rate_cards", "whatif", "exports", "data_health"]


def main(db: str, runs: int = 7) -> int:
    os.environ["TOKENOMICS_DB"] = db
    from streamlit.testing.v1 import AppTest

    print(f"warehouse {db} ({Path(db).stat().st_size / 1e6:,.0f} MB)")
    print(f"{'page':<14}{'cold s':>9}{'warm p50 s':>12}{'warm p95 s':>12}  goal < 1 s")
    worst = 0.0
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app" / "views" / f"{page}.py"), default_timeout=300)
        start = time.perf_counter()
        at.run()
        cold = time.perf_counter() - start
        warm = []
        for _ in range(runs):
            start = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - start)
        p95 = sorted(warm)[max(0, round(0.95 * len(warm)) - 1)]
        worst = max(worst, p95)
        print(f"{page:<14}{cold:>9.2f}{statistics.median(warm):>12.3f}{p95:>12.3f}  {'met' if p95 < 1 else 'MISSED'}"
              + (f"  errors: {[str(e.value)[:80] for e in at.exception]}" if at.exception else ""))
    return 0 if worst < 1 else 1


if __name__ == "__main__":
    default = os.environ.get("TOKENOMICS_DB", str(ROOT / "data" / "tokenomics.duckdb"))
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else default))

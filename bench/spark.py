"""Spark's per-core throughput on the models, next to DuckDB's full build of the same requests.

Run: .venv/bin/python bench/spark.py [--requests 100000 400000] [--days 30] [--cores 2]
For each size: the demo generated and ingested into a warehouse (`build_demo`), written to a lake
(`tokenomics lake`), then, each in a child process with its own peak RSS, timed side by side:
  DuckDB  `tokenomics build --full` on the warehouse (start-up and publish included);
  Spark   `build --engine spark --full` on the lake, local[cores] (JVM start-up included).
Two sizes separate the fixed cost (start-up, 37 models' planning) from the per-request cost: the marginal
rate between them, requests per core-second, is what docs/scale.md extrapolates to 10^10 requests a month.
Needs Java and the spark extra (pip install '.[spark]').
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import child  # noqa: E402

SPARK = """
import sys, time
from tokenomics.spark_build import build
start = time.perf_counter()
build(sys.argv[1], sys.argv[2], master=sys.argv[3], full=True)
print(time.perf_counter() - start)
"""


def measure(work: Path, requests: int, days: int, cores: int) -> dict:
    """One size: DuckDB's and Spark's full builds of the same demo requests."""
    from tokenomics.cli import build_demo
    from tokenomics.lake import publish
    from tokenomics.warehouse import open_warehouse

    db, lake = work / "wh.duckdb", work / "lake"
    build_demo(work / "raw", db, seed=7, requests=requests, days=days)
    con = open_warehouse(db)
    publish(con, str(lake))
    loaded = con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]
    con.close()
    duck = child(["--db", str(db), "build", "--full"])  # DuckDB uses every core of this machine
    spark = child([str(lake), str(work / "out"), f"local[{cores}]"], module=("-c", SPARK))
    return {"requests": loaded, "duckdb_s": duck["seconds"], "duckdb_rss_mb": duck["peak_rss_mb"],
            "spark_s": spark["seconds"], "spark_build_s": round(float(spark["output"].split()[-1]), 2),
            "spark_rss_mb": spark["peak_rss_mb"]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, nargs="+", default=[100_000, 400_000])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    runs = []
    for n in args.requests:
        with tempfile.TemporaryDirectory(prefix="tokenomics-bench-spark-") as tmp:
            runs.append(measure(Path(tmp), n, args.days, args.cores))
        r = runs[-1]
        print(f"{r['requests']:>11,} requests  DuckDB {r['duckdb_s']:7.1f} s ({r['duckdb_rss_mb']:,} MB)   "
              f"Spark {r['spark_s']:7.1f} s, of which build {r['spark_build_s']:.1f} s ({r['spark_rss_mb']:,} MB driver)"
              f"   Spark/DuckDB {r['spark_s'] / r['duckdb_s']:.1f}x", flush=True)
    if len(runs) >= 2:
        a, b = runs[0], runs[-1]
        extra = b["requests"] - a["requests"]
        for engine, key in (("DuckDB", "duckdb_s"), ("Spark", "spark_build_s")):
            seconds = b[key] - a[key]
            rate = extra / (seconds * args.cores) if seconds > 0 else float("inf")
            print(f"{engine:<7} marginal: {seconds:6.1f} s for {extra:,} more requests = {rate:,.0f} requests per "
                  f"core-second (fixed part ≈ {a[key] - a['requests'] / (rate * args.cores):.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

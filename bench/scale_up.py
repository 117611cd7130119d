"""Scale the read side past what JSON lines fit on this disk: a warehouse's requests replicated ×K in SQL.

Run: .venv/bin/python bench/scale_up.py --source WAREHOUSE --times 10 --extra-jsonl FILE [--out FILE]
     (WAREHOUSE: one `bench/scale.py --keep DIR` left, e.g. 10M requests → ×10 = 100M; FILE: late gateway
     logs, e.g. the 1M requests `bench/scale.py` generates for its incremental step)

10M requests are 13 GB of LiteLLM JSON lines and ~7 minutes of ingest here, so 100M through the real
ingest path needs ~130 GB and over an hour. This measures what comes after ingest at that size instead:
every ingested request is copied K−1 times with a new request id and row hash (same days, tenants, models
and token counts, so each day is K times busier), then, side by side with the source's numbers:
  1. a full model build (wall time, peak RSS);
  2. each page's data-layer queries, p50/p95 (bench/scale.py's page_latency: every call opens the snapshot);
  3. a late ingest of --extra-jsonl through the real path, then the incremental build, with its steps.
It does not measure ingest throughput at K× (bench/scale.py and bench/ingest.py do, on real files).

--scaled WAREHOUSE reuses a warehouse an earlier run replicated and built (its scaled-xK.duckdb): steps 2
and 3 only, e.g. after a change to the ingest or the incremental build, without another full build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import child, incremental_result, page_latency, _quiet  # noqa: E402  (bench/scale.py)


def replicate(db: Path, times: int) -> dict:
    """Copy every request times−1 more times in SQL, one committed copy at a time (bounded memory)."""
    con = duckdb.connect(str(db))
    con.execute("SET preserve_insertion_order = false")
    original = con.execute("SELECT max(rowid) + 1 FROM raw_requests").fetchone()[0]
    started = time.perf_counter()
    for k in range(1, times):
        con.execute("""INSERT INTO raw_requests
            SELECT * REPLACE (request_id || '~' || $k AS request_id, md5(row_hash || '~' || $k) AS row_hash)
            FROM raw_requests WHERE rowid < $original""", {"k": k, "original": original})
        print(f"copy {k}/{times - 1} done", file=sys.stderr)
    rows = con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]
    con.close()
    return {"requests": rows, "seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", help="an ingested warehouse (bench/scale.py --keep DIR/wh.duckdb)")
    ap.add_argument("--scaled", help="a warehouse an earlier run replicated and built: pages and incremental only")
    ap.add_argument("--times", type=int, default=10)
    ap.add_argument("--extra-jsonl", nargs="*", default=[], help="late LiteLLM JSON lines for the incremental step")
    ap.add_argument("--work", default=None, help="where the copy goes (default: beside the source)")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    if args.scaled:
        db = Path(args.scaled)
        with duckdb.connect(str(db), read_only=True) as con:
            result: dict = {"scaled": str(db), "requests": con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]}
    else:
        if not args.source:
            ap.error("--source or --scaled is required")
        source = Path(args.source)
        db = Path(args.work or source.parent) / f"scaled-x{args.times}.duckdb"
        shutil.copyfile(source, db)
        with duckdb.connect(str(source), read_only=True) as con:
            source_requests = con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]
        result = {"source": str(source), "times": args.times, "source_requests": source_requests}
        result["replicate"] = replicate(db, args.times)
        print(f"replicated: {result['replicate']}", file=sys.stderr)
        result["build_full"] = _quiet(child(["--db", str(db), "build", "--full"]))
        print(f"full build: {result['build_full']}", file=sys.stderr)
    result["pages"] = page_latency(db, args.repeat)
    print(f"pages: {result['pages']}", file=sys.stderr)
    if args.extra_jsonl:
        ingest = _quiet(child(["--db", str(db), "ingest", "--no-build", "litellm", *args.extra_jsonl]))
        build = child(["--db", str(db), "build"], env={"TOKENOMICS_SQL_TIMING": "1"})
        result["incremental"] = incremental_result(ingest, build, files=args.extra_jsonl)
        print(f"incremental: {result['incremental']}", file=sys.stderr)
    result["db_mb"] = round(db.stat().st_size / 1e6)
    out = Path(args.out or ROOT / "bench" / "results" / f"scale-up-x{args.times}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ingest throughput: the LiteLLM JSONL source next to a bare DuckDB read of the same file.

Run: .venv/bin/python bench/ingest.py [--requests N]      (default 300,000 requests, one demo month)
Generates demo gateway logs, then times (a) `tokenomics ingest litellm` into a fresh warehouse and
(b) DuckDB reading the same JSON lines into a table with no checks (the floor), and prints rows/s, the
ratio, and the ingest's peak RSS.  Issue 3's goal is ≥ 300k rows/s for JSONL on this 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300_000)
    args = ap.parse_args()
    from tokenomics.demo.generate import DemoConfig, generate

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        manifest = generate(out / "raw", DemoConfig(requests=args.requests, days=30))
        files = sorted((out / "raw" / "gateway" / "litellm").glob("*.jsonl"))
        lines = manifest["lines_written"]
        size = sum(f.stat().st_size for f in files)

        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(out / "wh.duckdb"), "ingest",
                              "litellm", *map(str, files), "--no-build"], capture_output=True, text=True)
        ingest_s = time.perf_counter() - start
        if run.returncode:
            print(run.stdout, run.stderr)
            return 1
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        con = duckdb.connect(str(out / "bare.duckdb"))
        start = time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_json(?, format = 'newline_delimited', "
                    "ignore_errors = true, maximum_object_size = 67108864)", [[str(f) for f in files]])
        bare_s = time.perf_counter() - start
        con.close()

    print(f"input                {lines:,} lines in {len(files)} files, {size / 1e6:,.0f} MB")
    print(f"tokenomics ingest    {ingest_s:7.2f} s  {lines / ingest_s:>10,.0f} rows/s   peak RSS {peak_mb:,.0f} MB")
    print(f"bare DuckDB read     {bare_s:7.2f} s  {lines / bare_s:>10,.0f} rows/s")
    print(f"ratio                {ingest_s / bare_s:7.2f}x the bare read   (goal: >= 300,000 rows/s: "
          f"{'met' if lines / ingest_s >= 300_000 else 'not met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

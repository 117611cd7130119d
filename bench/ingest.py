"""Ingest throughput and memory: JSON lines and Parquet, each next to a bare DuckDB COPY of the same file.

Run: .venv/bin/python bench/ingest.py [--requests N] [--gb G]
Generates demo LiteLLM logs (N requests over 30 days, default 300,000; or about G gigabytes of them with
--gb, for the bounded-memory check), then times in child processes, each with its own peak RSS:
  JSONL    `tokenomics ingest litellm` (validate, normalise, dedupe, land, quarantine)
           vs DuckDB `COPY (SELECT * FROM read_json(...)) TO parquet` — no checks;
           vs the landing floor: DuckDB reading only the fields we read (read_json with those columns)
           straight into a table of a DuckDB file — parse + store, nothing else;
  Parquet  `tokenomics ingest requests-parquet` on the same rows as one canonical Parquet file
           vs DuckDB `COPY (SELECT * FROM read_parquet(...)) TO parquet`;
           vs the landing floor: the same rows straight into a table of a DuckDB file.
Our ingest runs as a CLI process; its start-up (imports, opening the warehouse) is timed on an empty
input and shown separately.  DuckDB's own timers exclude start-up.
Issue 3's goals: ≥ 300k rows/s JSONL, ≥ 1M rows/s Parquet, < 2 GB RSS for a 10 GB JSONL file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import child  # noqa: E402

BARE = """
import sys, time, duckdb
con = duckdb.connect()
start = time.perf_counter()
con.execute("COPY (SELECT * FROM " + sys.argv[1] + "(?" + sys.argv[2] + ")) TO '" + sys.argv[3] + "' (FORMAT parquet)",
            [sys.argv[4:]])
print(time.perf_counter() - start)
"""
# the landing floor: into a table of a DuckDB file, one transaction (argv: reader, options, database, files…)
LAND = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[3])
start = time.perf_counter()
con.execute("CREATE TABLE landed AS SELECT * FROM " + sys.argv[1] + "(?" + sys.argv[2] + ")", [sys.argv[4:]])
print(time.perf_counter() - start)
"""
# the fields litellm_payload.sql reads (nested objects as JSON), so DuckDB parses what we parse
LITELLM_COLUMNS = (", format = 'newline_delimited', ignore_errors = true, columns = {'id': 'VARCHAR', "
                   "'startTime': 'VARCHAR', 'endTime': 'VARCHAR', 'completionStartTime': 'VARCHAR', 'metadata': 'JSON', "
                   "'end_user': 'VARCHAR', 'request_tags': 'JSON', 'custom_llm_provider': 'VARCHAR', "
                   "'model_group': 'VARCHAR', 'model': 'VARCHAR', 'model_id': 'VARCHAR', 'call_type': 'VARCHAR', "
                   "'hidden_params': 'JSON', 'model_parameters': 'JSON', 'status': 'VARCHAR', 'cache_hit': 'VARCHAR', "
                   "'cache_key': 'VARCHAR', 'response_cost': 'VARCHAR', 'prompt_tokens': 'VARCHAR', "
                   "'completion_tokens': 'VARCHAR'}")


def bare(reader: str, options: str, files: list[Path], work: Path, script: str = BARE) -> dict:
    """A bare DuckDB statement in its own process (so its RSS is its own); its own timer, without start-up."""
    target = work / f"bare-{reader}-{len(list(work.glob('bare-*')))}"
    run = child([reader, options, str(target), *map(str, files)], module=("-c", script))
    return {**run, "seconds": round(float(run["output"].split()[-1]), 2)}


def startup(work: Path) -> dict:
    """Our CLI's fixed cost: the same ingest command on an empty file."""
    empty = work / "empty.jsonl"
    empty.write_bytes(b"")
    return child(["--db", str(work / "startup.duckdb"), "ingest", "--no-build", "litellm", str(empty)])


def line(name: str, rows: int, run: dict) -> str:
    return f"{name:<40}{run['seconds']:>8.2f} s {rows / run['seconds']:>12,.0f} rows/s {run['peak_rss_mb']:>8,} MB RSS"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300_000)
    ap.add_argument("--gb", type=float, default=None, help="generate about this many GB of JSON lines instead")
    args = ap.parse_args()
    from tokenomics.demo.generate import DemoConfig, generate

    requests = int(args.gb * 1e9 / 1290) if args.gb else args.requests  # ~1.29 KB per demo line
    with tempfile.TemporaryDirectory(prefix="tokenomics-bench-") as tmp:
        work = Path(tmp)
        manifest = generate(work / "raw", DemoConfig(requests=requests, days=30))
        files = sorted((work / "raw" / "gateway" / "litellm").glob("*.jsonl"))
        lines = manifest["lines_written"]
        size = sum(f.stat().st_size for f in files)
        print(f"input: {lines:,} JSON lines in {len(files)} files, {size / 1e6:,.0f} MB")

        db = work / "jsonl.duckdb"
        start = startup(work)
        print(f"CLI start-up (empty input): {start['seconds']:.2f} s")
        jsonl = child(["--db", str(db), "ingest", "--no-build", "litellm", *map(str, files)])
        jsonl_bare = bare("read_json", ", format = 'newline_delimited', ignore_errors = true", files, work)
        jsonl_floor = bare("read_json", LITELLM_COLUMNS, files, work, LAND)
        print(line("tokenomics ingest litellm", lines, jsonl))
        print(line("  the same, less start-up", lines, {**jsonl, "seconds": jsonl["seconds"] - start["seconds"]}))
        print(line("bare DuckDB COPY (read_json)", lines, jsonl_bare))
        print(line("landing floor (read_json → table)", lines, jsonl_floor))
        print(f"  ratio {jsonl['seconds'] / jsonl_bare['seconds']:.2f}x the bare COPY, "
              f"{jsonl['seconds'] / jsonl_floor['seconds']:.2f}x the landing floor; goal ≥ 300,000 rows/s: "
              f"{'met' if lines / jsonl['seconds'] >= 300_000 else 'not met'}; goal < 2,048 MB RSS: "
              f"{'met' if jsonl['peak_rss_mb'] < 2048 else 'not met'}")

        parquet = work / "requests.parquet"
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        rows = con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]
        con.execute("COPY (SELECT * EXCLUDE (run_id) FROM raw_requests) TO '" + str(parquet).replace("'", "''")
                    + "' (FORMAT parquet)")
        con.close()
        pq = child(["--db", str(work / "parquet.duckdb"), "ingest", "--no-build", "requests-parquet", str(parquet)])
        pq_bare = bare("read_parquet", "", [parquet], work)
        pq_floor = bare("read_parquet", "", [parquet], work, LAND)
        print(line("tokenomics ingest requests-parquet", rows, pq))
        print(line("  the same, less start-up", rows, {**pq, "seconds": pq["seconds"] - start["seconds"]}))
        print(line("bare DuckDB COPY (read_parquet)", rows, pq_bare))
        print(line("landing floor (read_parquet → table)", rows, pq_floor))
        print(f"  ratio {pq['seconds'] / pq_bare['seconds']:.2f}x the bare COPY, "
              f"{pq['seconds'] / pq_floor['seconds']:.2f}x the landing floor; goal ≥ 1,000,000 rows/s: "
              f"{'met' if rows / pq['seconds'] >= 1_000_000 else 'not met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

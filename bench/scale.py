"""Scale: N requests end to end, side by side with the baselines, written to a JSON file.

Run: .venv/bin/python bench/scale.py --requests 1000000 [--extra 100000] [--out bench/results/scale-1M.json]
     (N = 1M, 10M or 100M; --days spreads them, default 92; --keep DIR keeps the files and warehouse)
     100M: .venv/bin/python bench/scale.py --requests 100000000 --chunks 10 --days 90
     (--chunks K: K consecutive periods, each generated, ingested, built incrementally and deleted in
     turn — 100M requests are ~130 GB of JSON lines, one period's 13 GB fit the disk)

In one run, on this machine:
  1. generate N LiteLLM JSON-lines requests (the demo generator: real payload shape, hostile lines included)
     plus GPU telemetry and rate cards;
  2. ingest them with `tokenomics ingest` (a child process: its own peak RSS) → rows/s, next to a bare
     DuckDB COPY of the same JSON-lines files to Parquet (no checks, no dedupe: the floor);
  3. a full model build; each page's data-layer queries, p50/p95 over --repeat runs (every call opens
     the read snapshot, as the dashboard does);
  4. --extra more requests on the last days → ingest + incremental build time (the after-ingest refresh);
  5. the tenant-spend question answered the way a Postgres-backed gateway does it (LiteLLM's spend views
     aggregate LiteLLM_SpendLogs rows): the same requests in a real local PostgreSQL table with an index on
     startTime, `SUM(spend) GROUP BY tenant` over a month — next to the same question from our marts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def child(args: list[str], env: dict | None = None, module: tuple[str, ...] = ("-m", "tokenomics.cli")) -> dict:
    """Run `python -m tokenomics.cli ...`: its wall time and its own peak RSS.

    The peak is the child's VmHWM polled from /proc (rusage's ru_maxrss would count this big parent's
    memory at fork time)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *module, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    peak = [0]
    watcher = threading.Thread(target=_watch_hwm, args=(proc, peak), daemon=True)
    watcher.start()
    output = proc.stdout.read().decode(errors="replace")
    proc.wait()
    watcher.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{output[-3000:]}")
    return {"seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak[0] / 1024),
            "output": output}


def _watch_hwm(proc: subprocess.Popen, peak: list[int]) -> None:
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for text in status.read_text().splitlines():
                if text.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(text.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.05)


def build_steps(output: str) -> dict:
    """The build's own per-step timings (TOKENOMICS_SQL_TIMING): where the refresh's seconds go; the rest of
    the wall time is starting Python and DuckDB (DuckDB's first bound parameter imports pandas, ~1.5 s)."""
    steps: dict[str, float] = {}
    for line in output.splitlines():
        seconds, _, name = line.strip().partition("s  ")
        try:
            steps[name] = round(steps.get(name, 0.0) + float(seconds), 2)  # a step repeats once per batch
        except ValueError:
            continue
    top = dict(sorted(steps.items(), key=lambda kv: -kv[1])[:8])
    # publish/<relation> lines break that step down: not added again
    return {"sum": round(sum(v for k, v in steps.items() if not k.startswith("publish/")), 2),
            **{step: steps.get(step, 0.0) for step in AFTER_PUBLISH}, **top}


AFTER_PUBLISH = ("checkpoint",)  # the build's last step, once the marts are published


def incremental_result(ingest: dict, build: dict, **extra) -> dict:
    """The late ingest and the incremental build after it.  The build's last step checkpoints the file,
    after the marts are published: published_after_s is the build's wall time until then (what the pages
    wait for), build.seconds the whole process."""
    steps = build_steps(build["output"])
    return {**extra, "ingest": ingest, "build": _quiet(build),
            "published_after_s": round(build["seconds"] - sum(steps[s] for s in AFTER_PUBLISH), 2),
            "build_steps_s": steps}


def _quiet(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "output"}


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000, 1)}


def timed(fn, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def page_latency(db: Path, repeat: int) -> dict:
    """Each page's data-layer calls (what its first render waits for), on the read snapshot."""
    from tokenomics import queries
    from tokenomics.access import LOCAL

    start, end = queries.period(db)
    f = queries.Filters(start, end)
    tenant = queries.overview(db, LOCAL, f)["by_tenant"].row(0, named=True)["tenant"]
    pages = {
        "overview": lambda: queries.overview(db, LOCAL, f),
        "tenant": lambda: queries.tenant(db, LOCAL, tenant, f),
        "fleet": lambda: queries.fleet(db, LOCAL, f),
        "savings": lambda: queries.savings(db, LOCAL, f),
        "batch": lambda: queries.batch(db, LOCAL, f),
        "rate_cards": lambda: queries.rate_cards(db, LOCAL, f, end, None),
        "whatif": lambda: queries.workload(db, LOCAL, f, None),
        "data_health": lambda: queries.data_health(db, LOCAL),
        "filters": lambda: queries.filter_options(db, LOCAL),
    }
    return {name: timed(fn, repeat) for name, fn in pages.items()}


def bare_copy(files: list[Path], work: Path) -> float:
    con = duckdb.connect(str(work / "bare.duckdb"))
    started = time.perf_counter()
    con.execute("COPY (SELECT * FROM read_json(?, format = 'newline_delimited', ignore_errors = true,"
                " maximum_object_size = 67108864)) TO '" + str(work / "bare.parquet").replace("'", "''") + "'"
                " (FORMAT parquet)", [[str(f) for f in files]])
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def postgres_baseline(db: Path, work: Path, month_start: date, repeat: int) -> dict:
    """The month's tenant spend from raw request rows in PostgreSQL, as a gateway's Postgres UI gets it.

    The rows go over in parts of ≤ 10M requests (whole days): DuckDB writes a part as CSV, PostgreSQL parses
    it (no Python per row), the part is deleted — at 100M requests the whole CSV would be 11 GB beside the
    table.  The primary key and the startTime index are built after the load, as a bulk load does (a
    gateway inserts one row per request over months; COPY into a growing random-key index of 100M rows
    slowed to a crawl here): the table the query runs on is the same."""
    import psycopg

    from tests import pgcluster
    from tokenomics.incremental import day_spans
    from tokenomics.warehouse import connect

    if not pgcluster.binaries():
        return {"skipped": "PostgreSQL server binaries not installed"}
    month_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    with pgcluster.cluster() as url, psycopg.connect(url, autocommit=True) as pg:
        pg.execute('CREATE TABLE "LiteLLM_SpendLogs" (request_id TEXT NOT NULL, "startTime" TIMESTAMPTZ NOT NULL,'
                   ' tenant TEXT, model TEXT, spend NUMERIC(38, 12), prompt_tokens BIGINT, completion_tokens BIGINT)')
        pg.execute("SET maintenance_work_mem = '2GB'")  # for the index builds after the load
        started = time.perf_counter()
        part = work / "spendlogs-part.csv"
        con = connect(db, read_only=True, snapshot=False)  # the warehouse itself: the priced ledger is a view
        days = con.execute("SELECT start_time::DATE, count(*) FROM raw_requests GROUP BY 1 ORDER BY 1").fetchall()
        for lo, hi in day_spans(days, 10_000_000):
            con.execute("CREATE OR REPLACE TEMP TABLE part_bounds AS SELECT ?::DATE::TIMESTAMPTZ AS lo,"
                        " ?::DATE::TIMESTAMPTZ AS hi", [lo, hi])
            con.execute("COPY (SELECT request_id, start_time, tenant, model, coalesce(effective_cost_usd, 0),"
                        " prompt_tokens, completion_tokens FROM int_request_costs"
                        " WHERE start_time >= (SELECT lo FROM part_bounds) AND start_time < (SELECT hi FROM part_bounds))"
                        " TO '" + str(part).replace("'", "''") + "' (FORMAT csv, HEADER false)")
            with pg.cursor() as cur, cur.copy('COPY "LiteLLM_SpendLogs" FROM STDIN (FORMAT csv)') as copy, \
                    part.open("rb") as handle:
                while block := handle.read(1 << 20):
                    copy.write(block)
            part.unlink()
            print(f"postgres: loaded through {hi} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        con.close()
        pg.execute('ALTER TABLE "LiteLLM_SpendLogs" ADD PRIMARY KEY (request_id)')
        pg.execute('CREATE INDEX ON "LiteLLM_SpendLogs" ("startTime")')
        pg.execute('ANALYZE "LiteLLM_SpendLogs"')
        load_s = time.perf_counter() - started
        query = ('SELECT tenant, sum(spend) FROM "LiteLLM_SpendLogs" WHERE "startTime" >= %s AND "startTime" < %s'
                 ' GROUP BY tenant ORDER BY 2 DESC')
        latency = timed(lambda: pg.execute(query, [month_start, month_end]).fetchall(), repeat)
        rows = pg.execute('SELECT count(*) FROM "LiteLLM_SpendLogs"').fetchone()[0]
        size = pg.execute("SELECT pg_total_relation_size('\"LiteLLM_SpendLogs\"')").fetchone()[0]
    return {"rows": rows, "load_s": round(load_s, 1), "table_gb": round(size / 1e9, 1), "tenant_spend_month": latency}


def ours_tenant_spend(db: Path, month_start: date, repeat: int) -> dict:
    from tokenomics import queries
    from tokenomics.access import LOCAL

    month_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    f = queries.Filters(month_start, month_end)
    return timed(lambda: queries.tenant_spend(db, LOCAL, f), repeat)


def reference(db: Path, raw: Path) -> None:
    """Rate cards, contracts and deployments: the reference data every build prices with."""
    for source, where in (("litellm-prices", raw / "rate_cards" / "litellm"), ("contracts", raw / "rate_cards"),
                          ("deployments", raw / "deployments.yaml")):
        child(["--db", str(db), "ingest", "--no-build", source, str(where)])


def gateway_files(raw: Path) -> list[Path]:
    return sorted((raw / "gateway" / "litellm").glob("*.jsonl"))


def land_all(db: Path, work: Path, args, result: dict) -> None:
    """All N requests generated at once, one ingest, one full build."""
    from tokenomics.demo.generate import DemoConfig, generate

    raw = work / "raw"
    started = time.perf_counter()
    manifest = generate(raw, DemoConfig(seed=11, requests=args.requests, days=args.days))
    result["generate_s"] = round(time.perf_counter() - started, 1)
    files = gateway_files(raw)
    lines = manifest["lines_written"]
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"generated {lines:,} lines ({size_mb:,.0f} MB) in {result['generate_s']} s", file=sys.stderr)
    reference(db, raw)
    child(["--db", str(db), "ingest", "--no-build", "nvidia-smi", str(raw / "telemetry")])
    ingest = _quiet(child(["--db", str(db), "ingest", "--no-build", "litellm", *map(str, files)]))
    bare_s = bare_copy(files, work)
    result["ingest"] = {"lines": lines, "mb": round(size_mb), **ingest, "rows_per_s": round(lines / ingest["seconds"])}
    result["bare_duckdb_copy"] = {"seconds": round(bare_s, 2), "rows_per_s": round(lines / bare_s)}
    result["ingest_vs_bare"] = round(ingest["seconds"] / bare_s, 2)
    print(f"ingest {result['ingest']}; bare COPY {result['bare_duckdb_copy']}", file=sys.stderr)
    result["build_full"] = _quiet(child(["--db", str(db), "build", "--full"]))
    print(f"full build {result['build_full']}", file=sys.stderr)


def land_chunked(db: Path, work: Path, args, result: dict) -> None:
    """N requests as --chunks consecutive periods (N/K requests over days/K days each), the way a gateway's
    logs arrive: generate a period's files, ingest them, build (incrementally after the first), delete the
    files, next. Only one period's JSON lines are on disk at a time (100M requests are ~130 GB of them).
    Each period draws its own tenant traits (seed per chunk); GPU UUIDs stay one fleet. The bare COPY runs
    on the first and the last period's files (its rate does not depend on the warehouse)."""
    from tokenomics.demo.generate import END, DemoConfig, generate

    per, days = args.requests // args.chunks, args.days // args.chunks
    totals = {"lines": 0, "mb": 0.0, "seconds": 0.0, "generate_s": 0.0, "bare_lines": 0, "bare_s": 0.0}
    chunks, peak = [], 0
    for k in range(args.chunks):
        raw = work / f"chunk-{k}"
        started = time.perf_counter()
        cfg = DemoConfig(seed=11 + k, requests=per, days=days, gpu_serial=11,
                         end=END - timedelta(days=days * (args.chunks - 1 - k)))
        manifest = generate(raw, cfg)
        gen_s = time.perf_counter() - started
        files = gateway_files(raw)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        if k == 0:
            reference(db, raw)
        child(["--db", str(db), "ingest", "--no-build", "nvidia-smi", str(raw / "telemetry")])
        ingest = _quiet(child(["--db", str(db), "ingest", "--no-build", "litellm", *map(str, files)]))
        build = child(["--db", str(db), "build"], env={"TOKENOMICS_SQL_TIMING": "1"})  # incremental after chunk 0
        lines = manifest["lines_written"]
        row = {"chunk": k, "period_end": cfg.end.date().isoformat(), "lines": lines, "mb": round(size_mb),
               "generate_s": round(gen_s, 1),
               **incremental_result({**ingest, "rows_per_s": round(lines / ingest["seconds"])}, build)}
        if k in (0, args.chunks - 1):
            bare_s = bare_copy(files, work)
            row["bare_duckdb_copy"] = {"seconds": round(bare_s, 2), "rows_per_s": round(lines / bare_s)}
            totals["bare_lines"] += lines
            totals["bare_s"] += bare_s
        shutil.rmtree(raw)
        for leftover in ("bare.parquet", "bare.duckdb"):
            (work / leftover).unlink(missing_ok=True)
        chunks.append(row)
        peak = max(peak, ingest["peak_rss_mb"])
        totals["lines"] += lines
        totals["mb"] += size_mb
        totals["seconds"] += ingest["seconds"]
        totals["generate_s"] += gen_s
        print(f"chunk {k}: {json.dumps(row)}", file=sys.stderr, flush=True)
    result["generate_s"] = round(totals["generate_s"], 1)
    result["ingest"] = {"lines": totals["lines"], "mb": round(totals["mb"]), "seconds": round(totals["seconds"], 2),
                        "peak_rss_mb": peak, "rows_per_s": round(totals["lines"] / totals["seconds"])}
    bare_rate = totals["bare_lines"] / totals["bare_s"]
    result["bare_duckdb_copy"] = {"rows_per_s": round(bare_rate), "measured_on_chunks": [0, args.chunks - 1]}
    result["ingest_vs_bare"] = round(bare_rate / result["ingest"]["rows_per_s"], 2)
    result["chunks_detail"] = chunks
    result["builds_after_each_chunk"] = {"max_s": max(c["build"]["seconds"] for c in chunks),
                                         "max_peak_rss_mb": max(c["build"]["peak_rss_mb"] for c in chunks)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=92)
    ap.add_argument("--extra", type=int, default=None, help="requests in the incremental step (default N/10, ≤ 1M)")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--out", default=None)
    ap.add_argument("--keep", default=None, help="keep the generated files and warehouse here")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--chunks", type=int, default=1,
                    help="generate, ingest, build and delete N/K requests at a time (100M: --chunks 10)")
    args = ap.parse_args()
    extra = args.extra if args.extra is not None else min(args.requests // 10, 1_000_000)
    out = Path(args.out or ROOT / "bench" / "results" / f"scale-{args.requests // 1_000_000 or args.requests}"
               f"{'M' if args.requests >= 1_000_000 else ''}.json")
    from tokenomics.demo.generate import DemoConfig, generate

    with tempfile.TemporaryDirectory(prefix="tokenomics-scale-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        db, more = work / "wh.duckdb", work / "extra"
        result: dict = {"requests": args.requests, "days": args.days, "chunks": args.chunks, "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__,
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)}}
        if args.chunks == 1:
            land_all(db, work, args, result)
        else:
            land_chunked(db, work, args, result)
        result["pages"] = page_latency(db, args.repeat)
        print(f"pages {result['pages']}", file=sys.stderr)

        if extra:
            generate(more, DemoConfig(seed=12, requests=extra, days=2))  # late data: the last two days again
            extra_files = sorted((more / "gateway" / "litellm").glob("*.jsonl"))
            ingest_more = _quiet(child(["--db", str(db), "ingest", "--no-build", "litellm", *map(str, extra_files)]))
            build = child(["--db", str(db), "build"], env={"TOKENOMICS_SQL_TIMING": "1"})
            result["incremental"] = incremental_result(ingest_more, build, requests=extra)
            print(f"incremental {result['incremental']}", file=sys.stderr)

        month = queries_month(db)
        result["tenant_spend_month"] = {"month": month.isoformat(), "tokenomics_marts": ours_tenant_spend(db, month, args.repeat)}
        if not args.no_postgres:
            result["tenant_spend_month"]["postgres_raw_table"] = postgres_baseline(db, work, month, args.repeat)
            pg = result["tenant_spend_month"]["postgres_raw_table"]
            if "tenant_spend_month" in pg:
                result["tenant_spend_month"]["postgres_over_ours_p50"] = round(
                    pg["tenant_spend_month"]["p50_ms"] / result["tenant_spend_month"]["tokenomics_marts"]["p50_ms"], 1)
        result["db_mb"] = round(db.stat().st_size / 1e6)

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def queries_month(db: Path) -> date:
    from tokenomics import queries

    _, end = queries.period(db)
    return end.replace(day=1)


if __name__ == "__main__":
    raise SystemExit(main())

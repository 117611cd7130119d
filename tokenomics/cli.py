"""`tokenomics` command line: demo, ingest, build, serve, migrate."""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from tokenomics.config import ENV_DB, db_path
from tokenomics.progress import ProgressBar
from tokenomics.settings import SettingsError, settings
from tokenomics.vocab import DRIVERS, IDLE_POLICIES


def _table(rows: list[list], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda r: "  ".join(str(v).rjust(w) if isinstance(v, int) else str(v).ljust(w) for v, w in zip(r, widths))
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _print_results(results) -> int:
    rows = [[r.source, Path(r.uri).name, r.status, r.counts.read, r.counts.loaded, r.counts.quarantined,
             r.counts.duplicate] for r in results]
    if rows:
        print(_table(rows, ["source", "file", "status", "read", "loaded", "quarantined", "duplicate"]))
    failed = [r for r in results if r.status == "failed"]
    for r in failed:
        print(f"FAILED {r.uri}: {r.message}", file=sys.stderr)
    return 1 if failed else 0


def _progress(result) -> None:
    print(f"  {result.status:<26} {result.source:<15} {Path(result.uri).name}", file=sys.stderr, flush=True)


def _ingest_options(args) -> dict:
    since = datetime.fromisoformat(args.since).astimezone(timezone.utc) if args.since else None
    return {k: v for k, v in {"valid_from": args.valid_from, "tz": args.tz, "host": args.host,
                              "at": args.at, "since": since, "tenant_map": args.tenant_map,
                              "mapping": args.mapping}.items() if v}


class UserError(Exception):
    """A problem the user can fix, said as a sentence (no traceback): exit code 2."""


def _paths(args) -> list:
    """The inputs, all checked before anything is loaded: a typo in the last path must not leave the first
    ones committed and the command failed."""
    runner = _sources()
    if args.source not in runner.REGISTRY:
        raise UserError(f"unknown source {args.source!r}; `tokenomics sources` lists them: "
                        + ", ".join(sorted(runner.REGISTRY)))
    paths = [p if "://" in p else Path(p) for p in args.paths]  # s3://, postgresql://, awspricing://
    missing = [str(p) for p in paths if isinstance(p, Path) and not p.exists()]
    if missing:
        raise UserError(f"no such file or folder: {', '.join(missing)} (nothing was ingested)")
    return paths


def cmd_ingest(args) -> int:
    runner = _sources()
    if args.to_lake:  # straight into the lake: no warehouse, no build
        from tokenomics.lake_ingest import ingest_to_lake

        try:
            results = ingest_to_lake(args.source, _paths(args), args.to_lake, _ingest_options(args), args.workers)
        except (ValueError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return _print_results(results)
    from tokenomics.warehouse import build_models, open_warehouse

    paths = _paths(args)
    con = open_warehouse(args.db)
    options = _ingest_options(args)
    try:
        results = runner.ingest_paths(con, args.source, paths, options, on_file=_progress, progress=ProgressBar())
    except Exception as exc:  # listing S3 or resolving inputs failed before any file was loaded
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not args.no_build:
        build_models(con)
    if args.lake:
        from tokenomics.lake import publish

        publish(con, args.lake)
    return _print_results(results)


# Demo inputs, in dependency order: prices and deployments before the traffic they describe.
DEMO_LAYOUT = (
    ("litellm-prices", "rate_cards/litellm"),
    ("contracts", "rate_cards"),
    ("deployments", "."),
    ("litellm", "gateway/litellm"),
    ("nvidia-smi", "telemetry/nvidia-smi"),
)


def build_demo(out: Path, db: Path, seed: int, requests: int, days: int) -> dict:
    """Generate the demo files, ingest them through the real sources, build the models."""
    runner = _sources()
    from tokenomics.demo.generate import DemoConfig, generate
    from tokenomics.warehouse import build_models, open_warehouse

    started = time.perf_counter()
    manifest = generate(out, DemoConfig(seed=seed, requests=requests, days=days))
    print(f"generated {manifest['lines_written']:,} gateway log lines in {time.perf_counter() - started:.1f}s",
          file=sys.stderr)
    con = open_warehouse(db)
    results = []
    for source, folder in DEMO_LAYOUT:
        results += runner.ingest_paths(con, source, [out / folder], on_file=_progress, progress=ProgressBar())
    built = build_models(con)
    con.close()
    code = _print_results(results)
    print(f"built {len(built)} models; demo warehouse {db} ready in {time.perf_counter() - started:.1f}s",
          file=sys.stderr)
    if code:
        raise SystemExit(code)
    return manifest


def cmd_demo(args) -> int:
    db = db_path(args.db)
    build_demo(Path(args.out), db, args.seed, args.requests, args.days)
    if args.no_serve:
        return 0
    return serve(db, args.port, args.address)


def cmd_build(args) -> int:
    if args.engine == "spark":
        if not (args.lake and args.out):
            print("error: --engine spark needs --lake DIR|s3://… (written by `tokenomics lake`) and --out DIR|s3://…",
                  file=sys.stderr)
            return 2
        from tokenomics.spark_build import build

        result = build(args.lake, args.out, master=args.master, full=args.full)
        print(_table([[name, how] for name, how in result["written"].items()], ["model", "written"]))
        return 0
    from tokenomics.warehouse import build_models, open_warehouse

    built = build_models(open_warehouse(args.db), full=args.full)
    print("\n".join(built))
    return 0


def cmd_publish(args) -> int:
    if args.from_lake:
        from tokenomics.spark_build import publish_from_lake

        print(f"published {publish_from_lake(args.from_lake, Path(args.db))}")
        return 0
    from tokenomics.warehouse import open_warehouse, publish

    print(f"published {publish(open_warehouse(args.db))}")
    return 0


def cmd_migrate(args) -> int:
    from tokenomics.warehouse import connect, migrate

    print(f"schema version {migrate(connect(args.db))}")
    return 0


def serve(db: Path, port: int, address: str = "127.0.0.1") -> int:
    """Run the Streamlit app on the given warehouse (read-only), listening on `address` only.

    The default, loopback, keeps Streamlit's own routes (e.g. `/media/<hash>.csv` downloads, which no app code
    guards) away from the network: expose it only through the authenticating proxy (docs/deploy.md).
    """
    from tokenomics.access import ENV_FORWARDED_ALLOW_IPS, ProxyConfigError, ProxySettings

    mode = settings().auth
    if mode == "proxy":
        try:
            ProxySettings.from_env()
        except ProxyConfigError as e:
            print(f"tokenomics serve: refusing to start: {e}", file=sys.stderr)
            return 2
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = address == "localhost"
    if mode == "local" and not loopback:
        print(f"warning: TOKENOMICS_AUTH=local on {address}: everyone who can reach this port is an admin; "
              "put it behind an authenticating proxy (docs/deploy.md)", file=sys.stderr, flush=True)
    entry = Path(importlib.util.find_spec("tokenomics.app").origin).resolve().parent / "main.py"  # located, not imported
    # FORWARDED_ALLOW_IPS="": uvicorn must never replace the TCP peer with an X-Forwarded-For value (a client
    # could otherwise pose as a trusted proxy); Tokenomics uses the client address for nothing else
    env = {**os.environ, ENV_DB: str(Path(db).resolve()), ENV_FORWARDED_ALLOW_IPS: ""}
    # toolbarMode viewer: no "Deploy" button or developer menu for the people reading the dashboard
    cmd = [sys.executable, "-m", "streamlit", "run", str(entry), "--server.address", address,
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "viewer"]
    host = f"[{address}]" if ":" in address else address
    print(f"serving {db} on http://{host}:{port} (auth: {mode})", file=sys.stderr, flush=True)
    # become the server: a supervisor's (or a test's) SIGTERM then reaches Streamlit, nothing is orphaned
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached


def cmd_serve(args) -> int:
    return serve(db_path(args.db), args.port, args.address)


def _sources():
    """The ingest runner with every source registered (imported by the commands that ingest only: a build
    or an export does not pay for loading every source's parsers)."""
    import tokenomics.ingest  # noqa: F401  (registers sources)
    from tokenomics.ingest import runner

    return runner


def cmd_sources(args) -> int:
    registry = _sources().REGISTRY

    print(_table([[s.name, ", ".join(s.patterns), s.description] for s in registry.values()],
                 ["source", "files", "format"]))
    return 0


def cmd_export(args) -> int:
    from tokenomics.chargeback import Policy
    from tokenomics.exports import ExportError, export

    scenario = Policy(args.driver or "tokens", args.idle_policy or "proportional", "scenario") \
        if args.driver or args.idle_policy else None
    try:
        manifest = export(db_path(args.db), args.period, args.format, args.dest, scenario)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for f in manifest["files"]:
        print(f"{f['name']:<32} {f['rows']:>8} rows  sha256 {f['sha256'][:16]}…")
    print(f"wrote {manifest['location']} (totals {manifest['totals']}; {manifest['statement']['status']} "
          f"{manifest['statement']['tag']})")
    if not any(f["rows"] for f in manifest["files"] if f["name"] not in ("SHA256SUMS", "manifest.json")):
        print(f"warning: {args.period} has no data in the warehouse: the export is empty (headers only)",
              file=sys.stderr)
    return 0


def cmd_lake(args) -> int:
    from tokenomics.lake import publish
    from tokenomics.warehouse import open_warehouse

    con = open_warehouse(args.db)
    results = publish(con, args.dest)
    print(_table([[r.relation, r.runs, r.rows, r.files] for r in results], ["relation", "new runs", "rows", "files"]))
    return 0


def cmd_sql(args) -> int:
    from tokenomics.portable import model_sql

    if args.dialect == "spark":  # one script that runs as printed: settings, views over the lake, the models
        from tokenomics.lake import read_manifest
        from tokenomics.portable import spark_script

        if not args.lake:
            print("error: --dialect spark needs --lake DIR|s3://… (written by `tokenomics lake`)", file=sys.stderr)
            return 2
        print(spark_script(args.lake, read_manifest(args.lake), args.work), end="")
        return 0
    for name, text in model_sql(args.dialect).items():
        print(f"-- {name}\n{text};\n")
    return 0


def cmd_schedule(args) -> int:
    from tokenomics import scheduler

    try:
        jobs = scheduler.load(Path(args.schedule) if args.schedule else scheduler.DEFAULT_SCHEDULE)
    except (scheduler.CronError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runner = lambda argv: main([*(["--db", args.db] if args.db else []), *argv])  # noqa: E731
    state = Path(args.state) if args.state else scheduler.state_path(db_path(args.db))
    if args.list:
        now, known = datetime.now(timezone.utc), scheduler.State.load(state)
        for job in jobs:
            last = known.last_ok(job.name)
            print(f"{job.name:<24} next {job.cron.next_after(now):%Y-%m-%d %H:%M}Z  "
                  f"last ok {f'{last:%Y-%m-%d %H:%M}Z' if last else '-':<17}  tokenomics {' '.join(job.run)}")
        return 0
    if args.at:  # a one-off run (backfills, testing): the state file is neither read nor written
        at = datetime.fromisoformat(args.at).astimezone(timezone.utc)
        results = scheduler.run_due(jobs, at, runner)
        return 1 if any(results.values()) else 0
    scheduler.serve(jobs, runner, state=state)
    return 0


def cmd_alert(args) -> int:
    from tokenomics import alerts

    try:
        report = alerts.run_alerts(args.db, month=args.month, config=args.config, dry_run=args.dry_run)
    except alerts.AlertError as exc:
        raise UserError(str(exc)) from None
    print(json.dumps(report.as_dict(), indent=1) if args.json else alerts.report_text(report))
    for d in report.deliveries:
        if d.error:
            print(f"error: alerts to {d.channel} failed ({d.error}); the next run sends them again",
                  file=sys.stderr)
    return 1 if report.failed else 0


def _source_arguments(p: argparse.ArgumentParser) -> None:
    """What ingest and check both take: a source, its inputs and the source options."""
    p.add_argument("source")
    p.add_argument("paths", nargs="+", help="files, folders, or s3://bucket/prefix (boto3; AWS_ENDPOINT_URL for "
                   "MinIO), or postgresql://… for litellm-spendlogs")
    p.add_argument("--since", help="S3: only objects modified at or after this ISO time")
    p.add_argument("--tenant-map", help="YAML naming tenants by team alias/id, key alias, end user, tag or caller "
                   "ARN (ingest/attribution.py; default $TOKENOMICS_TENANT_MAP)")
    p.add_argument("--mapping", help="mapped: YAML of canonical field -> column (ingest/mapped/README.md)")
    p.add_argument("--valid-from", help="effective date for a rate-card snapshot without one in its name")
    p.add_argument("--tz", help="time zone of timestamps written without one (nvidia-smi, LiteLLM; default UTC)")
    p.add_argument("--host", help="host name for nvidia-smi files (default: file name)")
    p.add_argument("--at", help="scrape time (ISO, with zone) for DCGM files without '# scrape' markers")


def cmd_check(args) -> int:
    _sources()
    from tokenomics.ingest.check import dry_run

    db = db_path(args.db)
    report = dry_run(args.source, _paths(args), _ingest_options(args), db, args.prices)
    if args.json:
        print(json.dumps(report, indent=1, default=str))
    else:
        print(check_text(report))
    return 1 if any(f["status"] == "failed" for f in report["files"]) else 0


def check_text(report: dict) -> str:
    """The dry run as sections of plain tables."""
    def section(title: str, rows: list[dict], empty: str) -> str:
        if not rows:
            return f"{title}: {empty}"
        return f"{title}:\n" + _table([[_cell(v) for v in r.values()] for r in rows], list(rows[0]))

    files = [{k: v for k, v in f.items() if k != "message"} | {"file": Path(f["file"]).name} for f in report["files"]]
    return "\n\n".join([
        section("Files (nothing written)", files, "none"),
        "Requests the warehouse already holds: " + ("unknown (no warehouse yet, or a writer holds it)"
                                                     if report["already_in_warehouse"] is None
                                                     else str(report["already_in_warehouse"])),
        section("Would be quarantined, by reason", report["quarantined"], "nothing"),
        section("Pricing", report["priced"], "no requests"),
        section("Unpriced, by model", report["unpriced"], "none — every request has a rate card"),
        section("Tenants and the rule that named them", report["tenants"], "no requests"),
        section("Model names and how they resolve", report["models"], "no requests"),
    ])


def _cell(value) -> object:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else value


# Options of every command, accepted before or after its name: `tokenomics --db X build` = `tokenomics build --db X`
GLOBAL_OPTIONS = {"--db": {"help": "warehouse file (default $TOKENOMICS_DB or ./data/tokenomics.duckdb)"}}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tokenomics", description=__doc__)
    for flag, spec in GLOBAL_OPTIONS.items():
        p.add_argument(flag, **spec)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="generate demo data, ingest it, and serve the dashboard")
    d.add_argument("--seed", type=int, default=42)
    d.add_argument("--requests", type=int, default=1_000_000)
    d.add_argument("--days", type=int, default=92)
    d.add_argument("--out", default="data/demo-raw", help="where the demo's raw source files are written")
    d.add_argument("--no-serve", action="store_true", help="stop after building the warehouse")
    d.add_argument("--port", type=int, default=8501)
    d.add_argument("--address", default="127.0.0.1",
                   help="interface to listen on (default loopback only; 0.0.0.0 only behind an auth proxy)")
    d.set_defaults(func=cmd_demo)

    i = sub.add_parser("ingest", help="ingest files of one source (see `tokenomics sources`)")
    _source_arguments(i)
    i.add_argument("--no-build", action="store_true", help="skip rebuilding marts afterwards")
    i.add_argument("--lake", help="also write the new raw rows as Hive-partitioned Parquet here (folder or s3://)")
    i.add_argument("--to-lake", help="validate and normalise the files straight into this lake (folder or s3://), no warehouse "
                   "(tokenomics/lake_ingest.py); then `tokenomics build --engine spark`")
    i.add_argument("--workers", type=int, default=1, help="with --to-lake: files ingested at once (processes)")
    i.set_defaults(func=cmd_ingest)

    k = sub.add_parser("check", help="dry run of an ingest: what would load, be quarantined, be unpriced, and "
                       "who each tenant is — nothing is written")
    _source_arguments(k)
    k.add_argument("--prices", action="append", default=[], type=Path,
                   help="a LiteLLM price catalogue to price with (beside the warehouse's cards; repeatable)")
    k.add_argument("--json", action="store_true", help="print the report as JSON")
    k.set_defaults(func=cmd_check)

    b = sub.add_parser("build", help="refresh staging, intermediate and mart relations (incremental when it can)")
    b.add_argument("--full", action="store_true", help="recompute everything from the raw facts")
    b.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"),
                   help="spark: run the models on Apache Spark over a lake (pip install '.[spark]'; local, or a "
                        "cluster through Spark Connect at $SPARK_REMOTE) and write them as Parquet to --out")
    b.add_argument("--lake", help="with --engine spark: the lake `tokenomics lake` wrote (a folder or s3://bucket/prefix)")
    b.add_argument("--out", help="with --engine spark: where the models are written (Parquet, by day; a folder or s3://…)")
    b.add_argument("--master", help="with --engine spark: the Spark master (default local[*])")
    b.set_defaults(func=cmd_build)
    pub = sub.add_parser("publish", help="write the dashboard's read snapshot: of this warehouse, or --from-lake the "
                       "models a Spark build wrote")
    pub.add_argument("--from-lake", help="the --out folder of `tokenomics build --engine spark` (or s3://bucket/prefix)")
    pub.set_defaults(func=cmd_publish)
    sub.add_parser("migrate", help="apply pending schema migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("sources", help="list ingest sources").set_defaults(func=cmd_sources)
    s = sub.add_parser("serve", help="serve the dashboard")
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--address", default="127.0.0.1",
                   help="interface to listen on (default loopback only; 0.0.0.0 only behind an auth proxy, "
                        "see docs/deploy.md)")
    s.set_defaults(func=cmd_serve)

    e = sub.add_parser("export", help="write a month's tenant-spend CSV or FOCUS 1.3 dataset (local dir or s3://)")
    e.add_argument("--period", required=True, help="YYYY-MM")
    e.add_argument("--format", default="csv", choices=("csv", "focus"))
    e.add_argument("--dest", required=True, help="a folder, or s3://bucket/prefix")
    e.add_argument("--driver", choices=DRIVERS,
                   help="a SCENARIO split of self-hosted GPU cost (default: the month's official policy); a scenario "
                        "export is labelled as such in its file names")
    e.add_argument("--idle-policy", choices=IDLE_POLICIES, help="a SCENARIO idle policy (see --driver)")
    e.set_defaults(func=cmd_export)

    k = sub.add_parser("lake", help="write raw facts not yet there as Hive-partitioned Parquet (date/source), a "
                       "snapshot of every reference table the models read, and manifest.json")
    k.add_argument("--dest", required=True, help="a folder, or s3://bucket/prefix")
    k.set_defaults(func=cmd_lake)

    q = sub.add_parser("sql", help="print the staging/intermediate/mart SQL in another engine's dialect (sqlglot)")
    q.add_argument("--dialect", default="trino", help="sqlglot dialect name (executed in tests: spark; parse-checked: "
                   "trino — see docs/scale.md)")
    q.add_argument("--lake", help="with --dialect spark: the lake (folder or s3://…) the printed views read")
    q.add_argument("--work", help="with --dialect spark: where the table models are written as Parquet "
                   "(default <lake>/_models)")
    q.set_defaults(func=cmd_sql)

    c = sub.add_parser("schedule", help="run scheduled jobs (ingest, exports) at their cron times, forever")
    c.add_argument("--schedule", help="schedule YAML (default: the packaged tokenomics/data/schedule.yaml)")
    c.add_argument("--list", action="store_true", help="print each job's next run and last successful one, and exit")
    c.add_argument("--at", help="run the jobs due at this ISO time once and exit (backfills, testing)")
    c.add_argument("--state", help="where the last successful run of each job is kept, for catch-up on start "
                   "(default: next to the warehouse, <db>.schedule-state.json)")
    c.set_defaults(func=cmd_schedule)

    a = sub.add_parser("alert", help="send budget (50/80/100 %%, forecast overrun) and anomaly alerts not sent "
                       "before to the Slack webhook and e-mail of the alerts config")
    a.add_argument("--month", help="YYYY-MM (default: the current month)")
    a.add_argument("--config", help="alerts YAML: slack_webhook, email (default $TOKENOMICS_ALERTS_FILE)")
    a.add_argument("--dry-run", action="store_true", help="print what would be sent; send and record nothing")
    a.add_argument("--json", action="store_true", help="print the report as JSON")
    a.set_defaults(func=cmd_alert)

    from tokenomics import cli_chargeback, cli_recommend, cli_whatif

    cli_whatif.add_parsers(sub)
    cli_chargeback.add_parsers(sub)
    cli_recommend.add_parsers(sub)
    for child in sub.choices.values():  # after the command too; SUPPRESS: absent there, the value before stays
        for flag, spec in GLOBAL_OPTIONS.items():
            child.add_argument(flag, **{**spec, "default": argparse.SUPPRESS})
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return _run(args)


def _run(args) -> int:
    """The command; what a user can fix is said as one sentence on stderr with exit code 2, not a traceback."""
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the flush at exit does not raise again
        return 1
    except Exception as exc:
        sentence = explain(exc, args)
        if sentence is None:
            raise
        print(f"error: {sentence}", file=sys.stderr)
        return 2


def explain(exc: BaseException, args) -> str | None:
    """Known failures of the machine or the setup, as sentences; None for anything else (a bug: traceback)."""
    if isinstance(exc, SettingsError):  # a TOKENOMICS_* variable with a bad value (tokenomics/settings.py)
        return str(exc)
    from tokenomics.warehouse import StaleWarehouse  # only on the way out: the start-up stays light

    if isinstance(exc, StaleWarehouse):  # an upgrade without a build
        return str(exc)
    text = str(exc)
    db = getattr(args, "db", None) or db_path(None)
    if "Could not set lock" in text or "Conflicting lock" in text:
        return (f"another process is writing the warehouse {db} (an ingest, build or schedule); try again when it "
                "finishes — the dashboard keeps answering from its snapshot meanwhile")
    if "in read-only mode: database does not exist" in text:  # a read command before any ingest, or a wrong --db
        return (f"there is no warehouse at {db}: load data first (`tokenomics ingest`, or `tokenomics demo`), or "
                "point --db / TOKENOMICS_DB at yours")
    if isinstance(exc, OSError) and exc.errno == 28 or "No space left on device" in text:
        return (f"the disk is full ({text.splitlines()[0][:200]}); nothing half-written was kept: free space and "
                "run the command again")
    if isinstance(exc, PermissionError) or "Permission denied" in text or "Read-only file system" in text:
        return f"cannot write there: {text.splitlines()[0][:200]}"
    if isinstance(exc, (NotADirectoryError, FileExistsError)):
        return f"{text.splitlines()[0][:200]} (a destination must be a folder)"
    return None


_NO_PANDAS = (cmd_build,)  # commands that never hand DuckDB a pandas object (see run)


def run() -> int:
    """The console entry point: main() in a process of its own, where a command that never hands DuckDB a
    pandas object (_NO_PANDAS) runs with pandas not importable — DuckDB's Python client imports pandas (~0.4
    s, 4 % of the refresh after a 1M-row ingest) the first time it binds a parameter, to check whether the
    value is one, and skips that when `import pandas` fails (sys.modules[name] = None).  Only here, never in
    main(): a caller's process may need pandas afterwards."""
    args = parser().parse_args()
    spark = getattr(args, "engine", None) == "spark"  # pyspark needs pandas (Spark Connect's client imports it)
    if args.func in _NO_PANDAS and not spark and "pandas" not in sys.modules:
        sys.modules["pandas"] = None
    return _run(args)


if __name__ == "__main__":
    raise SystemExit(run())

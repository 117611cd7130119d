"""Incremental builds give exactly what a full rebuild gives, table by table, and only run when they can."""

import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload, write_jsonl
from tokenomics import incremental
from tokenomics.warehouse import LAYERS, build_models, connect, model_files, open_warehouse

STATE = {"build_window", "model_state", "model_built_runs"}


def _tables(con) -> list[str]:
    return [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
                                      " ORDER BY 1").fetchall() if t not in STATE]


def _bag(con, table: str, columns: list[str] | None = None) -> Counter:
    """Rows (of these columns: default all) as a multiset; floats to 9 significant digits (parallel sums
    differ in the last bits)."""
    def cell(v):
        return float(f"{v:.9g}") if isinstance(v, float) else v
    select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    return Counter(repr(tuple(map(cell, row))) for row in con.execute(f'SELECT {select} FROM "{table}"').fetchall())


def _last_build(con) -> str:
    return con.execute("SELECT value FROM model_state WHERE key = 'last_build'").fetchone()[0].split()[0]


def test_incremental_builds_equal_a_full_rebuild(demo, tmp_path, monkeypatch):
    raw = Path(demo["raw"])
    db = tmp_path / "inc.duckdb"
    con = open_warehouse(db)
    for source, where in (("litellm-prices", raw / "rate_cards" / "litellm"), ("contracts", raw / "rate_cards"),
                          ("deployments", raw), ("nvidia-smi", raw / "telemetry")):
        ingest_paths(con, source, [where])
    october, november = sorted((raw / "gateway" / "litellm").glob("*.jsonl"))
    ingest_paths(con, "litellm", [october])
    build_models(con)
    assert _last_build(con) == "full"  # the first build has nothing to add to

    # requests are priced in batches of whole days (≤ 2,500 requests here: a demo day holds ~330)
    monkeypatch.setenv("TOKENOMICS_BUILD_BATCH_ROWS", "2500")
    ingest_paths(con, "litellm", [november])                     # new days, several batches
    build_models(con)
    assert _last_build(con) == "incremental"
    # late data for a day already built: its rows are recomputed, not added twice
    day = con.execute("SELECT min(day) FROM int_request_costs").fetchone()[0]
    late = [payload(f"late-{i}", f"{day}T13:00:00", "openai", "gpt-4o", 1000, 100, cached=200, tenant="initech")
            for i in range(5)]
    # and an unpriced request joining an existing unpriced group, earlier than any: first_seen merges as a min
    provider, model, tenant = con.execute(
        "SELECT provider, model, tenant FROM int_request_costs WHERE pricing_status = 'unpriced' AND day = ?"
        " AND service_tier = 'standard' ORDER BY ALL LIMIT 1", [day]).fetchone()
    late.append(payload("unpriced-late", f"{day}T00:00:00", provider, model, 10, 5, tenant=tenant))
    write_jsonl(tmp_path / "late.jsonl", late)
    ingest_paths(con, "litellm", [tmp_path / "late.jsonl"])
    build_models(con)
    assert _last_build(con) == "incremental"
    # telemetry resumes after a gap: the idle hours in between join the bill, so their days are redone
    telemetry = sorted((raw / "telemetry" / "nvidia-smi").glob("*.csv"))[0]
    header, first = telemetry.read_text().splitlines()[:2]
    last = con.execute("SELECT max(ts) FROM raw_gpu_samples").fetchone()[0]
    resumed = (last + timedelta(days=4)).strftime("%Y/%m/%d %H:%M:%S.000")
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / telemetry.name).write_text(f"{header}\n{resumed}, {first.split(', ', 1)[1]}\n")
    ingest_paths(con, "nvidia-smi", [tmp_path / "later"])
    build_models(con)
    assert _last_build(con) == "incremental"
    build_models(con)  # nothing new: nothing to do, nothing doubled
    con.close()

    full_db, batched_db = tmp_path / "full.duckdb", tmp_path / "batched.duckdb"
    shutil.copyfile(db, full_db)
    shutil.copyfile(db, batched_db)
    batched = open_warehouse(batched_db)
    build_models(batched, full=True)  # every request, ~8 batches of 2,500
    batched.close()
    monkeypatch.delenv("TOKENOMICS_BUILD_BATCH_ROWS")
    full = open_warehouse(full_db)
    build_models(full, full=True)  # one batch
    assert _last_build(full) == "full"
    inc, batched = (connect(p, read_only=True, snapshot=False) for p in (db, batched_db))
    assert _tables(inc) == _tables(full) == _tables(batched)
    for table in _tables(full):
        assert _bag(inc, table) == _bag(full, table), table
        assert _bag(batched, table) == _bag(full, table), table
    # the ledger is a view: it prices every request, the late ones too
    assert inc.execute("SELECT count(*) FROM int_request_costs WHERE request_id LIKE 'late-%'").fetchone()[0] == 5
    assert inc.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'int_request_costs'"
                       ).fetchone()[0] == "VIEW"
    inc.close()
    batched.close()
    full.close()
    # the read snapshot, patched by key after each incremental build, equals the one a full build writes
    inc, full = connect(db, read_only=True), connect(full_db, read_only=True)
    assert _tables(inc) == _tables(full) and "mart_spend_daily" in _tables(full)
    for table in _tables(full):  # the snapshot's own record: the same state, published at another time
        columns = ["key", "runs"] if table == "snapshot_state" else None
        assert _bag(inc, table, columns) == _bag(full, table, columns), table
    inc.close()
    full.close()


def test_summing_models_declare_real_columns_and_only_sums(demo):
    """A summing model's declared columns exist, and every column it does not declare is a group key:
    an aggregate that is not a sum or count (min, avg, count distinct) cannot be added up, so it must not
    hide among the keys."""
    import re

    from tokenomics import incremental
    from tokenomics.warehouse import LAYERS, model_files

    con = connect(demo["db"], read_only=True, snapshot=False)
    summing = []
    for path in (p for layer in LAYERS for p in model_files(layer)):
        how = incremental.annotation(path.read_text())
        if not (how and how.merges):
            continue
        summing.append(path.stem)
        columns = [c for (c, *_) in con.execute(f'DESCRIBE "{path.stem}"').fetchall()]
        assert set(how.merges) <= set(columns), path.stem
        assert how.column in columns and how.column not in how.merges, path.stem
        final = re.split(r"\n\)\s*\n", path.read_text())[-1]  # the last SELECT, after any CTEs
        for fn, declared in (("min", how.mins), ("max", how.maxes)):  # a min/max must merge as one
            assert set(re.findall(rf"\b{fn}\([^)]*\)\s+AS\s+(\w+)", final, re.I)) == set(declared), path.stem
        undeclared = re.sub(r"\b(min|max)\([^)]*\)\s+AS\s+\w+", "", final, flags=re.I)
        assert not re.search(r"\b(min|max|avg|median|quantile\w*|arg_max|arg_min)\(|count\(DISTINCT", undeclared,
                             re.I), path.stem
    assert {"mart_spend_daily", "mart_usage_hourly", "int_request_meters"} <= set(summing)
    con.close()


def test_annotation_parses_grain_and_summed_columns():
    from tokenomics.incremental import How, annotation

    assert annotation("-- incremental: day by day\nSELECT 1") == How("day", "day")
    assert annotation("-- incremental: hour by day, summing requests, tokens\n") == How("hour", "day", ("requests", "tokens"))
    assert annotation("-- incremental: run_id by run\n") == How("run_id", "run")
    assert annotation("-- incremental: day by day, summing n; min first_seen; max last_seen") == How(
        "day", "day", ("n",), ("first_seen",), ("last_seen",))
    assert annotation("-- not incremental") is None


def test_build_stages_follow_the_sql():
    """The real models split into: what no summing model feeds, the summing models, what reads them."""
    from tokenomics.incremental import stages
    from tokenomics.warehouse import LAYERS, model_files

    steps = stages([(layer, p) for layer in LAYERS for p in model_files(layer)])
    before, summing, after = ({m.name for m in part} for part in (steps.before, steps.summing, steps.after))
    assert steps.ledger.name == "int_request_costs"  # the one model whose header says '-- ledger:'
    assert {"int_request_costs", "int_request_tier_prices", "int_gpu_capacity_hourly", "stg_requests"} <= before
    assert {"mart_spend_daily", "mart_cache_savings_daily", "int_self_hosted_hourly", "int_request_meters"} <= summing
    assert {"int_gpu_hourly", "mart_ledger_daily", "mart_focus_daily", "mart_budget_daily"} <= after
    assert all(m.how and m.how.merges for m in steps.summing)


def _model(tmp_path, layer: str, name: str, sql: str) -> tuple[str, Path]:
    path = tmp_path / layer / f"{name}.sql"
    path.parent.mkdir(exist_ok=True)
    path.write_text(sql)
    return layer, path


@pytest.mark.parametrize("bad, message", [
    # summing over a sum: each batch would add the other model's whole total again
    ("-- incremental: day by day, summing n\nCREATE OR REPLACE TABLE m_bad AS SELECT day, sum(n) AS n FROM m_sum GROUP BY 1",
     "no other summing model"),
    # a table reading the ledger: every build would price every request
    ("CREATE OR REPLACE TABLE m_bad AS SELECT day, count(*) AS n FROM v_costs GROUP BY 1", "only summing models"),
    # a summing model that does not read the ledger: adding it up per batch would count it again
    ("-- incremental: day by day, summing n\nCREATE OR REPLACE TABLE m_bad AS SELECT day, count(*) AS n FROM raw_x GROUP BY 1",
     "must read int_request_costs"),
])
def test_build_stages_refuse_models_that_cannot_be_fed_in_batches(tmp_path, bad, message):
    from tokenomics.incremental import stages

    paths = [_model(tmp_path, "intermediate", "int_request_costs",
                    "-- ledger: raw_x by day\nCREATE OR REPLACE VIEW int_request_costs AS SELECT 1"),
             _model(tmp_path, "intermediate", "v_costs", "CREATE OR REPLACE VIEW v_costs AS SELECT * FROM int_request_costs"),
             _model(tmp_path, "marts", "m_sum", "-- incremental: day by day, summing n\n"
                    "CREATE OR REPLACE TABLE m_sum AS SELECT day, count(*) AS n FROM int_request_costs GROUP BY 1"),
             _model(tmp_path, "marts", "m_after", "CREATE OR REPLACE TABLE m_after AS SELECT * FROM m_sum")]
    assert [m.name for m in stages(paths).after] == ["m_after"]
    with pytest.raises(ValueError, match=message):
        stages([*paths, _model(tmp_path, "marts", "m_bad", bad)])
    # a ledger that does not say what it prices and by which time column: the engine cannot cut batches
    paths[0][1].write_text("-- ledger: the priced requests\nCREATE OR REPLACE VIEW int_request_costs AS SELECT 1")
    with pytest.raises(ValueError, match="must say what it prices"):
        stages(paths)


def test_batches_are_spans_of_whole_days_under_the_limit():
    from datetime import date

    from tokenomics.incremental import day_spans

    d = [date(2026, 11, i) for i in range(1, 6)]
    # 3 + 4 > 5 closes the first span; the 9-request day is a batch of its own; the last span ends the day after
    assert day_spans([(d[0], 3), (d[1], 4), (d[2], 9), (d[3], 1), (d[4], 2)], 5) == [
        (d[0], d[1]), (d[1], d[2]), (d[2], d[3]), (d[3], date(2026, 11, 6))]
    assert day_spans([], 5) == []


def test_a_build_that_dies_between_batches_makes_the_next_one_full(demo, tmp_path, monkeypatch):
    """Batches commit one by one: a build killed after some of them must not leave the next build adding the
    same requests again — it rebuilds in full, and the snapshot readers see never shows the half-fed marts."""
    db, reference = tmp_path / "wh.duckdb", tmp_path / "reference.duckdb"
    for path in (db, reference):
        shutil.copyfile(demo["db"], path)
    shutil.copyfile(Path(str(demo["db"]) + ".serving"), Path(str(db) + ".serving"))
    con = open_warehouse(db)
    day = con.execute("SELECT max(day) FROM mart_spend_daily").fetchone()[0]
    late = [payload(f"late-{i}", f"{day - timedelta(days=i % 9)}T10:00:00", "openai", "gpt-4o", 1000, 100,
                    tenant="initech") for i in range(40)]
    write_jsonl(tmp_path / "late.jsonl", late)
    ingest_paths(con, "litellm", [tmp_path / "late.jsonl"])
    published = connect(db, read_only=True).execute("SELECT sum(requests) FROM mart_spend_daily").fetchone()[0]

    monkeypatch.setenv("TOKENOMICS_BUILD_BATCH_ROWS", "10")  # the 40 late requests over 9 days: 5 batches
    real_merge, calls = incremental.merge, []
    per_batch = len(incremental.stages([(layer, p) for layer in LAYERS for p in model_files(layer)]).summing)

    def dies_in_the_third_batch(con, model, create, ledger):
        calls.append(model.name)
        if len(calls) > 2 * per_batch:
            raise RuntimeError("killed")
        real_merge(con, model, create, ledger)

    monkeypatch.setattr(incremental, "merge", dies_in_the_third_batch)
    with pytest.raises(RuntimeError, match="killed"):
        build_models(con)
    monkeypatch.setattr(incremental, "merge", real_merge)
    # two batches were committed into the warehouse's marts, but readers still see the last published snapshot
    assert con.execute("SELECT value FROM model_state WHERE key = 'fingerprint'").fetchone()[0] == "building"
    assert connect(db, read_only=True).execute("SELECT sum(requests) FROM mart_spend_daily").fetchone()[0] == published

    build_models(con)
    assert _last_build(con) == "full"
    con.close()
    ref = open_warehouse(reference)
    ingest_paths(ref, "litellm", [tmp_path / "late.jsonl"])
    build_models(ref, full=True)
    ref.close()
    got, want = (connect(p, read_only=True, snapshot=False) for p in (db, reference))
    assert _tables(got) == _tables(want)
    for table in _tables(want):  # the same, but for the late file's run id
        columns = [c for (c, *_) in got.execute(f'DESCRIBE "{table}"').fetchall() if c not in ("run_id", "started_at",
                   "finished_at", "built_at", "ingested_at", "quarantined_at")]
        assert _bag(got, table, columns) == _bag(want, table, columns), table
    assert got.execute("SELECT sum(requests) FROM mart_spend_daily").fetchone()[0] == published + 40


def test_the_build_command_runs_without_pandas(demo, tmp_path):
    """`tokenomics build` hides pandas from its own process (DuckDB imports it, ~0.4 s, to bind the first
    parameter): the whole build must work without it, and report that it never loaded it."""
    import subprocess
    import sys

    db = tmp_path / "wh.duckdb"
    shutil.copyfile(demo["db"], db)
    probe = ("import sys; sys.argv = ['tokenomics', '--db', sys.argv[1], 'build', '--full'];"
             " from tokenomics.cli import run; code = run(); print('pandas loaded:', bool(sys.modules.get('pandas')));"
             " raise SystemExit(code)")
    done = subprocess.run([sys.executable, "-c", probe, str(db)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "marts/mart_spend_daily" in done.stdout and "pandas loaded: False" in done.stdout
    con = connect(db, read_only=True)
    assert con.execute("SELECT sum(requests) FROM mart_spend_daily").fetchone()[0] == demo["manifest"]["requests_valid"]
    con.close()

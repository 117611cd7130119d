"""The compose scheduler's cron: parsing, standard day semantics, placeholders, running due jobs, and the
catch-up of runs missed while the scheduler was down (serve driven by a fake clock and sleep)."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from tokenomics import scheduler
from tokenomics.scheduler import Cron, CronError


def utc(*a):
    return datetime(*a, tzinfo=timezone.utc)


def test_fields_lists_ranges_steps():
    c = Cron.parse("*/15 9-17 * * 1-5")
    assert c.minute == {0, 15, 30, 45} and c.hour == set(range(9, 18)) and c.weekday == {1, 2, 3, 4, 5}
    assert c.matches(utc(2026, 11, 23, 9, 45))        # Monday 09:45
    assert not c.matches(utc(2026, 11, 22, 9, 45))    # Sunday


def test_day_of_month_or_weekday_when_both_are_restricted():
    c = Cron.parse("0 0 1 * 0")  # the 1st, or any Sunday (cron's OR rule)
    assert c.matches(utc(2026, 12, 1, 0, 0)) and c.matches(utc(2026, 11, 29, 0, 0))
    assert not c.matches(utc(2026, 11, 30, 0, 0))
    assert Cron.parse("0 0 * * 7").matches(utc(2026, 11, 29, 0, 0))  # 7 is Sunday too


def test_next_after_crosses_month_and_year():
    assert Cron.parse("0 3 1 * *").next_after(utc(2026, 12, 15, 12, 0)) == utc(2027, 1, 1, 3, 0)
    assert Cron.parse("30 3 1 * *").next_after(utc(2026, 12, 1, 3, 30)) == utc(2027, 1, 1, 3, 30)


def test_restricted_day_and_weekday_follow_cron_not_and():
    # `1-7 * 1` is "days 1-7 OR any Monday" in cron, not "the first Monday"
    first_week_or_monday = Cron.parse("0 9 1-7 * 1")
    assert first_week_or_monday.next_after(utc(2026, 11, 7, 9, 0)) == utc(2026, 11, 9, 9, 0)   # Monday the 9th
    assert first_week_or_monday.next_after(utc(2026, 11, 30, 9, 0)) == utc(2026, 12, 1, 9, 0)  # Tuesday the 1st
    # only one of them restricted: that one alone decides
    assert Cron.parse("0 9 * * 1").next_after(utc(2026, 11, 30, 9, 0)) == utc(2026, 12, 7, 9, 0)
    assert Cron.parse("0 9 13 * *").next_after(utc(2026, 11, 14, 0, 0)) == utc(2026, 12, 13, 9, 0)
    # a stepped day field counts as restricted (no vixie-cron `*` quirk)
    assert Cron.parse("0 0 */10 * 0").matches(utc(2026, 11, 29, 0, 0))  # Sunday the 29th
    assert Cron.parse("0 0 */10 * 0").matches(utc(2026, 11, 11, 0, 0))  # Wednesday the 11th


@pytest.mark.parametrize("bad", ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *",
                                 "* * * * * *", "@daily", "0 0 31 2 *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8"])
def test_bad_expressions_are_errors(bad):
    with pytest.raises(CronError):
        Cron.parse(bad)


def test_packaged_schedule_exports_last_month_on_the_first():
    jobs = scheduler.load()
    at = utc(2027, 1, 1, 3, 0)
    [job] = scheduler.due(jobs, at)
    assert job.name == "monthly-tenant-spend"
    assert job.argv(at)[:3] == ["export", "--period", "2026-12"]
    assert [j.name for j in scheduler.due(jobs, utc(2026, 11, 23, 1, 15))] == ["nightly-ingest"]


def test_a_failing_job_does_not_stop_the_others(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "jobs:\n  - {name: a, cron: '* * * * *', run: 'boom'}\n  - {name: b, cron: '* * * * *', run: [sources]}\n")
    ran = []

    def runner(argv):
        ran.append(argv)
        if argv == ["boom"]:
            raise RuntimeError("job crashed")
        return 0

    results = scheduler.run_due(scheduler.load(tmp_path / "s.yaml"), utc(2026, 1, 1, 0, 0), runner)
    assert results == {"a": 1, "b": 0} and ran == [["boom"], ["sources"]]


def test_cli_runs_the_jobs_due_at_a_time(demo, tmp_path):
    import subprocess
    import sys

    (tmp_path / "s.yaml").write_text(
        f"jobs:\n  - name: export\n    cron: '0 3 1 * *'\n    run: [export, --period, '{{previous_month}}', "
        f"--format, csv, --dest, '{tmp_path / 'out'}']\n")
    run = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(demo["db"]), "schedule", "--schedule",
                          str(tmp_path / "s.yaml"), "--at", "2026-11-01T03:00:00+00:00"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    # the folder carries period, format, policy and version (provisional: the month is not closed)
    assert list((tmp_path / "out").glob("2026-10-csv-tokens-proportional-provisional-*/manifest.json"))


class Stop(Exception):
    pass


def serve_until(jobs, start, end, state, results=None):
    """Run scheduler.serve from `start` with a fake clock until `end`; returns [(scheduled-run minute, argv)]."""
    now, ran = [start], []

    def sleep(seconds):
        if now[0] >= end:
            raise Stop
        now[0] += timedelta(seconds=seconds)

    def runner(argv):
        ran.append((now[0].replace(second=0, microsecond=0), argv))
        return (results or {}).get(argv[0], 0)

    with pytest.raises(Stop):
        scheduler.serve(jobs, runner, clock=lambda: now[0], sleep=sleep, state=state)
    return ran


def write_state(path, **last_ok):
    path.write_text(json.dumps({"version": 1, "jobs": {
        name: {"since": "2026-01-01T00:00:00+00:00", "last_ok": at.isoformat()} for name, at in last_ok.items()}}))


def hourly(tmp_path):
    (tmp_path / "s.yaml").write_text("jobs:\n  - {name: alerts, cron: '0 * * * *', run: [alert]}\n")
    return scheduler.load(tmp_path / "s.yaml")


def test_down_over_the_first_exports_the_missed_month_once_on_start(tmp_path):
    state = tmp_path / "wh.duckdb.schedule-state.json"
    jobs = scheduler.load()
    # last ran everything on Oct 25; down until Dec 1 00:30, before December's 02:00-03:30 month jobs
    write_state(state, **{j.name: utc(2026, 10, 25, 1, 15) if j.name == "nightly-ingest" else
                          utc(2026, 10, 25, 0, 45) if j.name == "hourly-alerts" else utc(2026, 10, 1, 3, 0)
                          for j in jobs})
    ran = serve_until(jobs, utc(2026, 12, 1, 0, 30, 20), utc(2026, 12, 1, 3, 5), state)
    exports = [(at, argv) for at, argv in ran if argv[:2] == ["export", "--period"] and "csv" in argv]
    # once on start for the missed Nov 1 03:00 run, its period from that time (October), not from now;
    # then December's own run at 03:00 for November
    assert [(at, argv[2]) for at, argv in exports] == [(utc(2026, 12, 1, 0, 30), "2026-10"),
                                                       (utc(2026, 12, 1, 3, 0), "2026-11")]
    on_start = [argv for at, argv in ran if at == utc(2026, 12, 1, 0, 30)]
    # each job once, in the order of their missed times (close before statements before exports)
    assert [a[0] for a in on_start] == ["close", "export", "statements", "export", "ingest", "alert"]
    assert on_start[0] == ["close", "--period", "2026-10", "--actor", "scheduler"]
    saved = json.loads(state.read_text())["jobs"]
    assert saved["monthly-tenant-spend"]["last_ok"] == "2026-12-01T03:00:00+00:00"
    assert saved["monthly-focus"]["last_ok"] == "2026-11-01T03:30:00+00:00"  # December's 03:30 not reached yet
    assert not list(tmp_path.glob("*.tmp"))  # written atomically: no temporary left behind


def test_down_for_three_hours_runs_an_hourly_job_once_then_on_schedule(tmp_path):
    state = tmp_path / "state.json"
    write_state(state, alerts=utc(2026, 11, 23, 10, 0))
    ran = serve_until(hourly(tmp_path), utc(2026, 11, 23, 13, 30, 5), utc(2026, 11, 23, 15, 0, 30), state)
    assert [at for at, _ in ran] == [utc(2026, 11, 23, 13, 30), utc(2026, 11, 23, 14, 0), utc(2026, 11, 23, 15, 0)]
    assert json.loads(state.read_text())["jobs"]["alerts"]["last_ok"] == "2026-11-23T15:00:00+00:00"


def test_nothing_missed_runs_nothing_on_start(tmp_path):
    state = tmp_path / "state.json"
    write_state(state, alerts=utc(2026, 11, 23, 13, 0))
    assert serve_until(hourly(tmp_path), utc(2026, 11, 23, 13, 30), utc(2026, 11, 23, 13, 59), state) == []


def test_first_start_without_state_runs_nothing_retroactively(tmp_path):
    state = tmp_path / "state.json"
    assert serve_until(hourly(tmp_path), utc(2026, 11, 23, 13, 30), utc(2026, 11, 23, 13, 59), state) == []
    assert json.loads(state.read_text())["jobs"]["alerts"] == {"since": "2026-11-23T13:30:00+00:00"}
    # but from then on it is tracked: down from 13:59 to 16:10 catches up 16:00 once
    ran = serve_until(hourly(tmp_path), utc(2026, 11, 23, 16, 10), utc(2026, 11, 23, 16, 20), state)
    assert ran == [(utc(2026, 11, 23, 16, 10), ["alert"])]


def test_a_failed_job_is_not_recorded_as_done_and_is_caught_up_next_start(tmp_path):
    state = tmp_path / "state.json"
    write_state(state, alerts=utc(2026, 11, 23, 10, 0))
    ran = serve_until(hourly(tmp_path), utc(2026, 11, 23, 10, 59), utc(2026, 11, 23, 11, 1), state, {"alert": 1})
    assert [at for at, _ in ran] == [utc(2026, 11, 23, 11, 0)]
    saved = json.loads(state.read_text())["jobs"]["alerts"]
    assert saved["last_ok"] == "2026-11-23T10:00:00+00:00" and saved["last_failed"] == "2026-11-23T11:00:00+00:00"
    # restarted before noon: the failed 11:00 run is the latest missed one, so it runs again, once
    ran = serve_until(hourly(tmp_path), utc(2026, 11, 23, 11, 20), utc(2026, 11, 23, 11, 21), state)
    assert ran == [(utc(2026, 11, 23, 11, 20), ["alert"])]
    assert json.loads(state.read_text())["jobs"]["alerts"]["last_ok"] == "2026-11-23T11:00:00+00:00"


def test_a_clock_jump_while_serving_runs_a_job_once(tmp_path):
    state = tmp_path / "state.json"
    write_state(state, alerts=utc(2026, 11, 23, 10, 0))
    now, ran = [utc(2026, 11, 23, 10, 30)], []

    def sleep(seconds):  # the host slept for three hours
        if now[0] >= utc(2026, 11, 23, 13, 30):
            raise Stop
        now[0] += timedelta(hours=3)

    with pytest.raises(Stop):
        scheduler.serve(hourly(tmp_path), lambda argv: ran.append(now[0]) or 0, lambda: now[0], sleep, state)
    assert ran == [utc(2026, 11, 23, 13, 30)]


def test_cli_list_shows_next_and_last_run(tmp_path, capsys):
    from tokenomics.cli import main

    write_state(tmp_path / "state.json", **{"monthly-close": utc(2026, 11, 1, 2, 0)})
    assert main(["--db", str(tmp_path / "wh.duckdb"), "schedule", "--list", "--state", str(tmp_path / "state.json")]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "last ok 2026-11-01 02:00Z" in lines["monthly-close"] and "last ok -" in lines["hourly-alerts"]
    assert not (tmp_path / "wh.duckdb").exists()  # listing opens no warehouse

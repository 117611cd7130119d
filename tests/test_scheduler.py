"""The compose scheduler's cron: parsing, standard day semantics, placeholders, and running due jobs."""

from datetime import datetime, timezone

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


@pytest.mark.parametrize("bad", ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"])
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

"""A small cron for the compose `scheduler` service: run `tokenomics` commands at cron times (UTC).

Five-field cron expressions, evaluated minute by minute; a job whose command fails is logged and runs
again at its next scheduled time.  No daemon dependencies: the service is the process.
"""

from __future__ import annotations

import shlex
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

DEFAULT_SCHEDULE = Path(__file__).parent / "data" / "schedule.yaml"
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))


class CronError(ValueError):
    """A cron expression or schedule file that cannot be understood."""


def _field(text: str, lo: int, hi: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            start, end = lo, hi
        elif "-" in body:
            start, end = (int(x) for x in body.split("-", 1))
        else:
            start = end = int(body)
        if not (lo <= start <= end <= hi) or step < 1:
            raise CronError(f"{part!r} is outside {lo}-{hi}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    minute: frozenset[int]
    hour: frozenset[int]
    day: frozenset[int]
    month: frozenset[int]
    weekday: frozenset[int]
    day_restricted: bool
    weekday_restricted: bool

    @classmethod
    def parse(cls, expr: str) -> "Cron":
        parts = expr.split()
        if len(parts) != 5:
            raise CronError(f"cron needs 5 fields (minute hour day month weekday), got {expr!r}")
        try:
            sets = [_field(p, lo, hi) for p, (_, lo, hi) in zip(parts, _FIELDS)]
        except ValueError as exc:
            raise CronError(f"bad cron {expr!r}: {exc}") from None
        weekday = frozenset(d % 7 for d in sets[4])
        return cls(*sets[:4], weekday, parts[2] != "*", parts[4] != "*")

    def matches(self, t: datetime) -> bool:
        """Standard cron semantics: if both day-of-month and day-of-week are restricted, either matches."""
        day_ok = t.day in self.day
        weekday_ok = (t.isoweekday() % 7) in self.weekday
        if self.day_restricted and self.weekday_restricted:
            calendar = day_ok or weekday_ok
        else:
            calendar = day_ok and weekday_ok
        return t.minute in self.minute and t.hour in self.hour and t.month in self.month and calendar

    def next_after(self, t: datetime) -> datetime:
        """The first matching minute strictly after t (searches up to 5 years)."""
        candidate = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(5 * 366 * 24 * 60):
            if self.matches(candidate):
                return candidate
            candidate += timedelta(minutes=1)
        raise CronError("no matching time in five years")


@dataclass(frozen=True)
class Job:
    name: str
    cron: Cron
    run: tuple[str, ...]

    def argv(self, now: datetime) -> list[str]:
        first = now.replace(day=1)
        previous = (first - timedelta(days=1)).strftime("%Y-%m")
        return [a.format(previous_month=previous, current_month=now.strftime("%Y-%m")) for a in self.run]


def load(path: Path = DEFAULT_SCHEDULE) -> list[Job]:
    doc = yaml.safe_load(Path(path).read_text()) or {}
    jobs = []
    for item in doc.get("jobs") or []:
        run = item.get("run")
        if isinstance(run, str):
            run = shlex.split(run)
        if not item.get("name") or not run:
            raise CronError(f"a job needs a name and a run command: {item!r}")
        jobs.append(Job(item["name"], Cron.parse(str(item.get("cron", ""))), tuple(run)))
    return jobs


def due(jobs: list[Job], at: datetime) -> list[Job]:
    return [j for j in jobs if j.cron.matches(at)]


def run_due(jobs: list[Job], at: datetime, runner) -> dict[str, int]:
    """Run every job due at this minute through runner(argv) -> exit code; failures are logged."""
    results = {}
    for job in due(jobs, at):
        argv = job.argv(at)
        print(f"{at:%Y-%m-%dT%H:%MZ} {job.name}: tokenomics {' '.join(argv)}", flush=True)
        try:
            results[job.name] = runner(argv)
        except Exception as exc:  # a job's crash must not stop the schedule
            print(f"{job.name} failed: {exc}", file=sys.stderr, flush=True)
            results[job.name] = 1
    return results


def serve(jobs: list[Job], runner, clock=lambda: datetime.now(timezone.utc), sleep=time.sleep) -> None:
    """Forever: wake at each minute boundary and run the jobs due then."""
    last = clock().replace(second=0, microsecond=0)
    while True:
        now = clock()
        minute = now.replace(second=0, microsecond=0)
        if minute > last:
            run_due(jobs, minute, runner)
            last = minute
        sleep(max(1.0, 60 - now.second - now.microsecond / 1e6))

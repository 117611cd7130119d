"""A small cron for the compose `scheduler` service: run `tokenomics` commands at cron times (UTC).

Five-field cron expressions, evaluated by croniter (standard cron semantics: when both day-of-month and
day-of-week are restricted, either one matching is enough).  A job whose command fails is logged and runs
again at its next scheduled time.

Catch-up: `serve` keeps, in a small JSON state file (by default next to the warehouse), the latest scheduled
time each job ran successfully.  On start, each job whose scheduled time passed while the scheduler was down
(or whose last run failed) runs once, for the latest such time, with {previous_month}/{current_month} taken
from that time; then the schedule continues.  A job the state has never seen (first start, a job added to
the schedule) runs nothing retroactively.  What makes a repeated run safe is that the jobs are idempotent
(close is a no-op on a closed, unchanged month; exports and statements rewrite the same period; ingest skips
bytes it has).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from croniter import CroniterError, croniter

from tokenomics.objectstore import atomic_write

DEFAULT_SCHEDULE = Path(__file__).parent / "data" / "schedule.yaml"
STATE_SUFFIX = ".schedule-state.json"
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))  # minute hour day month weekday (0 or 7 = Sunday)
_REVERSED = re.compile(r"^(\d+)-(\d+)(?:/\d+)?$")
_MINUTE = timedelta(minutes=1)


class CronError(ValueError):
    """A cron expression or schedule file that cannot be understood."""


def _utc_minute(t: datetime) -> datetime:
    """t as an aware UTC datetime at the start of its minute (a naive t is taken as UTC)."""
    t = t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)
    return t.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Cron:
    """A validated five-field cron expression in UTC; croniter does the calendar arithmetic."""

    expr: str

    @classmethod
    def parse(cls, expr: str) -> "Cron":
        parts = str(expr).split()
        if len(parts) != 5:
            raise CronError(f"cron needs 5 fields (minute hour day month weekday), got {expr!r}")
        # croniter reads `5-1` as a wrap-around range; cron (and this schedule file, so far) rejects it
        for part in (p for f in parts for p in f.split(",")):
            m = _REVERSED.match(part)
            if m and int(m[1]) > int(m[2]):
                raise CronError(f"bad cron {expr!r}: range {part!r} runs backwards")
        text = " ".join(parts)
        try:  # strict: a day that can never occur in the month(s) (`0 0 31 2 *`) is an error, not a silent never
            croniter.expand(text, strict=True)
        except (CroniterError, ValueError) as exc:
            raise CronError(f"bad cron {expr!r}: {exc}") from None
        return cls(text)

    def _values(self, index: int) -> frozenset[int]:
        lo, hi = _RANGES[index]
        values = croniter.expand(self.expr)[0][index]
        if values == ["*"]:
            return frozenset(range(lo, 7 if index == 4 else hi + 1))
        return frozenset(v for v in values if isinstance(v, int))

    minute = property(lambda self: self._values(0))
    hour = property(lambda self: self._values(1))
    day = property(lambda self: self._values(2))
    month = property(lambda self: self._values(3))
    weekday = property(lambda self: self._values(4))  # 0-6, Sunday = 0

    def matches(self, t: datetime) -> bool:
        """Whether the minute of t is a scheduled time (day-of-month OR day-of-week when both are restricted)."""
        minute = _utc_minute(t)
        return self.latest_at_or_before(minute) == minute

    def next_after(self, t: datetime) -> datetime:
        """The first scheduled minute strictly after t's minute."""
        return croniter(self.expr, _utc_minute(t)).get_next(datetime)

    def latest_at_or_before(self, t: datetime) -> datetime:
        """The last scheduled minute at or before t's minute."""
        return croniter(self.expr, _utc_minute(t) + _MINUTE).get_prev(datetime)


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
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):  # the state file is keyed by name
        raise CronError(f"job names must be unique: {sorted({n for n in names if names.count(n) > 1})}")
    return jobs


def due(jobs: list[Job], at: datetime) -> list[Job]:
    return [j for j in jobs if j.cron.matches(at)]


def _run(job: Job, at: datetime, runner, label: str = "") -> int:
    argv = job.argv(at)
    print(f"{at:%Y-%m-%dT%H:%MZ} {job.name}{label}: tokenomics {' '.join(argv)}", flush=True)
    try:
        return runner(argv)
    except Exception as exc:  # a job's crash must not stop the schedule
        print(f"{job.name} failed: {exc}", file=sys.stderr, flush=True)
        return 1


def run_due(jobs: list[Job], at: datetime, runner) -> dict[str, int]:
    """Run every job due at this minute through runner(argv) -> exit code; failures are logged."""
    return {job.name: _run(job, at, runner) for job in due(jobs, at)}


def state_path(db: str | os.PathLike) -> Path:
    """Where `serve` keeps what ran, by default: next to the warehouse file."""
    return Path(str(db) + STATE_SUFFIX)


@dataclass
class State:
    """Per job: `since` (when the scheduler first saw it) and `last_ok` (the latest scheduled time it ran
    successfully); `last_failed` is kept for people reading the file.  Saved atomically after each change."""

    path: Path | None
    jobs: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike | None) -> "State":
        if path is None:
            return cls(None)
        path = Path(path)
        try:
            doc = json.loads(path.read_text())
            jobs = {str(k): dict(v) for k, v in (doc.get("jobs") or {}).items()}
        except FileNotFoundError:
            jobs = {}
        except (ValueError, AttributeError, TypeError) as exc:  # unreadable: start afresh, nothing retroactive
            print(f"warning: ignoring unreadable schedule state {path}: {exc}", file=sys.stderr, flush=True)
            jobs = {}
        return cls(path, jobs)

    def _get(self, name: str, key: str) -> datetime | None:
        text = self.jobs.get(name, {}).get(key)
        return datetime.fromisoformat(text) if text else None

    def reference(self, name: str) -> datetime | None:
        """Every scheduled time up to this one is done (or was before the scheduler knew the job)."""
        times = [t for t in (self._get(name, "since"), self._get(name, "last_ok")) if t]
        return max(times) if times else None

    def last_ok(self, name: str) -> datetime | None:
        return self._get(name, "last_ok")

    def set(self, name: str, key: str, at: datetime) -> None:
        self.jobs.setdefault(name, {})[key] = _utc_minute(at).isoformat()

    def save(self) -> None:
        if self.path is None:
            return
        atomic_write(self.path, (json.dumps({"version": 1, "jobs": self.jobs}, indent=2, sort_keys=True) + "\n").encode())


def _run_latest(jobs: list[Job], after: dict[str, datetime], upto: datetime, runner, state: State,
                label: str = "") -> dict[str, int]:
    """Run once each job whose latest scheduled time t in (after[job], upto] exists, for that t, in time order;
    a success is recorded in the state, a failure is not."""
    pending = []
    for order, job in enumerate(jobs):
        t = job.cron.latest_at_or_before(upto)
        if t > after[job.name]:
            pending.append((t, order, job))
    results = {}
    for t, _, job in sorted(pending, key=lambda p: p[:2]):
        results[job.name] = code = _run(job, t, runner, label)
        state.set(job.name, "last_ok" if code == 0 else "last_failed", t)
        state.save()
    return results


def catch_up(jobs: list[Job], runner, now: datetime, state: State) -> dict[str, int]:
    """On start: run once each job with a scheduled time in (its reference in the state, now]; jobs the
    state has never seen start being tracked from now and run nothing retroactively."""
    now = _utc_minute(now)
    fresh = [j for j in jobs if state.reference(j.name) is None]
    for job in fresh:
        state.set(job.name, "since", now)
    if fresh:
        state.save()
    return _run_latest(jobs, {j.name: state.reference(j.name) for j in jobs}, now, runner, state, " (catch-up)")


def serve(jobs: list[Job], runner, clock=lambda: datetime.now(timezone.utc), sleep=time.sleep,
          state: str | os.PathLike | State | None = None) -> None:
    """Catch up on what was missed (see the module doc), then forever: wake at each minute boundary and run
    the jobs due since the last wake (once each, if the clock jumped)."""
    state = state if isinstance(state, State) else State.load(state)
    last = _utc_minute(clock())
    catch_up(jobs, runner, last, state)
    while True:
        now = clock()
        minute = _utc_minute(now)
        if minute > last:
            _run_latest(jobs, {j.name: last for j in jobs}, minute, runner, state)
            last = minute
        sleep(max(1.0, 60 - now.second - now.microsecond / 1e6))

"""Where things live: the warehouse file and the packaged SQL."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tokenomics.settings import Settings, settings

DEFAULT_DB = Settings.model_fields["db"].default  # data/tokenomics.duckdb
ENV_DB = "TOKENOMICS_DB"
ENV_SALT = "TOKENOMICS_HASH_SALT"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """--db wins, then $TOKENOMICS_DB, then ./data/tokenomics.duckdb."""
    if explicit:
        return Path(explicit)
    return settings().db


def serving_path(db: str | os.PathLike) -> Path:
    """The read snapshot published after each build (see warehouse.publish)."""
    return Path(str(db) + ".serving")


def read_path(db: str | os.PathLike) -> Path:
    """What readers open: the published snapshot when there is one, else the warehouse itself.

    DuckDB lets one process write a file and nobody else open it meanwhile; readers that use the
    snapshot keep working while an ingest holds the warehouse.
    """
    snapshot = serving_path(db)
    return snapshot if snapshot.exists() else Path(db)


ENV_SQL_DIR = "TOKENOMICS_SQL_DIR"


def sql_dir() -> Path:
    """The repo's sql/ in a checkout or editable install, tokenomics/_sql in a wheel.

    $TOKENOMICS_SQL_DIR points at another copy instead — for testing edits to the SQL without touching the
    packaged files (bench/mutations.py runs the tests against mutated copies)."""
    if override := settings().sql_dir:
        return override
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "sql", here / "_sql"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("packaged SQL not found (expected sql/migrations)")


# Timestamps a source may carry: from TOKENOMICS_EARLIEST (default 2015-01-01, before any LLM API bill) to now +
# TOKENOMICS_AHEAD_HOURS (default 24: clocks and zones drift).  A row outside is quarantined with a reason on
# every source, and the models that fill in zero days or hours never reach beyond it — one row dated 9999-12-31
# made a build densify 8,000 years.
ENV_EARLIEST, ENV_AHEAD = "TOKENOMICS_EARLIEST", "TOKENOMICS_AHEAD_HOURS"


def plausible_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """[earliest, latest] a timestamp of the data may be, both UTC."""
    s = settings()
    return s.earliest, (now or datetime.now(timezone.utc)) + timedelta(hours=s.ahead_hours)


def implausible(value: datetime, field: str = "timestamp") -> str | None:
    """Why a timestamp is outside the plausible window, or None."""
    earliest, latest = plausible_window()
    if value < earliest:
        return f"{field} {value.isoformat()} is before {earliest.date()} ({ENV_EARLIEST})"
    if value > latest:
        return f"{field} {value.isoformat()} is after now + {settings().ahead_hours:.10g} h ({ENV_AHEAD})"
    return None


def hash_salt() -> str:
    """Salt for pseudonymising user ids; set it per deployment so hashes are not guessable."""
    return settings().hash_salt


# DuckDB's memory cap while a job runs (beyond it DuckDB spills to <warehouse>.tmp): without one, it may take
# 80 % of the machine — a full build of 110M requests peaked at 20 GB next to the dashboard it feeds.
MEMORY_SETTINGS = {"ingest": "ingest_memory", "build": "build_memory"}  # TOKENOMICS_INGEST_MEMORY (1GB), _BUILD_ (6GB)
# WAL a commit may leave before DuckDB checkpoints the file (its default is 16 MB): every 64 MiB piece of an
# ingest commits, and checkpointing after each one cost a third of a second; a build's checkpoint would
# come before its snapshot is published.  The job checkpoints once when it is done.
CHECKPOINT_AFTER = {"ingest": "256MB", "build": "4GB"}


@contextmanager
def job_limits(con, job: str):
    """DuckDB's memory cap and checkpoint threshold for one job ("ingest" or "build"), then DuckDB's
    defaults again; one checkpoint when the job succeeds."""
    con.execute("SET memory_limit = ?", [getattr(settings(), MEMORY_SETTINGS[job])])
    con.execute("SET checkpoint_threshold = ?", [CHECKPOINT_AFTER[job]])
    try:
        yield
    finally:
        con.execute("RESET memory_limit")
        con.execute("RESET checkpoint_threshold")
    with timed("checkpoint"):
        con.execute("CHECKPOINT")


@contextmanager
def timed(label: str):
    """With TOKENOMICS_SQL_TIMING set, print how long a step took (what docs/scale.md quotes)."""
    started = time.perf_counter()
    yield
    if settings().sql_timing:
        print(f"{time.perf_counter() - started:7.2f}s  {label}", file=sys.stderr)

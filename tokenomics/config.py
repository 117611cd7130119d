"""Where things live: the warehouse file and the packaged SQL."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

DEFAULT_DB = Path("data") / "tokenomics.duckdb"
ENV_DB = "TOKENOMICS_DB"
ENV_SALT = "TOKENOMICS_HASH_SALT"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """--db wins, then $TOKENOMICS_DB, then ./data/tokenomics.duckdb."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


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


def sql_dir() -> Path:
    """The repo's sql/ in a checkout or editable install, tokenomics/_sql in a wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "sql", here / "_sql"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("packaged SQL not found (expected sql/migrations)")


def hash_salt() -> str:
    """Salt for pseudonymising user ids; set it per deployment so hashes are not guessable."""
    return os.environ.get(ENV_SALT, "tokenomics")


# DuckDB's memory cap while a job runs (beyond it DuckDB spills to <warehouse>.tmp): without one, it may take
# 80 % of the machine — a full build of 110M requests peaked at 20 GB next to the dashboard it feeds.
MEMORY_SETTINGS = {"ingest": ("TOKENOMICS_INGEST_MEMORY", "1GB"), "build": ("TOKENOMICS_BUILD_MEMORY", "6GB")}


@contextmanager
def memory_cap(con, job: str):
    """Lower DuckDB's memory limit for one job ("ingest" or "build"), then back to DuckDB's default."""
    variable, default = MEMORY_SETTINGS[job]
    con.execute("SET memory_limit = ?", [os.environ.get(variable, default)])
    try:
        yield
    finally:
        con.execute("RESET memory_limit")

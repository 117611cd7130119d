"""The app's only data module: cached calls into tokenomics.queries, keyed by the filter set."""

from __future__ import annotations

import functools
import os
from datetime import date

import polars as pl
import streamlit as st

from tokenomics import queries
from tokenomics.config import db_path


def warehouse() -> str:
    return str(db_path(os.environ.get("TOKENOMICS_DB")))


def _mtime(db: str) -> float:
    return os.path.getmtime(db) if os.path.exists(db) else 0.0


def _cached(name: str, query, ttl: int | None = None):
    """Cache a query per (name, warehouse file, its mtime, arguments): a rebuilt warehouse is never stale.

    Every wrapper shares one inner function's source, so ``name`` is part of the key to keep their
    entries apart; ``version`` has no leading underscore because Streamlit does not hash those.
    """

    @st.cache_data(show_spinner=False, ttl=ttl)
    def run(name: str, db: str, version: float, *args):
        return query(db, *args)

    @functools.wraps(query)
    def call(*args):
        db = warehouse()
        return run(name, db, _mtime(db), *args)

    return call


_period = _cached("period", queries.period)
_overview = _cached("overview", lambda db, start, end, names: queries.overview(db, start, end, list(names)))
tenants = _cached("tenants", queries.tenants)
_tenant = _cached("tenant", queries.tenant)
data_health = _cached("data_health", queries.data_health, ttl=30)


def period() -> tuple[date | None, date | None]:
    return _period()


def has_data() -> bool:
    return os.path.exists(warehouse()) and period()[0] is not None


def overview(start: date, end: date, tenant_names: list[str]) -> dict[str, pl.DataFrame]:
    return _overview(start, end, tuple(sorted(tenant_names)))


def tenant(name: str, start: date, end: date) -> dict[str, pl.DataFrame]:
    return _tenant(name, start, end)

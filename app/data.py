"""The app's only data module: cached calls into tokenomics.queries, keyed by the filter set."""

from __future__ import annotations

import os
from datetime import date

import polars as pl
import streamlit as st

from tokenomics import queries
from tokenomics.config import db_path


def warehouse() -> str:
    return str(db_path(os.environ.get("TOKENOMICS_DB")))


def _mtime(db: str) -> float:
    """Part of every cache key, so a rebuilt warehouse is never served from a stale cache."""
    return os.path.getmtime(db) if os.path.exists(db) else 0.0


def has_data() -> bool:
    db = warehouse()
    return os.path.exists(db) and period()[0] is not None


@st.cache_data(show_spinner=False)
def _period(db: str, _version: float) -> tuple[date | None, date | None]:
    return queries.period(db)


def period() -> tuple[date | None, date | None]:
    db = warehouse()
    return _period(db, _mtime(db))


@st.cache_data(show_spinner=False)
def _overview(db: str, _version: float, start: date, end: date, tenants: tuple[str, ...]) -> dict[str, pl.DataFrame]:
    return queries.overview(db, start, end, list(tenants))


def overview(start: date, end: date, tenants: list[str]) -> dict[str, pl.DataFrame]:
    db = warehouse()
    return _overview(db, _mtime(db), start, end, tuple(sorted(tenants)))


@st.cache_data(show_spinner=False)
def _tenants(db: str, _version: float) -> list[str]:
    return queries.tenants(db)


def tenants() -> list[str]:
    db = warehouse()
    return _tenants(db, _mtime(db))


@st.cache_data(show_spinner=False)
def _tenant(db: str, _version: float, name: str, start: date, end: date) -> dict[str, pl.DataFrame]:
    return queries.tenant(db, name, start, end)


def tenant(name: str, start: date, end: date) -> dict[str, pl.DataFrame]:
    db = warehouse()
    return _tenant(db, _mtime(db), name, start, end)


@st.cache_data(show_spinner=False, ttl=30)
def _health(db: str, _version: float) -> dict[str, pl.DataFrame]:
    return queries.data_health(db)


def data_health() -> dict[str, pl.DataFrame]:
    db = warehouse()
    return _health(db, _mtime(db))

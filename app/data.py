"""The app's only data module: cached calls into tokenomics.queries, keyed by the filter set."""

from __future__ import annotations

import functools
import os
from datetime import date

import polars as pl
import streamlit as st

from pricing.perf import fleet as perf_fleet
from pricing.perf import whatif as perf
from pricing.perf.catalogue import catalogue, resolve_model
from pricing.perf.costs import TIERS
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


def warehouse_version() -> float:
    """Changes whenever the warehouse file is rebuilt: pass it to caches keyed outside ``_cached``."""
    return _mtime(warehouse())


def has_data() -> bool:
    return os.path.exists(warehouse()) and period()[0] is not None


def overview(start: date, end: date, tenant_names: list[str]) -> dict[str, pl.DataFrame]:
    return _overview(start, end, tuple(sorted(tenant_names)))


def tenant(name: str, start: date, end: date) -> dict[str, pl.DataFrame]:
    return _tenant(name, start, end)


_workload = _cached("workload", queries.workload)
_api_prices = _cached("api_prices", queries.api_prices)
_fleet = _cached("fleet", lambda db, start, end: perf_fleet.compare(queries.fleet_observed(db, start, end)))


def workload(start: date, end: date, tenant: str | None, route: str | None) -> dict[str, pl.DataFrame]:
    return _workload(start, end, tenant, route)


def api_prices(day: date, isl: int, osl: int, requests: int) -> pl.DataFrame:
    return _api_prices(day, isl, osl, requests)


def fleet(start: date, end: date) -> pl.DataFrame:
    return _fleet(start, end)


def perf_models() -> dict[str, str]:
    """Catalogue model id -> display name."""
    return {m.id: m.name for m in catalogue().models.values()}


def perf_model_for(route: str | None) -> str | None:
    """The catalogue model serving a gateway route ('provider/model'), if it is one we can model."""
    model = resolve_model(route.split("/", 1)[-1]) if route else None
    return model.id if model else None


_gpu_rates = _cached("gpu_rates", queries.gpu_contract_rates)
CONTRACT = "contract"


def price_tiers() -> list[str]:
    """Catalogue tiers, plus your contracted $/GPU-hour when contract files were ingested."""
    return ([CONTRACT] if has_data() and contract_rates() else []) + list(TIERS)


def contract_rates() -> dict:
    return perf.contract_rates(_gpu_rates(period()[1]).to_dicts()) if has_data() else {}


@st.cache_data(show_spinner=False, max_entries=64)
def _sweep(model: str, isl: int, osl: int, engine: str, tier: str, rates: tuple) -> pl.DataFrame:
    return perf.sweep(model, isl, osl, engine=engine, price_tier=tier, rates=dict(rates) or None)


def whatif_sweep(model: str, isl: int, osl: int, engine: str, tier: str) -> pl.DataFrame:
    """The sweep at a tier; 'contract' prices GPUs you hold contracts for at your rate, others on-demand."""
    rates = tuple(sorted(contract_rates().items())) if tier == CONTRACT else ()
    return _sweep(model, isl, osl, engine, "on_demand" if tier == CONTRACT else tier, rates)


@st.cache_data(show_spinner=False, max_entries=64)
def whatif_plan(model: str, isl: int, osl: int, engine: str, tier: str, ttft: float | None, tpot: float | None,
                peak_rps: float | None, hours: float, version: float = 0.0) -> dict[str, pl.DataFrame]:
    """Pareto frontier and ranked fleet plan within the SLO for one workload."""
    df = whatif_sweep(model, isl, osl, engine, tier)
    return {"frontier": perf.pareto(perf.within_slo(df, ttft, tpot)), "within_slo": perf.within_slo(df, ttft, tpot),
            "plan": perf.plan(df, ttft, tpot, peak_rps, hours)}


def calibration_report() -> pl.DataFrame:
    """Held-out error per regime from the committed fit (what the what-if numbers are worth)."""
    from pricing.perf.model import calibration

    return pl.DataFrame(calibration()["report"]).filter(pl.col("split") == "held-out").drop("split")


def length_percentiles(shape: pl.DataFrame, q: float) -> tuple[int, int]:
    """(input, output) tokens at quantile q of the traffic's length distribution."""
    return (perf.length_percentile(shape, "input", q) or 1, perf.length_percentile(shape, "output", q) or 1)

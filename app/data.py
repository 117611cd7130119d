"""The app's only data module: cached calls into tokenomics.queries and tokenomics.pricing.perf.

Every cached entry is keyed by the warehouse file and its mtime (a rebuilt warehouse is never stale),
the viewer's principal (one user's results are never served to another) and the filter set.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import streamlit as st

from tokenomics.app.auth import principal
from tokenomics.pricing.perf import fleet as perf_fleet
from tokenomics.pricing.perf import whatif as perf
from tokenomics.pricing.perf.anchors import LABELS
from tokenomics.pricing.perf.catalogue import catalogue, resolve_model
from tokenomics.pricing.perf.costs import TIERS
from tokenomics.pricing.perf.model import calibration
from tokenomics import exports, queries, recommend, statements
from tokenomics.chargeback import Policy
from tokenomics.config import db_path, read_path
from tokenomics.settings import settings

Filters = queries.Filters


def warehouse() -> str:
    return str(db_path())


def _mtime(db: str) -> float:
    """Version of what readers see: the published snapshot's mtime (or the warehouse's)."""
    path = read_path(db)
    return os.path.getmtime(path) if os.path.exists(path) else 0.0


def warehouse_version() -> float:
    """Changes whenever the warehouse file is rebuilt: part of every cache key."""
    return _mtime(warehouse())


def _cached(name: str, query, ttl: int | None = None, scoped: bool = True):
    """Cache query(db, [principal,] *args) per (name, warehouse, mtime, principal, arguments).

    ``version`` and ``who`` have no leading underscore because Streamlit does not hash those.
    """

    def run(name: str, db: str, version: float, who, *args):
        return query(db, who, *args) if who is not None else query(db, *args)

    # Streamlit keys a cached function by module, name and source: without a name of its own every wrapper
    # shares one cache, and one with another ttl empties it for all of them on each call
    run.__qualname__ = run.__name__ = f"_cached_{name}"
    run = st.cache_data(show_spinner=False, ttl=ttl, max_entries=512)(run)

    @functools.wraps(query)
    def call(*args):
        db = warehouse()
        return run(name, db, _mtime(db), principal() if scoped else None, *args)

    return call


_period = _cached("period", queries.period, scoped=False)
filter_options = _cached("filter_options", queries.filter_options)
overview = _cached("overview", queries.overview)
tenant = _cached("tenant", queries.tenant)
fleet = _cached("fleet", queries.fleet)
savings = _cached("savings", queries.savings)
batch = _cached("batch", queries.batch)
rate_cards = _cached("rate_cards", queries.rate_cards)
workload = _cached("workload", queries.workload)


# Data health and the snapshot check have their own cached functions, not _cached: Streamlit keys a cache by the
# function's module, name and source, so all _cached wrappers share ONE cache, and a wrapper with another ttl
# replaces (empties) it on every call — Data health used to throw away every page's cached results each visit.
@st.cache_data(show_spinner=False, ttl=30, max_entries=64)
def _data_health(db: str, version: float, who, f):
    return queries.data_health(db, who, f=f)


@st.cache_data(show_spinner=False, ttl=10, max_entries=64)
def _snapshot_status(db: str, version: float, live: float, who):
    return queries.snapshot_status(db, who)


def data_health(f: Filters | None = None) -> dict[str, pl.DataFrame]:
    """Ingest accounting (sources, quarantine, unmatched names) and, given filters, the period's unpriced models."""
    db = warehouse()
    return _data_health(db, _mtime(db), principal(), f)


def snapshot_status() -> dict:
    """Whether the published snapshot lags the warehouse: re-read as soon as the warehouse file changes."""
    db = warehouse()
    live = max((os.path.getmtime(p) for p in (db, f"{db}.wal") if os.path.exists(p)), default=0.0)
    return _snapshot_status(db, _mtime(db), live, principal())


reconciliation = _cached("reconciliation", queries.reconciliation)
api_prices = _cached("api_prices", queries.api_prices, scoped=False)
_gpu_rates = _cached("gpu_rates", queries.gpu_contract_rates, scoped=False)
_fleet_observed = _cached("fleet_observed", lambda db, who, start, end: perf_fleet.compare(
    queries.fleet_observed(db, who, start, end)))


def period() -> tuple[date | None, date | None]:
    return _period()


_stale = _cached("stale", queries.stale_reason, scoped=False)


def stale_warehouse() -> str | None:
    """Why the warehouse cannot be read by this version (an upgrade without a build), or None."""
    return _stale() if os.path.exists(warehouse()) else None


def has_data() -> bool:
    return os.path.exists(warehouse()) and period()[0] is not None


def viewer():
    return principal()


def fleet_vs_model(start: date, end: date) -> pl.DataFrame:
    return _fleet_observed(start, end)


# --- what-if ---------------------------------------------------------------------------------------

CONTRACT = "contract"


def perf_models() -> dict[str, str]:
    """Catalogue model id -> display name."""
    return {m.id: m.name for m in catalogue().models.values()}


def perf_model_for(route: str | None) -> str | None:
    """The catalogue model serving a gateway route ('provider/model'), if it is one we can model."""
    model = resolve_model(route.split("/", 1)[-1]) if route else None
    return model.id if model else None


def contract_rates() -> dict:
    return perf.contract_rates(_gpu_rates(period()[1]).to_dicts()) if has_data() else {}


def price_tiers() -> list[str]:
    """Catalogue tiers, plus your contracted $/GPU-hour when contract files were ingested."""
    return ([CONTRACT] if has_data() and contract_rates() else []) + list(TIERS)


@st.cache_data(show_spinner=False, max_entries=64)
def _sweep(model: str, isl: int, osl: int, engine: str, tier: str, rates: tuple) -> pl.DataFrame:
    return perf.sweep(model, isl, osl, engine=engine, price_tier=tier, rates=dict(rates) or None)


def not_offered(engine: str) -> list[str]:
    """What the what-if leaves out for this engine, and why (its documentation)."""
    return perf.not_offered(engine)


def whatif_sweep(model: str, isl: int, osl: int, engine: str, tier: str) -> pl.DataFrame:
    """The sweep at a tier; 'contract' prices GPUs you hold contracts for at your rate, others on-demand."""
    rates = tuple(sorted(contract_rates().items())) if tier == CONTRACT else ()
    return _sweep(model, isl, osl, engine, "on_demand" if tier == CONTRACT else tier, rates)


@st.cache_data(show_spinner=False, max_entries=64)
def whatif_plan(model: str, isl: int, osl: int, engine: str, tier: str, ttft: float | None, tpot: float | None,
                peak_rps: float | None, hours: float, version: float = 0.0) -> dict[str, pl.DataFrame]:
    """Cost frontier (speed per user vs $/1M tokens) and ranked fleet plan within the SLO for one workload."""
    df = whatif_sweep(model, isl, osl, engine, tier)
    within = perf.within_slo(df, ttft, tpot)
    return {"frontier": perf.pareto_cost(within), "within_slo": within,
            "plan": perf.plan(df, ttft, tpot, peak_rps, hours)}


def length_percentiles(shape: pl.DataFrame, q: float) -> tuple[int, int]:
    """(input, output) tokens at quantile q of the traffic's length distribution."""
    return (perf.length_percentile(shape, "input", q) or 1, perf.length_percentile(shape, "output", q) or 1)


def calibration_report() -> pl.DataFrame:
    """Held-out error per regime from the committed fit (what the what-if numbers are worth)."""
    report = pl.DataFrame(calibration()["report"]).filter(pl.col("split") == "held-out").drop("split")
    return report.with_columns(basis=pl.col("anchor").replace_strict(LABELS)).drop("anchor").select(
        "regime", "basis", pl.exclude("regime", "basis"))


# --- exports ---------------------------------------------------------------------------------------

def export_dir() -> Path:
    return settings().export_dir or Path(warehouse()).parent / "exports"


def run_export(period_text: str, fmt: str, scenario: tuple[str, str] | None = None) -> dict:
    """A month's export under the official policy — or, for roles that may, a scenario labelled as such."""
    who = principal()
    who.require("exports")
    if scenario:
        who.require("scenarios")
    policy = Policy(scenario[0], scenario[1], "scenario") if scenario else None
    return exports.export(warehouse(), period_text, fmt, str(export_dir()), policy)


# --- month close -----------------------------------------------------------------------------------

months = _cached("months", queries.months)
_statement = _cached("month_statement", queries.month_statement)
statement_diff = _cached("statement_diff", queries.statement_diff)
audit_log = _cached("audit_log", queries.audit_log, ttl=10)
_through = _cached("data_through", queries.data_through, scoped=False)


def data_through():
    return _through()


def month_statement(period: str, version: int | None = None):
    return _statement(period, version)


def statement_files(period: str, tenant: str, version: int | None = None) -> dict[str, bytes]:
    """One tenant's statement as CSV and PDF bytes (rendered from the same frozen lines), for downloads."""
    st = month_statement(period, version)
    return {f.name: f.data for f in (statements.csv_file(st, tenant), statements.pdf_file(st, tenant))}


def close_month(period: str, note: str | None = None) -> dict:
    return queries.close_month(warehouse(), principal(), period, note)


def reopen_month(period: str, reason: str) -> dict:
    return queries.reopen_month(warehouse(), principal(), period, reason)


def past_exports() -> pl.DataFrame:
    """Every manifest under the export folder: period, format, files and their checksums."""
    principal().require("exports")
    rows = []
    for manifest in sorted(export_dir().glob("*/manifest.json")):
        doc = json.loads(manifest.read_text())
        for f in doc["files"]:
            rows.append({"export": manifest.parent.name, "period": doc["period"], "format": doc["format"],
                         "driver": doc["gpu_allocation"]["driver"], "idle_policy": doc["gpu_allocation"]["idle_policy"],
                         "version": (doc.get("statement") or {}).get("tag", "before statements"),
                         "file": f["name"], "rows": f["rows"], "bytes": f["bytes"], "sha256": f["sha256"]})
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def export_file(export: str, name: str) -> bytes:
    principal().require("exports")
    path = (export_dir() / export / name).resolve()
    if export_dir().resolve() not in path.parents:
        raise PermissionError("outside the export folder")
    return path.read_bytes()


def money_total(values) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


# --- recommendations -------------------------------------------------------------------------------

def _recommend(db, who, period: str, ttft: float, tpot: float, headroom: float):
    return recommend.recommend(db, period, recommend.Options(ttft, tpot, headroom), who)


recommendations = _cached("recommendations", _recommend)


def recommendation_coverage(period: str):
    """The days of ``period`` with data: a month in progress is partial ("a month" then scales its rate)."""
    return recommend.covered(period, *_period())


def recommendations_csv(period: str, ttft: float, tpot: float, headroom: float) -> str:
    """The page's list as CSV: the same rows and cents it shows."""
    return recommend.to_csv(recommendations(period, ttft, tpot, headroom), recommendation_coverage(period))


def recommendation_months() -> list[str]:
    return recommend.months(warehouse())

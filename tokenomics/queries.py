"""Read side: named queries from sql/queries/, bound parameters, Polars results. No Streamlit here.

Every function that can return tenant rows takes the caller's Principal and narrows the tenant filter
to what it may see (tokenomics/access.py) — access control lives here, not in the pages.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import polars as pl

from tokenomics.access import AccessDenied, Principal
from tokenomics.config import sql_dir
from tokenomics.warehouse import connect

DRIVERS = ("tokens", "weighted_tokens", "gpu_seconds")
IDLE_POLICIES = ("proportional", "separate")


@dataclass(frozen=True)
class Filters:
    """The global filter set every page shares (and the URL carries)."""

    start: date
    end: date
    tenants: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    driver: str = "tokens"
    idle_policy: str = "proportional"

    def params(self, principal: Principal) -> dict:
        return {"start": self.start, "end": self.end, "tenants": principal.scope(self.tenants),
                "providers": list(self.providers) or None, "models": list(self.models) or None,
                "driver": self.driver, "idle_policy": self.idle_policy}

    def with_tenant(self, tenant: str) -> "Filters":
        return replace(self, tenants=(tenant,))


@lru_cache(maxsize=None)
def _text(name: str) -> str:
    return (sql_dir() / "queries" / f"{name}.sql").read_text()


def run(db: str | Path, name: str, **params) -> pl.DataFrame:
    """Run one named query read-only; every value is a bound parameter."""
    con = connect(db, read_only=True)
    try:
        return con.execute(_text(name), _bound(_text(name), params) or None).pl()
    finally:
        con.close()


def _many(db, names: dict[str, str], **params) -> dict[str, pl.DataFrame]:
    """Several named queries on one connection (one open, consistent reads)."""
    con = connect(db, read_only=True)
    try:
        return {key: con.execute(_text(name), _bound(_text(name), params)).pl() for key, name in names.items()}
    finally:
        con.close()


def _bound(text: str, params: dict) -> dict:
    """Only the parameters a query names (DuckDB rejects extra named parameters)."""
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", text)}


def period(db) -> tuple[date | None, date | None]:
    row = run(db, "period").row(0)
    return row[0], row[1]


def filter_options(db, principal: Principal) -> dict[str, list[str]]:
    df = run(db, "filter_options", tenants=principal.scope())
    return {kind: df.filter(pl.col("kind") == kind)["value"].to_list() for kind in ("tenant", "provider", "model")}


def overview(db, principal: Principal, f: Filters) -> dict[str, pl.DataFrame]:
    """Everything the overview page shows, for one principal and filter set."""
    return _many(db, {"kpis": "overview_kpis", "by_day": "spend_by_day", "by_tenant": "spend_by_tenant",
                      "by_model": "spend_by_model", "unpriced": "unpriced"}, **f.params(principal))


def tenant(db, principal: Principal, name: str, f: Filters) -> dict[str, pl.DataFrame]:
    """One tenant's page; a tenant outside the principal's scope is refused, not silently emptied."""
    if not principal.sees(name):
        raise AccessDenied(f"{principal.user} may not see tenant {name!r}")
    p = {**f.with_tenant(name).params(principal), "tenant": name}
    return _many(db, {"kpis": "tenant_kpis", "daily": "tenant_daily", "breakdown": "tenant_breakdown",
                      "budget": "tenant_budget", "anomalies": "tenant_anomalies", "tags": "tenant_tags"}, **p)


def fleet(db, principal: Principal, f: Filters) -> dict[str, pl.DataFrame]:
    """GPU fleet: deployment-wide numbers for fleet roles, allocation rows within scope for everyone."""
    p = f.params(principal)
    out = _many(db, {"allocation": "fleet_allocation"}, **p)
    if principal.can("fleet"):
        out.update(_many(db, {"deployments": "fleet_deployments", "daily": "fleet_daily"}, **p))
    return out


def savings(db, principal: Principal, f: Filters) -> dict[str, pl.DataFrame]:
    p = f.params(principal)
    return _many(db, {"monthly": "savings_monthly", "by_tenant": "savings_by_tenant",
                      "breakeven": "cache_breakeven"}, **p, day=f.end)


def batch(db, principal: Principal, f: Filters) -> dict[str, pl.DataFrame]:
    return _many(db, {"classes": "batch_classes", "candidates": "batch_candidates"}, **f.params(principal))


def rate_cards(db, principal: Principal, f: Filters, price_at: date, discount_pct: Decimal | None) -> dict[str, pl.DataFrame]:
    """Cards in force on a date, price history, and the filter set's tokens re-priced at that date."""
    at = datetime.combine(price_at, time(), tzinfo=timezone.utc)
    return _many(db, {"cards": "rate_cards_at", "history": "rate_card_history", "reprice": "reprice"},
                 **f.params(principal), day=at, price_at=at, discount_pct=discount_pct)


def workload(db, principal: Principal, f: Filters, route: str | None) -> dict[str, pl.DataFrame]:
    """Routes to pick from and the chosen traffic's shape and peak, within the principal's tenants."""
    return _many(db, {"routes": "workload_routes", "profile": "workload_profile", "shape": "workload_shape"},
                 **f.params(principal), route=route)


def api_prices(db, day: date, isl: int, osl: int, requests: int) -> pl.DataFrame:
    return run(db, "api_prices", day=day, isl=isl, osl=osl, requests=requests)


def fleet_observed(db, principal: Principal, start: date, end: date) -> pl.DataFrame:
    principal.require("fleet")
    return run(db, "fleet_observed", start=start, end=end)


def gpu_contract_rates(db, day: date) -> pl.DataFrame:
    return run(db, "gpu_contract_rates", day=day)


def reconciliation(db, principal: Principal, f: Filters) -> dict[str, pl.DataFrame]:
    """Our cost vs the gateway's reported cost and the vendors' billed cost: provider-wide totals, so only
    for roles that see every tenant."""
    principal.require("all_tenants")
    return _many(db, {"gateway": "reconciliation_gateway", "vendor": "reconciliation_vendor"}, **f.params(principal))


def snapshot_status(db, principal: Principal) -> dict:
    """Whether the dashboard's read snapshot holds everything the warehouse loaded and built: ingest runs
    loaded but not yet in the snapshot, and whether it was published from the warehouse's current state.
    Read from the warehouse file itself (the snapshot cannot say what it lacks); ``readable`` is False while
    a writer holds it (an ingest or build is running)."""
    import duckdb

    from tokenomics.warehouse import SNAPSHOT_STATE, state_key

    principal.require("data_health")
    snap = connect(db, read_only=True)
    try:
        held = snap.execute(f"SELECT key, runs, published_at FROM {SNAPSHOT_STATE}").fetchone()
    except duckdb.CatalogException:
        held = None
    finally:
        snap.close()
    try:
        live = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return {"readable": False, "published_at": held[2] if held else None}
    try:
        missing = live.execute(
            "SELECT count(*), coalesce(sum(rows_loaded), 0) FROM ingest_runs WHERE status = 'loaded'"
            " AND rows_loaded > 0 AND NOT list_contains(?::VARCHAR[], run_id)", [held[1] if held else []]).fetchone()
        return {"readable": True, "in_sync": held is not None and held[0] == state_key(live),
                "runs_missing": missing[0], "rows_missing": missing[1], "published_at": held[2] if held else None}
    finally:
        live.close()


def data_health(db, principal: Principal, limit: int = 500) -> dict[str, pl.DataFrame]:
    """Ingest accounting for data roles; the raw text of quarantined rows only for admins."""
    principal.require("data_health")
    out = {"sources": run(db, "ingest_health"), "quarantine": run(db, "quarantine_recent", limit=limit),
           "unmatched": run(db, "unmatched_models")}
    if not principal.can("raw_rows"):
        out["quarantine"] = out["quarantine"].drop("raw")
    return out

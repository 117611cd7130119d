"""Read side: named queries from sql/queries/, bound parameters, Polars results. No Streamlit here."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import polars as pl

from tokenomics.config import sql_dir
from tokenomics.warehouse import connect


@lru_cache(maxsize=None)
def _text(name: str) -> str:
    return (sql_dir() / "queries" / f"{name}.sql").read_text()


def run(db: str | Path, name: str, **params) -> pl.DataFrame:
    """Run one named query read-only; every value is a bound parameter."""
    con = connect(db, read_only=True)
    try:
        return con.execute(_text(name), params or None).pl()
    finally:
        con.close()


def period(db) -> tuple[date | None, date | None]:
    row = run(db, "period").row(0)
    return row[0], row[1]


def overview(db, start: date, end: date, tenants: list[str]) -> dict[str, pl.DataFrame]:
    """Everything the overview page shows, for one filter set."""
    p = {"start": start, "end": end, "tenants": tenants}
    return {
        "kpis": run(db, "overview_kpis", **p),
        "by_day": run(db, "spend_by_day", **p),
        "by_tenant": run(db, "spend_by_tenant", **p),
        "by_model": run(db, "spend_by_model", **p),
        "unpriced": run(db, "unpriced"),
    }


def tenant(db, name: str, start: date, end: date) -> dict[str, pl.DataFrame]:
    p = {"tenant": name, "start": start, "end": end}
    return {"kpis": run(db, "tenant_kpis", **p), "daily": run(db, "tenant_daily", **p),
            "breakdown": run(db, "tenant_breakdown", **p)}


def tenants(db) -> list[str]:
    return run(db, "tenants")["tenant"].to_list()


def data_health(db, limit: int = 500) -> dict[str, pl.DataFrame]:
    return {"sources": run(db, "ingest_health"), "quarantine": run(db, "quarantine_recent", limit=limit)}


def workload(db, start: date, end: date, tenant: str | None, route: str | None) -> dict[str, pl.DataFrame]:
    """Routes to pick from and the chosen traffic's shape and peak (None = all tenants / routes)."""
    p = {"start": start, "end": end, "tenant": tenant}
    return {"routes": run(db, "workload_routes", **p),
            "profile": run(db, "workload_profile", **p, route=route),
            "shape": run(db, "workload_shape", **p, route=route)}


def api_prices(db, day: date, isl: int, osl: int, requests: int) -> pl.DataFrame:
    return run(db, "api_prices", day=day, isl=isl, osl=osl, requests=requests)


def fleet_observed(db, start: date, end: date) -> pl.DataFrame:
    return run(db, "fleet_observed", start=start, end=end)


def gpu_contract_rates(db, day: date) -> pl.DataFrame:
    return run(db, "gpu_contract_rates", day=day)

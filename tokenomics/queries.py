"""Read side: named queries from sql/queries/, bound parameters, Polars results. No Streamlit here.

Every function that can return tenant rows takes the caller's Principal and narrows the tenant filter
to what it may see (tokenomics/access.py) — access control lives here, not in the pages.
"""

from __future__ import annotations

import calendar
import re

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from tokenomics import chargeback
from tokenomics.access import AccessDenied, Principal
from tokenomics.config import sql_dir
from tokenomics.vocab import DRIVERS, IDLE_POLICIES  # noqa: F401  (re-exported for the app's controls)
from tokenomics.warehouse import SNAPSHOT_STATE, StaleWarehouse, connect, open_warehouse, publish, state_key


@dataclass(frozen=True)
class Filters:
    """The global filter set every page shares (and the URL carries).

    driver/idle_policy None = the official allocation policy; a value is a scenario (admin and finance only).
    """

    start: date
    end: date
    tenants: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    driver: str | None = None
    idle_policy: str | None = None

    def params(self, principal: Principal, policy: chargeback.Policy | None = None) -> dict:
        policy = policy or chargeback.Policy()
        return {"start": self.start, "end": self.end, "tenants": principal.scope(self.tenants),
                "providers": list(self.providers) or None, "models": list(self.models) or None,
                "driver": policy.driver, "idle_policy": policy.idle_policy}

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

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


def data_through(db) -> date | None:
    """The last day with any cost: every page says how fresh its figures are."""
    return period(db)[1]


def filter_options(db, principal: Principal) -> dict[str, list[str]]:
    df = run(db, "filter_options", tenants=principal.scope())
    return {kind: df.filter(pl.col("kind") == kind)["value"].to_list() for kind in ("tenant", "provider", "model")}


def policy(con, principal: Principal, f: Filters) -> chargeback.Policy:
    """The allocation the figures use: the official one for the period's last month, or a scenario — which only
    roles allowed to explore scenarios get (a tenant viewer cannot change what it is billed)."""
    official = chargeback.official_policy(con, f.end)
    if f.driver is None and f.idle_policy is None:
        return official
    wanted = chargeback.Policy(f.driver or official.driver, f.idle_policy or official.idle_policy, "scenario")
    if (wanted.driver, wanted.idle_policy) == (official.driver, official.idle_policy):
        return official
    principal.require("scenarios")
    return wanted


def _chargeback(con, principal: Principal, f: Filters, queries: dict[str, str], **extra) -> dict:
    """Named queries over the period's statement lines (cents fixed once, tokenomics/chargeback.py), registered on
    the connection as chargeback_lines; plus the policy stamp for the page."""
    used = policy(con, principal, f)
    lines = chargeback.range_lines(con, f.start, f.end_exclusive, None if used.official else used)
    con.register("chargeback_lines", lines.to_arrow())
    try:
        params = {**f.params(principal, used), **extra}
        out = {key: con.execute(_text(name), _bound(_text(name), params)).pl() for key, name in queries.items()}
    finally:
        con.unregister("chargeback_lines")
    out["policy"] = used
    out["months"] = sorted({(m, s, v) for m, s, v in lines.select("month", "status", "version").unique().rows()})
    return out


def tenant_spend(db, principal: Principal, f: Filters) -> pl.DataFrame:
    """Spend per tenant for the period: the statement lines' cents (what the Overview's table shows)."""
    con = connect(db, read_only=True)
    try:
        return _chargeback(con, principal, f, {"by_tenant": "chargeback_by_tenant"})["by_tenant"]
    finally:
        con.close()


def previous_periods(f: Filters) -> dict[str, Filters]:
    """The periods a figure is compared with: the one just before (whole months for whole months, else as many
    days) and the same dates a year earlier."""
    start, end = f.start, f.end_exclusive
    if start.day == 1 and end.day == 1:
        prev_start = _add_months(start, -((end.year - start.year) * 12 + end.month - start.month))
    else:
        prev_start = start - (end - start)
    return {"previous": replace(f, start=prev_start, end=start - timedelta(days=1)),
            "year_ago": replace(f, start=_add_months(start, -12), end=_add_months(end, -12) - timedelta(days=1))}


def _add_months(day: date, months: int) -> date:
    """Same day n months away, clamped to the month's length (31 March − 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _compare(con, principal: Principal, f: Filters) -> dict[str, pl.DataFrame]:
    """The comparison periods' figures; an empty frame where that period has no data (shown as —, never $0)."""
    out = {}
    for label, other in previous_periods(f).items():
        kpis = _chargeback(con, principal, other, {"kpis": "chargeback_kpis"})["kpis"]
        out[label] = kpis if kpis["requests"][0] or kpis["total_usd"][0] else kpis.clear()
    return out


def overview(db, principal: Principal, f: Filters) -> dict:
    """Everything the overview page shows: chargeback figures from the statement lines (the same cents as the
    statements and exports), the exact daily series, unpriced models, and the comparison periods' totals."""
    con = connect(db, read_only=True)
    try:
        out = _chargeback(con, principal, f, {"kpis": "chargeback_kpis", "by_tenant": "chargeback_by_tenant",
                                               "by_model": "chargeback_by_model"})
        params = f.params(principal, out["policy"])
        for key, name in {"by_day": "spend_by_day", "unpriced": "unpriced"}.items():
            out[key] = con.execute(_text(name), _bound(_text(name), params)).pl()
        out["compare"] = _compare(con, principal, f)
        out["data_through"] = chargeback.data_through(con)
        return out
    finally:
        con.close()


def tenant(db, principal: Principal, name: str, f: Filters) -> dict:
    """One tenant's page; a tenant outside the principal's scope is refused, not silently emptied."""
    if not principal.sees(name):
        raise AccessDenied(f"{principal.user} may not see tenant {name!r}")
    con = connect(db, read_only=True)
    try:
        scoped = f.with_tenant(name)
        out = _chargeback(con, principal, scoped, {"kpis": "chargeback_kpis", "breakdown": "chargeback_tenant_lines"},
                          tenant=name)
        p = {**scoped.params(principal, out["policy"]), "tenant": name}
        for key, q in {"daily": "tenant_daily", "by_team": "tenant_breakdown", "budget": "tenant_budget",
                       "anomalies": "tenant_anomalies", "tags": "tenant_tags"}.items():
            out[key] = con.execute(_text(q), _bound(_text(q), p)).pl()
        out["compare"] = _compare(con, principal, scoped)
        return out
    finally:
        con.close()


def fleet(db, principal: Principal, f: Filters) -> dict[str, pl.DataFrame]:
    """GPU fleet: deployment-wide numbers for fleet roles, allocation rows within scope for everyone."""
    con = connect(db, read_only=True)
    try:
        used = policy(con, principal, f)
    finally:
        con.close()
    p = f.params(principal, used)
    out = _many(db, {"allocation": "fleet_allocation"}, **p)
    if principal.can("fleet"):
        out.update(_many(db, {"deployments": "fleet_deployments", "daily": "fleet_daily"}, **p))
    out["policy"] = used
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


def stale_reason(db) -> str | None:
    """Why this version cannot read the warehouse (built from other model SQL: warehouse.require_current), or None."""
    try:
        connect(db, read_only=True).close()
    except StaleWarehouse as exc:
        return str(exc)
    return None


def snapshot_status(db, principal: Principal) -> dict:
    """Whether the dashboard's read snapshot holds everything the warehouse loaded and built: ingest runs
    loaded but not yet in the snapshot, and whether it was published from the warehouse's current state.
    Read from the warehouse file itself (the snapshot cannot say what it lacks); ``readable`` is False while
    a writer holds it (an ingest or build is running)."""
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


def data_health(db, principal: Principal, limit: int = 500, f: Filters | None = None) -> dict[str, pl.DataFrame]:
    """Ingest accounting for data roles, on one connection; the raw text of quarantined rows only for admins.
    Given a filter set, also the period's unpriced models (without computing the whole overview)."""
    principal.require("data_health")
    names = {"sources": "ingest_health", "quarantine": "quarantine_recent", "unmatched": "unmatched_models"}
    if f is not None:
        names["unpriced"] = "unpriced"
    out = _many(db, names, limit=limit, **(f.params(principal) if f is not None else {}))
    if not principal.can("raw_rows"):
        out["quarantine"] = out["quarantine"].drop("raw")
    return out


# --- month close ------------------------------------------------------------------------------------

def months(db, principal: Principal) -> pl.DataFrame:
    """Every month with data: closed version (who, when, total) or provisional, for the close page."""
    con = connect(db, read_only=True)
    try:
        first, last = con.execute("SELECT min(day), max(day) FROM mart_ledger_daily").fetchone()
        rows = []
        for month, _, _ in chargeback.month_pieces(first, last + timedelta(days=1)) if first else []:
            st = chargeback.statement(con, month)
            lines = st.lines.filter(pl.col("tenant").is_in(principal.scope() or st.lines["tenant"].unique().to_list()))
            rows.append({"month": month, "status": st.status, "version": st.version, "policy": st.policy.label(),
                         "closed_at": st.closed_at, "closed_by": st.closed_by,
                         "total_usd": sum((v for v in lines["effective_usd"].to_list() if v is not None), Decimal(0))})
        return pl.DataFrame(rows, schema={"month": pl.Utf8, "status": pl.Utf8, "version": pl.Int64, "policy": pl.Utf8,
                                          "closed_at": pl.Datetime("us", "UTC"), "closed_by": pl.Utf8,
                                          "total_usd": pl.Decimal(18, 2)})
    finally:
        con.close()


def month_statement(db, principal: Principal, period: str, version: int | None = None) -> chargeback.Statement:
    """A month's statement with only the lines the principal may see (a tenant viewer: its own tenants)."""
    con = connect(db, read_only=True)
    try:
        st = chargeback.statement(con, period, version)
    finally:
        con.close()
    scope = principal.scope()
    if scope is not None:
        st.lines = st.lines.filter(pl.col("tenant").is_in(scope))
    return st


def statement_diff(db, principal: Principal, period: str, old: int, new: int | None) -> pl.DataFrame:
    principal.require("close")
    con = connect(db, read_only=True)
    try:
        return chargeback.diff(con, period, old, new)
    finally:
        con.close()


def audit_log(db, principal: Principal, period: str | None = None) -> pl.DataFrame:
    principal.require("close")
    con = connect(db, read_only=True)
    try:
        return chargeback.audit_log(con, period)
    finally:
        con.close()


def close_month(db, principal: Principal, period: str, note: str | None = None) -> dict:
    """Close (or re-close after a reopen) as the signed-in user; republishes the snapshot the pages read."""
    return _write(db, principal, lambda con: chargeback.close(con, period, principal.user, note))


def reopen_month(db, principal: Principal, period: str, reason: str) -> dict:
    return _write(db, principal, lambda con: chargeback.reopen(con, period, principal.user, reason))


def _write(db, principal: Principal, action) -> dict:
    principal.require("close")
    con = open_warehouse(db)
    try:
        result = action(con)
        if result.get("action") != "unchanged":
            publish(con, {})
        return result
    finally:
        con.close()

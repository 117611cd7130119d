"""Chargeback finance can sign: the official allocation policy, statement lines with cents fixed once, and
month close with versions, diffs and an audit trail (docs/cost_model.md rules 16–20).

Every surface that shows a tenant's money for a month — pages, page CSVs, the tenant CSV export,
statements and FOCUS tenant totals — reads the lines this module produces, so they agree to the cent.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import polars as pl

from tokenomics import audit
from tokenomics.config import sql_dir
from tokenomics.vocab import DRIVERS, IDLE_POLICIES, IDLE_TENANT  # noqa: F401  (IDLE_TENANT: for the pages)

CENT = Decimal("0.01")
SECTIONS = {"api": "API usage", "self_hosted": "Self-hosted GPU (busy time)",
            "idle_share": "Self-hosted GPU (share of idle time)", "idle": "Unallocated idle GPU time"}
IDLE_LABELS = {"proportional": "idle shared by usage", "separate": "idle kept apart"}
LINE_KEY = ("tenant", "section", "provider", "model")
COUNTS = ("requests", "unpriced_requests", "input_tokens", "output_tokens")
_MONEY = ("list_usd", "discount_usd", "effective_usd")


class ChargebackError(ValueError):
    """A close, reopen or statement that cannot be done as asked (the message says what to do instead)."""


@dataclass(frozen=True)
class Policy:
    """How self-hosted GPU cost is split: driver + idle policy, and whether it is the official one."""

    driver: str = "tokens"
    idle_policy: str = "proportional"
    source: str = "default"  # 'settings' (an admin's allocation_policies entry), 'default', 'scenario'
    since: date | None = None

    def __post_init__(self):
        if self.driver not in DRIVERS or self.idle_policy not in IDLE_POLICIES:
            raise ChargebackError(f"allocation driver must be one of {', '.join(DRIVERS)} and idle policy one of "
                                  f"{', '.join(IDLE_POLICIES)}; got {self.driver}/{self.idle_policy}")

    @property
    def official(self) -> bool:
        return self.source != "scenario"

    @property
    def slug(self) -> str:
        """For file names: a different policy never overwrites another's file."""
        return f"{self.driver.replace('_', '-')}-{self.idle_policy}"

    def label(self) -> str:
        text = f"GPU cost by {self.driver.replace('_', ' ')}, {IDLE_LABELS[self.idle_policy]}"
        origin = {"settings": f"official policy since {self.since:%Y-%m}" if self.since else "official policy",
                  "default": "official policy (built-in default: none set)", "scenario": "SCENARIO, not billed"}
        return f"{text} — {origin[self.source]}"

    def as_scenario(self) -> "Policy":
        return Policy(self.driver, self.idle_policy, "scenario")


def month_bounds(period: str) -> tuple[date, date]:
    """'2026-10' -> (2026-10-01, 2026-11-01)."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period or ""):
        raise ChargebackError(f"period must be YYYY-MM, got {period!r}")
    year, month = map(int, period.split("-"))
    return date(year, month, 1), next_month(date(year, month, 1))


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def month_pieces(start: date, end: date) -> list[tuple[str, date, date]]:
    """[start, end) cut at month boundaries: (YYYY-MM, piece start, piece end) — a range is the sum of these."""
    pieces, cursor = [], start
    while cursor < end:
        stop = min(next_month(cursor.replace(day=1)), end)
        pieces.append((cursor.strftime("%Y-%m"), cursor, stop))
        cursor = stop
    return pieces


def official_policy(con, month: date) -> Policy:
    """The admin's policy in force for the month (the latest allocation_policies entry on or before it)."""
    row = con.execute("SELECT driver, idle_policy, month FROM allocation_policies WHERE month <= ?"
                      " ORDER BY month DESC LIMIT 1", [month.replace(day=1)]).fetchone()
    return Policy(row[0], row[1], "settings", row[2]) if row else Policy()


# --- cents ------------------------------------------------------------------------------------------

def to_cents(values: list[Decimal | None], total: Decimal | None = None) -> list[Decimal | None]:
    """Round to cents so the parts sum to a cent total (largest remainder; ties to the earlier row).

    The total defaults to the exact sum rounded half up; NULLs (unpriced) stay NULL.
    """
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    if not present:
        return list(values)
    if total is None:
        total = sum((v for _, v in present), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    floors = {i: (v / CENT).to_integral_value(rounding=ROUND_FLOOR) * CENT for i, v in present}
    leftover = int(((total - sum(floors.values(), Decimal(0))) / CENT).to_integral_value())
    # 0 ≤ leftover ≤ rows: the floors lose < 1 ¢ each, and the total is the exact sum rounded half up, or (from
    # fix_cents) a total that is itself the floor or the ceiling of the rows' exact sum
    order = sorted(present, key=lambda iv: (-(iv[1] - floors[iv[0]]), iv[0]))
    for i, _ in order[:leftover]:
        floors[i] += CENT
    return [floors.get(i) for i in range(len(values))]


def fix_cents(rows: list[dict]) -> list[dict]:
    """Cents fixed once per line, top down: the month's exact total rounded half up; tenants' totals by largest
    remainder to it (so tenants sum to the bill); each tenant's lines by largest remainder to the tenant's
    total.  discount = list − effective on every line, so list − discount = effective holds in cents."""
    lines: dict[str, list[dict]] = {}
    for row in rows:
        lines.setdefault(row["tenant"], []).append(row)
    tenants = sorted(lines)
    for money in ("list", "effective"):
        col = f"exact_{money}_usd"
        exact = [_sum([r[col] for r in lines[t]]) for t in tenants]
        for t, cents in zip(tenants, to_cents(exact)):
            for r, c in zip(lines[t], to_cents([r[col] for r in lines[t]], cents)):
                r[f"{money}_usd"] = c
    for r in rows:
        r["discount_usd"] = (r["list_usd"] - r["effective_usd"]
                             if r["list_usd"] is not None and r["effective_usd"] is not None else None)
    return rows


def _sum(values: list[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


# --- lines ------------------------------------------------------------------------------------------

_SCHEMA = {"month": pl.Utf8, "tenant": pl.Utf8, "section": pl.Utf8, "provider": pl.Utf8, "model": pl.Utf8,
           **{c: pl.Int64 for c in COUNTS}, **{m: pl.Decimal(18, 2) for m in _MONEY},
           "exact_list_usd": pl.Decimal(38, 12), "exact_effective_usd": pl.Decimal(38, 12),
           "policy": pl.Utf8, "status": pl.Utf8, "version": pl.Int64}


def exact_lines(con, start: date, end: date, policy: Policy) -> list[dict]:
    """The period's statement lines with exact amounts (no cents yet), one per (tenant, section, provider, model)."""
    cur = con.execute((sql_dir() / "exports" / "statement_lines.sql").read_text(),
                      {"start": start, "period_end": end, "driver": policy.driver, "idle_policy": policy.idle_policy})
    names = [d[0] for d in cur.description]
    return [{("exact_list_usd" if n == "list_usd" else "exact_effective_usd" if n == "effective_usd" else n): v
             for n, v in zip(names, row)} for row in cur.fetchall()]


def fingerprint(rows: list[dict], policy: Policy) -> str:
    """What a statement was computed from: every line's exact amounts and counts, and the policy."""
    canon = [[r[k] for k in LINE_KEY] + [r[c] for c in COUNTS]
             + [str(r["exact_list_usd"]), str(r["exact_effective_usd"])] for r in rows]
    body = json.dumps({"policy": [policy.driver, policy.idle_policy], "lines": canon}, default=str, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _frame(rows: list[dict], month: str, policy: Policy, status: str, version: int | None) -> pl.DataFrame:
    data = [{**{k: r.get(k) for k in _SCHEMA if k in r}, "month": month, "policy": policy.slug,
             "status": status, "version": version} for r in rows]
    return pl.DataFrame(data, schema=_SCHEMA) if data else pl.DataFrame(schema=_SCHEMA)


@dataclass
class Statement:
    """One month's statement: frozen lines of a closed version, or provisional lines computed now."""

    period: str
    policy: Policy
    status: str  # 'closed', 'provisional' (never closed), 'reopened' (closed before, being restated)
    lines: pl.DataFrame
    version: int | None = None
    fingerprint: str = ""
    closed_at: datetime | None = None
    closed_by: str | None = None
    versions: list[dict] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((v for v in self.lines["effective_usd"].to_list() if v is not None), Decimal(0))

    @property
    def tag(self) -> str:
        """v1, v2… for closed versions; provisional/scenario figures carry their inputs' fingerprint instead (a
        file named with it is never overwritten by another version's or policy's)."""
        if self.status == "closed":
            return f"v{self.version}"
        return f"{'scenario' if not self.policy.official else 'provisional'}-{self.fingerprint[:8]}"

    @property
    def label(self) -> str:
        if self.status == "closed":
            return f"{self.period} closed, v{self.version} ({self.closed_at:%Y-%m-%d} by {self.closed_by})"
        if self.status == "reopened":
            return f"{self.period} reopened after v{self.version}: provisional figures"
        return f"{self.period} provisional (not closed)"


def _versions(con, period: str) -> list[dict]:
    cur = con.execute("SELECT version, status, driver, idle_policy, policy_source, fingerprint, closed_at, closed_by,"
                      " effective_usd, note FROM statements WHERE period = ? ORDER BY version", [period])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _frozen(con, period: str, version: int) -> list[dict]:
    cur = con.execute("SELECT * EXCLUDE (period, version) FROM statement_lines WHERE period = ? AND version = ?"
                      " ORDER BY tenant, section, provider, model", [period, version])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def provisional(con, period: str, policy: Policy | None = None) -> Statement:
    """The month computed now from the ledger under the official policy (or a scenario), cents fixed."""
    start, end = month_bounds(period)
    policy = policy or official_policy(con, start)
    rows = fix_cents(exact_lines(con, start, end, policy))
    return Statement(period, policy, "provisional", _frame(rows, period, policy, "provisional", None),
                     fingerprint=fingerprint(rows, policy))


def statement(con, period: str, version: int | None = None) -> Statement:
    """The month as finance sees it: the latest closed version's frozen lines, else provisional ones."""
    versions = _versions(con, period)
    chosen = next((v for v in reversed(versions) if version in (None, v["version"])), None)
    if version is not None and chosen is None:
        raise ChargebackError(f"{period} has no statement version {version}")
    if chosen is None or (version is None and chosen["status"] == "reopened"):
        out = provisional(con, period)
        if chosen is not None:
            out.status, out.version = "reopened", chosen["version"]
        out.versions = versions
        return out
    policy = Policy(chosen["driver"], chosen["idle_policy"], chosen["policy_source"])
    rows = _frozen(con, period, chosen["version"])
    return Statement(period, policy, "closed", _frame(rows, period, policy, "closed", chosen["version"]),
                     chosen["version"], chosen["fingerprint"], chosen["closed_at"], chosen["closed_by"], versions)


def range_lines(con, start: date, end: date, scenario: Policy | None = None) -> pl.DataFrame:
    """Lines for the days [start, end): each month's piece — a whole closed month reads its frozen statement,
    anything else is computed with the same rounding — so a quarter is exactly the sum of its months."""
    frames = []
    for month, lo, hi in month_pieces(start, end):
        whole = lo.day == 1 and hi == next_month(lo)
        if whole and scenario is None:
            frames.append(statement(con, month).lines)
            continue
        policy = scenario or official_policy(con, lo)
        frames.append(_frame(fix_cents(exact_lines(con, lo, hi, policy)), month, policy,
                             "scenario" if scenario else "provisional", None))
    return pl.concat(frames) if frames else pl.DataFrame(schema=_SCHEMA)


def policies_in(con, start: date, end: date) -> list[tuple[str, Policy]]:
    """The official policy of each month the range touches (a stamp for every chargeback figure)."""
    return [(month, official_policy(con, lo)) for month, lo, _ in month_pieces(start, end)]


# --- close, reopen, diff ----------------------------------------------------------------------------

def data_through(con) -> date | None:
    return con.execute("SELECT max(day) FROM mart_ledger_daily").fetchone()[0]


def close(con, period: str, who: str, note: str | None = None, now: datetime | None = None) -> dict:
    """Freeze the month's statement as the next version (v1, or vN+1 after a reopen); idempotent when nothing
    changed.  A closed month whose inputs changed must be reopened first: figures never change silently."""
    start, end = month_bounds(period)
    now = now or datetime.now(timezone.utc)
    if end > now.date():
        raise ChargebackError(f"{period} has not ended yet (it ends {end:%Y-%m-%d}); close a month after it is over")
    unbuilt = con.execute("SELECT count(*) FROM ingest_runs WHERE status = 'loaded' AND rows_loaded > 0"
                          " AND run_id NOT IN (SELECT run_id FROM model_built_runs)").fetchone()[0]
    if unbuilt:
        raise ChargebackError(f"{unbuilt} loaded ingest runs are not built into the ledger yet: run `tokenomics build` "
                              "first, so the statement includes them")
    versions = _versions(con, period)
    latest = versions[-1] if versions else None
    fresh = provisional(con, period)
    if latest and latest["status"] == "closed":
        if latest["fingerprint"] == fresh.fingerprint:
            return {"period": period, "version": latest["version"], "action": "unchanged", "policy": fresh.policy.slug,
                    "effective_usd": str(latest["effective_usd"])}
        change = fresh.total - latest["effective_usd"]
        raise ChargebackError(
            f"{period} is closed as v{latest['version']} and its inputs changed since (late data, re-pricing or a "
            f"policy change: {'+' if change >= 0 else ''}{change} USD). Reopen it with a reason — `tokenomics reopen "
            f"--period {period} --reason '…'` — then close it again to issue v{latest['version'] + 1} with a diff")
    version = (latest["version"] + 1) if latest else 1
    rows = fresh.lines.drop("month", "policy", "status", "version").to_dicts()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO statements VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'closed', ?, ?)",
                    [period, version, fresh.policy.driver, fresh.policy.idle_policy, fresh.policy.source,
                     fresh.fingerprint, now, who, fresh.total, note])
        if rows:
            con.register("_lines", pl.DataFrame(rows).with_columns(period=pl.lit(period), version=pl.lit(version)))
            con.execute("INSERT INTO statement_lines BY NAME SELECT * FROM _lines")
            con.unregister("_lines")
        audit.record(con, "closed", who, period, version=version, policy=fresh.policy.slug,
                     fingerprint=fresh.fingerprint, effective_usd=str(fresh.total), note=note)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    through = data_through(con)
    return {"period": period, "version": version, "action": "closed", "policy": fresh.policy.slug,
            "effective_usd": str(fresh.total), "data_through": through.isoformat() if through else None,
            "warning": (f"the ledger's data only reaches {through or 'no day'}; late data will need a v{version + 1}"
                        if through is None or through < end - timedelta(days=1) else None),
            "diff": diff(con, period, version - 1, version).to_dicts() if version > 1 else []}


def reopen(con, period: str, who: str, reason: str) -> dict:
    """Reopen the latest closed version so late data or re-pricing can be restated as the next version."""
    if not (reason or "").strip():
        raise ChargebackError("reopening a closed month needs a reason (it goes into the audit log)")
    versions = _versions(con, period)
    if not versions or versions[-1]["status"] != "closed":
        raise ChargebackError(f"{period} is not closed" + (f" (v{versions[-1]['version']} is already reopened)"
                                                            if versions else ""))
    version = versions[-1]["version"]
    con.execute("UPDATE statements SET status = 'reopened' WHERE period = ? AND version = ?", [period, version])
    audit.record(con, "reopened", who, period, version=version, reason=reason.strip())
    return {"period": period, "version": version, "action": "reopened", "reason": reason.strip()}


def diff(con, period: str, old: int, new: int | None = None) -> pl.DataFrame:
    """Per tenant: the old and new totals, the change and why (late data, re-pricing, policy, new/removed lines).

    new=None compares version `old` with the provisional figures computed now."""
    before = {_key(r): r for r in _frozen(con, period, old)}
    versions = {x["version"]: x for x in _versions(con, period)}
    if new is None:
        fresh = provisional(con, period)
        after_rows, new_policy = fresh.lines.to_dicts(), fresh.policy
    else:
        after_rows = _frozen(con, period, new)
        new_policy = Policy(versions[new]["driver"], versions[new]["idle_policy"], versions[new]["policy_source"])
    after = {_key(r): r for r in after_rows}
    old_v = versions[old]
    policy_changed = (old_v["driver"], old_v["idle_policy"]) != (new_policy.driver, new_policy.idle_policy)
    tenants: dict[str, dict] = {}
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        was = (a or {}).get("effective_usd") or Decimal(0)
        now = (b or {}).get("effective_usd") or Decimal(0)
        why = _why(a, b, policy_changed)
        t = tenants.setdefault(key[0], {"tenant": key[0], "old_usd": Decimal(0), "new_usd": Decimal(0), "why": set()})
        t["old_usd"] += was
        t["new_usd"] += now
        if why:
            t["why"].add(why)
        elif was != now:
            t["why"].add("cent re-rounded (the month's total moved a remainder)")
    rows = [{**t, "change_usd": t["new_usd"] - t["old_usd"], "why": ", ".join(sorted(t["why"]))}
            for t in tenants.values() if t["why"] or t["new_usd"] != t["old_usd"]]
    schema = {"tenant": pl.Utf8, "old_usd": pl.Decimal(18, 2), "new_usd": pl.Decimal(18, 2),
              "change_usd": pl.Decimal(18, 2), "why": pl.Utf8}
    return pl.DataFrame([{k: r[k] for k in schema} for r in rows], schema=schema) if rows else pl.DataFrame(schema=schema)


def _key(row: dict) -> tuple:
    return tuple(row[k] for k in LINE_KEY)


def _why(a: dict | None, b: dict | None, policy_changed: bool) -> str | None:
    """One reason per changed line, the most specific first."""
    if a is None:
        return "new line (late data or newly priced)"
    if b is None:
        return "line removed (data deleted or re-attributed)"
    if any(a[c] != b[c] for c in COUNTS if c != "unpriced_requests"):
        return "late data"
    if a["unpriced_requests"] != b["unpriced_requests"]:
        return "newly priced (a rate card arrived)" if b["unpriced_requests"] < a["unpriced_requests"] else "unpriced"
    if a["exact_effective_usd"] != b["exact_effective_usd"] or a["exact_list_usd"] != b["exact_list_usd"]:
        return "allocation policy changed" if policy_changed and a["section"] != "api" else "re-priced"
    return None


def audit_log(con, period: str | None = None) -> pl.DataFrame:
    cur = con.execute("SELECT logged_at AS at, actor, action, period, detail FROM audit_log WHERE ?::VARCHAR IS NULL OR period = ?"
                      " ORDER BY logged_at DESC", [period, period])
    return pl.DataFrame(cur.fetchall(), schema={"at": pl.Datetime("us", "UTC"), "actor": pl.Utf8, "action": pl.Utf8,
                                                "period": pl.Utf8, "detail": pl.Utf8}, orient="row")

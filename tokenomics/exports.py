"""Period exports for finance: a tenant-spend CSV and a FOCUS 1.3 dataset — deterministic (same period,
same bytes), idempotent, written atomically with a manifest and SHA-256 checksums, locally or to S3."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

from tokenomics import __version__ as TOOL_VERSION
from tokenomics import chargeback, objectstore
from tokenomics.config import sql_dir
from tokenomics.objectstore import atomic_write
from tokenomics.focus_conformance import check_csv
from tokenomics.warehouse import connect

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """An export that cannot be produced as asked (bad period, unknown format or destination)."""


@dataclass(frozen=True)
class ExportFile:
    name: str
    data: bytes
    rows: int


def period_bounds(period: str) -> tuple[date, date]:
    """'2026-10' -> (2026-10-01, 2026-11-01)."""
    try:
        return chargeback.month_bounds(period)
    except chargeback.ChargebackError as exc:
        raise ExportError(str(exc)) from None


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formula injection: a text cell starting with = + - @ (or tab/CR) gets a
    leading apostrophe, so Excel and Sheets show it as text instead of evaluating it."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def fmt(value) -> str:
    """One deterministic text form per value: exact decimals without exponent, UTC ISO timestamps."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return safe_cell(value)
    return str(value)


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; also quotes fields holding a bare CR
    writer.writerow(header)
    writer.writerows([[fmt(v) for v in row] for row in rows])
    return buf.getvalue().encode()


def _query(db, name: str, **params) -> tuple[list[str], list[tuple]]:
    con = connect(db, read_only=True)
    try:
        cur = con.execute((sql_dir() / "exports" / f"{name}.sql").read_text(), params)
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()


TENANT_COLUMNS = ("period", "tenant", "section", "provider", "model", "requests", "unpriced_requests", "input_tokens",
                  "output_tokens", "list_usd", "discount_usd", "effective_usd", "usd_per_mtok", "policy", "status",
                  "version")


def tenant_spend(st: chargeback.Statement) -> tuple[ExportFile, dict]:
    """Finance CSV: the month's statement lines (cents fixed once), every tenant — what the statements show."""
    rows = []
    for r in st.lines.to_dicts():
        tokens = (r["input_tokens"] or 0) + (r["output_tokens"] or 0)
        per_mtok = (None if r["effective_usd"] is None or not tokens
                    else (r["effective_usd"] * 1_000_000 / tokens).quantize(Decimal("0.0001")))
        rows.append({**r, "period": st.period, "usd_per_mtok": per_mtok, "policy": st.policy.slug,
                     "status": st.status, "version": st.version})
    data = csv_bytes(list(TENANT_COLUMNS), [[r.get(c) for c in TENANT_COLUMNS] for r in rows])
    totals = {"effective_usd": fmt(sum((r["effective_usd"] for r in rows if r["effective_usd"] is not None), Decimal(0))),
              "list_usd": fmt(sum((r["list_usd"] for r in rows if r["list_usd"] is not None), Decimal(0)))}
    return ExportFile(f"tenant-spend-{st.period}-{st.policy.slug}-{st.tag}.csv", data, len(rows)), totals


def focus(db, st: chargeback.Statement) -> tuple[ExportFile, dict]:
    """FOCUS 1.3 Cost and Usage rows: one per (day, tenant, model, SKU price, meter), under the statement's policy."""
    start, end = chargeback.month_bounds(st.period)
    header, rows = _query(db, "focus", start=start, period_end=end, driver=st.policy.driver,
                          idle_policy=st.policy.idle_policy)
    rows = [list(r) for r in rows] + _rounding_rows(header, rows, st, start, end)
    idx = header.index("EffectiveCost"), header.index("ListCost")
    data = csv_bytes(header, rows)
    problems = check_csv(data)
    if problems:
        raise ExportError("FOCUS 1.3 conformance failed: " + "; ".join(problems[:10]))
    totals = {"EffectiveCost": fmt(sum((r[idx[0]] for r in rows), Decimal(0))),
              "ListCost": fmt(sum((r[idx[1]] for r in rows), Decimal(0)))}
    return ExportFile(f"focus-{st.period}-{st.policy.slug}-{st.tag}.csv", data, len(rows)), totals


def _rounding_rows(header: list[str], rows: list, st: chargeback.Statement, start: date, end: date) -> list[list]:
    """One Adjustment row per tenant whose exact FOCUS rows do not sum to its statement's cents: with it, Σ a
    tenant's EffectiveCost (and ListCost) in the FOCUS file equals its statement to the cent, while every Usage
    row keeps unit price × quantity = cost exactly (which cents on each row would break)."""
    col = {name: i for i, name in enumerate(header)}
    exact: dict[str, list[Decimal]] = {}
    for r in rows:
        sums = exact.setdefault(r[col["SubAccountId"]], [Decimal(0), Decimal(0)])
        sums[0] += r[col["EffectiveCost"]]
        sums[1] += r[col["ListCost"]]
    cents: dict[str, list[Decimal]] = {}
    for line in st.lines.iter_rows(named=True):
        sums = cents.setdefault(line["tenant"], [Decimal(0), Decimal(0)])
        sums[0] += line["effective_usd"] or 0
        sums[1] += line["list_usd"] or 0
    out = []
    for tenant in sorted(set(exact) | set(cents)):
        effective, listed = (c - e for c, e in zip(cents.get(tenant, [0, 0]), exact.get(tenant, [0, 0])))
        if not effective and not listed:
            continue
        row = dict.fromkeys(header)
        row.update(BilledCost=effective, EffectiveCost=effective, ContractedCost=effective,
                   PricingCurrencyEffectiveCost=effective, ListCost=listed, BillingAccountId="tokenomics-chargeback",
                   BillingAccountName="Tokenomics chargeback", BillingAccountType="Chargeback statement",
                   BillingCurrency="USD", PricingCurrency="USD", BillingPeriodStart=_midnight(start),
                   BillingPeriodEnd=_midnight(end), ChargePeriodStart=_midnight(start), ChargePeriodEnd=_midnight(end),
                   ChargeCategory="Adjustment", ChargeFrequency="One-Time",
                   ChargeDescription=f"Rounding to the cents of statement {st.period} ({st.tag})",
                   InvoiceIssuerName="Tokenomics", ProviderName="Tokenomics", PublisherName="Tokenomics",
                   ServiceProviderName="Tokenomics", HostProviderName="Tokenomics",
                   ServiceCategory="AI and Machine Learning", ServiceName="Tokenomics chargeback",
                   ServiceSubcategory="Generative AI", SubAccountId=tenant, SubAccountName=tenant,
                   SubAccountType="Tenant", Tags=json.dumps({"x_Tenant": tenant}, separators=(",", ":")))
        out.append([row[h] for h in header])
    return out


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


FORMATS: dict[str, Callable] = {"csv": lambda db, st: tenant_spend(st), "focus": focus}


def statement_for(db, period: str, scenario: chargeback.Policy | None = None) -> chargeback.Statement:
    """What an export of the month shows: its latest closed statement, else provisional figures, under the
    official policy — or, explicitly asked for, a scenario (labelled as such in every file name)."""
    start = chargeback.month_bounds(period)[0]  # a bad period is refused before the warehouse is opened
    con = connect(db, read_only=True)
    try:
        official = chargeback.official_policy(con, start)
        if scenario is None or (scenario.driver, scenario.idle_policy) == (official.driver, official.idle_policy):
            return chargeback.statement(con, period)
        return chargeback.provisional(con, period, scenario.as_scenario())
    finally:
        con.close()


def render(db, period: str, fmt_name: str, scenario: chargeback.Policy | None = None) -> list[ExportFile]:
    """The export's files, manifest last: pure function of the warehouse content and the arguments."""
    if fmt_name not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}")
    try:
        st = statement_for(db, period, scenario)
    except chargeback.ChargebackError as exc:
        raise ExportError(str(exc)) from None
    data, totals = FORMATS[fmt_name](db, st)
    sums = f"{hashlib.sha256(data.data).hexdigest()}  {data.name}\n".encode()
    manifest = {"tokenomics_export": 1, "tool_version": TOOL_VERSION, "period": period, "format": fmt_name,
                "gpu_allocation": {"driver": st.policy.driver, "idle_policy": st.policy.idle_policy,
                                   "source": st.policy.source},
                "statement": {"status": st.status, "version": st.version, "tag": st.tag, "fingerprint": st.fingerprint},
                "totals": totals,
                "files": [{"name": f.name, "sha256": hashlib.sha256(f.data).hexdigest(), "bytes": len(f.data),
                           "rows": f.rows} for f in (data, ExportFile("SHA256SUMS", sums, 1))]}
    body = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    return [data, ExportFile("SHA256SUMS", sums, 1), ExportFile("manifest.json", body, 1)]


_REWRITABLE = ("manifest.json", "SHA256SUMS")  # describe the folder; data files are immutable once written


def _conflict(name: str, where: str) -> ExportError:
    return ExportError(f"{where}/{name} already exists with different content; export files are never overwritten "
                       "(their names carry period, policy and version) — move it away deliberately to replace it")


def _write_local(files: list[ExportFile], dest: str, folder: str) -> str:
    """Each file lands by atomic rename after fsync; the manifest goes last, so a reader that trusts the
    manifest never sees a half-written export.  Unchanged files are not rewritten; a data file with the same
    name and other content is refused, never overwritten."""
    target = Path(dest) / folder
    target.mkdir(parents=True, exist_ok=True)
    for f in files:
        final = target / f.name
        if final.exists():
            if final.read_bytes() == f.data:
                continue
            if f.name not in _REWRITABLE:
                raise _conflict(f.name, str(target))
        atomic_write(final, f.data)
    return str(target)


_TYPES = {".json": "application/json", ".pdf": "application/pdf", ".csv": "text/csv"}


def _write_s3(files: list[ExportFile], dest: str, folder: str) -> str:
    """PUT each object (atomic per object), manifest last; skip objects whose stored SHA-256 matches and refuse
    a data object whose stored SHA-256 differs."""
    from botocore.exceptions import ClientError

    try:
        bucket, prefix = objectstore.split(dest)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    s3 = objectstore.client()
    base = "/".join(p for p in (prefix.strip("/"), folder) if p)
    for f in files:
        key = f"{base}/{f.name}"
        digest = hashlib.sha256(f.data).hexdigest()
        try:
            stored = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256")
            if stored == digest:
                continue
            if f.name not in _REWRITABLE:
                raise _conflict(f.name, f"s3://{bucket}/{base}")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
        s3.put_object(Bucket=bucket, Key=key, Body=f.data, Metadata={"sha256": digest},
                      ContentType=_TYPES.get(Path(f.name).suffix, "text/plain"))
    return f"s3://{bucket}/{base}"


def write_files(files: list[ExportFile], dest: str, folder: str) -> str:
    return _write_s3(files, dest, folder) if dest.startswith("s3://") else _write_local(files, dest, folder)


def export(db, period: str, fmt_name: str, dest: str, scenario: chargeback.Policy | None = None) -> dict:
    """Render and write one export into a folder named by period, format, policy and version; returns its
    manifest plus where it went."""
    files = render(db, period, fmt_name, scenario)
    doc = json.loads(files[-1].data)
    alloc = doc["gpu_allocation"]
    folder = f"{period}-{fmt_name}-{chargeback.Policy(alloc['driver'], alloc['idle_policy']).slug}-{doc['statement']['tag']}"
    where = write_files(files, dest, folder)
    return {**doc, "location": where}

"""Period exports for finance: a tenant-spend CSV and a FOCUS 1.3 dataset — deterministic (same period,
same bytes), idempotent, written atomically with a manifest and SHA-256 checksums, locally or to S3."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Callable

from tokenomics import __version__ as TOOL_VERSION
from tokenomics.config import sql_dir
from tokenomics.focus_conformance import check_csv
from tokenomics.warehouse import connect

DRIVERS = ("tokens", "weighted_tokens", "gpu_seconds")
IDLE_POLICIES = ("proportional", "separate")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CENT = Decimal("0.01")


class ExportError(ValueError):
    """An export that cannot be produced as asked (bad period, unknown format or destination)."""


@dataclass(frozen=True)
class ExportFile:
    name: str
    data: bytes
    rows: int


def period_bounds(period: str) -> tuple[date, date]:
    """'2026-10' -> (2026-10-01, 2026-11-01)."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period or ""):
        raise ExportError(f"period must be YYYY-MM, got {period!r}")
    year, month = map(int, period.split("-"))
    return date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)


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


def to_cents(values: list[Decimal | None]) -> list[Decimal | None]:
    """Round to cents so the rounded parts sum to the rounded total (largest-remainder method).

    NULLs (unpriced) stay NULL.  Ties go to the earlier row, so the result is deterministic.
    """
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    if not present:
        return list(values)
    total = sum((v for _, v in present), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    floors = {i: (v / CENT).to_integral_value(rounding="ROUND_FLOOR") * CENT for i, v in present}
    leftover = int(((total - sum(floors.values(), Decimal(0))) / CENT).to_integral_value())
    order = sorted(present, key=lambda iv: (-(iv[1] - floors[iv[0]]), iv[0]))
    for i, _ in order[:leftover]:
        floors[i] += CENT
    return [floors.get(i) for i in range(len(values))]


def _csv(header: list[str], rows: list[list]) -> bytes:
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


def tenant_spend(db, start: date, end: date, driver: str, idle_policy: str) -> tuple[ExportFile, dict]:
    """Finance CSV: cents assigned so every column adds up to the period total to the cent."""
    header, rows = _query(db, "tenant_spend", start=start, period_end=end, driver=driver, idle_policy=idle_policy)
    cols = {name: [r[i] for r in rows] for i, name in enumerate(header)}
    cols["list_cost_usd"] = to_cents(cols["list_cost_usd"])
    cols["effective_cost_usd"] = to_cents(cols["effective_cost_usd"])
    tokens = [(i or 0) + (o or 0) for i, o in zip(cols["input_tokens"], cols["output_tokens"])]
    cols["usd_per_mtok"] = [None if c is None or not t else (c * 1_000_000 / t).quantize(Decimal("0.0001"))
                            for c, t in zip(cols["effective_cost_usd"], tokens)]
    out_header = ["period", *header, "usd_per_mtok"]
    period = start.strftime("%Y-%m")
    table = [[period, *(cols[h][k] for h in header), cols["usd_per_mtok"][k]] for k in range(len(rows))]
    totals = {"effective_cost_usd": fmt(sum((c for c in cols["effective_cost_usd"] if c is not None), Decimal(0))),
              "list_cost_usd": fmt(sum((c for c in cols["list_cost_usd"] if c is not None), Decimal(0)))}
    return ExportFile(f"tenant-spend-{period}.csv", _csv(out_header, table), len(rows)), totals


def focus(db, start: date, end: date, driver: str, idle_policy: str) -> tuple[ExportFile, dict]:
    """FOCUS 1.3 Cost and Usage rows: one per (day, tenant, model, SKU price, meter)."""
    header, rows = _query(db, "focus", start=start, period_end=end, driver=driver, idle_policy=idle_policy)
    idx = header.index("EffectiveCost"), header.index("ListCost")
    data = _csv(header, [list(r) for r in rows])
    problems = check_csv(data)
    if problems:
        raise ExportError("FOCUS 1.3 conformance failed: " + "; ".join(problems[:10]))
    totals = {"EffectiveCost": fmt(sum((r[idx[0]] for r in rows), Decimal(0))),
              "ListCost": fmt(sum((r[idx[1]] for r in rows), Decimal(0)))}
    return ExportFile(f"focus-{start.strftime('%Y-%m')}.csv", data, len(rows)), totals


FORMATS: dict[str, Callable] = {"csv": tenant_spend, "focus": focus}


def render(db, period: str, fmt_name: str, driver: str = "tokens", idle_policy: str = "proportional") -> list[ExportFile]:
    """The export's files, manifest last: pure function of the warehouse content and the arguments."""
    if fmt_name not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}")
    if driver not in DRIVERS or idle_policy not in IDLE_POLICIES:
        raise ExportError(f"driver must be one of {DRIVERS}, idle policy one of {IDLE_POLICIES}")
    start, end = period_bounds(period)
    data, totals = FORMATS[fmt_name](db, start, end, driver, idle_policy)
    sums = f"{hashlib.sha256(data.data).hexdigest()}  {data.name}\n".encode()
    manifest = {"tokenomics_export": 1, "tool_version": TOOL_VERSION, "period": period, "format": fmt_name,
                "gpu_allocation": {"driver": driver, "idle_policy": idle_policy}, "totals": totals,
                "files": [{"name": f.name, "sha256": hashlib.sha256(f.data).hexdigest(), "bytes": len(f.data),
                           "rows": f.rows} for f in (data, ExportFile("SHA256SUMS", sums, 1))]}
    body = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    return [data, ExportFile("SHA256SUMS", sums, 1), ExportFile("manifest.json", body, 1)]


def _write_local(files: list[ExportFile], dest: str, folder: str) -> str:
    """Each file lands by atomic rename after fsync; the manifest goes last, so a reader that trusts the
    manifest never sees a half-written export.  Unchanged files are not rewritten."""
    target = Path(dest) / folder
    target.mkdir(parents=True, exist_ok=True)
    for f in files:
        final = target / f.name
        if final.exists() and final.read_bytes() == f.data:
            continue
        tmp = target / f".{f.name}.tmp-{os.getpid()}"
        try:
            with open(tmp, "wb") as handle:
                handle.write(f.data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full or failing destination keeps no half-written file
            raise
    return str(target)


def _write_s3(files: list[ExportFile], dest: str, folder: str) -> str:
    """PUT each object (atomic per object), manifest last; skip objects whose stored SHA-256 matches."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    bucket, _, prefix = dest[len("s3://"):].partition("/")
    if not bucket:
        raise ExportError(f"S3 destination needs a bucket: {dest!r}")
    s3 = boto3.client("s3", config=Config(retries={"max_attempts": 5, "mode": "standard"}))
    base = "/".join(p for p in (prefix.strip("/"), folder) if p)
    for f in files:
        key = f"{base}/{f.name}"
        digest = hashlib.sha256(f.data).hexdigest()
        try:
            if s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256") == digest:
                continue
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
        s3.put_object(Bucket=bucket, Key=key, Body=f.data, Metadata={"sha256": digest},
                      ContentType="application/json" if f.name.endswith(".json") else "text/csv")
    return f"s3://{bucket}/{base}"


def export(db, period: str, fmt_name: str, dest: str, driver: str = "tokens",
           idle_policy: str = "proportional") -> dict:
    """Render and write one export; returns its manifest plus where it went."""
    files = render(db, period, fmt_name, driver, idle_policy)
    folder = f"{period}-{fmt_name}"
    where = _write_s3(files, dest, folder) if dest.startswith("s3://") else _write_local(files, dest, folder)
    return {**json.loads(files[-1].data), "location": where}

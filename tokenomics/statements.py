"""Per-tenant statements people can send: CSV and PDF of a month's statement lines, named by period, policy and
version so no file ever overwrites another policy's or version's, written with a manifest like the exports."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from tokenomics import __version__ as TOOL_VERSION
from tokenomics import chargeback
from tokenomics.exports import ExportFile, csv_bytes, write_files
from tokenomics.warehouse import connect

FONTS = Path(__file__).parent / "data" / "fonts"
COLUMNS = ("period", "tenant", "section", "provider", "model", "requests", "unpriced_requests", "input_tokens",
           "output_tokens", "list_usd", "discount_usd", "effective_usd", "policy", "status", "version")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "tenant"


def _money(value: Decimal | None) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


def tenant_rows(st: chargeback.Statement, tenant: str) -> list[dict]:
    return [r for r in st.lines.to_dicts() if r["tenant"] == tenant]


def csv_file(st: chargeback.Statement, tenant: str) -> ExportFile:
    rows = tenant_rows(st, tenant)
    body = csv_bytes(list(COLUMNS), [[st.period if c == "period" else st.policy.slug if c == "policy"
                                      else st.tag if c == "version" else r.get(c) for c in COLUMNS] for r in rows])
    return ExportFile(f"statement-{st.period}-{_safe(tenant)}-{st.policy.slug}-{st.tag}.csv", body, len(rows))


def pdf_file(st: chargeback.Statement, tenant: str) -> ExportFile:
    """A one-tenant statement: header (period, policy, version, who closed it), lines by section, totals."""
    from fpdf import FPDF

    rows = tenant_rows(st, tenant)
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_creation_date(st.closed_at or datetime(2000, 1, 1, tzinfo=timezone.utc))  # same statement, same bytes
    pdf.set_producer(f"Tokenomics {TOOL_VERSION}")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Statement {st.period} {tenant}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, f"LLM cost statement — {tenant}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    status = (f"Closed version {st.version}, {st.closed_at:%Y-%m-%d %H:%M} UTC by {st.closed_by}" if st.status == "closed"
              else "PROVISIONAL — the month is not closed; figures may change")
    for text in (f"Period: {st.period}", f"Allocation: {st.policy.label()}", status,
                 f"Reference: {st.period}-{_safe(tenant)}-{st.policy.slug}-{st.tag} · fingerprint {st.fingerprint[:16]}"):
        pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for section, title in chargeback.SECTIONS.items():
        part = [r for r in rows if r["section"] == section]
        if not part:
            continue
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=(70, 22, 18, 28, 28, 28, 28, 30), text_align=(
                "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")) as table:
            table.row(["Provider / model", "Requests", "Unpriced", "Input tokens", "Output tokens", "List", "Discount",
                       "Amount"])
            for r in part:
                table.row([f"{r['provider']}/{r['model']}", f"{r['requests']:,}", f"{r['unpriced_requests']:,}",
                           f"{r['input_tokens']:,}", f"{r['output_tokens']:,}", _money(r["list_usd"]),
                           _money(r["discount_usd"]), _money(r["effective_usd"])])
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(0, 7, f"{title}: {_money(_total(part))}", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 10, f"Total due for {st.period}: {_money(_total(rows))}", align="R", new_x="LMARGIN", new_y="NEXT")
    unpriced = sum(r["unpriced_requests"] for r in rows)
    pdf.set_font("DejaVu", "", 8)
    notes = ["Amounts are in USD, fixed to the cent once per line (largest remainder to the tenant total).",
             "API: list price − contract discounts. Self-hosted: GPU cost split by the allocation policy above."]
    if unpriced:
        notes.append(f"{unpriced:,} requests had no rate card and are not included (never counted as $0).")
    for text in notes:
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    return ExportFile(f"statement-{st.period}-{_safe(tenant)}-{st.policy.slug}-{st.tag}.pdf", bytes(pdf.output()), len(rows))


def _total(rows: list[dict]) -> Decimal:
    return sum((r["effective_usd"] for r in rows if r["effective_usd"] is not None), Decimal(0))


def tenants_of(st: chargeback.Statement) -> list[str]:
    return sorted(set(st.lines["tenant"].to_list()))


def render(st: chargeback.Statement, tenants: list[str] | None = None) -> list[ExportFile]:
    """Every tenant's CSV and PDF, SHA256SUMS and the manifest (last)."""
    files = []
    for tenant in tenants or tenants_of(st):
        files += [csv_file(st, tenant), pdf_file(st, tenant)]
    sums = "".join(f"{hashlib.sha256(f.data).hexdigest()}  {f.name}\n" for f in files).encode()
    manifest = {"tokenomics_statements": 1, "tool_version": TOOL_VERSION, "period": st.period, "status": st.status,
                "version": st.version, "tag": st.tag, "fingerprint": st.fingerprint,
                "allocation": {"driver": st.policy.driver, "idle_policy": st.policy.idle_policy,
                               "source": st.policy.source},
                "closed_at": st.closed_at.isoformat() if st.closed_at else None, "closed_by": st.closed_by,
                "total_usd": str(st.total),
                "files": [{"name": f.name, "sha256": hashlib.sha256(f.data).hexdigest(), "bytes": len(f.data),
                           "rows": f.rows} for f in files]}
    return files + [ExportFile("SHA256SUMS", sums, len(files)),
                    ExportFile("manifest.json", (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode(), 1)]


def folder(st: chargeback.Statement) -> str:
    return f"statements/{st.period}-{st.policy.slug}-{st.tag}"


def write(db, period: str, dest: str, tenants: list[str] | None = None, version: int | None = None) -> dict:
    """Write a month's statements (the latest closed version, else provisional) to a folder or s3:// prefix."""
    con = connect(db, read_only=True)
    try:
        st = chargeback.statement(con, period, version)
    finally:
        con.close()
    files = render(st, tenants)
    where = write_files(files, dest, folder(st))
    return {**json.loads(files[-1].data), "location": where}

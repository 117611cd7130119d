"""Chargeback in real headless Chromium: finance closes a month and sends a statement, a tenant viewer cannot change
what it is billed, and one month's figures are equal on the page, its CSV, the statement and FOCUS."""

import csv
import io
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.test_browser import PROXY_SECRET, _AuthProxy, _open, _serve, _settled, browser  # noqa: F401 (fixture)
from tokenomics import chargeback


def _as(books, user: str, role: dict):
    """`tokenomics serve` in proxy mode behind a stand-in for oauth2-proxy that has signed in `user`."""
    access = books["tmp"] / f"access-{user.split('@')[0]}.yaml"
    access.write_text(yaml.safe_dump({"users": {user: role}}))
    proc, url = _serve(books["db"], {"TOKENOMICS_AUTH": "proxy", "TOKENOMICS_ACCESS_FILE": str(access),
                                     "TOKENOMICS_PROXY_SECRET": PROXY_SECRET,
                                     "TOKENOMICS_EXPORT_DIR": str(books["tmp"] / "exports")})
    proxy = _AuthProxy(int(url.rsplit(":", 1)[1]), {"X-Forwarded-Email": user, "X-Tokenomics-Proxy-Secret": PROXY_SECRET})
    return proc, proxy


def _stop(proc, proxy):
    proxy.close()
    proc.terminate()
    proc.wait(timeout=20)


def _metric(page, label: str) -> str:
    return page.locator("[data-testid='stMetric']").filter(has_text=label).first \
        .get_by_test_id("stMetricValue").inner_text().strip()


def _usd(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", ""))


@pytest.mark.browser
def test_finance_closes_a_month_and_downloads_its_statement(books, browser):  # noqa: F811
    from pypdf import PdfReader

    month = books["month"]
    proc, proxy = _as(books, "fiona@example.com", {"role": "finance"})
    try:
        context, page = _open(browser, f"{proxy.url}/statements?month={month}")
        page.get_by_role("heading", name="Month close & statements").wait_for(timeout=60_000)
        _settled(page)
        assert "provisional" in page.get_by_text(f"{month} provisional").first.inner_text()
        page.get_by_role("button", name=f"Close {month}").click()
        page.get_by_text(f"Closed {month} as version 1").wait_for(timeout=60_000)
        _settled(page)
        assert _metric(page, "Version") == "v1"
        total = _usd(_metric(page, "Total"))
        assert "fiona@example.com" in page.get_by_text(f"{month} closed, v1").first.inner_text()
        with page.expect_download() as info:
            page.get_by_role("button", name="Download PDF").click()
        download = info.value
        assert download.suggested_filename.startswith(f"statement-{month}-") and download.suggested_filename.endswith(
            "-v1.pdf")
        text = "".join(p.extract_text() for p in PdfReader(download.path()).pages)
        assert f"Total due for {month}:" in text and "Closed version 1" in text and "fiona@example.com" in text
        context.close()
    finally:
        _stop(proc, proxy)
    con = duckdb.connect(str(books["db"]), read_only=True)
    assert con.execute("SELECT version, closed_by, effective_usd FROM statements").fetchall() == [
        (1, "fiona@example.com", total)]
    assert con.execute("SELECT actor, action FROM audit_log").fetchall() == [("fiona@example.com", "closed")]
    con.close()


@pytest.mark.browser
def test_tenant_viewer_cannot_change_the_policy(books, browser):  # noqa: F811
    mine = books["top"]
    proc, proxy = _as(books, "val@example.com", {"role": "tenant-viewer", "tenants": [mine]})
    try:
        # a scenario asked for in the URL is not offered and not applied: the official policy's figures stand
        context, page = _open(browser, f"{proxy.url}/?scenario=on&scenario_driver=gpu_seconds&scenario_idle=separate")
        page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
        _settled(page)
        assert not page.get_by_text("Scenario: another GPU allocation").count()
        assert not page.get_by_text("SCENARIO").count()
        assert page.get_by_text("official policy").count()
        context.close()
        context, page = _open(browser, f"{proxy.url}/statements?month={books['month']}")
        page.get_by_role("heading", name="Month close & statements").wait_for(timeout=60_000)
        _settled(page)
        assert not page.get_by_role("button", name=f"Close {books['month']}").count()
        assert not page.get_by_text("Audit log").count()
        context.close()
    finally:
        _stop(proc, proxy)


def _download(page, button) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        button.click()
    return Path(info.value.path()).read_bytes()


@pytest.mark.browser
def test_a_months_totals_are_equal_on_the_page_its_csv_the_statement_and_focus(books, browser):  # noqa: F811
    db, month, top = books["db"], books["month"], books["top"]
    closed = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(db), "close", "--period", month],
                            capture_output=True, text=True)
    assert closed.returncode == 0, closed.stderr
    start, end = chargeback.month_bounds(month)
    span = f"period=custom&start={start}&end={end - timedelta(days=1)}"
    proc, url = _serve(db, {"TOKENOMICS_EXPORT_DIR": str(books["tmp"] / "exports")})
    try:
        context, page = _open(browser, f"{url}/?{span}")
        page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
        _settled(page)
        overview_total = _usd(_metric(page, "Total spend"))
        table = page.locator("[data-testid='stExpander']").filter(has_text="Spend by tenant — table")
        table.get_by_text("Spend by tenant — table").click()
        button = table.get_by_role("button", name="Download CSV")
        button.wait_for(state="visible", timeout=30_000)
        _settled(page)
        rows = list(csv.DictReader(io.StringIO(_download(page, button).decode())))
        page_csv = {r["tenant"]: Decimal(r["total_usd"]) for r in rows}

        page.goto(f"{url}/tenant?{span}&show_tenant={top}", wait_until="domcontentloaded")
        page.get_by_role("heading", name=top).wait_for(timeout=60_000)
        _settled(page)
        tenant_page = _usd(_metric(page, "Total spend"))

        page.goto(f"{url}/statements?month={month}", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Month close & statements").wait_for(timeout=60_000)
        _settled(page)
        statement_total = _usd(_metric(page, "Total"))
        page.get_by_label("Tenant").last.click()
        page.get_by_role("option", name=top, exact=True).click()
        _settled(page)
        lines = list(csv.DictReader(io.StringIO(_download(
            page, page.get_by_role("button", name="Download CSV")).decode())))
        statement_top = sum(Decimal(r["effective_usd"] or 0) for r in lines)

        page.goto(f"{url}/exports", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Exports", exact=True).wait_for(timeout=60_000)
        _settled(page)
        page.get_by_label("Format").click()
        page.get_by_role("option", name="FOCUS 1.3").click()
        page.get_by_role("button", name="Run export").click()
        page.get_by_text(f"Exported {month} as FOCUS").wait_for(timeout=120_000)
        _settled(page)
        focus = list(csv.DictReader(io.StringIO(_download(
            page, page.get_by_role("button", name="Download focus-").first).decode())))
        focus_top = sum(Decimal(r["EffectiveCost"]) for r in focus if r["SubAccountId"] == top)
        focus_total = sum(Decimal(r["EffectiveCost"]) for r in focus)
        context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert page_csv[top] == tenant_page == statement_top == focus_top
    assert overview_total == statement_total == focus_total

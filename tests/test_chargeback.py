"""Chargeback finance can sign: one policy, cents fixed once, month close with versions, statements that tie."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tokenomics.ingest.runner import ingest_paths
from tokenomics import chargeback, exports, queries, statements
from tokenomics.access import LOCAL, AccessDenied, Principal, Role
from tokenomics.warehouse import connect, open_warehouse

D = Decimal


def _line(tenant, exact, section="api", model="m", list_=None):
    return {"tenant": tenant, "section": section, "provider": "p", "model": model, "requests": 1,
            "unpriced_requests": 0, "input_tokens": 1, "output_tokens": 1,
            "exact_list_usd": D(list_ if list_ is not None else exact), "exact_effective_usd": D(exact)}


def test_cents_are_fixed_top_down_by_hand():
    rows = chargeback.fix_cents([_line("a", "1.005", model="x"), _line("a", "2.004", model="y"),
                                 _line("b", "0.333", model="x"), _line("b", "0.333", model="y"),
                                 _line("b", "0.333", model="z")])
    # month: 1.005 + 2.004 + 3 × 0.333 = 4.008 → $4.01
    # tenants: a = 3.009, b = 0.999 → floors 3.00 + 0.99 = 3.99; 2 leftover cents, remainders .009 = .009 → one each
    #          a = 3.01, b = 1.00 (each also its own half-up rounding here)
    # a's lines: 1.005 → 1.00 (rem .005), 2.004 → 2.00 (rem .004); 3.01 − 3.00 = 1 cent → the larger remainder: 1.01
    # b's lines: 0.33 × 3 = 0.99; 1.00 − 0.99 = 1 cent → the first of three equal remainders: 0.34, 0.33, 0.33
    assert [r["effective_usd"] for r in rows] == [D("1.01"), D("2.00"), D("0.34"), D("0.33"), D("0.33")]
    assert all(r["discount_usd"] == 0 for r in rows)


def test_tenants_sum_to_the_bill_even_where_rounding_each_would_not():
    # three tenants at $0.005 each: rounded one by one (half up) they would bill 3 × $0.01 = $0.03 for a $0.015 month
    rows = chargeback.fix_cents([_line(t, "0.005") for t in "abc"])
    # month $0.015 → $0.02; floors 0 each; 2 leftover cents to the first two of three equal remainders
    assert [r["effective_usd"] for r in rows] == [D("0.01"), D("0.01"), D("0.00")]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcde"), st.decimals(min_value=0, max_value=5_000, places=9),
                          st.decimals(min_value=0, max_value=100, places=4)), min_size=1, max_size=30))
def test_cents_identities_hold_for_any_month(items):
    rows = chargeback.fix_cents([_line(t, (v * (100 - d) / 100).quantize(D("1e-12")), model=str(i), list_=v)
                                 for i, (t, v, d) in enumerate(items)])
    for money in ("list", "effective"):
        exact = sum(r[f"exact_{money}_usd"] for r in rows)
        assert sum(r[f"{money}_usd"] for r in rows) == exact.quantize(D("0.01"), "ROUND_HALF_UP")  # Σ = the bill
        for r in rows:
            assert abs(r[f"{money}_usd"] - r[f"exact_{money}_usd"]) < D("0.02")
    for r in rows:
        assert r["list_usd"] - r["discount_usd"] == r["effective_usd"]  # list − discount = effective, every line


def test_unpriced_lines_stay_unpriced():
    row = dict(_line("a", "0"), exact_list_usd=None, exact_effective_usd=None, unpriced_requests=3)
    [out] = chargeback.fix_cents([row])
    assert out["effective_usd"] is None and out["discount_usd"] is None


# --- on a copy of the demo warehouse ---------------------------------------------------------------

def _cli(db, *args):
    return subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(db), *args], capture_output=True,
                          text=True, env={**os.environ, "TOKENOMICS_USER": "fiona@finance"})


def _late_request(books) -> Path:
    """One more request in the closed month, as the gateway would have logged it (a copy under a new id)."""
    source = sorted((books["raw"] / "gateway" / "litellm").glob(f"*{books['month']}*.jsonl"))[0]
    doc = json.loads(source.read_text().splitlines()[0])
    doc["id"] = "chatcmpl-late-arrival-1"
    path = books["tmp"] / f"litellm-late-{books['month']}.jsonl"
    path.write_text(json.dumps(doc) + "\n")
    return path


def test_close_freeze_reopen_and_restate_with_a_diff(books):
    db, month = books["db"], books["month"]
    ok = _cli(db, "close", "--period", month, "--note", "first close")
    assert ok.returncode == 0, ok.stderr
    assert f"closed {month} as v1" in ok.stdout
    assert "already closed as v1 and nothing changed" in _cli(db, "close", "--period", month).stdout
    frozen = queries.month_statement(db, LOCAL, month)
    assert frozen.status == "closed" and frozen.version == 1 and frozen.closed_by == "fiona@finance"

    # late data arrives for the closed month: the frozen figures do not move, and closing again is refused
    late = _late_request(books)
    assert _cli(db, "ingest", "litellm", str(late)).returncode == 0
    assert queries.month_statement(db, LOCAL, month).total == frozen.total
    refused = _cli(db, "close", "--period", month)
    assert refused.returncode == 2 and "reopen" in refused.stderr and "inputs changed" in refused.stderr
    assert _cli(db, "reopen", "--period", month, "--reason", "").returncode == 2  # a reason is required
    assert _cli(db, "reopen", "--period", month, "--reason", "late gateway logs").returncode == 0
    assert queries.month_statement(db, LOCAL, month).status == "reopened"
    second = _cli(db, "close", "--period", month)
    assert second.returncode == 0 and f"closed {month} as v2" in second.stdout

    tenant = json.loads(late.read_text())["metadata"]["spend_logs_metadata"]["tenant"]
    changes = queries.statement_diff(db, LOCAL, month, 1, 2)
    row = changes.filter(changes["tenant"] == tenant).row(0, named=True)
    assert "late data" in row["why"] and row["new_usd"] - row["old_usd"] == row["change_usd"] > 0
    assert queries.month_statement(db, LOCAL, month, 1).total == frozen.total  # v1 is kept as it was
    log = queries.audit_log(db, LOCAL, month)
    assert log["action"].to_list() == ["closed", "reopened", "closed"]
    assert set(log["actor"]) == {"fiona@finance"} and "late gateway logs" in log["detail"][1]


def test_a_month_not_over_cannot_be_closed_and_unbuilt_data_blocks_a_close(books):
    con = open_warehouse(books["db"])
    try:
        with pytest.raises(chargeback.ChargebackError, match="has not ended"):
            chargeback.close(con, books["month"], "x", now=datetime(int(books["month"][:4]), int(books["month"][5:]),
                                                                    20, tzinfo=timezone.utc))
        ingest_paths(con, "litellm", [_late_request(books)])  # loaded, not built
        with pytest.raises(chargeback.ChargebackError, match="tokenomics build"):
            chargeback.close(con, books["month"], "x")
    finally:
        con.close()


def test_the_policy_is_the_admins_and_each_change_is_audited(books, monkeypatch):
    db, month = books["db"], books["month"]
    start = chargeback.month_bounds(month)[0]
    monkeypatch.setenv("TOKENOMICS_USER", "ada@platform")
    path = books["tmp"] / "contracts-policy.yaml"
    path.write_text(yaml.safe_dump({"allocation_policies": [{"month": month, "driver": "weighted_tokens",
                                                             "idle_policy": "separate"},
                                                            {"month": "2026-02-15", "driver": "tokens",
                                                             "idle_policy": "proportional"}]}))
    con = open_warehouse(db)
    try:
        [result] = ingest_paths(con, "contracts", [path])
        assert (result.counts.loaded, result.counts.quarantined) == (1, 1)  # a policy starts on a month's first day
        policy = chargeback.official_policy(con, start)
        assert (policy.driver, policy.idle_policy, policy.source, policy.since) == (
            "weighted_tokens", "separate", "settings", start)
        assert chargeback.official_policy(con, date(start.year - 1, 1, 1)).source == "default"
        [entry] = chargeback.audit_log(con).to_dicts()
        assert entry["action"] == "policy_changed" and entry["actor"] == "ada@platform" and entry["period"] == month
    finally:
        con.close()
    # every chargeback figure carries it, and a tenant viewer cannot ask for another
    f = queries.Filters(start, chargeback.month_bounds(month)[1] - timedelta(days=1))
    assert queries.overview(db, LOCAL, f)["policy"].driver == "weighted_tokens"
    viewer = Principal("v", Role.TENANT_VIEWER, frozenset({"acme"}))
    with pytest.raises(AccessDenied):
        queries.overview(db, viewer, queries.Filters(f.start, f.end, driver="tokens", idle_policy="proportional"))


def _focus_by_tenant(data: bytes) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for r in csv.DictReader(io.StringIO(data.decode(), newline="")):
        out[r["SubAccountId"]] = out.get(r["SubAccountId"], D(0)) + D(r["EffectiveCost"])
    return out


def test_every_surface_shows_the_same_cents_for_a_closed_month(books):
    """Overview (page and its CSV), the tenant page, the tenant-spend export, each tenant's statement CSV and PDF,
    and FOCUS: the same month's figures, equal to the cent."""
    from pypdf import PdfReader

    db, month = books["db"], books["month"]
    assert _cli(db, "close", "--period", month).returncode == 0
    start, end = chargeback.month_bounds(month)
    f = queries.Filters(start, end - timedelta(days=1))
    view = queries.overview(db, LOCAL, f)
    page = {r["tenant"]: r["total_usd"] for r in view["by_tenant"].to_dicts()}
    page_csv = {r["tenant"]: D(r["total_usd"]) for r in csv.DictReader(io.StringIO(view["by_tenant"].write_csv()))}
    assert page == page_csv
    assert sum(page.values()) + view["kpis"]["idle_usd"][0] == view["kpis"]["total_usd"][0]

    out = books["tmp"] / "out"
    manifest = exports.export(db, month, "csv", str(out))
    assert manifest["statement"]["tag"] == "v1"
    export_rows = list(csv.DictReader(io.StringIO((Path(manifest["location"]) / manifest["files"][0]["name"]).read_text())))
    exported: dict[str, Decimal] = {}
    for r in export_rows:
        exported[r["tenant"]] = exported.get(r["tenant"], D(0)) + D(r["effective_usd"] or 0)
    focus = exports.export(db, month, "focus", str(out))
    focused = _focus_by_tenant((Path(focus["location"]) / focus["files"][0]["name"]).read_bytes())
    sent = statements.write(db, month, str(out))
    assert sent["tag"] == "v1" and D(sent["total_usd"]) == view["kpis"]["total_usd"][0]
    folder = Path(sent["location"])
    tenants = sorted(page, key=lambda t: -page[t])[:4]  # the largest tenants: statement PDFs are slow to parse
    for tenant in page:
        assert exported[tenant] == page[tenant], tenant
        assert focused[tenant] == page[tenant], tenant
        stmt_csv = next(folder.glob(f"statement-{month}-{statements._safe(tenant)}-*.csv"))
        assert sum(D(r["effective_usd"] or 0) for r in csv.DictReader(io.StringIO(stmt_csv.read_text()))) == page[tenant]
    for tenant in tenants:
        tenant_page = queries.tenant(db, LOCAL, tenant, f)["kpis"]["total_usd"][0]
        assert tenant_page == page[tenant]
        pdf = next(folder.glob(f"statement-{month}-{statements._safe(tenant)}-*.pdf"))
        text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
        assert f"Total due for {month}: ${page[tenant]:,.2f}" in text and "Closed version 1" in text
    assert sum(exported.values()) == sum(focused.values()) == view["kpis"]["total_usd"][0]


def test_statement_files_are_deterministic_and_named_by_policy_and_version(books):
    db, month = books["db"], books["month"]
    assert _cli(db, "close", "--period", month).returncode == 0
    con = connect(db, read_only=True)
    try:
        st_ = chargeback.statement(con, month)
    finally:
        con.close()
    tenant = statements.tenants_of(st_)[0]
    first, again = statements.pdf_file(st_, tenant), statements.pdf_file(st_, tenant)
    assert first.data == again.data and first.data.startswith(b"%PDF-")
    assert first.name == f"statement-{month}-{statements._safe(tenant)}-{st_.policy.slug}-v1.pdf"
    written = _cli(db, "statements", "--period", month, "--dest", str(books["tmp"] / "s"), "--tenant", tenant)
    assert written.returncode == 0, written.stderr
    files = sorted(p.name for p in (books["tmp"] / "s" / "statements").glob("*/*"))
    assert files == sorted([first.name, first.name[:-4] + ".csv", "SHA256SUMS", "manifest.json"])


def test_the_scheduler_closes_the_month_and_writes_statements_on_the_first(books):
    db, month = books["db"], books["month"]
    end = chargeback.month_bounds(month)[1]
    out = books["tmp"] / "finance"
    (books["tmp"] / "s.yaml").write_text(yaml.safe_dump({"jobs": [
        {"name": "close", "cron": "0 2 1 * *", "run": ["close", "--period", "{previous_month}", "--actor", "scheduler"]},
        {"name": "statements", "cron": "0 2 1 * *", "run": ["statements", "--period", "{previous_month}",
                                                           "--dest", str(out)]}]}))
    run = _cli(db, "schedule", "--schedule", str(books["tmp"] / "s.yaml"), "--at", f"{end.isoformat()}T02:00:00+00:00")
    assert run.returncode == 0, run.stderr
    [manifest] = (out / "statements").glob(f"{month}-*-v1/manifest.json")
    doc = json.loads(manifest.read_text())
    assert doc["status"] == "closed" and doc["version"] == 1 and doc["closed_by"] == "scheduler"
    assert {f["name"].rsplit(".", 1)[-1] for f in doc["files"]} == {"csv", "pdf"}


def test_statements_go_to_s3_over_http_and_are_not_rewritten(books, s3_endpoint):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="finance")
    assert _cli(books["db"], "close", "--period", books["month"]).returncode == 0
    first = statements.write(books["db"], books["month"], "s3://finance/tokenomics")
    prefix = first["location"].split("/", 3)[3] + "/"
    assert prefix.startswith(f"tokenomics/statements/{books['month']}-") and prefix.endswith("-v1/")
    listed = {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket="finance", Prefix=prefix)["Contents"]}
    assert set(listed) == {prefix + f["name"] for f in first["files"]} | {prefix + n for n in ("manifest.json", "SHA256SUMS")}
    pdf = next(f for f in first["files"] if f["name"].endswith(".pdf"))
    assert s3.head_object(Bucket="finance", Key=prefix + pdf["name"])["ContentType"] == "application/pdf"
    statements.write(books["db"], books["month"], "s3://finance/tokenomics")  # the scheduler runs it again
    again = {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket="finance", Prefix=prefix)["Contents"]}
    assert again == listed  # same statement, same bytes: nothing rewritten

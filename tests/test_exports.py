"""Exports: cents that add up, FOCUS 1.3 conformance, same bytes every time, atomic, S3 over real HTTP."""

import csv
import hashlib
import io
import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokenomics import chargeback, exports
from tokenomics.focus_conformance import check_csv


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=10_000, places=9, allow_nan=False), min_size=1, max_size=40))
def test_cents_add_up_to_the_rounded_total(values):
    cents = chargeback.to_cents(values)
    assert sum(cents) == sum(values).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert all(abs(c - v) < Decimal("0.01") for c, v in zip(cents, values))


def test_cents_keep_unpriced_as_empty():
    # 3 x 0.333 = 0.999 -> 1.00 total: floors 0.33 each, one leftover cent to the first (ties by order)
    assert chargeback.to_cents([Decimal("0.333"), None, Decimal("0.333"), Decimal("0.333")]) == [
        Decimal("0.34"), None, Decimal("0.33"), Decimal("0.33")]


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_formula_injection_is_neutralised(cell):
    out = exports.csv_bytes(["tenant"], [[cell]])
    assert _rows(out)[0]["tenant"] == "'" + cell


def test_numbers_are_never_escaped():
    out = exports.csv_bytes(["change_usd", "name"], [[Decimal("-0.30"), "plain"]])
    assert _rows(out)[0] == {"change_usd": "-0.3", "name": "plain"}


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "", "last-month"])
def test_bad_periods_are_clear_errors(bad):
    with pytest.raises(exports.ExportError, match="YYYY-MM"):
        exports.period_bounds(bad)


def test_period_bounds_cross_the_year():
    assert exports.period_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))


@pytest.fixture(scope="module")
def month(demo):
    con = duckdb.connect(str(demo["db"]), read_only=True)
    day = con.execute("SELECT max(day) FROM mart_spend_daily").fetchone()[0]
    con.close()
    return day.strftime("%Y-%m")


def _ledger_total(db, period, driver="tokens", policy="proportional"):
    start, end = exports.period_bounds(period)
    con = duckdb.connect(str(db), read_only=True)
    total = con.execute("SELECT sum(effective_cost_usd) FROM mart_ledger_daily WHERE day >= ? AND day < ? AND "
                        "(driver IS NULL OR (driver = ? AND idle_policy = ?))", [start, end, driver, policy]).fetchone()[0]
    con.close()
    return total


def _files(manifest) -> dict:
    folder = Path(manifest["location"])
    return {f["name"]: (folder / f["name"]).read_bytes() for f in manifest["files"]}


@pytest.mark.parametrize("policy", ["proportional", "separate"])
def test_tenant_csv_adds_up_to_the_ledger_to_the_cent(demo, month, tmp_path, policy):
    scenario = chargeback.Policy("tokens", policy, "scenario") if policy == "separate" else None
    manifest = exports.export(demo["db"], month, "csv", str(tmp_path), scenario)
    name = manifest["files"][0]["name"]
    assert name.startswith(f"tenant-spend-{month}-tokens-{policy}-") and ("scenario" in name) == (policy == "separate")
    rows = _rows(_files(manifest)[name])
    total = sum(Decimal(r["effective_usd"]) for r in rows if r["effective_usd"])
    # tenants' cents are fixed top down from the month's exact total, so the CSV sums to it rounded, to the cent
    expected = _ledger_total(demo["db"], month, policy=policy).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert total == expected == Decimal(manifest["totals"]["effective_usd"])
    assert {r["section"] for r in rows} >= {"api", "self_hosted"}
    assert ("idle_share" in {r["section"] for r in rows}) == (policy == "proportional")
    for r in rows:  # list − discount = effective on every line, in cents
        if r["list_usd"]:
            assert Decimal(r["list_usd"]) - Decimal(r["discount_usd"]) == Decimal(r["effective_usd"])


def test_another_policy_never_overwrites_the_first_file(demo, month, tmp_path):
    official = exports.export(demo["db"], month, "csv", str(tmp_path))
    scenario = exports.export(demo["db"], month, "csv", str(tmp_path), chargeback.Policy("gpu_seconds", "separate"))
    assert official["location"] != scenario["location"]
    assert "scenario" in scenario["location"] and scenario["gpu_allocation"]["source"] == "scenario"
    assert _files(official) and _files(scenario)  # both still there
    # a data file of the same name with other content is refused, never overwritten
    victim = Path(official["location"]) / official["files"][0]["name"]
    victim.write_bytes(b"edited by hand\n")
    with pytest.raises(exports.ExportError, match="never overwritten"):
        exports.export(demo["db"], month, "csv", str(tmp_path))
    assert victim.read_bytes() == b"edited by hand\n"


def test_focus_export_is_conformant_and_reconciles(demo, month, tmp_path):
    manifest = exports.export(demo["db"], month, "focus", str(tmp_path))
    data = _files(manifest)[manifest["files"][0]["name"]]
    assert check_csv(data) == []
    rows = _rows(data)
    total = sum(Decimal(r["EffectiveCost"]) for r in rows)
    usage = sum(Decimal(r["EffectiveCost"]) for r in rows if r["ChargeCategory"] == "Usage")
    assert usage == _ledger_total(demo["db"], month)  # exact: API tokens + allocated GPU hours
    meters = {r["SkuMeter"] for r in rows}
    assert {"Input Tokens", "Output Tokens", "GPU Hours"} <= meters
    gpu = [r for r in rows if r["SkuMeter"] == "GPU Hours"]
    assert all(r["AllocatedMethodId"] == "tokenomics:tokens:proportional" and r["x_GpuType"] for r in gpu)
    assert json.loads(gpu[0]["AllocatedMethodDetails"])["Elements"][0]["UsageUnit"] == "Tokens"
    token_row = next(r for r in rows if r["SkuMeter"] == "Output Tokens")
    assert token_row["ConsumedUnit"] == "Tokens" and token_row["PricingUnit"] == "1000000 Tokens"
    assert json.loads(token_row["SkuPriceDetails"])["x_Model"]
    assert manifest["totals"]["EffectiveCost"] == exports.fmt(total)


def test_same_period_same_bytes_and_no_rewrite(demo, month, tmp_path):
    first = exports.export(demo["db"], month, "focus", str(tmp_path / "a"))
    target = Path(first["location"])
    stamps = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    second = exports.export(demo["db"], month, "focus", str(tmp_path / "a"))
    other = exports.export(demo["db"], month, "focus", str(tmp_path / "b"))
    assert first == {**second, "location": first["location"]} and second["location"] == first["location"]
    assert {p.name: p.stat().st_mtime_ns for p in target.iterdir()} == stamps  # idempotent: nothing rewritten
    for name in [f["name"] for f in first["files"]] + ["manifest.json"]:
        assert (target / name).read_bytes() == (Path(other["location"]) / name).read_bytes()
    for f in first["files"]:
        assert hashlib.sha256((target / f["name"]).read_bytes()).hexdigest() == f["sha256"]
    assert not [p for p in target.iterdir() if ".tmp-" in p.name]


def test_conformance_catches_what_it_must():
    good = exports.csv_bytes(["BilledCost"], [[Decimal(1)]])
    assert any("MUST be present" in p for p in check_csv(good))


def test_conformance_checks_values(demo, month):
    start, end = exports.period_bounds(month)
    header, rows = exports._query(demo["db"], "focus", start=start, period_end=end, driver="tokens",
                                  idle_policy="proportional")
    row = dict(zip(header, [exports.fmt(v) for v in rows[0]]))
    broken = [dict(row, ChargeCategory="Spend"), dict(row, ListCost="999"), dict(row, Tags="[1]"),
              dict(row, ChargePeriodStart="2026-10-01 00:00:00")]
    problems = " | ".join(p for b in broken for p in __import__("tokenomics.focus_conformance",
                                                                fromlist=["check_rows"]).check_rows(header, [b]))
    for expected in ("ChargeCategory: MUST be one of", "ListCost: MUST equal", "Tags: MUST be a JSON object",
                     "ChargePeriodStart: MUST be ISO 8601"):
        assert expected in problems


def test_export_to_s3_over_http_is_idempotent(demo, month, s3_endpoint):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="finance")
    first = exports.export(demo["db"], month, "csv", "s3://finance/tokenomics/exports")
    prefix = first["location"].split("/", 3)[3] + "/"
    assert prefix.startswith(f"tokenomics/exports/{month}-csv-tokens-proportional-")
    name = first["files"][0]["name"]
    listed = {o["Key"]: o for o in s3.list_objects_v2(Bucket="finance", Prefix=prefix)["Contents"]}
    assert set(listed) == {prefix + n for n in (name, "SHA256SUMS", "manifest.json")}
    body = s3.get_object(Bucket="finance", Key=prefix + name)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == first["files"][0]["sha256"]
    second = exports.export(demo["db"], month, "csv", "s3://finance/tokenomics/exports")
    again = {o["Key"]: o for o in s3.list_objects_v2(Bucket="finance", Prefix=prefix)["Contents"]}
    assert first["files"] == second["files"]
    assert {k: o["LastModified"] for k, o in again.items()} == {k: o["LastModified"] for k, o in listed.items()}


def test_cli_export_and_errors(demo, month, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(demo["db"]), "export", "--period", month,
                         "--format", "csv", "--dest", str(tmp_path)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "tenant-spend" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(demo["db"]), "export", "--period", "2026-13",
                          "--dest", str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr

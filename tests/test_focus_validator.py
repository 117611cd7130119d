"""The FinOps Foundation's own validator (focus-validator 2.2.1, its bundled FOCUS 1.2 model) on a demo export:
zero FAIL.

It needs Python 3.12 (pyenv provides it on this machine kind) and pins numpy<2, so it gets a venv of its own
(uv, from the package registry); it opens rules/currency_codes.csv relative to the working directory, so it
runs from its site-packages folder; --block-download keeps it offline.

It runs with the applicability criteria our data meets (APPLICABLE), so the rules behind them are checked
rather than skipped as "not applicable", and with one correction to the bundled model (see corrected_model):
InvoiceId-C-004-C ("InvoiceId MUST be null when the charge is not associated either with an invoice or with a
pre-generated provisional invoice") and InvoiceId-C-005-C ("InvoiceId MUST NOT be null when the charge is
associated with either an issued invoice or a pre-generated provisional invoice") have an empty Condition, so the
validator runs them over every row as `InvoiceId IS NULL` and `InvoiceId IS NOT NULL`: whatever InvoiceId holds,
one of the two fails on any non-empty dataset (NULL fails C-005-C, a value fails C-004-C, no column fails
CostAndUsage-D-033-O and the whole InvoiceId family).  Whether a charge is on an invoice is not in the data, so the
correction types the two as Dynamic — what the same model already does for their sibling InvoiceId-C-007-C
("... when a pre-generated invoice or provisional invoice exists") — and the validator reports them SKIPPED;
tokenomics/focus_conformance.py checks the part only we know (our rows are on no invoice: NULL)."""

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tokenomics import exports
from tokenomics.focus_conformance import check_csv

PYTHON312 = Path.home() / ".pyenv" / "versions" / "3.12.1" / "bin" / "python"
MODEL = "model-1.2.0.1.json"
# The provider capabilities our export exercises, each with the columns the gated rules look at.
APPLICABLE = (
    "ACCOUNT_NAMING_SUPPORTED",        # BillingAccountName
    "SUB_ACCOUNT_SUPPORTED",           # SubAccountId/Name: the tenant
    "USAGE_MEASUREMENT_SUPPORTED",     # ConsumedQuantity/Unit: tokens, GPU hours
    "UNIT_PRICING_SUPPORTED",          # SkuId, SkuPriceId, SkuMeter, SkuPriceDetails, unit prices
    "PUBLIC_PRICE_LIST_SUPPORTED",     # ListUnitPrice from the vendors' published prices
    "NEGOTIATED_PRICING_SUPPORTED",    # ContractedUnitPrice: contract discounts
    "RESOURCE_TYPE_ASSIGNMENT_SUPPORTED",  # ResourceType
    "BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED",  # self-hosted GPU deployments, billed by the hour
    "TAGGING_SUPPORTED",               # Tags
)
# Left out, as our data has none of it: availability zones, regions, capacity reservations, commitment discounts,
# several billing account / sub account types or pricing categories, pricing ≠ billing currency, virtual currency.
NOT_FROM_DATA = {"InvoiceId-C-004-C": "CheckValue", "InvoiceId-C-005-C": "CheckNotValue"}


@pytest.fixture(scope="module")
def validator(tmp_path_factory) -> Path:
    if not PYTHON312.exists():
        pytest.skip(f"focus-validator 2.x needs Python 3.12; {PYTHON312} is not installed here")
    venv = tmp_path_factory.mktemp("focus-validator") / "venv"
    uv = [shutil.which("uv")] if shutil.which("uv") else ["python3", "-m", "uv"]  # the README's setup installs it
    subprocess.run([*uv, "venv", "-q", "-p", str(PYTHON312), str(venv)], check=True)
    subprocess.run([*uv, "pip", "install", "-q", "-p", str(venv), "focus-validator==2.2.1", "pyarrow==22.0.0"],
                   check=True, timeout=600)
    return venv


def _site(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.12/site-packages"))


@pytest.fixture(scope="module")
def corrected_model(validator, tmp_path_factory) -> Path:
    """A rule folder holding the bundled model with InvoiceId-C-004-C/C-005-C typed Dynamic, nothing else changed.
    If the bundled rules no longer are the unconditional pair, the correction is refused: drop it then."""
    model = json.loads((_site(validator) / "focus_validator" / "rules" / MODEL).read_text())
    for rule_id, check in NOT_FROM_DATA.items():
        rule = model["ModelRules"][rule_id]
        criteria = rule["ValidationCriteria"]
        assert (rule["Type"], rule["ApplicabilityCriteria"], criteria["Condition"], criteria["Requirement"]) == (
            "Static", [], {}, {"CheckFunction": check, "ColumnName": "InvoiceId", "Value": None}), (
            f"the bundled {rule_id} changed ({criteria}): re-check whether the correction is still needed")
        rule["Type"] = "Dynamic"
    assert model["ModelRules"]["InvoiceId-C-007-C"]["Type"] == "Dynamic"  # the precedent the correction follows
    folder = tmp_path_factory.mktemp("focus-rules")
    (folder / MODEL).write_text(json.dumps(model))
    return folder


def _validate(venv: Path, rules: Path, data: Path) -> tuple[dict, set, str]:
    run = subprocess.run([str(venv / "bin" / "focus-validator"), "--data-file", str(data), "--validate-version", "1.2",
                          "--block-download", "--rule-set-path", str(rules), "--applicability-criteria",
                          ",".join(APPLICABLE), "--output-type", "console"], cwd=_site(venv),
                         capture_output=True, text=True, timeout=900, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    output = run.stdout + run.stderr
    summary = re.search(r"Total: (\d+) \| Pass: (\d+) \| Fail: (\d+) \| Skipped: (\d+)", output)
    assert summary, output[-3000:]
    counts = dict(zip(("total", "pass", "fail", "skipped"), map(int, summary.groups())))
    return counts, set(re.findall(r"❌ (\S+): FAIL", output)), output


def _export(demo, tmp_path) -> Path:
    done = exports.export(demo["db"], "2026-11", "focus", str(tmp_path))
    return Path(done["location"]) / done["files"][0]["name"]


def test_the_official_validator_finds_no_failure(demo, validator, corrected_model, tmp_path):
    counts, failed, output = _validate(validator, corrected_model, _export(demo, tmp_path))
    assert counts["fail"] == 0 and not failed, (sorted(failed), output[-3000:])
    assert counts["pass"] >= 250, counts  # 254 with 2.2.1: the criteria above turn ~120 skips into checks
    for rule in ("InvoiceId-C-000-O", "PricingUnit-C-000-M", "SkuPriceId-C-000-C", "ConsumedQuantity-C-000-C",
                 "ContractedUnitPrice-C-000-C", "SubAccountId-C-000-C", "Tags-C-000-C"):
        assert f"✅ {rule}: PASS" in output, rule
    for rule in NOT_FROM_DATA:
        assert re.search(rf"⏭️ {rule}: SKIPPED .*validation is dynamic", output), rule


def _rewrite(data: Path, name: str, change) -> Path:
    """A copy of the export with change(row) applied to every row (csv in and out: JSON cells hold commas)."""
    with open(data, newline="") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, [change(dict(r)) for r in reader]
    out = data.with_name(name)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_the_official_validator_still_catches_a_bad_row(demo, validator, corrected_model, tmp_path):
    """Mutation check: a PricingUnit outside the FOCUS unit format ('1M Tokens', what we used to write) fails, and so
    does a consumed quantity on a row whose ChargeCategory is not Usage (a cross-column, conditional rule)."""
    bad = _rewrite(_export(demo, tmp_path), "focus-bad.csv", lambda r: {
        **r, "PricingUnit": r["PricingUnit"].replace("1000000 Tokens", "1M Tokens"),
        "ChargeCategory": "Purchase" if r["SkuMeter"] == "GPU Hours" else r["ChargeCategory"]})
    _, failed, output = _validate(validator, corrected_model, bad)
    assert {"PricingUnit-C-003-O", "ConsumedQuantity-C-004-C"} <= failed, (sorted(failed), output[-3000:])


def test_our_self_check_covers_what_the_validator_cannot(demo, tmp_path):
    """InvoiceId: only we know our rows are on no invoice, so tokenomics/focus_conformance.py requires NULL."""
    data = _export(demo, tmp_path)
    assert check_csv(data.read_bytes()) == []
    invoiced = _rewrite(data, "focus-invoiced.csv", lambda r: {**r, "InvoiceId": "tokenomics-2026-11-acme-v1"})
    assert any(p.startswith("InvoiceId: MUST be null") for p in check_csv(invoiced.read_bytes()))

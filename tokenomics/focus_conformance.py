"""FOCUS 1.3 conformance checks the export runs before it writes anything.

The FinOps Foundation's focus-validator (2.x, the release that knows FOCUS 1.3) needs Python ≥ 3.12
and downloads the 1.3 rule model from GitHub, neither of which this project can rely on at export time;
these checks encode the 1.3 Cost and Usage requirements our rows exercise, each tied to the column's spec
text.  The tests also run focus-validator 2.2.1 with its bundled 1.2 model (tests/test_focus_validator.py,
docs/focus.md).
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal, InvalidOperation

# Columns a FOCUS 1.3 Cost and Usage dataset carries (Mandatory, plus the Conditional/Recommended ones
# this data generator supports).  Deprecated 1.3 columns ProviderName/PublisherName are kept for readers
# on older versions, next to their replacements ServiceProviderName/HostProviderName.
REQUIRED = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "ConsumedQuantity", "ConsumedUnit",
    "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingCurrency", "PricingQuantity", "PricingUnit", "ResourceId",
    "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter",
    "SkuPriceDetails", "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType", "Tags",
    "AllocatedMethodId", "AllocatedMethodDetails", "ContractApplied", "ServiceProviderName", "HostProviderName",
)
NOT_NULL = ("BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
            "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost",
            "InvoiceIssuerName", "ListCost", "ServiceCategory", "ServiceName", "ServiceProviderName",
            "ChargeFrequency", "ChargeDescription")
DECIMALS = ("BilledCost", "ConsumedQuantity", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "ListCost",
            "ListUnitPrice", "PricingQuantity", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
            "PricingCurrencyListUnitPrice")
ENUMS = {
    "ChargeCategory": {"Usage", "Purchase", "Tax", "Credit", "Adjustment"},
    "ChargeFrequency": {"One-Time", "Recurring", "Usage-Based"},
    "PricingCategory": {"Standard", "Dynamic", "Committed", "Other"},
    "ServiceCategory": {"AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases",
                        "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things",
                        "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security",
                        "Storage", "Web", "Other"},
}
JSON_OBJECTS = ("SkuPriceDetails", "Tags", "AllocatedMethodDetails", "ContractApplied")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
CURRENCY = re.compile(r"[A-Z]{3}")


def _dec(v: str) -> Decimal | None:
    try:
        return Decimal(v) if v != "" else None
    except InvalidOperation:
        return None


def check_rows(header: list[str], rows: list[dict]) -> list[str]:
    """Every violation found, as 'Column: requirement (first offending row)'; empty when conformant."""
    problems = [f"{c}: MUST be present" for c in REQUIRED if c not in header]
    problems += [f"{c}: custom columns MUST be prefixed x_" for c in header
                 if c not in REQUIRED and not c.startswith("x_") and c not in _OPTIONAL_STANDARD]
    if problems:
        return problems

    def first(pred, msg):
        for n, r in enumerate(rows, start=2):
            if pred(r):
                problems.append(f"{msg} (line {n})")
                return

    for c in NOT_NULL:
        first(lambda r, c=c: r[c] == "", f"{c}: MUST NOT be null")
    for c in DECIMALS:
        first(lambda r, c=c: r.get(c, "") != "" and _dec(r[c]) is None, f"{c}: MUST be a decimal")
    for c, allowed in ENUMS.items():
        first(lambda r, c=c, a=allowed: r[c] != "" and r[c] not in a, f"{c}: MUST be one of {sorted(allowed)}")
    for c in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
        first(lambda r, c=c: r[c] != "" and not DATETIME.fullmatch(r[c]), f"{c}: MUST be ISO 8601 UTC (…Z)")
    for c in ("BillingCurrency", "PricingCurrency"):
        first(lambda r, c=c: r[c] != "" and not CURRENCY.fullmatch(r[c]), f"{c}: MUST be an ISO 4217 code")
    for c in JSON_OBJECTS:
        first(lambda r, c=c: r[c] != "" and not _json_object(r[c]), f"{c}: MUST be a JSON object")
    first(lambda r: r["ChargePeriodStart"] >= r["ChargePeriodEnd"], "ChargePeriodStart: MUST be before ChargePeriodEnd")
    first(lambda r: not (r["BillingPeriodStart"] <= r["ChargePeriodStart"] < r["BillingPeriodEnd"]),
          "ChargePeriodStart: MUST fall inside the billing period")
    first(lambda r: _dec(r["ListUnitPrice"]) is not None and _dec(r["PricingQuantity"]) is not None
          and abs(_dec(r["ListUnitPrice"]) * _dec(r["PricingQuantity"]) - _dec(r["ListCost"])) > Decimal("1e-6"),
          "ListCost: MUST equal ListUnitPrice x PricingQuantity")
    first(lambda r: _dec(r["ContractedUnitPrice"]) is not None and _dec(r["PricingQuantity"]) is not None
          and abs(_dec(r["ContractedUnitPrice"]) * _dec(r["PricingQuantity"]) - _dec(r["ContractedCost"]))
          > Decimal("1e-6"), "ContractedCost: MUST equal ContractedUnitPrice x PricingQuantity")
    first(lambda r: r["ChargeCategory"] == "Usage" and r["SkuPriceId"] == "", "SkuPriceId: MUST NOT be null for usage")
    # InvoiceId (since 1.2; FOCUS_Spec datasets/cost_and_usage/columns/invoiceid.md): "the invoice-issuer-assigned
    # identifier for an invoice encapsulating charges ... for a given billing account"; it "MUST be null when the
    # charge is not associated either with an invoice or with a pre-generated provisional invoice", and "the sum of
    # BilledCost for a given InvoiceId MUST match the sum of the payable amount provided in the corresponding
    # invoice with the same id generated by the InvoiceIssuerName".  Our rows are chargeback lines priced from usage
    # logs and our catalogue, on no invoice of their InvoiceIssuerName (the vendor, whose invoice ids we never see);
    # a Tokenomics statement is not that invoice (it spans several BillingAccountIds, and InvoiceId belongs to one).
    # So: NULL.  The official validator cannot tell (tests/test_focus_validator.py), this check can.
    first(lambda r: r["InvoiceId"] != "", "InvoiceId: MUST be null (these charges are on no invoice of the issuer)")
    first(lambda r: (r["ConsumedQuantity"] == "") != (r["ConsumedUnit"] == ""),
          "ConsumedUnit: MUST be set exactly when ConsumedQuantity is")
    first(lambda r: (r["AllocatedMethodId"] == "") != (r["AllocatedMethodDetails"] == ""),
          "AllocatedMethodDetails: MUST accompany AllocatedMethodId")
    first(lambda r: r["AllocatedMethodDetails"] != "" and not _allocation_ok(r["AllocatedMethodDetails"]),
          "AllocatedMethodDetails: Elements[*].AllocatedRatio MUST be a number in [0, 1]")
    return problems


_OPTIONAL_STANDARD = {"AvailabilityZone", "CapacityReservationId", "CapacityReservationStatus",
                      "CommitmentDiscountCategory", "CommitmentDiscountId", "CommitmentDiscountName",
                      "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType",
                      "CommitmentDiscountUnit", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
                      "PricingCurrencyListUnitPrice", "ProviderName", "PublisherName", "RegionId", "RegionName",
                      "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags"}


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _allocation_ok(text: str) -> bool:
    elements = json.loads(text).get("Elements")
    return isinstance(elements, list) and elements and all(
        isinstance(e.get("AllocatedRatio"), (int, float)) and 0 <= e["AllocatedRatio"] <= 1 for e in elements)


def check_csv(data: bytes) -> list[str]:
    reader = csv.DictReader(io.StringIO(data.decode(), newline=""))
    rows = list(reader)
    return check_rows(reader.fieldnames or [], rows)

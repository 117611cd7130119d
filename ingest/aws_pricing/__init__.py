"""AWS Price List API (boto3 `pricing` get_products, service AmazonEC2) → effective-dated $/GPU-hour rows.

Pull: `tokenomics ingest aws-pricing awspricing://us-east-1[,eu-west-1]` asks the Price List API (its
endpoint lives in us-east-1; AWS_ENDPOINT_URL points boto3 elsewhere) for every GPU instance type in
instances.yaml, Linux / shared tenancy / no pre-installed software / capacity "Used", page by page.
Files: `*.pricelist.json` holds saved get_products responses ({"PriceList": [...]}, or a list of them).

Each PriceList entry (a JSON document as a string) is one input record.  It becomes one gpu_rates row per
term: OnDemand → kind on_demand; Reserved 1yr/3yr → kind reserved, with any upfront fee spread over the
term's hours.  $/GPU-hour = instance $/hour ÷ GPUs, rounded half-even to 6 decimals (the column's scale).
rate_ref = aws:<region>:<instance>:<term> (term: on-demand, or e.g. 1yr-standard-no-upfront), valid from
the term's effectiveDate.  An entry that is not a priced GPU instance is quarantined with the reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from tokenomics.ingest.records import Candidate, validate
from tokenomics.ingest.runner import Counts, LoadContext, Source, quarantine_rows, register
from tokenomics.records import GpuRate

HOURS = {"1yr": Decimal(8760), "3yr": Decimal(26280)}
CANONICAL = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used"}
SIX_PLACES = Decimal("0.000001")


@lru_cache(maxsize=1)
def instances() -> dict[str, dict]:
    return yaml.safe_load((Path(__file__).parent / "instances.yaml").read_text())["instances"]


@dataclass(frozen=True)
class _Term:
    name: str
    kind: str
    hours: Decimal  # hours the upfront fee is spread over (1 for on-demand: no fee)
    effective: datetime
    hourly: Decimal
    upfront: Decimal


def rates_of(item: dict) -> list[GpuRate]:
    """The gpu_rates rows one PriceList product implies (raises ValueError with the reason when none)."""
    attrs = (item.get("product") or {}).get("attributes") or {}
    instance = attrs.get("instanceType")
    known = instances().get(instance)
    if known is None:
        raise ValueError(f"instance type {instance!r} is not a GPU instance in ingest/aws_pricing/instances.yaml")
    off = {k: attrs.get(k) for k, v in CANONICAL.items() if attrs.get(k) != v}
    if off:
        raise ValueError(f"not the canonical Linux/shared/on-demand-capacity product: {off}")
    gpus = int(attrs.get("gpu") or known["gpus"])
    region = attrs.get("regionCode") or attrs.get("location")
    rows = []
    for term in _terms(item.get("terms") or {}):
        per_instance = term.hourly + term.upfront / term.hours
        rows.append(GpuRate(
            rate_ref=f"aws:{region}:{instance}:{term.name}", gpu_type=known["gpu_type"], kind=term.kind,
            usd_per_gpu_hour=(per_instance / gpus).quantize(SIX_PLACES, ROUND_HALF_EVEN),
            valid_from=term.effective))
    if not rows:
        raise ValueError(f"{instance}: no OnDemand or Reserved term with a USD hourly price")
    return rows


def _terms(terms: dict) -> list[_Term]:
    found = []
    for kind_key, kind in (("OnDemand", "on_demand"), ("Reserved", "reserved")):
        for term in (terms.get(kind_key) or {}).values():
            hourly, upfront = Decimal(0), Decimal(0)
            has_hourly = False
            for dim in (term.get("priceDimensions") or {}).values():
                usd = Decimal(str((dim.get("pricePerUnit") or {})["USD"]))
                if dim.get("unit") == "Hrs":
                    hourly, has_hourly = hourly + usd, True
                elif dim.get("unit") == "Quantity":
                    upfront += usd
            if not has_hourly:
                continue
            effective = datetime.fromisoformat(term["effectiveDate"].replace("Z", "+00:00")).astimezone(timezone.utc)
            if kind == "on_demand":
                found.append(_Term("on-demand", kind, Decimal(1), effective, hourly, Decimal(0)))
                continue
            a = term.get("termAttributes") or {}
            length = a.get("LeaseContractLength")
            if length not in HOURS:
                continue
            option = str(a.get("PurchaseOption", "")).lower().replace(" ", "-")
            name = f"{length}-{str(a.get('OfferingClass', 'standard')).lower()}-{option}"
            found.append(_Term(name, kind, HOURS[length], effective, hourly, upfront))
    return found


def load_products(con, items: list, ctx: LoadContext) -> Counts:
    """Validate every PriceList entry and insert new (rate_ref, valid_from) rows; identical ones are duplicates."""
    candidates = [Candidate(i + 1, raw, lambda raw=raw: rates_of(json.loads(raw) if isinstance(raw, str) else raw))
                  for i, raw in enumerate(items)]
    good, counts = validate(candidates, ctx, con)
    for cand, rows in good:
        fresh, conflicts = 0, []
        for row in rows:
            existing = con.execute("SELECT usd_per_gpu_hour FROM gpu_rates WHERE rate_ref = ? AND valid_from = ?",
                                   [row.rate_ref, row.valid_from]).fetchone()
            if existing is None:
                con.execute("INSERT INTO gpu_rates (rate_ref, gpu_type, kind, usd_per_gpu_hour, valid_from, valid_to,"
                            " run_id) VALUES (?, ?, ?, ?, ?, NULL, ?)",
                            [row.rate_ref, row.gpu_type, row.kind, row.usd_per_gpu_hour, row.valid_from, ctx.run_id])
                fresh += 1
            elif existing[0] != row.usd_per_gpu_hour:
                conflicts.append(f"{row.rate_ref} from {row.valid_from:%Y-%m-%d}: {row.usd_per_gpu_hour} differs from "
                                 f"{existing[0]} already loaded")
        if conflicts:
            counts.quarantined += quarantine_rows(con, ctx, [(cand.line_no, cand.raw if isinstance(cand.raw, str)
                                                              else json.dumps(cand.raw), "; ".join(conflicts))])
        elif fresh:
            counts.loaded += 1
        else:
            counts.duplicate += 1
    return counts


def load_file(con, path: Path, ctx: LoadContext) -> Counts:
    """Saved get_products responses: one response object, or a list of them."""
    doc = json.loads(path.read_text())
    pages = doc if isinstance(doc, list) else [doc]
    if not all(isinstance(p, dict) and isinstance(p.get("PriceList"), list) for p in pages):
        raise ValueError("expected get_products responses: objects with a PriceList array")
    return load_products(con, [item for page in pages for item in page["PriceList"]], ctx)


def pull(con, url: str, ctx: LoadContext) -> Counts:
    """awspricing://REGION[,REGION…]: every GPU instance type's products, through boto3's paginator."""
    import boto3
    from botocore.config import Config

    regions = [r for r in url.split("://", 1)[1].strip("/").split(",") if r]
    if not regions:
        raise ValueError("name at least one region: awspricing://us-east-1")
    client = boto3.client("pricing", region_name="us-east-1",
                          config=Config(retries={"max_attempts": 8, "mode": "standard"}))
    paginator = client.get_paginator("get_products")
    total = Counts()
    for region in regions:
        for instance in instances():
            filters = [{"Type": "TERM_MATCH", "Field": f, "Value": v}
                       for f, v in {**CANONICAL, "regionCode": region, "instanceType": instance}.items()]
            items = [item for page in paginator.paginate(ServiceCode="AmazonEC2", Filters=filters,
                                                         FormatVersion="aws_v1", PaginationConfig={"PageSize": 100})
                     for item in page["PriceList"]]
            con.execute("BEGIN TRANSACTION")
            try:
                counts = load_products(con, items, ctx)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            total.add(counts)
    return total


register(Source("aws-pricing", load_file, ("*.pricelist.json",),
                "AWS Price List API get_products (EC2 GPU instances) → $/GPU-hour; awspricing://REGION or saved pages",
                pull=pull))

"""$/GPU-hour tiers for the what-if model: public on-demand / reserved snapshots and owned TCO."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from tokenomics.pricing.perf.catalogue import catalogue
from tokenomics.pricing.perf.names import TIERS

HOURS_PER_YEAR = Decimal(8760)


def owned_usd_per_gpu_hour(gpu_id: str) -> Decimal:
    """Amortised purchase + power: price / (years x 8760) + TDP x utilisation x $/kWh x PUE."""
    prices = catalogue().prices
    d = {k: Decimal(str(v)) for k, v in prices["owned_defaults"].items()}
    gpu = catalogue().gpus[gpu_id]
    capex = Decimal(str(prices["gpus"][gpu_id]["purchase_usd"])) / (d["amortisation_years"] * HOURS_PER_YEAR)
    power = Decimal(str(gpu.tdp_w)) / 1000 * d["power_utilisation"] * d["usd_per_kwh"] * d["pue"]
    return (capex + power).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def usd_per_gpu_hour(gpu_id: str, tier: str = "on_demand") -> Decimal:
    """The catalogue's $/GPU-hour for a tier (exact decimal)."""
    if tier == "owned":
        return owned_usd_per_gpu_hour(gpu_id)
    if tier not in TIERS:
        raise ValueError(f"unknown price tier {tier!r}; choose one of {', '.join(TIERS)}")
    return Decimal(str(catalogue().prices["gpus"][gpu_id][tier]))


def tier_table() -> list[dict]:
    """Every GPU's price in every tier, for the page's rate table."""
    return [{"gpu": gpu_id, **{tier: usd_per_gpu_hour(gpu_id, tier) for tier in TIERS}}
            for gpu_id in catalogue().prices["gpus"]]

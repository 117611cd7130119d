"""Where the fitted coefficients live and how a regime finds its set: shared by the fit (which writes them) and
the model (which reads them), so neither imports the other for it."""

from __future__ import annotations

from pathlib import Path

COEFFICIENTS = Path(__file__).parent / "data" / "coefficients.json"


def lookup(sets: dict, key: str) -> list[float]:
    """The most specific fitted set for a key: engine-specific, else pooled over engines, else agg."""
    engine, klass, mode = key.split("/")
    for candidate in (key, f"*/{klass}/{mode}", f"*/{klass}/agg"):
        if candidate in sets:
            return sets[candidate]
    raise KeyError(key)

"""Rate cards: LiteLLM price catalogue snapshots and negotiated contract files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from ingest.records import Candidate, validate
from ingest.runner import Counts, LoadContext, Source, quarantine_rows, register
from pricing.catalogue import entry_rows
from tokenomics.records import Budget, ContractDiscount, CostSetting, GpuRate, RateCardRow

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_RATE_KEY = ("provider", "model", "service_tier", "min_input_tokens", "valid_from")
_PRICE_COLUMNS = tuple(f for f in RateCardRow.model_fields if f.endswith("_usd_per_mtok"))


def snapshot_date(path: Path, options: dict) -> datetime:
    """A catalogue has no dates of its own: take --valid-from, else the YYYY-MM-DD in its name."""
    text = options.get("valid_from") or (m.group(1) if (m := _DATE_IN_NAME.search(path.name)) else None)
    if not text:
        raise ValueError(f"{path.name}: no effective date; name it *_YYYY-MM-DD.json or pass --valid-from")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _insert_rate_rows(con, ctx: LoadContext, rows: list[tuple[int | None, dict, RateCardRow]]) -> Counts:
    """Insert new rate-card rows; identical re-publications are duplicates, changed ones conflicts."""
    counts, bad = Counts(), []
    for line_no, raw, row in rows:
        existing = con.execute(
            f"SELECT {', '.join(_PRICE_COLUMNS)} FROM rate_cards WHERE provider = ? AND model = ?"
            " AND service_tier = ? AND min_input_tokens = ? AND valid_from = ?",
            [row.provider, row.model, row.service_tier.value, row.min_input_tokens, row.valid_from],
        ).fetchone()
        prices = tuple(getattr(row, c) for c in _PRICE_COLUMNS)
        if existing is None:
            con.execute(
                "INSERT INTO rate_cards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [row.provider, row.model, row.service_tier.value, row.min_input_tokens, row.valid_from,
                 row.valid_to, *prices, row.source, ctx.run_id],
            )
            counts.loaded += 1
        elif tuple(existing) == prices:
            counts.duplicate += 1
        else:
            bad.append((line_no, json.dumps(raw), "prices differ from the card already loaded for this key and "
                        "valid_from; publish a correction with a new valid_from"))
    counts.quarantined += quarantine_rows(con, ctx, bad)
    return counts


def load_litellm_catalogue(con, path: Path, ctx: LoadContext) -> Counts:
    """Each catalogue entry is one input record; it may expand to several tier rows."""
    valid_from = snapshot_date(path, ctx.options)
    catalogue = json.loads(path.read_text())
    if not isinstance(catalogue, dict):
        raise ValueError("a LiteLLM price catalogue is a JSON object keyed by model")
    candidates = [
        Candidate(None, {key: entry}, lambda key=key, entry=entry: entry_rows(key, entry, valid_from, "litellm:" + path.name))
        for key, entry in catalogue.items()
    ]
    good, counts = validate(candidates, ctx, con)
    for cand, rows in good:
        if not rows:
            counts.quarantined += quarantine_rows(con, ctx, [(None, json.dumps(cand.raw), "entry lists no token prices")])
            continue
        sub = _insert_rate_rows(con, ctx, [(None, cand.raw, r) for r in rows])
        # one record → many rows: the record counts once, as loaded if any row was new
        if sub.loaded:
            counts.loaded += 1
        elif sub.quarantined:
            counts.quarantined += 1
        else:
            counts.duplicate += 1
    return counts


@dataclass(frozen=True)
class _Target:
    """Where one contract record type lands: its table, natural key and the value compared on reload."""

    table: str
    key: tuple[str, ...]
    value: str
    columns: tuple[str, ...]
    revisable: bool = False  # a new value for an existing key replaces it (budgets, settings)


_CONTRACT_TARGETS: dict[type, _Target] = {
    ContractDiscount: _Target("contract_discounts", ("contract_id", "provider", "model_pattern", "valid_from"),
                              "discount_pct", ("contract_id", "provider", "model_pattern", "discount_pct",
                                               "valid_from", "valid_to")),
    GpuRate: _Target("gpu_rates", ("rate_ref", "valid_from"), "usd_per_gpu_hour",
                     ("rate_ref", "gpu_type", "kind", "usd_per_gpu_hour", "valid_from", "valid_to", "usd_per_kwh",
                      "pue")),
    Budget: _Target("budgets", ("tenant", "month"), "budget_usd", ("tenant", "month", "budget_usd"), revisable=True),
    CostSetting: _Target("cost_settings", ("key",), "value", ("key", "value"), revisable=True),
}
_CONTRACT_SECTIONS = {"discounts": ContractDiscount, "gpu_rates": GpuRate, "budgets": Budget}


def load_contracts(con, path: Path, ctx: LoadContext) -> Counts:
    """Contract YAML: `discounts` (% off list) and `gpu_rates` ($/GPU-hour), effective-dated; `budgets`
    (tenant x month) and `settings` (cost-model tunables), revisable."""
    doc = yaml.safe_load(path.read_text()) or {}
    candidates = [Candidate(None, item, lambda item=item, m=model: [m(**item)])
                  for section, model in _CONTRACT_SECTIONS.items() for item in doc.get(section) or []]
    candidates += [Candidate(None, {"key": k, "value": v}, lambda k=k, v=v: [CostSetting(key=k, value=v)])
                   for k, v in (doc.get("settings") or {}).items()]
    good, counts = validate(candidates, ctx, con)
    for _, (record,) in good:
        t = _CONTRACT_TARGETS[type(record)]
        where = " AND ".join(f"{k} = ?" for k in t.key)
        existing = con.execute(f"SELECT {t.value} FROM {t.table} WHERE {where}",
                               [getattr(record, k) for k in t.key]).fetchone()
        if existing is None:
            marks = ", ".join("?" for _ in range(len(t.columns) + 1))
            con.execute(f"INSERT INTO {t.table} ({', '.join(t.columns)}, run_id) VALUES ({marks})",
                        [getattr(record, c) for c in t.columns] + [ctx.run_id])
            counts.loaded += 1
        elif existing[0] == getattr(record, t.value):
            counts.duplicate += 1
        elif t.revisable:
            con.execute(f"UPDATE {t.table} SET {t.value} = ?, run_id = ? WHERE {where}",
                        [getattr(record, t.value), ctx.run_id] + [getattr(record, k) for k in t.key])
            counts.loaded += 1
        else:
            counts.quarantined += quarantine_rows(con, ctx, [(None, record.model_dump_json(), "conflicts with the "
                                                  "value already loaded for this key and valid_from")])
    return counts


register(Source("litellm-prices", load_litellm_catalogue, ("model_prices*.json",),
                "LiteLLM model_prices_and_context_window.json snapshot (effective from its date)"))
register(Source("contracts", load_contracts, ("contracts*.yaml", "contracts*.yml"),
                "Negotiated discounts and GPU-hour rates (YAML)"))

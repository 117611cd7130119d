"""Rate cards: LiteLLM price catalogue snapshots and negotiated contract files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

import pyarrow as pa
from pydantic import ValidationError

from tokenomics.ingest.records import Candidate, reason_of, validate
from tokenomics.ingest.runner import Counts, LoadContext, Source, quarantine_rows, register
from tokenomics.pricing.catalogue import entry_rows, resolve_alias
from tokenomics import audit
from tokenomics.records import (AllocationPolicy, Budget, ContractDiscount, CostSetting, GpuRate, ModelAlias,
                               RateCardRow)

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


def load_litellm_catalogue(con, path: Path, ctx: LoadContext) -> Counts:
    """Each catalogue entry is one input record; it may expand to several tier rows.

    Set-based (the real catalogue has ~5,000 entries): rows are built in Python, then compared with the
    stored cards and inserted in one statement each.  Rules for real catalogues (docs/cost_model.md):
    an alias entry (``{"alias_of": key}``) is priced as its target under its own name; keys that name
    the same (provider, model) — ``deepseek-chat`` and ``deepseek/deepseek-chat`` — keep the entry with the
    most non-zero prices (a $0 placeholder never beats a priced twin), the unprefixed key on a tie; the
    other is a duplicate when its prices are the same, else quarantined as superseded."""
    valid_from = snapshot_date(path, ctx.options)
    catalogue = json.loads(path.read_bytes())
    if not isinstance(catalogue, dict):
        raise ValueError("a LiteLLM price catalogue is a JSON object keyed by model")
    source, counts, bad = "litellm:" + path.name, Counts(read=len(catalogue)), []
    claims: dict[tuple[str, str], list[tuple[tuple, str, list[RateCardRow]]]] = {}
    for key, entry in catalogue.items():
        try:
            rows = entry_rows(key, resolve_alias(key, entry, catalogue), valid_from, source)
        except (ValidationError, ValueError, TypeError, ArithmeticError) as exc:
            bad.append((None, json.dumps({key: entry}, default=str), reason_of(exc)))
            continue
        if not rows:
            bad.append((None, json.dumps({key: entry}), "entry lists no token prices"))
            continue
        priced = sum(1 for r in rows for c in _PRICE_COLUMNS if getattr(r, c))
        claims.setdefault((rows[0].provider, rows[0].model), []).append(((priced, "/" not in key), key, rows))
    winners = []
    for claimants in claims.values():
        claimants.sort(key=lambda c: c[0], reverse=True)
        (_, first, rows), rest = claimants[0], claimants[1:]
        winners.append((first, rows))
        for _, key, other in rest:
            if [_prices(r) for r in other] == [_prices(r) for r in rows]:
                counts.duplicate += 1
            else:
                bad.append((None, json.dumps({key: catalogue[key]}), f"superseded by '{first}': same provider/model "
                            "with more non-zero prices (or the unprefixed key)"))
    counts.quarantined += quarantine_rows(con, ctx, bad)
    outcome = _insert_card_rows(con, ctx, [(key, row) for key, rows in winners for row in rows])
    for key, _ in winners:
        state = outcome.get(key, "duplicate")
        setattr(counts, state, getattr(counts, state) + 1)
    return counts


def _prices(row: RateCardRow) -> tuple:
    return (row.service_tier, row.min_input_tokens, *(getattr(row, c) for c in _PRICE_COLUMNS))


_CARD_TYPES = {"entry": pa.string(), "provider": pa.string(), "model": pa.string(), "service_tier": pa.string(),
               "min_input_tokens": pa.int64(), "valid_from": pa.timestamp("us", tz="UTC"),
               "valid_to": pa.timestamp("us", tz="UTC"), **{c: pa.decimal128(18, 6) for c in _PRICE_COLUMNS},
               "source": pa.string()}


def _insert_card_rows(con, ctx: LoadContext, rows: list[tuple[str, RateCardRow]]) -> dict[str, str]:
    """Insert the rows not stored yet in one statement; per entry: 'loaded' if any row was new, else
    'quarantined' if a row's prices differ from the stored card's (a quarantine row per such entry names
    its differing tiers, also when other tiers of it were new), else 'duplicate'."""
    if not rows:
        return {}
    columns = {name: [] for name in _CARD_TYPES}
    for key, row in rows:
        columns["entry"].append(key)
        for name in list(_CARD_TYPES)[1:]:
            value = getattr(row, name)
            columns[name].append(value.value if name == "service_tier" else value)
    con.register("_cards", pa.table({n: pa.array(v, _CARD_TYPES[n]) for n, v in columns.items()}))
    try:
        key = ", ".join(_RATE_KEY)
        same = " AND ".join(f"n.{c} IS NOT DISTINCT FROM r.{c}" for c in _PRICE_COLUMNS)
        states = con.execute(f"""
            SELECT n.entry, CASE WHEN bool_or(r.provider IS NULL) THEN 'loaded'
                                 WHEN bool_and({same}) THEN 'duplicate' ELSE 'quarantined' END,
                   string_agg(CASE WHEN r.provider IS NOT NULL AND NOT ({same})
                                   THEN n.service_tier || '@' || n.min_input_tokens END, ', ')
            FROM _cards n LEFT JOIN rate_cards r USING ({key}) GROUP BY n.entry""").fetchall()
        con.execute(f"INSERT INTO rate_cards BY NAME SELECT * EXCLUDE (entry), ? AS run_id FROM _cards"
                    f" ANTI JOIN rate_cards USING ({key})", [ctx.run_id])
    finally:
        con.unregister("_cards")
    quarantine_rows(con, ctx, [(None, json.dumps({"entry": entry, "tiers": tiers}), "prices differ from the card "
                                "already loaded for this key and valid_from; publish a correction with a new valid_from")
                               for entry, _, tiers in states if tiers])  # kept even beside new tiers
    return {entry: state for entry, state, _ in states}


@dataclass(frozen=True)
class _Target:
    """Where one contract record type lands: its table, natural key and the value compared on reload."""

    table: str
    key: tuple[str, ...]
    value: tuple[str, ...]
    columns: tuple[str, ...]
    revisable: bool = False  # a new value for an existing key replaces it (budgets, settings)


_CONTRACT_TARGETS: dict[type, _Target] = {
    ContractDiscount: _Target("contract_discounts", ("contract_id", "provider", "model_pattern", "valid_from"),
                              ("discount_pct",), ("contract_id", "provider", "model_pattern", "discount_pct",
                                               "valid_from", "valid_to")),
    GpuRate: _Target("gpu_rates", ("rate_ref", "valid_from"), ("usd_per_gpu_hour",),
                     ("rate_ref", "gpu_type", "kind", "usd_per_gpu_hour", "valid_from", "valid_to", "usd_per_kwh",
                      "pue")),
    Budget: _Target("budgets", ("tenant", "month"), ("budget_usd",), ("tenant", "month", "budget_usd"), revisable=True),
    CostSetting: _Target("cost_settings", ("key",), ("value",), ("key", "value"), revisable=True),
    ModelAlias: _Target("model_overrides", ("provider", "model"), ("card_provider", "card_model"),
                        ("provider", "model", "card_provider", "card_model"), revisable=True),
    AllocationPolicy: _Target("allocation_policies", ("month",), ("driver", "idle_policy"),
                              ("month", "driver", "idle_policy"), revisable=True),
}
_CONTRACT_SECTIONS = {"discounts": ContractDiscount, "gpu_rates": GpuRate, "budgets": Budget,
                      "model_aliases": ModelAlias, "allocation_policies": AllocationPolicy}
_AUDITED = {AllocationPolicy: "policy_changed"}  # changes finance must be able to trace: who, when, from what


def load_contracts(con, path: Path, ctx: LoadContext) -> Counts:
    """Contract YAML: `discounts` (% off list) and `gpu_rates` ($/GPU-hour), effective-dated; `budgets`
    (tenant x month), `settings` (cost-model tunables), `model_aliases` (a logged model name → the
    catalogue entry that prices it, where the resolver's rules cannot tell: Azure deployment names,
    application inference profiles) and `allocation_policies` (the official GPU cost allocation from a
    month on; each change is audited), revisable."""
    doc = yaml.safe_load(path.read_text()) or {}
    candidates = [Candidate(None, item, lambda item=item, m=model: [m(**item)])
                  for section, model in _CONTRACT_SECTIONS.items() for item in doc.get(section) or []]
    candidates += [Candidate(None, {"key": k, "value": v}, lambda k=k, v=v: [CostSetting(key=k, value=v)])
                   for k, v in (doc.get("settings") or {}).items()]
    good, counts = validate(candidates, ctx, con)
    for _, (record,) in good:
        t = _CONTRACT_TARGETS[type(record)]
        where = " AND ".join(f"{k} = ?" for k in t.key)
        existing = con.execute(f"SELECT {', '.join(t.value)} FROM {t.table} WHERE {where}",
                               [getattr(record, k) for k in t.key]).fetchone()
        value = tuple(getattr(record, v) for v in t.value)
        if type(record) in _AUDITED and tuple(existing or ()) != value:
            audit.record(con, _AUDITED[type(record)], audit.actor(), getattr(record, "month").strftime("%Y-%m"),
                         source=path.name, was=dict(zip(t.value, existing)) if existing else None,
                         now=dict(zip(t.value, value)))
        if existing is None:
            marks = ", ".join("?" for _ in range(len(t.columns) + 1))
            con.execute(f"INSERT INTO {t.table} ({', '.join(t.columns)}, run_id) VALUES ({marks})",
                        [getattr(record, c) for c in t.columns] + [ctx.run_id])
            counts.loaded += 1
        elif tuple(existing) == value:
            counts.duplicate += 1
        elif t.revisable:
            sets = ", ".join(f"{v} = ?" for v in t.value)
            con.execute(f"UPDATE {t.table} SET {sets}, run_id = ? WHERE {where}",
                        [*value, ctx.run_id] + [getattr(record, k) for k in t.key])
            counts.loaded += 1
        else:
            counts.quarantined += quarantine_rows(con, ctx, [(None, record.model_dump_json(), "conflicts with the "
                                                  "value already loaded for this key and valid_from")])
    return counts


register(Source("litellm-prices", load_litellm_catalogue, ("model_prices*.json",),
                "LiteLLM model_prices_and_context_window.json snapshot (effective from its date)"))
register(Source("contracts", load_contracts, ("contracts*.yaml", "contracts*.yml"),
                "Negotiated discounts and GPU-hour rates (YAML)"))

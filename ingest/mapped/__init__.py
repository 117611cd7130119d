"""Any gateway's request log as JSONL, CSV or Parquet, with a declared column mapping (YAML).

The mapping names, for each canonical field, the column (or JSON dot path) that holds it, plus the
provider quirk that matters most: whether "input tokens" already include cached tokens.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field

from tokenomics.ingest import known, redact
from tokenomics.ingest.records import Candidate, validate
from tokenomics.ingest.requests import land, pseudonym
from tokenomics.ingest.runner import Counts, LoadContext, Source, register
from tokenomics.records import GatewayRequest, RequestStatus, TokenBuckets

BATCH = 20_000
READERS = {"csv": "read_csv(?, all_varchar = true, header = true)", "parquet": "read_parquet(?)"}


REQUIRED = ("request_id", "start_time", "tenant", "provider", "model", "input_tokens", "output_tokens")


class Mapping(BaseModel):
    """The YAML a user writes once per log format."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern="^[a-z0-9][a-z0-9_-]*$", description="rows land as source 'mapped:<name>'")
    format: str = Field(pattern="^(jsonl|csv|parquet)$")
    columns: dict[str, str]
    input_includes_cached: bool = False
    input_includes_cache_writes: bool = False
    defaults: dict[str, str] = {}

    def model_post_init(self, _):
        missing = [f for f in REQUIRED if f not in self.columns and f not in self.defaults]
        if missing:
            raise ValueError(f"mapping lacks required fields {missing}")


def _get(row: dict, path: str):
    value = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _time(value) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp has no time zone")
        return value
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        seconds = float(value)
        if not 946684800 <= seconds <= 4102444800:  # 2000-01-01 .. 2100-01-01, as the JSON-lines sources check
            raise ValueError(f"epoch timestamp {redact.shown(value)} is out of range")
        return datetime.fromtimestamp(seconds, timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"timestamp {redact.shown(value)} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {redact.shown(value)} has no time zone")
    return parsed


def _int(value, field: str) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{field} is not an integer ({redact.shown(value)})")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field} is not an integer ({redact.shown(value)})") from None


def canonical(row: dict, m: Mapping) -> GatewayRequest:
    """One source row → GatewayRequest, with the mapping's token convention made disjoint."""
    val = lambda f: _get(row, m.columns[f]) if f in m.columns else m.defaults.get(f)  # noqa: E731
    cached, writes = _int(val("cached_input_tokens"), "cached_input_tokens"), _int(val("cache_write_tokens"),
                                                                                     "cache_write_tokens")
    total_in = _int(val("input_tokens"), "input_tokens")
    uncached = total_in - (cached if m.input_includes_cached else 0) - (writes if m.input_includes_cache_writes else 0)
    if uncached < 0:
        raise ValueError("input_tokens is smaller than the cached/cache-write tokens it is declared to include")
    output, reasoning = _int(val("output_tokens"), "output_tokens"), _int(val("reasoning_tokens"), "reasoning_tokens")
    start = _time(val("start_time"))
    latency = _int(val("latency_ms"), "latency_ms")
    end = _time(val("end_time")) if val("end_time") not in (None, "") else start + timedelta(milliseconds=latency)
    status = str(val("status") or "success").lower()
    return GatewayRequest(
        request_id=str(val("request_id") or ""), start_time=start, end_time=end, tenant=str(val("tenant") or ""),
        team=val("team"), project=val("project"), user_hash=pseudonym(val("user")), api_key_hash=pseudonym(val("api_key")),
        provider=str(val("provider") or ""), requested_model=str(val("model")), resolved_model=str(val("model")),
        deployment=val("deployment"), region=val("region"), service_tier=val("service_tier") or "standard",
        tokens=TokenBuckets(uncached_input_tokens=uncached, cache_read_tokens=cached, cache_write_5m_tokens=writes,
                            output_tokens=max(output - reasoning, 0), reasoning_tokens=reasoning),
        status=RequestStatus.SUCCESS if status in ("success", "ok", "200") else RequestStatus.FAILURE,
        latency_ms=latency or int((end - start).total_seconds() * 1000))


def load(con, path: Path, ctx: LoadContext) -> Counts:
    if "mapping" not in ctx.options:
        raise ValueError("the mapped source needs --mapping FILE (see ingest/mapped/README.md)")
    m = Mapping.model_validate(yaml.safe_load(Path(ctx.options["mapping"]).read_text()))
    total = Counts()
    batch: list[Candidate] = []
    source = f"mapped:{m.name}"
    with known.scope(con):
        # a large source: read the file's ids first and look them up once, not once per batch
        once = known.look_up_once_if_large(con, ctx.source, _file_ids(path, m, source))

        def flush():
            good, counts = validate(batch, ctx, con)
            landed = land(con, replace(ctx, source=source),
                          [(c.line_no, redact.dumps(c.raw), recs[0]) for c, recs in good], known=once)
            total.add(counts, landed)
            batch.clear()

        for line_no, row in _rows(path, m.format):
            batch.append(Candidate(line_no, _privacy_safe(row, m),
                                   lambda row=row: [_refuse_unparsable(row) or canonical(row, m)]))
            if len(batch) >= BATCH:
                flush()
        flush()
    return total


def _file_ids(path: Path, m: Mapping, source: str):
    """Fills the lookup cursor's _input_ids with the file's request ids (as canonical() reads them)."""
    column = m.columns.get("request_id")

    def ids():
        for _, row in _rows(path, m.format):
            rid = _get(row, column) if column else None
            if rid not in (None, ""):
                yield str(rid)
    return lambda cursor: known.add_ids(cursor, source, ids())


def _rows(path: Path, fmt: str):
    """(line number, row dict) — JSON lines one by one (a bad line is one bad row), tables via DuckDB."""
    if fmt == "jsonl":
        with path.open("rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw)
                except ValueError:  # also not UTF-8: the line's bytes, for its summary (never its text)
                    row = {"_unparsable": raw}
                yield line_no, row if isinstance(row, dict) else {"_not_object": raw}
        return
    reader = duckdb.connect()
    try:
        cur = reader.execute(f"SELECT * FROM {READERS[fmt]}", [str(path)])
        names = [d[0] for d in cur.description]
        line_no = 0
        while rows := cur.fetchmany(BATCH):
            for values in rows:
                line_no += 1
                yield line_no, dict(zip(names, values))
    finally:
        reader.close()


def _refuse_unparsable(row: dict):
    if "_unparsable" in row:
        raise ValueError("not valid JSON")
    if "_not_object" in row:
        raise ValueError("not a JSON object")


# What a quarantined row keeps (ingest/redact.py): the mapped columns of these canonical fields, scalars only —
# never user or api_key (identifiers), nor any column the mapping does not give one of these fields.
KEPT = ("request_id", "start_time", "end_time", "tenant", "team", "project", "provider", "model", "deployment",
        "region", "service_tier", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens",
        "reasoning_tokens", "status", "latency_ms")


def _privacy_safe(row, m: Mapping) -> dict:
    """What a quarantined row keeps: the allow-listed mapped fields, by canonical name; of a JSON line that
    does not parse or is not an object, a summary of the line (the top-level columns of its id and times)."""
    if "_unparsable" in row or "_not_object" in row:
        keys = [m.columns[f] for f in ("request_id", "start_time", "end_time", "model", "provider")
                if f in m.columns and "." not in m.columns[f]]
        return redact.summary(row.get("_unparsable") or row.get("_not_object"), keys)
    return redact.allowed({f: _get(row, m.columns[f]) for f in KEPT if f in m.columns}, KEPT)


register(Source("mapped", load, ("*.jsonl", "*.csv", "*.parquet"),
                "Any request log (JSONL/CSV/Parquet) with a --mapping YAML of canonical field -> column"))

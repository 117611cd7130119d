"""LiteLLM proxy's `LiteLLM_SpendLogs` table, read from its PostgreSQL database through SQLAlchemy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, ValidationError

from tokenomics.ingest import attribution, known
from tokenomics.ingest.jsonl import load_objects
from tokenomics.ingest.litellm import SCRIPT
from tokenomics.ingest.records import reason_of
from tokenomics.ingest.runner import Counts, LoadContext, Source, register

BATCH = 20_000
OVERLAP = timedelta(hours=1)  # re-read the last hour each pull: late commits are caught, dedupe absorbs repeats
# Only these columns are selected (those the table has: older proxies lack some): `messages`, `response` and
# `proxy_server_request` (prompt and completion text) and `requester_ip_address` are never read.
COLUMNS = ('request_id', 'call_type', 'api_key', 'spend', 'prompt_tokens', 'completion_tokens', 'startTime',
           'endTime', 'completionStartTime', 'model', 'model_group', 'model_id', 'custom_llm_provider', 'user',
           'metadata', 'cache_hit', 'cache_key', 'request_tags', 'team_id', 'organization_id', 'end_user', 'status')
# what a row's metadata JSON contributes to the payload (the rest — guardrails, model map, IP — is not read)
_METADATA = ("user_api_key_hash", "user_api_key_alias", "user_api_key_team_id", "user_api_key_org_id",
             "user_api_key_user_id", "user_api_key_team_alias", "user_api_key_end_user_id", "spend_logs_metadata",
             "usage_object", "batch_models")


class SpendLogRow(BaseModel):
    """One `LiteLLM_SpendLogs` row, turned into the StandardLoggingPayload it was written from, so it goes
    through the one LiteLLM mapping (sql/ingest/litellm_payload.sql) the JSON logs use: same model, provider,
    deployment, tier, tenant chain and checks.  Token quirk (as in the JSON logs): ``prompt_tokens`` INCLUDES
    cache reads and writes, ``completion_tokens`` INCLUDES reasoning; cache and reasoning counts live only in
    ``metadata.usage_object``.  Timestamps are ``timestamp(3)`` without zone, written in UTC by the proxy.
    ``cache_hit`` is Python's text of a flag ("True", "False", "None"); ids LiteLLM leaves unset are ""."""

    model_config = ConfigDict(extra="ignore")
    request_id: str
    call_type: str | None = None
    api_key: str | None = None
    spend: float | Decimal | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    startTime: datetime | None = None
    endTime: datetime | None = None
    completionStartTime: datetime | None = None
    model: str | None = None
    model_group: str | None = None
    model_id: str | None = None
    custom_llm_provider: str | None = None
    user: str | None = None
    metadata: dict | str | None = None
    cache_hit: str | bool | None = None
    cache_key: str | None = None
    request_tags: list | str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    end_user: str | None = None
    status: str | None = None

    def payload(self) -> dict:
        meta = _json(self.metadata, {})
        meta = {k: meta.get(k) for k in _METADATA} if isinstance(meta, dict) else {}
        for field, column in (("user_api_key_hash", self.api_key), ("user_api_key_team_id", self.team_id),
                              ("user_api_key_org_id", self.organization_id), ("user_api_key_user_id", self.user)):
            meta[field] = column or meta.get(field)  # the row's own columns win; "" means unset
        return {
            "id": self.request_id, "call_type": self.call_type, "status": self.status or "success",
            "response_cost": None if self.spend is None else str(Decimal(repr(self.spend)) if isinstance(self.spend, float)
                                                                  else self.spend),
            "startTime": _iso(self.startTime), "endTime": _iso(self.endTime),
            "completionStartTime": _iso(self.completionStartTime),
            "model": self.model, "model_group": self.model_group, "model_id": self.model_id,
            "custom_llm_provider": self.custom_llm_provider,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "cache_hit": str(self.cache_hit).lower() == "true", "cache_key": self.cache_key,
            "request_tags": _json(self.request_tags, []), "end_user": self.end_user,
            "hidden_params": {"batch_models": meta.pop("batch_models", None)}, "metadata": meta,
        }


def _json(value, empty):
    """A JSON column as PostgreSQL returns it: already decoded (jsonb), or text (json/varchar), or NULL."""
    if value is None or value == "":
        return empty
    return json.loads(value) if isinstance(value, str) else value


def _iso(value: datetime | None) -> str | None:
    """SpendLogs timestamps are UTC without a zone: say so, so the payload mapping never guesses."""
    if value is None:
        return None
    return (value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value).isoformat()


def pull(con, url: str, ctx: LoadContext) -> Counts:
    """Keyset-paginate rows newer than what we have (minus an overlap), batch by batch, one
    transaction per batch — a crash loses at most the batch in flight, and a re-run redoes it.

    The pull stops at the newest row present when it starts (later rows wait for the next pull).  Once
    this source holds PREPASS_ROWS requests (ingest/known.py) the window's ids are read first and looked
    up once, instead of every batch scanning all of the source's stored ids."""
    import sqlalchemy as sa

    since = ctx.options.get("since") or con.execute(
        "SELECT max(start_time) FROM raw_requests WHERE source = ?", [ctx.source]).fetchone()[0]
    since = (since - OVERLAP) if since else datetime(1970, 1, 1, tzinfo=timezone.utc)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_pre_ping=True)
    total, key = Counts(), (since.replace(tzinfo=None), "")
    window = '("startTime", request_id) > (:t, :id) AND ("startTime", request_id) <= (:bt, :bid)'
    newest = sa.text('SELECT "startTime", request_id FROM "LiteLLM_SpendLogs" WHERE ("startTime", request_id) > (:t, :id)'
                     ' ORDER BY "startTime" DESC, request_id DESC LIMIT 1')
    ids = sa.text(f'SELECT request_id FROM "LiteLLM_SpendLogs" WHERE {window}').execution_options(stream_results=True)
    try:
        with engine.connect() as db, known.scope(con), attribution.registered(con, ctx.options):
            present = set(sa.inspect(db).get_columns("LiteLLM_SpendLogs") and
                          [c["name"] for c in sa.inspect(db).get_columns("LiteLLM_SpendLogs")])
            selected = ", ".join(f'"{c}"' for c in COLUMNS if c in present)
            page = sa.text(f'SELECT {selected} FROM "LiteLLM_SpendLogs" WHERE {window}'
                           ' ORDER BY "startTime", request_id LIMIT :n')
            top = db.execute(newest, {"t": key[0], "id": key[1]}).first()
            if top is None:
                return total
            bound = {"bt": top[0], "bid": top[1]}
            once = known.look_up_once_if_large(con, ctx.source,
                                               _window_ids(db, ids, {"t": key[0], "id": key[1], **bound}, ctx.source))
            while True:
                rows = db.execute(page, {"t": key[0], "id": key[1], **bound, "n": BATCH}).mappings().all()
                if not rows:
                    return total
                key = (rows[-1]["startTime"], rows[-1]["request_id"])
                con.execute("BEGIN TRANSACTION")
                try:
                    counts = load_objects(con, [(f"{ctx.uri}#{r['request_id']}", _line(r)) for r in rows], ctx,
                                          SCRIPT, per_piece_lookup=not once)
                    con.execute("COMMIT")
                except Exception:
                    con.execute("ROLLBACK")
                    raise
                total.add(counts)
    finally:
        engine.dispose()


def _window_ids(db, ids, params: dict, source: str):
    """Fills the lookup cursor's _input_ids with the window's request ids, streamed from PostgreSQL.

    Rows committed in PostgreSQL after this read but inside the window are new to us: a row we stored
    was in the table when we stored it, so it is in this read (SpendLogs rows are keyed by request_id)."""
    return lambda cursor: known.add_ids(cursor, source, (rid for (rid,) in db.execute(ids, params)))


def _line(row) -> bytes:
    """One row as the compact payload line the LiteLLM script reads; a row its model cannot read keeps only
    its id and why, and the script quarantines it (no field is guessed)."""
    try:
        doc = SpendLogRow.model_validate(dict(row)).payload()
    except (ValidationError, ValueError, TypeError) as exc:
        doc = {"id": str(row.get("request_id")), "status": f"unreadable row: {reason_of(exc)}"}
    return json.dumps(doc, separators=(",", ":"), default=str).encode()


register(Source("litellm-spendlogs", lambda *a: Counts(), (), "LiteLLM_SpendLogs from the proxy's PostgreSQL "
                "(URL: postgresql://user:pass@host/db)", pull=pull))

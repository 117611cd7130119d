"""LiteLLM proxy's `LiteLLM_SpendLogs` table, read from its PostgreSQL database through SQLAlchemy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ingest import known
from ingest.records import Candidate, validate
from ingest.requests import land, pseudonym
from ingest.runner import Counts, LoadContext, Source, register
from tokenomics.records import GatewayCache, GatewayRequest, RequestStatus, TokenBuckets

BATCH = 20_000
OVERLAP = timedelta(hours=1)  # re-read the last hour each pull: late commits are caught, dedupe absorbs repeats
# Only these columns are selected: `messages`, `response` and `proxy_server_request` (prompt and
# completion text) are never read from the database.
COLUMNS = ('request_id', 'call_type', 'api_key', 'spend', 'prompt_tokens', 'completion_tokens', '"startTime"',
           '"endTime"', '"completionStartTime"', 'model', 'model_group', 'custom_llm_provider', '"user"',
           'metadata', 'cache_hit', 'request_tags', 'team_id', 'end_user', 'status')


class SpendLogRow(BaseModel):
    """One `LiteLLM_SpendLogs` row.  Token quirk (as in LiteLLM's JSON logs): ``prompt_tokens`` INCLUDES
    cache reads (``metadata.usage_object.prompt_tokens_details.cached_tokens`` or Anthropic's
    ``cache_read_input_tokens``) and cache writes (``cache_creation_input_tokens``);
    ``completion_tokens`` INCLUDES reasoning tokens.  Cache tokens live only in ``metadata.usage_object``."""

    model_config = ConfigDict(extra="ignore")
    request_id: str = Field(min_length=1)
    call_type: str | None = None
    api_key: str | None = None
    spend: float | None = None
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    startTime: datetime
    endTime: datetime
    completionStartTime: datetime | None = None
    model: str = Field(min_length=1)
    model_group: str | None = None
    custom_llm_provider: str | None = None
    user: str | None = None
    metadata: dict = {}
    cache_hit: str | None = None
    request_tags: list[str] = []
    team_id: str | None = None
    end_user: str | None = None
    status: str | None = None

    def canonical(self) -> GatewayRequest:
        usage = self.metadata.get("usage_object") or {}
        details = usage.get("prompt_tokens_details") or {}
        read = int(details.get("cached_tokens") or usage.get("cache_read_input_tokens") or 0)
        writes = int(usage.get("cache_creation_input_tokens") or 0)
        write_1h = int(((details.get("cache_creation_token_details") or {}).get("ephemeral_1h_input_tokens")) or 0)
        reasoning = int(((usage.get("completion_tokens_details") or {}).get("reasoning_tokens")) or 0)
        uncached = self.prompt_tokens - read - writes
        if uncached < 0 or reasoning > self.completion_tokens or write_1h > writes:
            raise ValueError("cache/reasoning tokens exceed the totals that include them")
        meta = self.metadata.get("spend_logs_metadata") or {}
        start, end = _utc(self.startTime), _utc(self.endTime)
        first = _utc(self.completionStartTime) if self.completionStartTime else None
        hit = str(self.cache_hit).lower() == "true"
        return GatewayRequest(
            request_id=self.request_id, start_time=start, end_time=end,
            tenant=meta.get("tenant") or self.metadata.get("user_api_key_org_id") or self.metadata.get(
                "user_api_key_team_alias") or self.team_id or "",
            team=self.metadata.get("user_api_key_team_alias") or self.team_id, project=meta.get("project"),
            user_hash=pseudonym(self.user or self.end_user), api_key_hash=pseudonym(self.api_key),
            tags=tuple(self.request_tags), provider=self.custom_llm_provider or "unknown",
            requested_model=self.model_group or self.model, resolved_model=self.model, deployment=self.model_group,
            region=meta.get("region"),
            tokens=TokenBuckets(uncached_input_tokens=uncached, cache_read_tokens=read,
                                cache_write_5m_tokens=writes - write_1h, cache_write_1h_tokens=write_1h,
                                output_tokens=self.completion_tokens - reasoning, reasoning_tokens=reasoning),
            status=RequestStatus.FAILURE if (self.status or "success") == "failure" else RequestStatus.SUCCESS,
            ttft_ms=None if first is None else max(int((first - start).total_seconds() * 1000), 0),
            latency_ms=max(int((end - start).total_seconds() * 1000), 0),
            gateway_cache=GatewayCache.EXACT if hit else GatewayCache.MISS,
            reported_cost_usd=None if self.spend is None else Decimal(repr(self.spend)))


def _utc(value: datetime) -> datetime:
    """SpendLogs timestamps are `timestamp(3)` without zone, written in UTC by the proxy."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


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
    page = sa.text(f'SELECT {", ".join(COLUMNS)} FROM "LiteLLM_SpendLogs" WHERE {window}'
                   ' ORDER BY "startTime", request_id LIMIT :n')
    ids = sa.text(f'SELECT request_id FROM "LiteLLM_SpendLogs" WHERE {window}').execution_options(stream_results=True)
    try:
        with engine.connect() as db, known.scope(con):
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
                    batch = [Candidate(None, _safe(r), lambda r=r: [SpendLogRow.model_validate(_decoded(r)).canonical()])
                             for r in rows]
                    good, counts = validate(batch, ctx, con)
                    landed = land(con, ctx, [(None, json.dumps(c.raw, default=str), recs[0]) for c, recs in good],
                                  known=once)
                    con.execute("COMMIT")
                except Exception:
                    con.execute("ROLLBACK")
                    raise
                total.add(counts, landed)
    finally:
        engine.dispose()


def _window_ids(db, ids, params: dict, source: str):
    """Fills the lookup cursor's _input_ids with the window's request ids, streamed from PostgreSQL.

    Rows committed in PostgreSQL after this read but inside the window are new to us: a row we stored
    was in the table when we stored it, so it is in this read (SpendLogs rows are keyed by request_id)."""
    return lambda cursor: known.add_ids(cursor, source, (rid for (rid,) in db.execute(ids, params)))


def _decoded(row) -> dict:
    out = dict(row)
    for field in ("metadata", "request_tags"):
        if isinstance(out.get(field), str):
            out[field] = json.loads(out[field])
    if out.get("request_tags") is None:
        out["request_tags"] = []
    if out.get("metadata") is None:
        out["metadata"] = {}
    return out


def _safe(row) -> dict:
    """A quarantined row keeps ids, counts and times — never the API key in clear."""
    return {k: v for k, v in dict(row).items() if k not in ("api_key", "metadata")}


register(Source("litellm-spendlogs", lambda *a: Counts(), (), "LiteLLM_SpendLogs from the proxy's PostgreSQL "
                "(URL: postgresql://user:pass@host/db)", pull=pull))

"""Issue 18 §3: the quarantine keeps no secrets.  Hostile lines carry canaries — a prompt, a response, an email,
a raw API key, an IP and an unsalted key hash — on every source and every failure path (valid but rejected,
a conflicting copy, truncated before and after the text, not JSON, not an object, invalid UTF-8, a broken
gzip); after ingest and a build, none of them is anywhere: not in any table of the warehouse or of its read
snapshot, not in the bytes of the warehouse file, its WAL or the snapshot file.  Rows still add up
(read = loaded + quarantined + duplicate) and each quarantined row keeps a reason and what identifies it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

import tokenomics.ingest.bedrock

from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload, write_jsonl
from tokenomics.config import serving_path
from tokenomics.warehouse import build_models, open_warehouse

PROMPT, RESPONSE = "CANARY-PROMPT-7731", "CANARY-RESPONSE-7731"
EMAIL, KEY, IP, KEY_HASH = "canary.user@example.com", "sk-CANARY7731abcdef", "203.0.113.77", "CANARYHASH7731"
CANARIES = (PROMPT, RESPONSE, EMAIL, KEY, IP, KEY_HASH)
ALL = f"{PROMPT} {RESPONSE} {EMAIL} {KEY} {IP} {KEY_HASH}"  # every canary, for free text
START = "2026-01-01T00:00:00"


def _litellm(rid: str, completion: int = 5) -> dict:
    """A LiteLLM payload with a canary in every field that may hold text, a user, a key or an IP."""
    line = payload(rid, START, "openai", "gpt-y", 10, completion, user=EMAIL)
    line["messages"] = [{"role": "user", "content": PROMPT}, {"role": "user", "content": f"mail {EMAIL} key {KEY}"}]
    line["response"] = {"choices": [{"message": {"content": RESPONSE}}]}
    line["proxy_server_request"] = {"body": {"messages": PROMPT, "user": EMAIL}, "headers": {"authorization": KEY}}
    line["api_key"], line["requester_ip_address"], line["end_user"] = KEY, IP, EMAIL
    line["error_str"] = ALL
    line["metadata"].update(user_api_key_hash=KEY_HASH, user_api_key_user_email=EMAIL, user_api_key=KEY,
                            requester_ip_address=IP, user_api_key_alias=EMAIL, headers={"x-forwarded-for": IP})
    line["cache_key"] = KEY_HASH
    return line


def _scan(con, label: str) -> list[str]:
    """Where a canary is in any table of the attached database: every value of every row, as text."""
    found = []
    tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables"
                         " WHERE table_type = 'BASE TABLE' AND table_catalog = current_database()").fetchall()
    assert tables, label
    for schema, name in tables:
        for row in con.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall():
            text = repr(row)
            found += [f"{label}:{name}: {c} in {text[:300]}" for c in CANARIES if c in text]
    return found


def _grep(path: Path) -> list[str]:
    data = path.read_bytes() if path.exists() else b""
    return [f"{path.name}: {c}" for c in CANARIES if c.encode() in data]


def _assert_no_canaries(con, db: Path) -> None:
    """Before the build: the tables and the WAL (rows as written, uncompressed); after build and close: the
    warehouse, its WAL and the read snapshot, as tables and as bytes."""
    leaks = _scan(con, "warehouse") + _grep(Path(f"{db}.wal"))
    build_models(con)
    leaks += _scan(con, "built")
    con.close()
    snapshot = serving_path(db)
    assert snapshot.exists()
    leaks += _grep(db) + _grep(Path(f"{db}.wal")) + _grep(snapshot)
    import duckdb

    snap = duckdb.connect(str(snapshot), read_only=True)
    try:
        leaks += _scan(snap, "snapshot")
    finally:
        snap.close()
    assert not leaks, "\n".join(leaks)


def _quarantine(con) -> list[tuple]:
    return con.execute("SELECT source, line_no, raw, reason FROM quarantine ORDER BY source, uri, line_no").fetchall()


def _check(results, con, loaded: int, quarantined: int, duplicate: int = 0) -> list[tuple]:
    for r in results:
        assert r.status == "loaded" and r.counts.reconciles(), r
    assert sum(r.counts.loaded for r in results) == loaded
    assert sum(r.counts.quarantined for r in results) == quarantined
    assert sum(r.counts.duplicate for r in results) == duplicate
    rows = _quarantine(con)
    assert len(rows) == quarantined
    for source, line_no, raw, reason in rows:
        assert reason and len(reason) > 8, (source, line_no, reason)   # a useful reason
        assert line_no is not None and line_no >= 1
        # an allow-listed object or a summary; nothing at all where a compressed stream broke
        assert isinstance(json.loads(raw), dict) if raw else "truncated or corrupt" in reason, raw
    return rows


def _summaries(rows) -> list[dict]:
    return [json.loads(raw) for _, _, raw, _ in rows if raw and json.loads(raw).get("text") == "not kept"]


def test_litellm_lines_and_documents_keep_no_secret(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    good = _litellm("ok1")
    text = json.dumps(_litellm("cut1"))
    cut = text.index('"messages"')
    lines = [
        good,                                                       # loaded: its canaries are never read
        _litellm("neg1", completion=-5),                            # valid but rejected
        {**_litellm("ok1"), "response_cost": 9.0},                  # the same id, new content: a conflict
        # truncated before messages: api_key and requester_ip_address come first
        json.dumps({"id": "cut0", "startTime": 1767225600, "api_key": KEY, "requester_ip_address": IP, "user": EMAIL,
                    "metadata": {"user_api_key_hash": KEY_HASH}})[:-1] + f', "messages": [{{"content": "{PROMPT}',
        text[:cut + 60],                                            # truncated just after messages began
        text[:len(text) - 40],                                      # truncated after messages and response
        json.dumps([PROMPT, RESPONSE, EMAIL, KEY, IP, KEY_HASH]),   # JSON, not an object
        ALL,                                                        # not JSON at all
        # allowed fields holding objects: dropped from the kept text (the reasons quote them: see the README)
        json.dumps({"id": "obj", "status": {"text": "NOT-A-SCALAR"}, "model": ["NOT-A-SCALAR"], "startTime": {}}),
    ]
    path = tmp_path / "hostile.jsonl"
    write_jsonl(path, lines)
    with path.open("ab") as handle:                                 # not UTF-8: the whole line with every canary
        handle.write(json.dumps(_litellm("bin1")).encode()[:-1] + b', "x": "\xff\xfe"}\n')
        handle.write(b'{"id": "bin2", "startTime": 17672256' + ALL.encode() + b"\xc3\x28\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "rejected.json").write_text(json.dumps(_litellm("doc-neg", completion=-5), indent=2))
    (docs / "truncated.json").write_text(json.dumps(_litellm("doc-cut"), indent=2)[:-60])
    (docs / "binary.json").write_bytes(json.dumps(_litellm("doc-bin"), indent=2).encode() + b"\xff")
    results = ingest_paths(con, "litellm", [path])
    results += ingest_paths(con, "litellm", sorted(docs.iterdir()))
    rows = _check(results, con, loaded=1, quarantined=len(lines) - 1 + 2 + 3)
    kept = {line_no: json.loads(raw) for source, line_no, raw, _ in rows if source == "litellm"}
    assert kept[2]["id"] == "neg1" and kept[2]["metadata.usage_object.completion_tokens"] == -5
    assert kept[3]["id"] == "ok1" and kept[3]["response_cost"] == 9.0
    assert kept[4]["id"] == "cut0" and kept[4]["startTime"] == "1767225600" and kept[4]["text"] == "not kept"
    assert kept[10]["id"] == "bin1" and kept[11]["id"] == "bin2" and "startTime" not in kept[11]  # '17672256CANARY…'
    assert kept[9] == {"id": "obj"}                                 # non-scalar values of allowed fields are dropped
    assert all(s["bytes"] > 0 and len(s["sha256"]) == 32 for s in _summaries(rows))
    _assert_no_canaries(con, db)


BEDROCK = {"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": "2026-01-01T10:15:02Z",
           "accountId": "123456789012", "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/app-acme/i-0abc"},
           "region": "us-east-1", "operation": "Converse", "modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0"}


def _bedrock(rid: str, tokens: int = 100, hostile_metadata: bool = False) -> dict:
    meta = {"tenant": "acme", "user": EMAIL}
    if hostile_metadata:  # other keys become tags when a record loads: only on records that are rejected
        meta |= {"api_key": KEY, "source_ip": IP, "note": ALL}
    return {**BEDROCK, "requestId": rid, "requestMetadata": meta,
            "input": {"inputBodyJson": {"messages": [{"role": "user", "content": [{"text": f"{PROMPT} {KEY} {IP}"}]}],
                                        "system": EMAIL}, "inputTokenCount": tokens, "inputBodyText": PROMPT},
            "output": {"outputBodyJson": {"output": {"message": {"content": [{"text": RESPONSE}]}},
                                          "metrics": {"latencyMs": 900}}, "outputTokenCount": 5}}


def test_bedrock_lines_keep_no_secret(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    good = json.dumps(_bedrock("ok1"))
    lines = [good, json.dumps(_bedrock("neg1", tokens=-5, hostile_metadata=True)),   # valid but rejected
             json.dumps(_bedrock("ok1", tokens=101, hostile_metadata=True)),         # a conflicting copy
             json.dumps(_bedrock("cut1", hostile_metadata=True))[:400],             # truncated in the prompt
             json.dumps(_bedrock("cut2", hostile_metadata=True))[:-30],             # truncated after the response
             "{" + ALL, json.dumps([PROMPT, EMAIL, KEY, IP])]
    data = ("\n".join(lines) + "\n").encode() + json.dumps(_bedrock("bin1", hostile_metadata=True)).encode() + b"\xff\n"
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(data)
    whole = gzip.compress(data.replace(b'"ok1"', b'"ok2"'))
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[:-8])             # the gzip trailer cut off
    results = ingest_paths(con, "bedrock", [plain, tmp_path / "cut.jsonl.gz"])
    rows = _check(results, con, loaded=2, quarantined=2 * (len(lines) - 1 + 1) + 1)
    kept = [json.loads(raw) for _, _, raw, _ in rows if raw]
    neg = next(k for k in kept if k.get("requestId") == "neg1")
    assert neg["input.inputTokenCount"] == -5 and neg["requestMetadata.tenant"] == "acme"
    assert len(neg["identity.arn"]) == 32 and "arn:" not in neg["identity.arn"]   # the salted hash
    assert set(neg) <= set(tokenomics.ingest.bedrock.FIELDS + tokenomics.ingest.bedrock.HASHED), neg     # the allow-list, nothing else
    # a line that does not parse keeps the top-level scalars before its first nested value (identity)
    cut = [k for k in kept if k.get("bytes") == 400]
    assert len(cut) == 2 and all(k["timestamp"] == BEDROCK["timestamp"] and k["text"] == "not kept" for k in cut)
    assert sum(k.get("schemaType") == "ModelInvocationLog" and "requestId" not in k for k in kept) == 2 * 3
    assert any("truncated or corrupt" in reason for *_, reason in rows)
    _assert_no_canaries(con, db)


MAPPING = {"name": "gw", "format": "jsonl", "defaults": {"provider": "openai"},
           "columns": {"request_id": "id", "start_time": "created_at", "tenant": "org", "model": "model",
                       "input_tokens": "usage.in", "output_tokens": "usage.out", "user": "who",
                       "api_key": "key"}}


def _mapped(rid: str, tokens: int = 10, out: int = 5) -> dict:
    return {"id": rid, "created_at": "2026-01-01T10:00:00Z", "org": "acme", "model": "gpt-4o",
            "usage": {"in": tokens, "out": out}, "who": EMAIL, "key": KEY, "prompt": PROMPT, "response": RESPONSE,
            "ip": IP, "key_hash": KEY_HASH}


def test_mapped_rows_keep_no_secret(tmp_path):
    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING))
    lines = [json.dumps(_mapped("ok1")), json.dumps(_mapped("neg1", tokens=-5)), json.dumps(_mapped("ok1", out=6)),
             json.dumps(_mapped("cut1"))[:-20], json.dumps([PROMPT, KEY]), ALL]
    path = tmp_path / "log.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + json.dumps(_mapped("bin1")).encode() + b"\xff\n")
    csv = tmp_path / "log.csv"
    csv.write_text("id,created_at,org,model,in,out,who,key,prompt,ip\n"
                   f"c1,2026-01-01T10:00:00Z,acme,gpt-4o,-5,5,{EMAIL},{KEY},{PROMPT},{IP}\n"
                   f"c2,not a time,acme,gpt-4o,10,5,{EMAIL},{KEY},{RESPONSE},{IP}\n")
    csv_mapping = tmp_path / "csv.yaml"
    csv_mapping.write_text(yaml.safe_dump({**MAPPING, "format": "csv", "columns": {
        **MAPPING["columns"], "input_tokens": "in", "output_tokens": "out"}}))
    results = ingest_paths(con, "mapped", [path], {"mapping": str(mapping)})
    results += ingest_paths(con, "mapped", [csv], {"mapping": str(csv_mapping)})
    rows = _check(results, con, loaded=1, quarantined=len(lines) - 1 + 1 + 2)
    kept = [json.loads(raw) for _, _, raw, _ in rows]
    neg = next(k for k in kept if k.get("request_id") == "neg1")
    assert neg["input_tokens"] == -5 and neg["tenant"] == "acme" and "user" not in neg and "api_key" not in neg
    assert any(k.get("id") == "cut1" and k["created_at"] and k["text"] == "not kept" for k in kept)
    assert any(k.get("request_id") == "c2" and k["start_time"] == "not a time" for k in kept)
    _assert_no_canaries(con, db)


def test_spendlogs_rows_keep_no_secret(tmp_path, postgres_url):
    import sqlalchemy as sa

    from tests.test_litellm_spendlogs import DDL, _insert, _row

    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as pg:
        pg.execute(sa.text('DROP TABLE IF EXISTS "LiteLLM_SpendLogs"'))
        pg.execute(sa.text(DDL))

    def hostile(rid, **extra):
        row = _row(rid, "2026-01-01 10:00:00.000", **extra)
        meta = json.loads(row["metadata"]) | {"user_api_key_hash": KEY_HASH, "user_api_key_user_email": EMAIL,
                                                "requester_ip_address": IP, "user_api_key": KEY}
        return {**row, "metadata": json.dumps(meta), "api_key": KEY_HASH, "user": EMAIL, "end_user": EMAIL,
                "requester_ip_address": IP, "messages": json.dumps([{"content": PROMPT}]),
                "response": json.dumps({"content": RESPONSE}), "proxy_server_request": json.dumps({"key": KEY}),
                "cache_key": KEY_HASH}

    try:
        _insert(engine, [hostile("r1"), hostile("r2", completion=-5), hostile("r3", status="exploded")])
    finally:
        engine.dispose()
    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    results = ingest_paths(con, "litellm-spendlogs", [postgres_url])
    results += ingest_paths(con, "litellm-spendlogs", [postgres_url])  # re-reads the last hour: all three again
    assert sum(r.counts.read for r in results) == 6
    rows = _check(results, con, loaded=1, quarantined=2, duplicate=3)   # the second pull: all three again
    assert {json.loads(raw)["id"] for *_, raw, _ in rows} == {"r2", "r3"}
    _assert_no_canaries(con, db)

"""Genuine gateway and vendor request logs (tests/fixtures/real/, provenance in tests/fixtures/real/README.md)
load, attribute and price against the real LiteLLM catalogue.  Where a sample is a single record with a
redacted timestamp or id ("xxxx"), only that id or time is set here — no field is invented."""

import gzip
import json
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tokenomics.ingest.runner import ingest_paths

REAL = Path(__file__).parent / "fixtures" / "real"
LITELLM = REAL / "litellm"
BEDROCK = REAL / "bedrock"
PAYLOADS = {  # genuine StandardLoggingPayload documents -> what each one shows
    "gcs_pub_sub_standard_logging_payload.json": "naive timestamps, stream at the top level, empty model_group",
    "otel_captured_kwargs.standard_logging_object.json": "epoch floats, a Bedrock inference-profile ARN as model",
    "create_mock_standard_logging_payload.json": "team and key alias, no custom_llm_provider (api_base says openai)",
}
REDACTED = {  # Bedrock README samples with "xxxx" ids and times: only those are set
    "invoke_model_with_response_stream_titan_text_express.json": ("titan-stream-1", "2024-02-01T00:00:00Z"),
    "invoke_model_with_response_stream_claude_v2_chunks.json": ("claude-v2-stream-1", "2024-02-01T00:01:00Z"),
}


def _bedrock_files(tmp: Path) -> list[Path]:
    out = []
    for path in sorted(BEDROCK.glob("*.json")) + [BEDROCK / "invocation_logs_5_records.jsonl.gz"]:
        target = tmp / path.name
        if path.name in REDACTED:
            doc = json.loads(path.read_text())
            doc["requestId"], doc["timestamp"] = REDACTED[path.name]
            doc["identity"]["arn"] = "arn:aws:iam::123456789012:user/demo"  # redacted to "xxxx" too
            target.write_text(json.dumps(doc, indent=2))  # pretty-printed, as the README shows it
        else:
            shutil.copy(path, target)
        out.append(target)
    return out


@pytest.fixture(scope="module")
def priced(tmp_path_factory):
    """A warehouse with the real catalogue (in force from 2009, before every sample) and every genuine
    LiteLLM payload and Bedrock record, built.  LiteLLM's mock payload is dated 2009-02-13 (epoch 1234567890):
    the plausible window is widened for it, as a user loading old history would (TOKENOMICS_EARLIEST)."""
    from tokenomics.warehouse import build_models, open_warehouse

    with pytest.MonkeyPatch.context() as env:
        env.setenv("TOKENOMICS_EARLIEST", "2009-01-01")
        yield from _priced(tmp_path_factory)


def _priced(tmp_path_factory):
    from tokenomics.warehouse import build_models, open_warehouse

    base = tmp_path_factory.mktemp("real")
    catalogue = base / "model_prices.json"
    shutil.copy(LITELLM / "model_prices_and_context_window.json", catalogue)
    (base / "tenants.yaml").write_text("key_alias: {test_alias: acme}\n")
    con = open_warehouse(base / "wh.duckdb")
    ingest_paths(con, "litellm-prices", [catalogue], {"valid_from": "2009-01-01"})
    litellm_dir, bedrock_dir = base / "litellm", base / "bedrock"
    litellm_dir.mkdir()
    bedrock_dir.mkdir()
    for name in PAYLOADS:
        shutil.copy(LITELLM / name, litellm_dir / name)
    results = {"litellm": ingest_paths(con, "litellm", [litellm_dir], {"tenant_map": str(base / "tenants.yaml")}),
               "bedrock": ingest_paths(con, "bedrock", _bedrock_files(bedrock_dir))}
    build_models(con)
    yield con, results
    con.close()


def _request(con, request_id: str) -> dict:
    cur = con.execute("SELECT r.*, c.provider AS card_provider, c.model AS card_model, c.pricing_status,"
                      " c.list_cost_usd FROM raw_requests r JOIN int_request_costs c USING (source, request_id)"
                      " WHERE request_id = ?", [request_id])
    [row] = cur.fetchall()
    return dict(zip([d[0] for d in cur.description], row))


def test_every_genuine_request_is_accounted_for(priced):
    con, results = priced
    for source, files in results.items():
        for r in files:
            assert r.status == "loaded" and r.counts.reconciles(), (source, r.uri, r.counts, r.message)
    litellm = [r.counts for r in results["litellm"]]
    assert sum(c.loaded for c in litellm) == len(PAYLOADS) and sum(c.quarantined for c in litellm) == 0
    bedrock = {Path(r.uri).name: r.counts for r in results["bedrock"]}
    # 7 single records load; the gzipped JSON lines repeat 5 of them (same requestId, same content): duplicates
    assert sum(c.loaded for name, c in bedrock.items() if name.endswith(".json")) == 7
    assert (bedrock["invocation_logs_5_records.jsonl.gz"].read, bedrock["invocation_logs_5_records.jsonl.gz"].duplicate) == (5, 5)
    assert con.execute("SELECT count(*) FROM quarantine WHERE source <> 'litellm-prices'").fetchone()[0] == 0


def test_naive_timestamps_stream_and_unattributed_tenant(priced):
    con, _ = priced
    r = _request(con, "chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f")
    # "startTime": "2025-01-24 09:20:46.847371" (no zone) is read as UTC
    assert r["start_time"] == datetime(2025, 1, 24, 9, 20, 46, 847371, tzinfo=timezone.utc)
    assert r["is_stream"] and r["requested_model"] == "gpt-4o" and r["deployment"] is None  # model_group/model_id ""
    assert (r["tenant"], r["tenant_rule"], r["team"]) == ("unattributed", "unattributed", None)
    # gpt-4o at $2.50 in / $10 out per 1M: 10 × 2.5 + 20 × 10 = 225 µ$ = $0.000225 (LiteLLM's response_cost)
    assert r["pricing_status"] == "priced" and r["list_cost_usd"] == Decimal("0.000225")


def test_bedrock_arn_in_a_litellm_payload_resolves_to_the_catalogue(priced):
    con, _ = priced
    rid = json.loads((LITELLM / "otel_captured_kwargs.standard_logging_object.json").read_text())["id"]
    r = _request(con, rid)
    assert r["provider"] == "bedrock" and r["resolved_model"].startswith("arn:aws:bedrock:us-west-2:")
    assert (r["card_provider"], r["card_model"]) == ("bedrock_converse", "us.anthropic.claude-3-7-sonnet-20250219-v1:0")
    # prompt 14 (no cache), completion 67 at $3 / $15 per 1M: 14 × 3 + 67 × 15 = 42 + 1,005 = 1,047 µ$
    assert r["list_cost_usd"] == Decimal("0.001047") and r["reported_cost_usd"] == Decimal("0.001047")


def test_tenant_chain_uses_the_map_before_the_team(priced):
    con, _ = priced
    r = _request(con, "test_id")
    # team alias 'test_team_alias' is not in the map; key alias 'test_alias' is: map wins over the raw team
    assert (r["tenant"], r["tenant_rule"], r["team"]) == ("acme", "map:key_alias", "test_team_alias")
    assert r["provider"] == "openai"  # no custom_llm_provider: api_base https://api.openai.com
    # gpt-3.5-turbo $0.50 / $1.50 per 1M: 20 × 0.5 + 10 × 1.5 = 25 µ$
    assert r["list_cost_usd"] == Decimal("0.000025") and r["deployment"] == "model-123"
    assert r["requested_model"] == "openai-gpt"


@pytest.mark.parametrize("request_id, card, tokens, cost, latency, ttft", [
    # ConverseStream via a global. profile: 1,023 in × $1 + 89 out × $5 = 1,468 µ$; metrics.latencyMs 858
    ("8d8903c3-e948-4c21-b4d9-6029f785f196", ("bedrock_converse", "global.anthropic.claude-haiku-4-5-20251001-v1:0"),
     (1023, 89), "0.001468", 858, None),
    # InvokeModel through an inference-profile ARN: 219 × $3 + 110 × $15 = 657 + 1,650 = 2,307 µ$; no latency metric
    ("f92e572f-5ed4-4f00-96b8-68c8a0938097", ("bedrock_converse", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
     (219, 110), "0.002307", None, None),
    # Nova Lite: 4 × $0.06 + 38 × $0.24 = 0.24 + 9.12 = 9.36 µ$
    ("ff4b6c63-5561-4431-93b8-06a817275900", ("bedrock_converse", "amazon.nova-lite-v1:0"), (4, 38), "0.00000936", 302, None),
    # streamed Titan: 7 × $0.20 + 11 × $0.60 = 8 µ$; invocationLatency 864, firstByteLatency 864
    ("titan-stream-1", ("bedrock", "amazon.titan-text-express-v1"), (7, 11), "0.000008", 864, 864),
    # streamed Claude v2.1: 10 × $8 + 6 × $24 = 224 µ$; 765 ms, first byte at 690 ms
    ("claude-v2-stream-1", ("bedrock", "anthropic.claude-v2:1"), (10, 6), "0.000224", 765, 690),
])
def test_bedrock_records_price_by_the_base_model(priced, request_id, card, tokens, cost, latency, ttft):
    con, _ = priced
    r = _request(con, request_id)
    assert (r["card_provider"], r["card_model"]) == card and r["provider"] == "bedrock"
    assert (r["uncached_input_tokens"], r["output_tokens"]) == tokens
    assert r["pricing_status"] == "priced" and r["list_cost_usd"] == Decimal(cost)
    assert (r["latency_ms"], r["ttft_ms"]) == (latency, ttft)


def test_failed_and_guardrail_stopped_bedrock_calls_are_kept_at_zero_tokens(priced):
    con, _ = priced
    throttled = _request(con, "78d218c4-1971-42e5-b4f3-da908c8887a1")
    assert throttled["status"] == "failure" and throttled["uncached_input_tokens"] == 0 and throttled["latency_ms"] is None
    assert (throttled["tenant"], throttled["tenant_rule"]) == ("user/robbat1", "arn")
    stopped = _request(con, "d212a145-2b13-4eaf-9321-0ae94262d548")
    assert stopped["status"] == "success" and "guardrail:INTERVENED" in stopped["tags"]
    assert stopped["tenant_rule"] == "arn_role" and stopped["tenant"].startswith("ie-staging-staging-claudeInvoker")


def test_at_least_99_percent_of_catalogued_requests_are_priced(priced):
    con, _ = priced
    resolvable, priced_n = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE c.pricing_status = 'priced') FROM int_request_costs c"
        " JOIN int_model_resolution m ON m.card_provider = c.provider AND m.card_model = c.model").fetchone()
    total = con.execute("SELECT count(*) FROM raw_requests").fetchone()[0]
    assert resolvable == total  # every genuine request's model is in the real catalogue
    assert priced_n >= 0.99 * resolvable


def test_no_prompt_response_or_clear_identity_is_stored(priced):
    con, _ = priced
    dump = json.dumps(con.execute("SELECT * FROM raw_requests").fetchall(), default=str)
    dump += json.dumps(con.execute("SELECT * FROM quarantine").fetchall(), default=str)
    for secret in ("Medicaid", "robbat1@", "test_user", "127.0.0.1", "arn:aws:iam::027425703396:user/robbat1"):
        assert secret not in dump, secret


def test_the_bedrock_gzip_lines_are_the_same_records(priced):
    """The .jsonl.gz holds five of the single records one per line: loading both is exactly-once."""
    with gzip.open(BEDROCK / "invocation_logs_5_records.jsonl.gz", "rt") as handle:
        ids = [json.loads(line)["requestId"] for line in handle]
    con, _ = priced
    assert con.execute("SELECT count(*) FROM raw_requests WHERE request_id IN (SELECT unnest(?))", [ids]).fetchone()[0] == 5

"""ingest/requests.land — the landing shared by the sources parsed in Python — with its stored collisions
looked up per batch or once per input (ingest/known.py): the same outcome either way."""

from datetime import datetime, timezone

import pytest

from tokenomics.ingest import known
from tokenomics.ingest.requests import land
from tokenomics.ingest.runner import LoadContext
from tokenomics.records import GatewayRequest, RequestStatus, TokenBuckets


def _request(rid: str, output: int = 10) -> GatewayRequest:
    at = datetime(2026, 11, 3, 10, tzinfo=timezone.utc)
    return GatewayRequest(request_id=rid, start_time=at, end_time=at, tenant="acme", provider="openai",
                          requested_model="gpt-x", resolved_model="gpt-x", status=RequestStatus.SUCCESS,
                          latency_ms=5, tokens=TokenBuckets(uncached_input_tokens=100, output_tokens=output))


def _records(*requests: GatewayRequest) -> list:
    return [(i + 1, f"raw {r.request_id}", r) for i, r in enumerate(requests)]


@pytest.mark.parametrize("once", [False, True], ids=["per-batch", "once-per-input"])
def test_an_input_in_two_batches(warehouse, once):
    ctx = LoadContext("run-1", "bench", "earlier", {})
    assert land(warehouse, ctx, _records(_request("stored"))).loaded == 1
    # the next input: "a" twice (same content, in two batches), "stored" again with other content
    batches = [_records(_request("a"), _request("b")), _records(_request("a"), _request("stored", output=99))]
    ctx = LoadContext("run-2", "bench", "later", {})
    totals = []
    with known.scope(warehouse):
        if once:
            ids = [r.request_id for batch in batches for _, _, r in batch]
            known.look_up_input(warehouse, lambda cur: cur.execute(
                "INSERT INTO _input_ids SELECT 'bench', unnest(?::VARCHAR[])", [ids]))
        for batch in batches:
            c = land(warehouse, ctx, batch, known=once)
            totals.append((c.loaded, c.duplicate, c.quarantined))
    # batch 1: a and b are new; batch 2: a repeats batch 1 (duplicate), stored conflicts (quarantined)
    assert totals == [(2, 0, 0), (0, 1, 1)]
    assert warehouse.execute("SELECT list(request_id ORDER BY request_id) FROM raw_requests").fetchone()[0] == [
        "a", "b", "stored"]
    assert "already loaded with different content" in warehouse.execute("SELECT reason FROM quarantine").fetchone()[0]

"""Issue 18 §1: one far-dated row poisons no build.  Timestamps outside the plausible window (2015 … now + 1
day by default: TOKENOMICS_EARLIEST, TOKENOMICS_AHEAD_HOURS) are quarantined with a reason on every source;
the models that fill in zero days never reach beyond the window; the build stays small and quick."""

import gzip
import json
import time
from datetime import date, timedelta

import pytest

from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload, write_jsonl
from tokenomics.warehouse import build_models, open_warehouse

FAR = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2200-06-01T00:00:00Z", "2014-12-31T23:00:00Z"]


def _litellm_line(rid: str, start: str) -> dict:
    line = payload(rid, "2026-03-01T10:00:00", "openai", "gpt-y", 10, 5)
    line["startTime"], line["endTime"] = start, start
    return line


def test_far_dated_litellm_lines_are_quarantined_and_the_build_stays_bounded(tmp_path):
    con = open_warehouse(tmp_path / "wh.duckdb")
    good = [payload(f"ok{i}", "2026-03-01T10:00:00", "openai", "gpt-y", 10, 5) for i in range(5)]
    write_jsonl(tmp_path / "far.jsonl", good + [_litellm_line(f"far{i}", t) for i, t in enumerate(FAR)])
    [r] = ingest_paths(con, "litellm", [tmp_path / "far.jsonl"])
    assert (r.counts.read, r.counts.loaded, r.counts.quarantined) == (9, 5, 4) and r.counts.reconciles()
    reasons = [x for (x,) in con.execute("SELECT reason FROM quarantine ORDER BY line_no").fetchall()]
    assert all("TOKENOMICS_EARLIEST" in x or "TOKENOMICS_AHEAD_HOURS" in x for x in reasons), reasons
    started = time.perf_counter()
    build_models(con)
    assert time.perf_counter() - started < 60  # a 9999 row made this never finish
    days = con.execute("SELECT min(day), max(day), count(*) FROM mart_spend_tenant_daily").fetchone()
    assert days[0] == days[1] and days[2] == 1
    con.close()


def test_a_legacy_far_dated_row_cannot_make_the_grid_unbounded(tmp_path, monkeypatch):
    """Rows loaded before the window existed (or under a wider one) still only densify inside it."""
    monkeypatch.setenv("TOKENOMICS_AHEAD_HOURS", str(24 * 365 * 200))  # a window that lets 2200 in
    con = open_warehouse(tmp_path / "wh.duckdb")
    write_jsonl(tmp_path / "a.jsonl", [payload("ok", "2026-03-01T10:00:00", "openai", "gpt-y", 10, 5),
                                       _litellm_line("late", "2200-06-01T00:00:00Z")])
    [r] = ingest_paths(con, "litellm", [tmp_path / "a.jsonl"])
    assert r.counts.loaded == 2
    monkeypatch.delenv("TOKENOMICS_AHEAD_HOURS")  # the default window again
    build_models(con)
    first, last, rows = con.execute("SELECT min(day), max(day), count(*) FROM mart_spend_tenant_daily").fetchone()
    # zero days up to tomorrow at most, not 175 years of them (64k rows per tenant)
    assert first == date(2026, 3, 1) and last <= date.today() + timedelta(days=1) and rows == (last - first).days + 1
    con.close()


def test_every_source_applies_the_window(tmp_path):
    con = open_warehouse(tmp_path / "wh.duckdb")
    # Bedrock: a record dated 2200
    record = {"schemaType": "ModelInvocationLog", "timestamp": "2200-01-01T00:00:00Z", "requestId": "b-far",
              "modelId": "amazon.titan-text-express-v1", "region": "us-east-1", "operation": "InvokeModel",
              "identity": {"arn": "arn:aws:iam::123456789012:user/x"},
              "input": {"inputTokenCount": 5}, "output": {"outputTokenCount": 5}}
    with gzip.open(tmp_path / "bedrock.json.gz", "wt") as handle:
        handle.write(json.dumps(record) + "\n")
    [b] = ingest_paths(con, "bedrock", [tmp_path / "bedrock.json.gz"])
    # nvidia-smi: a reading in 2200
    (tmp_path / "n1.csv").write_text(
        "timestamp, name, pci.bus_id, uuid, utilization.gpu [%], utilization.memory [%], memory.used [MiB], "
        "memory.total [MiB], power.draw [W], power.limit [W]\n"
        "2200/01/01 00:00:00.000, NVIDIA H100 80GB HBM3, 00000000:00:00.0, GPU-x, 50 %, 10 %, 100 MiB, "
        "81559 MiB, 300.00 W, 700.00 W\n")
    [n] = ingest_paths(con, "nvidia-smi", [tmp_path / "n1.csv"])
    # OpenAI usage: a bucket in 1999
    (tmp_path / "openai-usage-far.json").write_text(json.dumps({"object": "page", "data": [
        {"object": "bucket", "start_time": 915148800, "end_time": 915235200,
         "results": [{"object": "organization.usage.completions.result", "input_tokens": 10, "output_tokens": 5}]}]}))
    [o] = ingest_paths(con, "openai-usage", [tmp_path / "openai-usage-far.json"])
    for result in (b, n, o):
        assert (result.counts.read, result.counts.loaded, result.counts.quarantined) == (1, 0, 1), result
    reasons = dict(con.execute("SELECT source, reason FROM quarantine").fetchall())
    assert "TOKENOMICS_AHEAD_HOURS" in reasons["bedrock"] and "TOKENOMICS_AHEAD_HOURS" in reasons["nvidia-smi"]
    assert "TOKENOMICS_EARLIEST" in reasons["openai-usage"], reasons
    con.close()

"""Issue 18 §6–7: a BOM and CR-LF are not errors; an oversize line is quarantined by its size and the rest of
the file loads; junk lines are quarantined at the speed of good ones, in bounded memory."""

import codecs
import gzip
import json

import tokenomics.ingest.bedrock
import tokenomics.ingest.jsonl
from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload
from tokenomics.warehouse import open_warehouse


def _lines(n: int, day: str = "2026-03-01"):
    return [json.dumps(payload(f"r{i}", f"{day}T10:00:00", "openai", "gpt-y", 10, 5)) for i in range(n)]


def test_bom_and_crlf_lose_no_line(tmp_path):
    path = tmp_path / "win.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + "\r\n".join(_lines(3)).encode() + b"\r\n")
    con = open_warehouse(tmp_path / "wh.duckdb")
    [r] = ingest_paths(con, "litellm", [path])
    assert (r.counts.read, r.counts.loaded, r.counts.quarantined) == (3, 3, 0)
    con.close()


def test_an_oversize_litellm_line_is_quarantined_by_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(tokenomics.ingest.jsonl, "MAX_LINE_BYTES", 100_000)
    big = payload("huge", "2026-03-01T10:00:00", "openai", "gpt-y", 10, 5)
    big["messages"] = [{"role": "user", "content": "x" * 300_000}]  # a valid line, just too long
    path = tmp_path / "big.jsonl"
    lines = _lines(4)
    path.write_text("\n".join(lines[:2] + [json.dumps(big)] + lines[2:]) + "\n")
    con = open_warehouse(tmp_path / "wh.duckdb")
    [r] = ingest_paths(con, "litellm", [path])
    assert r.status == "loaded" and (r.counts.read, r.counts.loaded, r.counts.quarantined) == (5, 4, 1)
    line_no, raw, reason = con.execute("SELECT line_no, raw, reason FROM quarantine").fetchone()
    assert line_no == 3 and "over the 100,000-byte limit" in reason and "TOKENOMICS_MAX_LINE_BYTES" in reason
    assert "xxxx" not in raw and len(raw) < 1000
    con.close()


def test_an_oversize_bedrock_line_is_skipped_without_reading_it_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(tokenomics.ingest.bedrock, "MAX_LINE_BYTES", 50_000)
    good = {"schemaType": "ModelInvocationLog", "timestamp": "2026-03-01T10:00:00Z", "requestId": "g1",
            "modelId": "amazon.titan-text-express-v1", "identity": {"arn": "arn:aws:iam::123456789012:user/x"},
            "input": {"inputTokenCount": 5}, "output": {"outputTokenCount": 5}}
    path = tmp_path / "b.json.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps(good) + "\n")
        handle.write('{"requestId": "big", "input": {"inputBodyJson": "' + "y" * 5_000_000 + '"}}\n')
        handle.write(json.dumps({**good, "requestId": "g2"}) + "\n")
    con = open_warehouse(tmp_path / "wh.duckdb")
    [r] = ingest_paths(con, "bedrock", [path])
    assert (r.counts.read, r.counts.loaded, r.counts.quarantined) == (3, 2, 1)
    [(line_no, reason)] = con.execute("SELECT line_no, reason FROM quarantine").fetchall()
    assert line_no == 2 and "5,000,0" in reason and "not read" in reason
    con.close()


def test_bedrock_junk_is_quarantined_in_batches(tmp_path):
    """50k junk lines, each accounted for (their speed is measured, not asserted: one INSERT per batch now)."""
    path = tmp_path / "junk.json.gz"
    with gzip.open(path, "wt") as handle:
        for i in range(50_000):
            handle.write(f"not json {i}\n")
    con = open_warehouse(tmp_path / "wh.duckdb")
    [r] = ingest_paths(con, "bedrock", [path])
    assert (r.counts.read, r.counts.quarantined) == (50_000, 50_000)
    assert con.execute("SELECT count(DISTINCT line_no), min(line_no), max(line_no) FROM quarantine").fetchone() == (
        50_000, 1, 50_000)
    con.close()


def test_a_litellm_line_longer_than_a_piece_is_never_held_whole(tmp_path, monkeypatch):
    """Pieces of 4 KiB, a 1 MB line: read over in blocks, quarantined by its size at its physical line, and the
    lines after it load with the right numbers (the piece positions still add up to the file)."""
    monkeypatch.setattr(tokenomics.ingest.jsonl, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(tokenomics.ingest.jsonl, "MAX_LINE_BYTES", 8192)
    lines = _lines(30)
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines[:10] + ['{"id": "long", "messages": "' + "z" * 1_000_000 + '"}'] + lines[10:]) + "\n")
    seen = [(bytes(p)[:40], before, n, covered) for p, before, n, covered in tokenomics.ingest.jsonl.pieces(path, 4096)]
    assert sum(c for *_, c in seen) == path.stat().st_size and sum(n for _, _, n, _ in seen) == 31
    assert max(len(p) for p, *_ in seen) <= 4096 * 3  # no piece held the long line
    con = open_warehouse(tmp_path / "wh.duckdb")
    [r] = ingest_paths(con, "litellm", [path])
    assert (r.counts.read, r.counts.loaded, r.counts.quarantined) == (31, 30, 1)
    [(line_no, reason, raw)] = con.execute("SELECT line_no, reason, raw FROM quarantine").fetchall()
    # {"id": "long", "messages": " is 28 bytes, then 1,000,000 z and "} : 1,000,030 bytes without its newline
    assert line_no == 11 and "1,000,030 bytes" in reason and "zzzz" not in raw
    con.close()

"""LiteLLM JSONL at scale and under fuzzing: chunked reading changes nothing, counts always add up."""

import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokenomics.ingest.jsonl
from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload, write_jsonl
from tokenomics.progress import ProgressBar
from tokenomics.records import GatewayRequest, TokenBuckets
from tokenomics.warehouse import open_warehouse

ROW = ("request_id, row_hash, start_time, end_time, tenant, user_hash, provider, resolved_model, service_tier,"
       " uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,"
       " reasoning_tokens, latency_ms, reported_cost_usd")


def _mixed_lines() -> list:
    good = [payload(f"r{i}", "2026-01-01T00:00:00", "openai", "gpt-y", 100 + i, 10, cached=i % 50) for i in range(60)]
    lines = []
    for i, row in enumerate(good):
        lines.append(row)
        if i % 7 == 0:
            lines.append('{"id": "broken", "startTime": 17')            # not JSON
        if i % 11 == 0:
            lines.append(good[i // 2])                                  # an earlier request again (duplicate)
        if i % 13 == 0:
            lines.append({**good[i // 3], "response_cost": 9.0})        # an earlier id, new content (conflict)
    return lines


def _ingest(tmp_path: Path, name: str, path: Path, monkeypatch, chunk: int, earlier: Path | None = None,
            reasons: bool = False):
    """Counts, rows and quarantined lines (with their reasons if asked) of ingesting path in pieces of
    chunk bytes, after an earlier file when given."""
    monkeypatch.setattr(tokenomics.ingest.jsonl, "CHUNK_BYTES", chunk)
    con = open_warehouse(tmp_path / f"{name}.duckdb")
    if earlier:
        ingest_paths(con, "litellm", [earlier])
    [result] = ingest_paths(con, "litellm", [path])
    rows = con.execute(f"SELECT {ROW} FROM raw_requests ORDER BY request_id").fetchall()
    quarantined = con.execute(f"SELECT line_no, raw{', reason' if reasons else ''} FROM quarantine"
                              " ORDER BY uri, line_no").fetchall()
    con.close()
    return result.counts, rows, quarantined


def test_chunked_reading_gives_the_same_rows_counts_and_line_numbers(tmp_path, monkeypatch):
    path = tmp_path / "mixed.jsonl"
    write_jsonl(path, _mixed_lines())
    with path.open("ab") as handle:
        handle.write(b'{"id": "bin", "x": "\xff\xfe"}\n')  # invalid UTF-8 in the last chunk
    whole = _ingest(tmp_path, "whole", path, monkeypatch, 1 << 30)
    # ~1.3 KB lines in 2 KB chunks: every chunk boundary falls inside the file, duplicates cross chunks
    chunked = _ingest(tmp_path, "chunked", path, monkeypatch, 2048)
    assert whole == chunked
    counts = whole[0]
    assert counts.reconciles() and counts.loaded == 60 and counts.duplicate > 0 and counts.quarantined > 0


def test_stored_requests_found_once_per_file_or_per_piece_give_the_same_outcome(tmp_path, monkeypatch):
    """A large warehouse looks stored requests up once per file (ingest/known.py); a small one per piece.
    Both must find the same duplicates and conflicts: within a piece, across pieces, and against rows an
    earlier file loaded."""
    import tokenomics.ingest.known

    earlier, path = tmp_path / "earlier.jsonl", tmp_path / "mixed.jsonl"
    mixed = _mixed_lines()
    write_jsonl(earlier, [mixed[0], {**mixed[5], "response_cost": 7.5}, mixed[40]])
    write_jsonl(path, mixed)
    per_piece = _ingest(tmp_path, "per-piece", path, monkeypatch, 2048, earlier, reasons=True)
    monkeypatch.setattr(tokenomics.ingest.known, "PREPASS_ROWS", 0)
    once = _ingest(tmp_path, "once", path, monkeypatch, 2048, earlier, reasons=True)
    assert once == per_piece
    counts, _, quarantined = once
    assert counts.reconciles() and counts.duplicate > 2 and counts.loaded == 57  # 3 of 60 loaded before
    assert any("already loaded with different content" in reason for *_, reason in quarantined)


def test_odd_request_ids_are_the_same_id_to_the_lookup_and_to_the_parse(tmp_path, monkeypatch):
    """The once-per-file lookup reads ids with _litellm_id (litellm_id.sql), the parse reads them from its one
    json_transform of the line: a number, a nested value, a repeated key or an escaped character must be the
    same id to both, or a re-sent line would load twice."""
    import tokenomics.ingest.known

    def odd(rid, text=None):
        line = json.dumps(payload("placeholder", "2026-01-01T00:00:00", "openai", "gpt-y", 100, 10))
        return line.replace('"id": "placeholder"', f'"id": {text or json.dumps(rid)}', 1)

    odd_ids = [odd(None, "12"), odd(None, "1.50"), odd(None, '{"x": 1}'), odd(None, '"a", "id": "b"'),
               odd(None, '"caf\\u00e9"'), odd(None, "[1, 2]")]
    earlier, path = tmp_path / "earlier.jsonl", tmp_path / "again.jsonl"
    write_jsonl(earlier, odd_ids)
    write_jsonl(path, [*odd_ids, payload("new", "2026-01-01T00:00:00", "openai", "gpt-y", 5, 5)])
    per_piece = _ingest(tmp_path, "per-piece", path, monkeypatch, 2048, earlier)
    monkeypatch.setattr(tokenomics.ingest.known, "PREPASS_ROWS", 0)
    once = _ingest(tmp_path, "once", path, monkeypatch, 2048, earlier)
    assert once == per_piece
    counts, rows, _ = once
    assert (counts.loaded, counts.duplicate, counts.quarantined) == (1, 6, 0)
    assert {r[0] for r in rows} == {"12", "1.5", '{"x":1}', "a", "café", "[1,2]", "new"}


def test_a_line_longer_than_the_chunk_stays_whole(tmp_path):
    path = tmp_path / "long.jsonl"
    write_jsonl(path, ["x" * 5000, "y" * 900, "z" * 900, "v" * 2500, "w" * 10])
    with path.open("ab") as handle:
        handle.write(b"no line end at the end of the file")
    pieces = [(bytes(p), offset, lines) for p, offset, lines, _ in tokenomics.ingest.jsonl.pieces(path, 1000)]
    assert b"".join(p for p, *_ in pieces) == path.read_bytes()  # nothing lost or repeated
    assert all(p.endswith(b"\n") for p, *_ in pieces[:-1]) and len(pieces) > 1  # cut only at line ends
    assert pieces[-1][0].endswith(b"\nno line end at the end of the file")
    assert [lines for *_, lines in pieces] == [p.count(b"\n") for p, *_ in pieces]
    assert [offset for _, offset, _ in pieces] == [sum(p.count(b"\n") for p, *_ in pieces[:i]) for i in range(len(pieces))]


def test_progress_bar_draws_only_on_a_terminal():
    shown, hidden = io.StringIO(), io.StringIO()
    for bar in (ProgressBar(shown, force=True, min_interval=0), ProgressBar(hidden)):
        bar.start("/data/big.jsonl", 4_000_000)
        bar.advance(1_000_000)
        bar.advance(3_000_000)
        bar.finish()
    assert "25%" in shown.getvalue() and "100%" in shown.getvalue() and "big.jsonl" in shown.getvalue()
    assert hidden.getvalue() == ""


def test_ingest_and_build_limits_hold_during_the_job_and_are_restored(warehouse, tmp_path, monkeypatch):
    import tokenomics.warehouse
    from tokenomics.warehouse import build_models

    def setting() -> str:
        return warehouse.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    before, seen = setting(), []
    real = tokenomics.warehouse._build_models
    monkeypatch.setattr(tokenomics.warehouse, "_build_models", lambda con, full: seen.append(setting()) or real(con, full))
    monkeypatch.setenv("TOKENOMICS_BUILD_MEMORY", "700MB")
    write_jsonl(tmp_path / "a.jsonl", [payload("a", "2026-01-01T00:00:00", "openai", "gpt-y", 5, 1)])
    ingest_paths(warehouse, "litellm", [tmp_path / "a.jsonl"])
    assert setting() == before
    build_models(warehouse)
    assert setting() == before and seen == ["667.5 MiB"]  # 700 MB, as DuckDB reports it
    # checkpoints are deferred during a job (a 4 GB threshold in builds) and DuckDB's 16 MB restored after it
    assert warehouse.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0] == "16.0 MiB"


# --- fuzzing: any line, any bytes → loaded, quarantined with a reason, or duplicate; never a crash ---

JUNK = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
                 st.floats(allow_nan=False), st.text(max_size=12), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))
PATHS = [("id",), ("startTime",), ("endTime",), ("status",), ("custom_llm_provider",), ("model",),
         ("response_cost",), ("request_tags",), ("model_parameters",), ("model_parameters", "stream"),
         ("hidden_params", "batch_models"), ("metadata",), ("metadata", "usage_object"),
         ("metadata", "usage_object", "prompt_tokens"), ("metadata", "usage_object", "completion_tokens"),
         ("metadata", "usage_object", "prompt_tokens_details", "cached_tokens"),
         ("metadata", "usage_object", "cache_creation_input_tokens"),
         ("metadata", "spend_logs_metadata", "tenant")]
TIMES = st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00+05:30", "2026-01-01T00:00:00",
                         "2026-13-45T99:00:00Z", "yesterday", 1767225600, 1767225600.25, -5, 10**15])


def _mutate(row: dict, path: tuple, value) -> dict:
    target = row
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            return row
        target = target[key]
    target[path[-1]] = value
    return row


@st.composite
def lines(draw):
    base = payload(draw(st.sampled_from(["a", "b", "c", "d"])), "2026-01-01T00:00:00", "openai", "gpt-y",
                   draw(st.integers(0, 5000)), draw(st.integers(0, 500)), cached=draw(st.integers(0, 100)))
    kind = draw(st.sampled_from(["valid", "mutated", "time", "text", "bytes", "truncated"]))
    if kind == "mutated":
        return json.dumps(_mutate(base, draw(st.sampled_from(PATHS)), draw(JUNK))).encode()
    if kind == "time":
        return json.dumps(_mutate(base, (draw(st.sampled_from(["startTime", "endTime"])),), draw(TIMES))).encode()
    if kind == "text":
        return draw(st.text(max_size=40)).replace("\n", " ").encode()
    if kind == "bytes":
        return draw(st.binary(max_size=40)).replace(b"\n", b" ")
    text = json.dumps(base).encode()
    return text[: draw(st.integers(0, len(text)))] if kind == "truncated" else text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), min_size=1, max_size=12))
def test_fuzzed_litellm_lines_always_reconcile(batch):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_bytes(b"\n".join(batch) + b"\n")
        con = open_warehouse(Path(tmp) / "wh.duckdb")
        [result] = ingest_paths(con, "litellm", [path])
        assert result.status == "loaded", result.message
        c = result.counts
        rows = sum(1 for line in batch if line.strip(b" \t\r"))  # a blank line is not a row
        assert c.reconciles() and c.read == rows
        stored = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        assert stored == c.quarantined and con.execute("SELECT count(*) FROM quarantine WHERE reason = ''"
                                                       ).fetchone()[0] == 0
        cur = con.execute(f"SELECT {ROW}, team, project, api_key_hash, tags, requested_model, deployment, region,"
                          " status, is_stream, ttft_ms, gateway_cache FROM raw_requests")
        names = [d[0] for d in cur.description]
        for values in cur.fetchall():  # everything loaded is a valid canonical record
            row = dict(zip(names, values))
            row.pop("row_hash")
            tokens = TokenBuckets(**{k: row.pop(k) for k in list(row) if k.endswith("_tokens")})
            GatewayRequest(tokens=tokens, tags=tuple(row.pop("tags")), **row)
        con.close()


@pytest.mark.parametrize("prepass_rows", [4_000_000, 0], ids=["lookup per piece", "lookup once per file"])
def test_a_large_file_commits_piece_by_piece_and_resumes_after_a_failure(tmp_path, monkeypatch, prepass_rows):
    import tokenomics.ingest.known

    monkeypatch.setattr(tokenomics.ingest.known, "PREPASS_ROWS", prepass_rows)
    path = tmp_path / "mixed.jsonl"
    write_jsonl(path, _mixed_lines())
    clean = _ingest(tmp_path, "clean", path, monkeypatch, 4096)
    monkeypatch.setattr(tokenomics.ingest.jsonl, "CHUNK_BYTES", 4096)
    real, calls = tokenomics.ingest.jsonl._load_piece, []

    def failing(con, piece, offset, *args, **kwargs):
        calls.append(offset)
        if len(calls) == 4:  # the process dies part-way through the file
            raise RuntimeError("disk full")
        return real(con, piece, offset, *args, **kwargs)

    monkeypatch.setattr(tokenomics.ingest.jsonl, "_load_piece", failing)
    con = open_warehouse(tmp_path / "resumed.duckdb")
    [failed] = ingest_paths(con, "litellm", [path])
    assert failed.status == "failed" and "disk full" in failed.message
    done = con.execute("SELECT bytes_done, lines_done, rows_read FROM ingest_progress").fetchone()
    assert 0 < done[0] < path.stat().st_size and done[2] == done[1] == calls[3]  # 3 pieces committed
    assert con.execute("SELECT count(*) FROM raw_requests").fetchone()[0] > 0
    # the run says it stopped part-way, with what its committed pieces hold (Data health shows it)
    [(rows_read, message)] = con.execute("SELECT rows_read, message FROM ingest_runs WHERE status = 'interrupted'"
                                         ).fetchall()
    assert rows_read == done[2] and "run the same ingest again to resume" in message

    monkeypatch.setattr(tokenomics.ingest.jsonl, "_load_piece", real)
    [resumed] = ingest_paths(con, "litellm", [path])
    assert resumed.status == "loaded" and resumed.message.startswith("resumed at byte")
    assert resumed.counts == clean[0]  # whole-file accounting, as one clean run
    rows = con.execute(f"SELECT {ROW} FROM raw_requests ORDER BY request_id").fetchall()
    quarantined = con.execute("SELECT line_no, raw FROM quarantine ORDER BY line_no").fetchall()
    assert (rows, quarantined) == (clean[1], clean[2])
    assert con.execute("SELECT count(*) FROM ingest_progress").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM ingest_runs WHERE status = 'interrupted'").fetchone()[0] == 0
    run_ids = {r for (r,) in con.execute("SELECT DISTINCT run_id FROM raw_requests").fetchall()}
    assert len(run_ids) == 1  # the resumed pieces carry the interrupted run's id
    con.close()

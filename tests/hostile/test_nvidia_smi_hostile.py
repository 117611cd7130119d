"""Issue 18 §5: nvidia-smi files a CSV reader gets wrong.  Each case goes through the CLI (exit code, message)
and is checked against the file itself: its physical lines are counted here (b"\\n"), and read = the
non-blank lines after the header = loaded + quarantined + duplicate, with the quarantined lines the expected
ones, their reasons said, and every loaded reading in raw_gpu_samples: nothing lost."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

import tokenomics.ingest.nvidia_smi as nvidia_smi
from tokenomics.cli import main
from tokenomics.warehouse import open_warehouse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CAPTURE = (FIXTURES / "nvidia-smi_h100_llm-load.csv").read_bytes().split(b"\n")
HEADER, SAMPLES = CAPTURE[0], [line for line in CAPTURE[1:] if line]
WIDE = (FIXTURES / "real" / "nvidia_smi" / "query_gpu_h100_80gb_hbm3_load_590.48.01.csv").read_bytes().split(b"\n")
START = datetime(2026, 7, 1)


def lines(n: int, template: list[bytes] = SAMPLES, start: datetime = START) -> list[bytes]:
    """n readings of the real capture's rows, 250 ms apart (as `nvidia-smi -lms 250` writes them)."""
    out = []
    for i in range(n):
        ts = (start + timedelta(milliseconds=250 * i)).strftime("%Y/%m/%d %H:%M:%S.%f")[:-3].encode()
        out.append(ts + b", " + template[i % len(template)].split(b", ", 1)[1])
    return out


def data_lines(data: bytes) -> int:
    """The file's physical lines, counted here: b"\\n"-terminated ones plus an unterminated last one; read is
    those with something on them, less the header."""
    physical = data.count(b"\n") + (not data.endswith(b"\n") and len(data) > 0)
    cut = data.split(b"\n")[:physical]
    assert len(cut) == physical
    return sum(1 for line in cut if line.removeprefix(b"\xef\xbb\xbf").strip()) - 1


def ingest(tmp_path, data: bytes, capsys, name: str = "host-a.csv", *extra: str) -> tuple[int, dict, str]:
    path = tmp_path / name
    path.write_bytes(data)
    rc = main(["--db", str(tmp_path / "wh.duckdb"), "ingest", "nvidia-smi", str(path), "--no-build", *extra])
    err = capsys.readouterr().err
    con = open_warehouse(tmp_path / "wh.duckdb")
    try:
        run_id, status, read, loaded, quarantined, duplicate, message = con.execute(
            "SELECT run_id, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate, message FROM ingest_runs"
            " WHERE uri = ? ORDER BY finished_at DESC LIMIT 1", [str(path.resolve())]).fetchone()
        reasons = dict(con.execute("SELECT line_no, reason FROM quarantine WHERE run_id = ? AND uri = ?",
                                   [run_id, str(path.resolve())]).fetchall())
        stored = con.execute("SELECT count(*) FROM raw_gpu_samples WHERE run_id = ?", [run_id]).fetchone()[0]
    finally:
        con.close()
    result = {"status": status, "read": read, "loaded": loaded, "quarantined": quarantined, "duplicate": duplicate,
              "reasons": reasons, "stored": stored, "message": message}
    if status == "loaded":  # the accounting, against the file itself
        assert read == data_lines(data) == loaded + quarantined + duplicate, (result, data_lines(data))
        assert len(reasons) == quarantined and stored == loaded, result
    return rc, result, err


def expect(result: dict, loaded: int, duplicate: int = 0, **quarantined: str) -> None:
    """quarantined: line_<n>="a words of its reason" for each line that must be quarantined, and no other."""
    want = {int(k.removeprefix("line_")): v for k, v in quarantined.items()}
    assert (result["loaded"], result["duplicate"]) == (loaded, duplicate), result
    assert set(result["reasons"]) == set(want), result["reasons"]
    for line, words in want.items():
        assert words in result["reasons"][line], (line, result["reasons"][line])


@pytest.fixture()
def small_pieces(monkeypatch):
    """Pieces of 256 KiB (the floor): a file of a few thousand lines goes through in several commits."""
    monkeypatch.setenv("TOKENOMICS_CHUNK_BYTES", str(256 * 1024))


def test_an_unterminated_quote_is_one_character_not_the_rest_of_the_file(tmp_path, capsys):
    body = lines(999)
    body[500] = body[500].replace(b"NVIDIA H100", b'"NVIDIA H100')  # line 502 of 1,000: a quote never closed
    data = b"\n".join([HEADER, *body]) + b"\n"
    assert data.count(b"\n") == 1000
    rc, r, _ = ingest(tmp_path, data, capsys)
    assert rc == 0 and r["read"] == 999
    expect(r, loaded=999)  # nvidia-smi never quotes: the quote is part of the name, nothing after it is lost
    con = open_warehouse(tmp_path / "wh.duckdb")
    assert con.execute("SELECT count(*) FROM raw_gpu_samples WHERE gpu_name LIKE '\"%'").fetchone()[0] == 1
    con.close()
    # the same quote opening the line's timestamp: that line, and only it, is quarantined
    body[500] = b'"' + body[500].replace(b'"', b"")
    rc, r, _ = ingest(tmp_path, b"\n".join([HEADER, *body]) + b"\n", capsys, "host-b.csv")
    assert rc == 0
    expect(r, loaded=998, line_502="timestamp '\"2026/07/01")


def test_a_50_mb_line_costs_only_itself(tmp_path, capsys, small_pieces):
    body = lines(999)
    body[500] = b"x" * (50 << 20)  # longer than a piece: read over, never held
    body[700] = body[700] + b" " + b"y" * 100_000  # longer than MAX_LINE_BYTES, inside a piece
    data = b"\n".join([HEADER, *body]) + b"\n"
    rc, r, _ = ingest(tmp_path, data, capsys)
    assert rc == 0 and r["read"] == 999
    expect(r, loaded=997, line_502="line is 52,428,800 bytes, over the 65,536-byte limit",
           line_702="over the 65,536-byte limit (MAX_LINE_BYTES)")
    con = open_warehouse(tmp_path / "wh.duckdb")
    kept = con.execute("SELECT max(length(raw)) FROM quarantine").fetchone()[0]
    con.close()
    assert kept == nvidia_smi.KEPT_BYTES  # a prefix, not 50 MB in the quarantine


def test_an_invalid_utf8_line_costs_only_itself(tmp_path, capsys):
    body = lines(999)
    body[500] = body[500][:30] + b"\xff\xfe" + body[500][30:]  # line 502
    rc, r, _ = ingest(tmp_path, b"\n".join([HEADER, *body]) + b"\n", capsys)
    assert rc == 0
    expect(r, loaded=998, line_502="not UTF-8: invalid byte at byte 31")


def test_a_bom_crlf_blank_lines_and_a_missing_last_newline_change_nothing(tmp_path, capsys):
    body = lines(300)
    data = b"\xef\xbb\xbf" + b"\r\n".join([HEADER, *body[:100], b"", b"  \t", *body[100:]])  # no newline at the end
    rc, r, _ = ingest(tmp_path, data, capsys)
    assert rc == 0 and r["read"] == 300  # blank lines are not read (nor counted)
    expect(r, loaded=300)
    con = open_warehouse(tmp_path / "wh.duckdb")
    assert con.execute("SELECT count(*) FROM raw_gpu_samples WHERE gpu_uuid LIKE '%\r' OR power_limit_w IS NULL"
                       ).fetchone()[0] == 0
    con.close()


def test_bracketed_unknowns_are_null_wherever_the_column_may_be(tmp_path, capsys):
    fields = SAMPLES[0].split(b", ")
    cases = [b"[N/A]", b"[Not Supported]", b"N/A", b"[Unknown Error]"]
    body = []
    for i, unknown in enumerate(cases):  # utilization.gpu … power.limit (fields 4..9) unknown at once
        row = fields[:4] + [unknown] * 6 + fields[10:]
        row[0] = lines(len(cases))[i].split(b", ")[0]
        body.append(b", ".join(row))
    name = b", ".join([body[0].split(b", ")[0].replace(b"07/01", b"07/02"), b"[N/A]", *fields[2:]])
    rc, r, _ = ingest(tmp_path, b"\n".join([HEADER, *body, name]) + b"\n", capsys)
    assert rc == 0
    expect(r, loaded=5)
    con = open_warehouse(tmp_path / "wh.duckdb")
    nulls = con.execute("SELECT count(*) FROM raw_gpu_samples WHERE util_gpu_pct IS NULL AND util_mem_pct IS NULL"
                        " AND mem_used_mib IS NULL AND mem_total_mib IS NULL AND power_w IS NULL"
                        " AND power_limit_w IS NULL").fetchone()[0]
    names = {n for (n,) in con.execute("SELECT DISTINCT gpu_name FROM raw_gpu_samples").fetchall()}
    con.close()
    assert nulls == len(cases) and names == {"NVIDIA H100 80GB HBM3", "unknown"}


@pytest.mark.parametrize("field, value, reason", [
    (4, b"1e309 %", "utilization.gpu '1e309 %' is not a number of %"),  # was loaded as 1
    (4, b"12abc %", "utilization.gpu '12abc %' is not a number"),
    (4, b"101 %", "utilization.gpu 101 % is outside 0..100"),
    (4, b"-1 %", "utilization.gpu -1 % is outside 0..100"),
    (5, b"nan %", "utilization.memory 'nan %' is not a number"),
    (6, b"12 GiB", "memory.used '12 GiB' is not a number of MiB"),
    (6, b"99999999999 MiB", "memory.used 99999999999 MiB is outside 0..2147483647"),
    (7, b"inf MiB", "memory.total 'inf MiB' is not a number"),
    (8, b"1e3 W", "power.draw '1e3 W' is not a number of W"),
    (9, b"99999999 W", "power.limit 99999999 W is outside 0..5000"),
    (3, b"[N/A]", "uuid is missing"),
    (0, b"2026/13/01 00:00:00.000", "timestamp '2026/13/01 00:00:00.000' is not YYYY/MM/DD"),
    (0, b"2026/07/01 00:00:00.000 extra", "is not YYYY/MM/DD"),
])
def test_numbers_and_timestamps_must_parse_whole(tmp_path, capsys, field, value, reason):
    body = lines(3)
    fields = body[1].split(b", ")
    fields[field] = value
    body[1] = b", ".join(fields)
    rc, r, _ = ingest(tmp_path, b"\n".join([HEADER, *body]) + b"\n", capsys)
    assert rc == 0
    expect(r, loaded=2, line_3=reason)


def test_same_gpu_and_time_with_other_values_is_a_conflict_not_a_duplicate(tmp_path, capsys, small_pieces):
    body = lines(3000)  # several pieces: the repeats below fall in a later piece than their first reading
    first = body[1]
    other = first.replace(b"81559 MiB", b"81558 MiB")  # memory.total differs
    body += [first, other, body[2], body[2].replace(b"W, 700.00 W", b"W, 650.00 W")]
    for i in range(1, 4):  # within one piece too
        body[i * 100 + 1] = body[i * 100]
    body[401] = body[400].replace(b"MiB, 81559", b"MiB, 81000")
    data = b"\n".join([HEADER, *body]) + b"\n"
    rc, r, _ = ingest(tmp_path, data, capsys)
    assert rc == 0
    expect(r, loaded=2996, duplicate=5, line_403="repeated with different values (first at line 402)",
           line_3003="repeated with different values (one is stored already",
           line_3005="repeated with different values (one is stored already")
    assert "reading for GPU-36bfc42e-fc09-477d-202d-052e474a61b1 at 2026/07/01 00:01:40.000" in r["reasons"][403]
    # another file for the same host, later: a repeat is a duplicate, a changed reading a conflict
    rc, r, _ = ingest(tmp_path, b"\n".join([HEADER, body[5], body[6].replace(b"W, 700.00 W", b"W, 699.00 W")]),
                      capsys, "again.csv", "--host", "host-a")
    assert rc == 0
    expect(r, loaded=0, duplicate=1, line_3="one is stored already")


def test_wrong_field_counts_and_a_restarted_header(tmp_path, capsys, small_pieces):
    wide_header, wide = WIDE[0], WIDE[1]
    body = lines(400, [wide])  # the 212-field capture, ~3 KB a line: several pieces
    body[100] = body[100].rsplit(b",", 1)[0]  # line 102: a field short
    body[200] = body[200] + b", extra"  # line 202: one too many
    # nvidia-smi restarted with fewer fields (line 302): the header is quarantined and the lines after it use it
    restarted = lines(99, start=START + timedelta(hours=1))
    truncated = restarted[-1][:40]  # killed while writing its last line (no newline either)
    data = b"\n".join([wide_header, *body[:300], HEADER, *restarted[:-1], truncated])
    rc, r, _ = ingest(tmp_path, data, capsys)
    assert rc == 0 and r["read"] == 300 + 1 + 99
    expect(r, loaded=298 + 98, line_102="line has 211 fields; the header (line 1) has 212",
           line_202="line has 213 fields", line_302="header repeated mid-file (nvidia-smi restarted; 13 fields)",
           line_401="fields; the header (line 302) has 13")


def test_a_crash_mid_file_resumes_with_the_header_in_force_and_adds_up(tmp_path, capsys, small_pieces, monkeypatch):
    restarted = lines(1500, start=START + timedelta(hours=1))
    body = lines(1500)
    body[1400] = body[1400].replace(b" %", b" lots %", 1)
    data = b"\n".join([HEADER.replace(b", temperature.gpu", b""), *[b.rsplit(b",", 1)[0] for b in body[:700]],
                       HEADER, *body[700:], *restarted]) + b"\n"
    real = nvidia_smi._load_piece
    calls = []

    def crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first piece (with the header change at line 702) is committed
            raise OSError("the disk went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(nvidia_smi, "_load_piece", crash)
    rc, r, err = ingest(tmp_path, data, capsys)
    assert rc == 1 and r["status"] == "failed" and "the disk went away" in err
    monkeypatch.setattr(nvidia_smi, "_load_piece", real)
    rc, r, _ = ingest(tmp_path, data, capsys)
    assert rc == 0 and r["message"].startswith("resumed at byte")
    con = open_warehouse(tmp_path / "wh.duckdb")
    total = con.execute("SELECT count(*), count(DISTINCT (gpu_uuid, ts)) FROM raw_gpu_samples").fetchone()
    reasons = dict(con.execute("SELECT line_no, reason FROM quarantine").fetchall())
    con.close()
    assert total == (2999, 2999) and set(reasons) == {702, 1403}, reasons
    assert r["read"] == data_lines(data) == 3001  # the resumed run's counts cover the whole file


@pytest.mark.parametrize("data, words", [
    ((HEADER + b"\n" + SAMPLES[0] + b"\n").decode().encode("utf-16"), "the file is UTF-16"),
    (b"", "no nvidia-smi header line"),
    (b"\n \n", "no nvidia-smi header line"),
    (b"\n".join(lines(3)) + b"\n", "line 1 should be the nvidia-smi header"),
    (HEADER.replace(b"uuid", b"serial") + b"\n" + SAMPLES[0] + b"\n", "lacks required fields ['uuid']"),
    (b"\xfftimestamp, uuid, utilization.gpu\n", "the header (line 1) is not UTF-8"),
])
def test_a_file_that_cannot_be_read_fails_with_a_sentence_and_loads_nothing(tmp_path, capsys, data, words):
    rc, r, err = ingest(tmp_path, data, capsys)
    assert rc == 1 and r["status"] == "failed" and words in r["message"] and words in err, (r, err)
    assert "Traceback" not in err and r["stored"] == 0 and not r["reasons"]

"""nvidia-smi CSV telemetry (`nvidia-smi --query-gpu=... --format=csv -l N`).

nvidia-smi never quotes a field: a line is its fields joined by ", ".  So the file is not read as CSV.  It is
cut into physical lines here (bytes, at b"\\n" only; a trailing CR and a leading UTF-8 BOM are stripped), and
every physical line gets exactly one outcome, so the counts add up against the file itself:

* blank lines (nothing but white space) are skipped and not counted;
* the first non-blank line is the header (not counted); a header repeated later (a restarted ``nvidia-smi -l``)
  is counted and quarantined, and its fields apply to the lines after it;
* every other line is read: quarantined here when it is longer than MAX_LINE_BYTES (only a prefix is kept),
  not UTF-8, or has a field count other than its header's; otherwise split on "," (a quote is just a
  character), trimmed, and handed to DuckDB as VARCHAR columns (sql/ingest/nvidia_smi_read.sql, then
  nvidia_smi.sql types, checks and deduplicates it and inserts raw_gpu_samples).

So read = the file's non-blank physical lines after the header = loaded + quarantined + duplicate.  The file
goes through in pieces of at most piece_bytes() bytes, each committed with its position (ctx.checkpoint) like
a large JSON-lines file, so memory is bounded by the piece, not the file; a line longer than a piece is
skipped over, never held."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tokenomics.ingest.jsonl import skip_line
from tokenomics.ingest.runner import Counts, LoadContext, Resume, Source, register
from tokenomics.sqlscript import run_script
from tokenomics.config import plausible_window
from tokenomics.settings import settings

# nvidia-smi header field (units stripped) → canonical column; other fields are read and ignored.
FIELDS: dict[str, str] = {
    "timestamp": "ts_raw",
    "name": "gpu_name",
    "pci.bus_id": "pci_bus_id",
    "uuid": "gpu_uuid",
    "utilization.gpu": "util_gpu_raw",
    "utilization.memory": "util_mem_raw",
    "memory.used": "mem_used_raw",
    "memory.total": "mem_total_raw",
    "power.draw": "power_raw",
    "power.limit": "power_limit_raw",
}
REQUIRED = ("timestamp", "uuid", "utilization.gpu")
COLUMNS = tuple(FIELDS.values())

MAX_LINE_BYTES = 64 * 1024  # a longer line is quarantined (a 212-field line is about 3 KB)
KEPT_BYTES = 1024  # what the quarantine keeps of an over-long line
BOM = b"\xef\xbb\xbf"
NEWLINE = 10


def piece_bytes() -> int:
    """Bytes per piece (TOKENOMICS_CHUNK_BYTES, default 16 MiB; never under 4 × MAX_LINE_BYTES)."""
    return max(settings().chunk_bytes or 16 << 20, 4 * MAX_LINE_BYTES)


def header_names(header: str) -> list[str]:
    """Map each header field ('power.draw [W]') to a canonical column name, or x_<i> if unused (or repeated)."""
    names: list[str] = []
    for i, field in enumerate(h.strip() for h in header.split(",")):
        name = FIELDS.get(field.split(" [")[0].strip())
        names.append(name if name and name not in names else f"x_{i}")
    missing = [f for f in REQUIRED if FIELDS[f] not in names]
    if missing:
        raise ValueError(f"nvidia-smi header lacks required fields {missing}: {header.strip()[:200]}")
    return names


@dataclass
class _Header:
    """The header in force: where it is, how many fields a line has, and where each canonical column is."""

    line_no: int
    fields: int
    index: dict[str, int]

    @classmethod
    def parse(cls, text: str, line_no: int) -> "_Header":
        names = header_names(text.lstrip("\ufeff"))  # (a BOM: files concatenated with cat)
        return cls(line_no, len(names), {n: i for i, n in enumerate(names) if n in COLUMNS})


# --- physical lines ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    data: bytes  # whole lines (the last one may lack its newline at the end of the file)
    lines_before: int
    lines: int
    end: int  # file position after the piece


@dataclass(frozen=True)
class _LongLine:
    line_no: int
    size: int  # bytes, without its newline
    prefix: bytes
    end: int


def _pieces(path: Path, start: int, lines_before: int, size: int) -> Iterator[_Piece | _LongLine]:
    """The file from byte ``start`` (a line start) as pieces of ≤ size bytes cut after a newline; a line that
    does not fit in a piece (so is longer than MAX_LINE_BYTES) is read over in blocks and reported by its size
    and first KEPT_BYTES bytes: it is never held whole."""
    with Path(path).open("rb") as source:
        position = start
        while True:
            source.seek(position)
            data = source.read(size)
            if not data:
                return
            if len(data) < size:  # the end of the file
                cut = len(data)
            else:
                cut = data.rfind(b"\n") + 1
            if cut:
                lines = data.count(b"\n", 0, cut) + (data[cut - 1] != NEWLINE)
                position += cut
                yield _Piece(data[:cut], lines_before, lines, position)
                lines_before += lines
                continue
            rest, ended = skip_line(source, size)
            length = len(data) + rest
            lines_before += 1
            position += length + ended
            yield _LongLine(lines_before, length, data[:KEPT_BYTES], position)


def _too_long(size: int) -> str:
    return (f"line is {size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit (MAX_LINE_BYTES); "
            f"kept: its first {KEPT_BYTES:,} bytes")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _undecodable(data: bytes, offsets: np.ndarray, skip: np.ndarray, window: int = 1024) -> dict[int, str]:
    """Index → reason for lines that are not UTF-8 (whole windows of lines first, lines only where one fails)."""
    view, bad = memoryview(data), {}
    for first in range(0, len(offsets) - 1, window):
        last = min(first + window, len(offsets) - 1)
        try:
            codecs.utf_8_decode(view[offsets[first]:offsets[last]], "strict", True)
            continue
        except UnicodeDecodeError:
            pass
        for i in range(first, last):
            if skip[i]:
                continue
            try:
                codecs.utf_8_decode(view[offsets[i]:offsets[i + 1]], "strict", True)
            except UnicodeDecodeError as exc:
                bad[i] = f"line is not UTF-8: invalid byte at byte {exc.start + 1}"
    return bad


class _Reader:
    """Turns pieces of physical lines into (rows for DuckDB, lines quarantined here, lines read)."""

    def __init__(self, header: _Header | None):
        self.header = header

    def long_line(self, item: _LongLine) -> tuple[list[tuple[int, str, str]], int]:
        if self.header is None:
            raise ValueError(f"line {item.line_no} should be the nvidia-smi header but is {item.size:,} bytes long")
        return [(item.line_no, _text(item.prefix), _too_long(item.size))], 1

    def piece(self, piece: _Piece) -> tuple[pa.Table, list[tuple[int, str, str]], int]:
        data = piece.data
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == NEWLINE)
        if data and data[-1] != NEWLINE:
            ends = np.append(ends, len(data))
        starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
        if piece.lines_before == 0 and data.startswith(BOM):
            starts[0] = len(BOM)
        numbers = np.arange(piece.lines_before + 1, piece.lines_before + len(ends) + 1, dtype=np.int64)
        first = 0
        if self.header is None:  # the first non-blank line is the header
            first = self._find_header(data, starts, ends, numbers)
            if first is None:
                return _empty(), [], 0
        starts, ends, numbers = starts[first:], ends[first:], numbers[first:]
        if not len(ends):
            return _empty(), [], 0
        # each line's bytes with its newline, contiguous: one Arrow array over the piece, no copy
        offsets = np.append(starts, min(int(ends[-1]) + 1, len(data))).astype(np.int64)
        lengths = ends - starts
        long = lengths > MAX_LINE_BYTES
        bad = _undecodable(data, offsets, long)
        rejected = [(int(numbers[i]), _text(data[starts[i]:starts[i] + KEPT_BYTES]), _too_long(int(lengths[i])))
                    for i in np.flatnonzero(long)]
        rejected += [(int(numbers[i]), _text(data[starts[i]:ends[i]]).rstrip("\r"), reason) for i, reason in bad.items()]
        keep = ~long
        keep[list(bad)] = False
        lines = pa.Array.from_buffers(pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
        text = pc.utf8_rtrim(lines.filter(pa.array(keep)).cast(pa.large_string()), characters="\r\n")
        trimmed = pc.utf8_trim_whitespace(text)
        filled = pc.greater(pc.utf8_length(trimmed), 0).to_numpy(zero_copy_only=False)
        text, trimmed, numbers = text.filter(filled), trimmed.filter(filled), numbers[keep][filled]
        read = len(rejected) + len(numbers)
        # a header repeated mid-file (nvidia-smi restarted) is quarantined; its fields apply from there on
        headers = {int(i) for i in np.flatnonzero(
            pc.match_substring(trimmed, "utilization.gpu").to_numpy(zero_copy_only=False))}
        bounds = sorted(headers | {0}) + [len(numbers)]
        tables = []
        for a, b in zip(bounds, bounds[1:]):
            if a in headers:
                self._header_line(trimmed[a].as_py(), int(numbers[a]), rejected)
                a += 1
            if a < b:
                tables.append(self._segment(text[a:b], trimmed[a:b], numbers[a:b], rejected))
        table = pa.concat_tables(tables) if tables else _empty()
        # several record batches, so DuckDB scans them on all cores
        return pa.Table.from_batches(table.to_batches(max_chunksize=max(1, -(-table.num_rows // 8))),
                                     table.schema), rejected, read

    def _find_header(self, data: bytes, starts: np.ndarray, ends: np.ndarray, numbers: np.ndarray) -> int | None:
        for i in range(len(ends)):
            raw = data[starts[i]:ends[i]]
            if not raw.strip():
                continue
            if ends[i] - starts[i] > MAX_LINE_BYTES:
                raise ValueError(f"line {numbers[i]} should be the nvidia-smi header but is {ends[i] - starts[i]:,} bytes long")
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise ValueError("the file is UTF-16 (it starts with a UTF-16 byte-order mark); nvidia-smi writes "
                                 "UTF-8: convert it (iconv -f UTF-16 -t UTF-8) and ingest that")
            try:
                header = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                raise ValueError(f"the header (line {numbers[i]}) is not UTF-8: invalid byte at byte {exc.start + 1}") from None
            try:
                self.header = _Header.parse(header, int(numbers[i]))
            except ValueError as exc:
                raise ValueError(f"line {numbers[i]} should be the nvidia-smi header: {exc}") from None
            return i + 1
        return None

    def _header_line(self, text: str, line_no: int, rejected: list) -> None:
        try:
            header = _Header.parse(text, line_no)
        except ValueError as exc:
            rejected.append((line_no, text, f"a header line that cannot be used ({exc}); line {self.header.line_no}'s"
                                            " header stays in force"))
            return
        rejected.append((line_no, text, f"header repeated mid-file (nvidia-smi restarted; {header.fields} fields):"
                                        " it applies to the lines after it"))
        self.header = header

    def _segment(self, text: pa.Array, trimmed: pa.Array, numbers: np.ndarray, rejected: list) -> pa.Table:
        """Lines under one header: those with its field count split into the canonical columns."""
        header = self.header
        count = pc.add(pc.count_substring(trimmed, ","), 1).to_numpy(zero_copy_only=False)
        fits = count == header.fields
        for i in np.flatnonzero(~fits):
            rejected.append((int(numbers[i]), text[int(i)].as_py(),
                             f"line has {count[i]} fields; the header (line {header.line_no}) has {header.fields}"))
        mask = pa.array(fits)
        trimmed, text, numbers = trimmed.filter(mask), text.filter(mask), numbers[fits]
        last = max(header.index.values())
        parts = pc.split_pattern(trimmed, ",", max_splits=last + 1)
        columns = {"line_no": pa.array(numbers, pa.int64()), "raw": text.cast(pa.large_string())}
        for name in COLUMNS:
            if name in header.index:
                columns[name] = pc.utf8_trim_whitespace(pc.list_element(parts, header.index[name])).cast(pa.large_string())
            else:  # a field this capture did not query: NULL
                columns[name] = pa.nulls(len(numbers), pa.large_string())
        return pa.table(columns)


def _empty() -> pa.Table:
    schema = [("line_no", pa.int64()), ("raw", pa.large_string())] + [(c, pa.large_string()) for c in COLUMNS]
    return pa.table({n: pa.array([], t) for n, t in schema})


def _header_before(path: Path, end: int) -> _Header | None:
    """The header in force at byte ``end`` (resuming a load there): the last header line before it.  Only a
    header names "utilization.gpu" (a required field); lines longer than a piece are not headers."""
    found = None
    for item in _pieces(path, 0, 0, piece_bytes()):
        if isinstance(item, _Piece):
            data = item.data[:max(0, end - (item.end - len(item.data)))]
            for match in re.finditer(rb"[^\n]*utilization\.gpu[^\n]*", data):
                number = item.lines_before + data.count(b"\n", 0, match.start()) + 1
                try:
                    found = _Header.parse(_text(match.group().removeprefix(BOM)).strip(), number)
                except ValueError:
                    pass
        if item.end >= end:
            break
    return found


# --- loading ---------------------------------------------------------------------------------------------


def load(con, path: Path, ctx: LoadContext) -> Counts:
    start = ctx.resume or Resume()
    total = Counts().add(start.counts)
    size = Path(path).stat().st_size
    reader = _Reader(_header_before(path, start.bytes_done) if start.bytes_done else None)
    params = {
        "tz": ctx.options.get("tz", "UTC"),
        "host": ctx.options.get("host") or Path(path).stem,
        "source": ctx.source,
        "run_id": ctx.run_id,
    }
    params["earliest"], params["latest"] = plausible_window()
    done = start.bytes_done
    for item in _pieces(Path(path), start.bytes_done, start.lines_done, piece_bytes()):
        if isinstance(item, _LongLine):
            rejected, read = reader.long_line(item)
            table, lines = _empty(), item.line_no
        else:
            table, rejected, read = reader.piece(item)
            lines = item.lines_before + item.lines
        counts = _load_piece(con, table, rejected, read, ctx, params)
        total.add(counts)
        ctx.advance(item.end - done)
        done = item.end
        if ctx.checkpoint and done < size:
            ctx.checkpoint(done, lines, total)
    if reader.header is None:
        raise ValueError("the file has no nvidia-smi header line (it is empty or blank)")
    return total


def _load_piece(con, table: pa.Table, rejected: list[tuple[int, str, str]], read: int, ctx: LoadContext,
                params: dict) -> Counts:
    rejects = pa.table({"line_no": pa.array([r[0] for r in rejected], pa.int64()),
                        "raw": pa.array([r[1] for r in rejected], pa.large_string()),
                        "reason": pa.array([r[2] for r in rejected], pa.large_string())})
    con.register("_gpu_piece", table)
    con.register("_gpu_rejects", rejects)
    try:
        run_script(con, "ingest/nvidia_smi_read.sql", params)
        run_script(con, "ingest/nvidia_smi.sql", params)
        con.execute("INSERT INTO quarantine SELECT ?, ?, ?, line_no, raw, reason, ? FROM _gpu_outcome"
                    " WHERE outcome = 'quarantined'", [ctx.run_id, ctx.source, ctx.uri, datetime.now(timezone.utc)])
        by = dict(con.execute("SELECT outcome, count(*) FROM _gpu_outcome GROUP BY ALL").fetchall())
        for name in ("_gpu_rows", "_gpu_outcome"):
            con.execute(f"DROP TABLE {name}")
        con.execute("DROP VIEW _gpu_read")
    finally:  # (after a failure the transaction is rolled back, temp tables with it)
        con.unregister("_gpu_piece")
        con.unregister("_gpu_rejects")
    counts = Counts(read=read, loaded=by.get("loaded", 0), quarantined=by.get("quarantined", 0),
                    duplicate=by.get("duplicate", 0))
    if not counts.reconciles() or sum(by.values()) != table.num_rows + len(rejected):
        raise RuntimeError(f"nvidia-smi line accounting does not add up: {counts}, outcomes {by}")
    return counts


register(Source("nvidia-smi", load, ("*.csv",), "nvidia-smi --query-gpu CSV, one file per host"))

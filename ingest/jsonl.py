"""Shared path for JSON-lines sources: cut a file into line-aligned pieces, let a source script classify
each line in DuckDB.

Pieces of at most TOKENOMICS_CHUNK_BYTES (64 MiB) are processed one after another, each committed with
its position (ctx.checkpoint), so memory is bounded by the piece size, not the file size.  Lines are cut at '\\n' only
(a CR or any control character inside a line stays in it), so line numbers are exact physical lines."""

from __future__ import annotations

import codecs
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from tokenomics.ingest import known, redact
from tokenomics.ingest.runner import Counts, LoadContext, Resume
from tokenomics.sqlscript import run_script
from tokenomics.config import hash_salt, plausible_window
from tokenomics.settings import settings

CHUNK_BYTES = settings().chunk_bytes or 64 << 20
# one record longer than this is quarantined by its size (a 48 MB line exhausted DuckDB's JSON parser)
MAX_LINE_BYTES = settings().max_line_bytes
NEWLINE = 10


# a piece standing for one line too long to read: this marker, the line's size, then its first bytes
_OVERSIZE = b"\x00tokenomics-oversize-line "


def skip_line(handle, block: int = 1 << 20) -> tuple[int, bool]:
    """The rest of a line too long to hold, read a block at a time and dropped (memory stays flat): its bytes
    up to the newline, and whether a newline ended it (else the file did).  Plain files and gzip alike."""
    skipped = 0
    while chunk := handle.readline(block):
        if chunk.endswith(b"\n"):
            return skipped + len(chunk) - 1, True
        skipped += len(chunk)
    return skipped, False


def pieces(path: Path, size: int | None = None, start: int = 0,
           lines_before: int = 0) -> Iterator[tuple[memoryview | bytes, int, int, int]]:
    """(bytes, physical lines before them, lines in them, file bytes they cover) for each ≤ size piece of the
    file from byte ``start`` (a line start), cut after a newline.  A line longer than size grows its piece
    to hold it, up to MAX_LINE_BYTES; a longer one is read over in blocks and never held whole: its piece is
    a marker with its size and first bytes (split_lines rejects it by its size).  Each piece is a view of one
    read (no copies: at 64 MiB they cost more than the reads); the next read starts where the piece ends."""
    size = size or CHUNK_BYTES
    with Path(path).open("rb") as source:
        position = start
        while True:
            source.seek(position)
            data = source.read(size)
            if not data:
                return
            cut = data.rfind(b"\n") + 1 if len(data) == size else len(data)
            while cut == 0:  # no line end yet: the line goes on into the next block
                if len(data) > MAX_LINE_BYTES:
                    break
                more = source.read(size)
                data += more
                cut = data.rfind(b"\n") + 1 if len(more) == size else len(data)
            if cut == 0:  # one line over the limit: skip the rest of it, keep its size and its start
                rest, ended = skip_line(source, size)
                length = len(data) + rest
                covered = length + ended
                yield _OVERSIZE + str(length).encode() + b" " + data[:4096].replace(b"\n", b" ") + b"\n", \
                    lines_before, 1, covered
                lines_before += 1
                position += covered
                continue
            piece, lines = memoryview(data)[:cut], data.count(b"\n", 0, cut)
            yield piece, lines_before, lines, cut
            lines_before += lines
            position += cut


def split_lines(piece: bytes | memoryview) -> tuple[pa.Table, list[tuple[int, bytes, str]]]:
    """The piece's UTF-8 lines as an Arrow table (line_no, raw) over the same bytes (no copy when all of
    it is UTF-8), and the lines that are not UTF-8 as (line_no, their bytes without the line ending, reason).

    Each raw value keeps its line ending: JSON ignores it, and it keeps the values contiguous.  A UTF-8 byte
    order mark before the first line is not part of it (Windows editors write one).  A line over
    MAX_LINE_BYTES is rejected by its size (only its start is kept for the summary): parsing it would take
    memory the piece was sized not to need, and the rest of the file still loads."""
    if bytes(piece[:len(_OVERSIZE)]) == _OVERSIZE:  # a line pieces() did not read: rejected by its size
        length, _, start = bytes(piece[len(_OVERSIZE):]).rstrip(b"\n").partition(b" ")
        return _batched(np.array([], np.int64), pa.array([], pa.large_string())), [
            (1, start, f"line is {int(length):,} bytes, over the {MAX_LINE_BYTES:,}-byte limit for one record "
                       "(TOKENOMICS_MAX_LINE_BYTES)")]
    data = piece if piece[-1:] == b"\n" else bytes(piece) + b"\n"
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == NEWLINE)
    first = len(codecs.BOM_UTF8) if bytes(data[:3]) == codecs.BOM_UTF8 else 0
    offsets = np.concatenate(([first], ends + 1)).astype(np.int64)
    count = len(ends)
    lines = pa.Array.from_buffers(pa.large_binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    numbers = np.arange(1, count + 1, dtype=np.int64)
    sizes = np.diff(offsets)
    bad = {int(i): f"line is {int(sizes[i]):,} bytes, over the {MAX_LINE_BYTES:,}-byte limit for one record "
                   "(TOKENOMICS_MAX_LINE_BYTES)" for i in np.flatnonzero(sizes > MAX_LINE_BYTES)}
    oversize = set(bad)
    bad.update(_undecodable(data, offsets, skip=oversize))
    if not bad:
        return _batched(numbers, lines.view(pa.large_string())), []
    keep = np.ones(count, dtype=bool)
    keep[list(bad)] = False

    def kept(i: int) -> bytes:  # an oversize line: its start only (the summary reads no further)
        end = min(offsets[i + 1], offsets[i] + 4096) if i in oversize else offsets[i + 1]
        return bytes(data[offsets[i]:end]).rstrip(b"\r\n")

    rejected = [(i + 1, kept(i), reason) for i, reason in sorted(bad.items())]
    return _batched(numbers[keep], lines.filter(pa.array(keep)).cast(pa.large_string())), rejected


def _undecodable(data: bytes, offsets: np.ndarray, window: int = 1024, skip: dict | None = None) -> dict[int, str]:
    """Index → reason for lines that are not UTF-8: decode whole windows of lines, lines only where one fails
    (lines in skip are already rejected and not decoded)."""
    view, bad = memoryview(data), {}
    for first in range(0, len(offsets) - 1, window):
        last = min(first + window, len(offsets) - 1)
        if not skip or not any(first <= i < last for i in skip):
            try:
                codecs.utf_8_decode(view[offsets[first]:offsets[last]], "strict", True)
                continue
            except UnicodeDecodeError:
                pass
        for i in range(first, last):
            if skip and i in skip:
                continue
            try:
                codecs.utf_8_decode(view[offsets[i]:offsets[i + 1]], "strict", True)
            except UnicodeDecodeError as exc:
                bad[i] = f"undecodable line: invalid UTF-8 at byte {exc.start + 1}"
    return bad


def _batched(numbers: np.ndarray, raw: pa.Array, batches: int = 8) -> pa.Table:
    """Several record batches, so DuckDB scans them on all cores."""
    table = pa.table({"line_no": numbers, "raw": raw})
    if table.num_rows == 0:
        return table
    return pa.Table.from_batches(table.to_batches(max_chunksize=max(1, -(-table.num_rows // batches))))


def load_jsonl(con: duckdb.DuckDBPyConnection, path: Path, ctx: LoadContext, script: tuple[str, ...],
               ids_script: tuple[str, ...]) -> Counts:
    """Run jsonl_lines.sql then the source's script on each piece; store quarantined lines; sum the counts.

    After each piece but the last, ctx.checkpoint commits it with its position: DuckDB holds a
    transaction's uncommitted rows in memory, so one transaction per 10 GB file would not stay bounded.
    script: the source's SQL scripts, run in order, that turn _lines into _candidates; ids_script: those
    that put a piece's (source, request_id) into _input_ids, for the once-per-file lookup of
    stored requests (ingest/known.py) when the warehouse is large."""
    start = ctx.resume or Resume()
    total = Counts().add(start.counts)
    done, size = start.bytes_done, Path(path).stat().st_size
    prepass = known.worth_prepass(con, -(-(size - done) // CHUNK_BYTES))
    with known.scope(con):
        if prepass:
            _collect_ids(con, path, start, ctx, ids_script)
        for piece, offset, lines, covered in pieces(Path(path), start=start.bytes_done, lines_before=start.lines_done):
            counts = _load_piece(con, piece, offset, ctx, script, per_piece_lookup=not prepass)
            total.add(counts)
            done += covered
            ctx.advance(covered)
            if ctx.checkpoint and done < size:
                ctx.checkpoint(done, offset + lines, total)
    return total


def _collect_ids(con, path: Path, start: Resume, ctx: LoadContext, ids_script: tuple[str, ...]) -> None:
    """One light pass over the file's remaining pieces for their request ids, then one lookup."""

    def collect(cursor) -> None:
        for piece, _, _, _ in pieces(Path(path), start=start.bytes_done, lines_before=start.lines_done):
            cursor.register("_chunk", split_lines(piece)[0])
            try:
                for step in ("ingest/jsonl_lines.sql", *ids_script):
                    run_script(cursor, step, {"source": ctx.source})
            finally:
                cursor.execute("DROP VIEW IF EXISTS _lines")
                cursor.unregister("_chunk")

    known.look_up_input(con, collect)


def load_documents(con: duckdb.DuckDBPyConnection, documents: list[tuple[str, bytes]], ctx: LoadContext,
                   script: tuple[str, ...]) -> Counts:
    """JSON documents (uri, bytes) — each one object, pretty-printed or not, an array of objects, or objects
    one after another — through the same script as JSON lines.  Quarantined rows keep their document's URI
    and the object's position in it as the line number."""
    lines, uris, positions = [], [], []
    for uri, body in documents:
        for position, line in enumerate(document_lines(body), start=1):
            lines.append(line)
            uris.append(uri)
            positions.append(position)
    if not lines:
        return Counts()
    with known.scope(con):
        return _load_piece(con, b"\n".join(lines) + b"\n", 0, ctx, script, True, (uris, positions))


def document_lines(body: bytes) -> list[bytes]:
    """One compact JSON line per object; text that does not parse (from where it stops) stays as one line
    with its line breaks turned into spaces, so the script quarantines it (a summary, never the text)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return [body.replace(b"\r", b" ").replace(b"\n", b" ")]
    decoder, position, lines = json.JSONDecoder(), 0, []
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position == len(text):
            return lines
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return lines + [text[position:].replace("\r", " ").replace("\n", " ").encode()]
        for item in value if isinstance(value, list) else [value]:
            lines.append(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode())


def load_objects(con: duckdb.DuckDBPyConnection, objects: list[tuple[str, bytes]], ctx: LoadContext,
                 script: tuple[str, ...], per_piece_lookup: bool = True) -> Counts:
    """Compact JSON objects (uri, one line each) from a database through a source's script, in one piece.  A
    row pulled again (the pull re-reads an overlap) that was quarantined before with the same content and
    reason counts as a duplicate: it is quarantined once, not on every pull."""
    if not objects:
        return Counts()
    body = b"\n".join(line for _, line in objects) + b"\n"
    return _load_piece(con, body, 0, ctx, script, per_piece_lookup,
                       ([uri for uri, _ in objects], [1] * len(objects)), quarantine_once=True)


def _load_piece(con, piece: bytes, offset: int, ctx: LoadContext, script: tuple[str, ...], per_piece_lookup: bool,
                origins: tuple[list[str], list[int]] | None = None, quarantine_once: bool = False) -> Counts:
    """One piece in DuckDB.  per_piece_lookup: find stored requests from this piece's ids (else the
    file's _known is already there).  origins (uri, line within it) per line, when lines come from many
    documents.  quarantine_once: a line already quarantined by this source with the same kept text and
    reason is a duplicate (rows a database pull reads again)."""
    earliest, latest = plausible_window()
    params = {"salt": hash_salt(), "source": ctx.source, "run_id": ctx.run_id, "line_offset": offset,
              "tz": ctx.options.get("tz") or "UTC",  # the zone of timestamps written without one
              "earliest": earliest, "latest": latest}
    table, rejected = split_lines(piece)
    uris, positions = origins or ([], [])
    origin = pa.table({"line_no": pa.array(range(1, len(uris) + 1), pa.int64()), "uri": pa.array(uris, pa.string()),
                       "at": pa.array(positions, pa.int64())})
    con.register("_chunk", table)
    con.register("_origin", origin)
    try:
        for step in ("ingest/jsonl_lines.sql", "ingest/request_row_hash.sql", *script):
            run_script(con, step, params)
        if per_piece_lookup:
            known.look_up_candidates(con)
        run_script(con, "ingest/requests_land.sql", params)
        now = datetime.now(timezone.utc)
        for number, raw, reason in rejected:  # not UTF-8: a summary (size, salted hash, id), never the text
            where = (uris[number - 1], positions[number - 1]) if origins else (ctx.uri, number + offset)
            kept = redact.dumps(redact.summary(raw, redact.LINE_KEYS))
            con.execute("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [ctx.run_id, ctx.source, where[0], where[1], kept, reason, now])
        seen = (" WHERE NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.source = $source AND q.reason = k.reason"
                " AND q.raw = k.kept)") if quarantine_once else ""
        [(inserted,)] = con.execute(  # what is kept of a line: the source script's _kept_raw (an allow-list)
            "INSERT INTO quarantine SELECT $run_id, $source, coalesce(k.uri, $uri),"
            " coalesce(k.at, k.line_no + $offset), k.kept, k.reason, $now FROM (SELECT o.line_no, o.reason, g.uri, g.at,"
            " _kept_raw(rtrim(l.raw, chr(13) || chr(10))) AS kept"
            " FROM _outcome o JOIN _lines l USING (line_no) LEFT JOIN _origin g USING (line_no)"
            " WHERE o.outcome = 'quarantined') k" + seen,
            {"run_id": ctx.run_id, "source": ctx.source, "uri": ctx.uri, "offset": offset, "now": now},
        ).fetchall()
        by_outcome = dict(con.execute("SELECT outcome, count(*) FROM _outcome GROUP BY ALL").fetchall())
        again = by_outcome.get("quarantined", 0) - inserted  # quarantined by an earlier pull: a duplicate now
        by_outcome["quarantined"], by_outcome["duplicate"] = inserted, by_outcome.get("duplicate", 0) + again
        lines = con.execute("SELECT count(*) FROM _lines").fetchone()[0]
        loaded = con.execute("SELECT count(*) FROM _candidates ANTI JOIN _outcome USING (line_no)").fetchone()[0]
    finally:
        for view in ("_parsed", "_lines"):
            con.execute(f"DROP VIEW IF EXISTS {view}")
        for temp in ("_candidates", "_outcome"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
        con.unregister("_chunk")
        con.unregister("_origin")
    return Counts(read=lines + len(rejected), loaded=loaded,
                  quarantined=by_outcome.get("quarantined", 0) + len(rejected), duplicate=by_outcome.get("duplicate", 0))

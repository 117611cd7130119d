"""Exactly-once file ingest: manifest by content hash, one transaction per file, counts that add up."""

from __future__ import annotations

import fnmatch
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

import duckdb

from tokenomics.ingest import s3
from tokenomics import __version__
from tokenomics.config import job_limits


@dataclass
class Counts:
    """Row accounting for one input: read = loaded + quarantined + duplicate, always."""

    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicate: int = 0

    def reconciles(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.duplicate

    def add(self, *others: Counts) -> Counts:
        """Add other inputs' accounting to this one (in place), for a run made of batches or pieces."""
        for other in others:
            self.read += other.read
            self.loaded += other.loaded
            self.quarantined += other.quarantined
            self.duplicate += other.duplicate
        return self


@dataclass
class FileResult:
    source: str
    uri: str
    status: str
    counts: Counts = field(default_factory=Counts)
    message: str = ""


class Progress(Protocol):
    """What a progress display offers the runner (tokenomics.progress.ProgressBar is one)."""

    def start(self, name: str, total: int) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def finish(self) -> None: ...


class Loader(Protocol):
    def __call__(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: "LoadContext") -> Counts: ...


@dataclass(frozen=True)
class LoadContext:
    """What a loader needs besides the file: run id for lineage and per-source options."""

    run_id: str
    source: str
    uri: str
    options: dict
    # told how many input bytes were processed, for progress bars on long files
    progress: Callable[[int], None] | None = None
    # where an interrupted ingest of this file stopped (bytes, lines, counts committed so far)
    resume: Resume | None = None
    # commits what was loaded so far with its position (large files, piece by piece); None: not allowed
    checkpoint: Callable[[int, int, "Counts"], None] | None = None

    def advance(self, nbytes: int) -> None:
        if self.progress:
            self.progress(nbytes)


@dataclass(frozen=True)
class Resume:
    """A file's committed prefix: its first ``bytes_done`` bytes (``lines_done`` lines) gave ``counts``."""

    bytes_done: int = 0
    lines_done: int = 0
    counts: Counts = field(default_factory=Counts)


@dataclass(frozen=True)
class Source:
    """A registered input format: its name, how to load one file, and which files it takes."""

    name: str
    load: Loader
    patterns: tuple[str, ...]
    description: str
    # database sources read a URL instead of files: pull(con, url, ctx) -> Counts, in their own batches
    pull: Callable | None = None
    # files named like these are small documents loaded in bundles: documents(con, [(uri, bytes)], ctx) -> Counts
    document_patterns: tuple[str, ...] = ()
    documents: Callable | None = None

    def is_document(self, name: str) -> bool:
        return any(fnmatch.fnmatch(Path(name).name, p) for p in self.document_patterns)


REGISTRY: dict[str, Source] = {}


# How a source's small per-request documents are loaded (in bundles): ingest/documents.py puts its loader here
DOCUMENT_INGEST: dict[str, Callable] = {}


def register(source: Source) -> Source:
    """Sources add themselves here; the CLI and the demo dispatch through this table."""
    REGISTRY[source.name] = source
    return source


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, ctx: LoadContext, rows: list[tuple[int | None, str, str]]
) -> int:
    """Store rejected rows (line, raw text, reason) for the Data health page — in one statement: DuckDB's
    executemany inserts row by row (~1,300 rows/s), which made a file of junk lines take minutes."""
    if rows:
        import pyarrow as pa

        batch = pa.table({"line_no": pa.array([r[0] for r in rows], pa.int64()),
                          "raw": pa.array([r[1] for r in rows], pa.string()),
                          "reason": pa.array([r[2] for r in rows], pa.string())})
        con.register("_rejected", batch)
        try:
            con.execute("INSERT INTO quarantine SELECT ?, ?, ?, line_no, raw, reason, ? FROM _rejected",
                        [ctx.run_id, ctx.source, ctx.uri, datetime.now(timezone.utc)])
        finally:
            con.unregister("_rejected")
    return len(rows)


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    path: Path,
    options: dict | None = None,
    run_id: str | None = None,
    uri: str | None = None,
    progress: Progress | None = None,
) -> FileResult:
    """Load one file exactly once; a file whose bytes were ingested before is skipped.

    One transaction per file — except that a loader may commit a large file piece by piece through
    ctx.checkpoint (so memory stays bounded): each commit records the position in ingest_progress, and a
    re-run after a crash resumes there, under the interrupted run's id, so the totals equal one clean run.
    ``uri`` names where the bytes came from when ``path`` is a local copy (an S3 object).
    """
    path = Path(path)
    uri = uri or str(path.resolve())
    run_id = run_id or uuid.uuid4().hex
    started = datetime.now(timezone.utc)
    digest = sha256_file(path)
    seen = con.execute(
        "SELECT run_id FROM ingest_manifest WHERE source = ? AND sha256 = ?", [source.name, digest]
    ).fetchone()
    if seen:
        result = FileResult(source.name, uri, "skipped_already_ingested", message=f"same bytes as run {seen[0]}")
        record_run(con, run_id, result, digest, started)
        return result
    size = path.stat().st_size
    resume = _resume(con, source.name, digest)
    if resume:
        run_id = resume[0]
    if progress:
        progress.start(uri, size)
        progress.advance(resume[1].bytes_done if resume else 0)

    def checkpoint(bytes_done: int, lines_done: int, counts: Counts) -> None:
        con.execute("INSERT OR REPLACE INTO ingest_progress VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [source.name, digest, run_id, bytes_done, lines_done, counts.read, counts.loaded,
                     counts.quarantined, counts.duplicate, datetime.now(timezone.utc)])
        # committed with the piece: if the process dies before the file ends, the run says so (Data health)
        con.execute("DELETE FROM ingest_runs WHERE run_id = ? AND status = 'interrupted'", [run_id])
        record_run(con, run_id, FileResult(source.name, uri, "interrupted", counts,
                                           f"stopped after {bytes_done:,} of {size:,} bytes (committed); run the "
                                           "same ingest again to resume there"), digest, started)
        con.execute("COMMIT")
        con.execute("BEGIN TRANSACTION")

    ctx = LoadContext(run_id, source.name, uri, options or {}, progress.advance if progress else None,
                      resume[1] if resume else None, checkpoint)
    con.execute("BEGIN TRANSACTION")
    try:
        counts = source.load(con, path, ctx)
        if not counts.reconciles():
            raise RuntimeError(f"row accounting does not add up for {uri}: {counts}")
        con.execute(
            "INSERT INTO ingest_manifest VALUES (?, ?, ?, ?, ?, ?)",
            [source.name, digest, uri, size, run_id, datetime.now(timezone.utc)],
        )
        con.execute("DELETE FROM ingest_progress WHERE source = ? AND sha256 = ?", [source.name, digest])
        con.execute("DELETE FROM ingest_runs WHERE run_id = ? AND status = 'interrupted'", [run_id])
        result = FileResult(source.name, uri, "loaded", counts,
                            f"resumed at byte {resume[1].bytes_done:,}" if resume else "")
        record_run(con, run_id, result, digest, started)
        con.execute("COMMIT")
        if progress:
            progress.advance(size)
    except Exception as exc:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:  # the failure already ended the transaction (a full disk does): its cause is what counts
            pass
        result = FileResult(source.name, uri, "failed", message=f"{type(exc).__name__}: {exc}")
        record_run(con, run_id, result, digest, started)
        raise IngestError(result) from exc
    return result


def _resume(con, source: str, digest: str) -> tuple[str, Resume] | None:
    row = con.execute("SELECT run_id, bytes_done, lines_done, rows_read, rows_loaded, rows_quarantined,"
                      " rows_duplicate FROM ingest_progress WHERE source = ? AND sha256 = ?", [source, digest]).fetchone()
    return (row[0], Resume(row[1], row[2], Counts(*row[3:]))) if row else None


class IngestError(RuntimeError):
    """A file failed to load; nothing uncommitted was kept (a large file's committed pieces stay, and a
    re-run resumes after them), and the failure is recorded."""

    def __init__(self, result: FileResult):
        super().__init__(f"{result.source}: {result.uri}: {result.message}")
        self.result = result


def record_run(con, run_id: str, result: FileResult, digest: str, started: datetime) -> None:
    c = result.counts
    con.execute(
        "INSERT INTO ingest_runs (run_id, source, uri, sha256, started_at, finished_at, status,"
        " rows_read, rows_loaded, rows_quarantined, rows_duplicate, message, tool_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, result.source, result.uri, digest, started, datetime.now(timezone.utc), result.status,
         c.read, c.loaded, c.quarantined, c.duplicate, result.message, __version__],
    )


def expand(paths: list[Path], patterns: tuple[str, ...]) -> list[Path]:
    """Files given directly, or matched by the source's patterns under given folders, sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for pattern in patterns:
                files.extend(sorted(path.rglob(pattern)))
        else:
            files.append(path)
    return files


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    source_name: str,
    paths: list[Path],
    options: dict | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Ingest many files of one source under one run id; failures are collected, not fatal.

    DuckDB's memory is capped (TOKENOMICS_INGEST_MEMORY, default 1GB; it spills beyond that) so a file
    of any size ingests in bounded memory."""
    with job_limits(con, "ingest"):
        return _ingest_paths(con, REGISTRY[source_name], paths, options, on_file, progress)


def _ingest_paths(con, source: Source, paths, options, on_file, progress) -> list[FileResult]:
    run_id = uuid.uuid4().hex
    urls = [str(p) for p in paths if source.pull is not None and "://" in str(p) and not s3.is_s3(p)]
    results = [_pull(con, source, url, options or {}, run_id, on_file) for url in urls]
    paths = [p for p in paths if str(p) not in urls]
    local = [p for p in paths if not s3.is_s3(p)]
    jobs = [(path, None) for path in expand(local, source.patterns)]
    since = (options or {}).get("since")
    for prefix in (str(p) for p in paths if s3.is_s3(p)):
        jobs += [(None, obj) for obj in s3.list_objects(prefix, source.patterns, since,
                                                         int((options or {}).get("page_size", 1000)))]
    if source.documents is not None:
        ingest_documents = DOCUMENT_INGEST["bundles"]  # ingest/documents.py registers it: it builds on this module
        is_doc = [source.is_document(obj.key if obj else path.name) for path, obj in jobs]
        documents = [obj or path for (path, obj), doc in zip(jobs, is_doc) if doc]
        jobs = [job for job, doc in zip(jobs, is_doc) if not doc]
        for result in ingest_documents(con, source, documents, options or {}, run_id, progress) if documents else []:
            results.append(result)
            if on_file:
                on_file(result)
    for path, obj in jobs:
        try:
            result = ingest_file(con, source, path, options, run_id, progress=progress) if obj is None \
                else _ingest_object(con, source, obj, options, run_id, progress)
        except IngestError as err:
            result = err.result
        if progress:
            progress.finish()
        results.append(result)
        if on_file:
            on_file(result)
    return results


def _pull(con, source: Source, url: str, options: dict, run_id: str, on_file) -> FileResult:
    """A database source: it commits batch by batch itself (re-runs are safe: rows dedupe by id)."""
    started = datetime.now(timezone.utc)
    shown = url.split("@")[-1]  # never record credentials
    ctx = LoadContext(run_id, source.name, f"{url.split('://')[0]}://…@{shown}", options)
    try:
        counts = source.pull(con, url, ctx)
        result = FileResult(source.name, ctx.uri, "loaded", counts)
    except Exception as exc:  # recorded and reported, like a failed file
        result = FileResult(source.name, ctx.uri, "failed", message=f"{type(exc).__name__}: {exc}")
    record_run(con, run_id, result, "", started)
    if on_file:
        on_file(result)
    return result


def object_loaded_by(con, source: str, obj: s3.S3Object) -> str | None:
    """The run that loaded this object version (same key, size, and not modified since), if any."""
    return objects_loaded_by(con, source, [obj]).get(obj.uri)


def objects_loaded_by(con, source: str, objects: list[s3.S3Object]) -> dict[str, str]:
    """uri → run for those of the objects whose version was loaded before: one query for a whole listing
    (a re-run over a prefix of a million per-request documents asked a million questions)."""
    if not objects:
        return {}
    return dict(con.execute(
        "SELECT o.uri, max(m.run_id) FROM (SELECT unnest(?::VARCHAR[]) AS uri, unnest(?::BIGINT[]) AS bytes,"
        " unnest(?::TIMESTAMPTZ[]) AS modified) o JOIN ingest_manifest m ON m.source = ? AND m.uri = o.uri"
        " AND m.bytes = o.bytes AND m.ingested_at >= o.modified GROUP BY o.uri",
        [[o.uri for o in objects], [o.size for o in objects], [o.last_modified for o in objects], source]).fetchall())


def _ingest_object(con, source: Source, obj, options: dict | None, run_id: str, progress=None) -> FileResult:
    """An S3 object: skipped without downloading when this exact object version was loaded before."""
    seen = object_loaded_by(con, source.name, obj)
    if seen:
        return FileResult(source.name, obj.uri, "skipped_already_ingested",
                          message=f"unchanged object (size, last-modified) as of run {seen}")
    with s3.fetched(obj) as local:
        return ingest_file(con, source, local, options, run_id, uri=obj.uri, progress=progress)

"""Many small documents (LiteLLM's S3 logger writes one JSON object per request) loaded in bundles:
one transaction per bundle, a manifest row per document, quarantined rows keep their document's URI.

Loading each object in its own transaction would cost tens of milliseconds per request; a bundle of
BUNDLE documents costs about as much as one file of the same rows.  S3 objects are downloaded by a
small thread pool, and an object whose key, size and last-modified time were ingested before is not
downloaded again."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from tokenomics.ingest import s3
from tokenomics.ingest.runner import DOCUMENT_INGEST, FileResult, LoadContext, Source, objects_loaded_by, record_run
from tokenomics.settings import settings

BUNDLE = settings().document_bundle
DOWNLOADERS = 8
LOOKUP = 50_000  # listed objects checked against the manifest per query


def ingest_documents(con, source: Source, items: list, options: dict, run_id: str, progress=None) -> list[FileResult]:
    """items: local Paths and S3Objects whose names match the source's document patterns."""
    fresh = _not_loaded_before(con, source, items)
    results = []
    if len(fresh) < len(items):
        results.append(FileResult(source.name, _label(items, len(items) - len(fresh)), "skipped_already_ingested",
                                  message=f"{len(items) - len(fresh)} documents unchanged since they were ingested"))
    for bundle in _bundles(fresh):
        results.append(_load_bundle(con, source, bundle, options, run_id, progress))
    return results


def _not_loaded_before(con, source: Source, items: list) -> list:
    """The items to fetch: S3 objects whose version was loaded before are left out, looked up LOOKUP at a
    time; local files are recognised by their bytes, after reading them."""
    objects = [item for item in items if isinstance(item, s3.S3Object)]
    loaded: set[str] = set()
    for start in range(0, len(objects), LOOKUP):
        loaded.update(objects_loaded_by(con, source.name, objects[start:start + LOOKUP]))
    return [item for item in items if not (isinstance(item, s3.S3Object) and item.uri in loaded)]


def _bundles(items: list) -> Iterator[list]:
    for start in range(0, len(items), BUNDLE):
        yield items[start:start + BUNDLE]


def _fetch(bundle: list) -> list[tuple[str, bytes]]:
    client = s3.client() if any(isinstance(i, s3.S3Object) for i in bundle) else None

    def read(item) -> tuple[str, bytes]:
        if isinstance(item, s3.S3Object):
            return item.uri, client.get_object(Bucket=item.bucket, Key=item.key)["Body"].read()
        return str(Path(item).resolve()), Path(item).read_bytes()

    with ThreadPoolExecutor(DOWNLOADERS) as pool:
        return list(pool.map(read, bundle))


def _label(items: list, count: int) -> str:
    first = items[0].uri if isinstance(items[0], s3.S3Object) else str(Path(items[0]).resolve())
    return first if count == 1 else f"{first} (+{count - 1} more documents)"


def _load_bundle(con, source: Source, bundle: list, options: dict, run_id: str, progress) -> FileResult:
    started = datetime.now(timezone.utc)
    documents = _fetch(bundle)
    digests = [hashlib.sha256(body).hexdigest() for _, body in documents]
    seen = {d for (d,) in con.execute("SELECT sha256 FROM ingest_manifest WHERE source = ? AND list_contains(?, sha256)",
                                      [source.name, digests]).fetchall()}
    keep, skipped = [], 0
    for (uri, body), digest in zip(documents, digests):
        if digest in seen:  # the same bytes under another name, or twice in this bundle
            skipped += 1
            continue
        seen.add(digest)
        keep.append((uri, body, digest))
    label = _label(bundle, len(bundle))
    if not keep:
        return FileResult(source.name, label, "skipped_already_ingested",
                          message=f"all {len(bundle)} documents have bytes ingested before")
    total = sum(len(body) for _, body, _ in keep)
    if progress:
        progress.start(label, total)
    ctx = LoadContext(run_id, source.name, label, options)
    bundle_digest = hashlib.sha256("".join(sorted(d for *_, d in keep)).encode()).hexdigest()
    con.execute("BEGIN TRANSACTION")
    try:
        counts = source.documents(con, [(uri, body) for uri, body, _ in keep], ctx)
        if not counts.reconciles():
            raise RuntimeError(f"row accounting does not add up for {label}: {counts}")
        con.execute("INSERT INTO ingest_manifest SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),"
                    " unnest(?::BIGINT[]), ?, ?", [source.name, [d for *_, d in keep], [u for u, *_ in keep],
                                                   [len(b) for _, b, _ in keep], run_id, datetime.now(timezone.utc)])
        message = f"{len(keep)} documents" + (f"; {skipped} with bytes ingested before" if skipped else "")
        result = FileResult(source.name, label, "loaded", counts, message)
        record_run(con, run_id, result, bundle_digest, started)
        con.execute("COMMIT")
    except Exception as exc:
        con.execute("ROLLBACK")
        result = FileResult(source.name, label, "failed", message=f"{type(exc).__name__}: {exc}")
        record_run(con, run_id, result, bundle_digest, started)
    if progress:
        progress.advance(total)
    return result


DOCUMENT_INGEST["bundles"] = ingest_documents

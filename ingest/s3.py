"""S3 (or any S3-compatible endpoint) as a place ingest reads from: list, filter, fetch, then load.

Objects are listed page by page (ListObjectsV2), filtered by the source's file patterns and an optional
`since` time, streamed to a temporary file with retries, and loaded through the same per-file
transaction and manifest as local files — under their s3:// URI.  An object whose key, size and
last-modified time show it was already ingested is not downloaded again.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tokenomics.objectstore import client, is_s3, split  # noqa: F401  (one S3 client; re-exported)

@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int
    last_modified: datetime

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def list_objects(uri: str, patterns: tuple[str, ...], since: datetime | None = None, page_size: int = 1000,
                 s3=None) -> list[S3Object]:
    """Every object under the prefix matching a pattern (on its file name), oldest key order kept."""
    s3 = s3 or client()
    bucket, prefix = split(uri)
    found, token = [], None
    while True:
        kwargs = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        for item in page.get("Contents", []):
            name = item["Key"].rsplit("/", 1)[-1]
            if not any(fnmatch.fnmatch(name, p) for p in patterns):
                continue
            if since and item["LastModified"] < since:
                continue
            found.append(S3Object(bucket, item["Key"], item["Size"], item["LastModified"]))
        if not page.get("IsTruncated"):
            return sorted(found, key=lambda o: o.key)
        token = page["NextContinuationToken"]


@contextmanager
def fetched(obj: S3Object, s3=None):
    """The object streamed to a temporary file (same suffix, so readers detect compression); removed after."""
    s3 = s3 or client()
    suffix = "".join(Path(obj.key).suffixes[-2:])
    handle, name = tempfile.mkstemp(prefix="tokenomics-s3-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            s3.download_fileobj(obj.bucket, obj.key, out)
        yield Path(name)
    finally:
        os.unlink(name)

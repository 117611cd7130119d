"""Where files go: one S3 client (any S3-compatible endpoint, with retries) and one atomic local write — shared by
ingest, exports, statements, the lake and the scheduler's state, so each rule is written once."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

RETRIES = {"max_attempts": 8, "mode": "standard"}


def is_s3(path) -> bool:
    return str(path).startswith("s3://")


def split(uri: str) -> tuple[str, str]:
    """'s3://bucket/a/b' -> ('bucket', 'a/b'); a location without a bucket is an error."""
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"S3 location needs a bucket: {uri!r}")
    return bucket, prefix


def client():
    """boto3's S3 client with standard retries; AWS_ENDPOINT_URL(_S3) points it at MinIO or moto."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries=RETRIES, connect_timeout=10, read_timeout=60))


def atomic_write(path: Path, data: bytes) -> None:
    """Write next to the target, fsync, rename into place: a reader sees the old file or the whole new one, and a
    full or failing disk leaves no half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp-{os.getpid()}", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Ingest from S3 over real HTTP (moto server): pagination, pattern and since filters, no re-download."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

from tokenomics.ingest.runner import ingest_paths


@pytest.fixture()
def bucket(s3_endpoint, demo):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="raw-logs")
    logs = sorted((Path(demo["raw"]) / "gateway" / "litellm").glob("*.jsonl"))
    for f in logs:
        s3.upload_file(str(f), "raw-logs", f"litellm/2026/{f.name}")
    s3.put_object(Bucket="raw-logs", Key="litellm/2026/README.txt", Body=b"not a log")   # pattern-filtered
    s3.put_object(Bucket="raw-logs", Key="other/elsewhere.jsonl", Body=b"{}\n")         # outside the prefix
    return {"s3": s3, "logs": logs}


def test_s3_prefix_ingests_like_local_files(warehouse, bucket, tmp_path):
    # two keys per page forces ListObjectsV2 pagination
    results = ingest_paths(warehouse, "litellm", ["s3://raw-logs/litellm/"], {"page_size": 2})
    assert [r.status for r in results] == ["loaded"] * len(bucket["logs"])
    assert all(r.uri.startswith("s3://raw-logs/litellm/2026/") for r in results)
    s3_rows = warehouse.execute("SELECT count(*), sum(output_tokens) FROM raw_requests").fetchone()
    local = __import__("tokenomics.warehouse", fromlist=["open_warehouse"]).open_warehouse(tmp_path / "local.duckdb")
    ingest_paths(local, "litellm", bucket["logs"])
    assert s3_rows == local.execute("SELECT count(*), sum(output_tokens) FROM raw_requests").fetchone()
    # unchanged objects are not downloaded again
    again = ingest_paths(warehouse, "litellm", ["s3://raw-logs/litellm/"])
    assert {r.status for r in again} == {"skipped_already_ingested"}
    assert all("unchanged object" in r.message for r in again)


def test_since_filter_and_overwritten_objects(warehouse, bucket):
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert ingest_paths(warehouse, "litellm", ["s3://raw-logs/litellm/"], {"since": future}) == []
    first = ingest_paths(warehouse, "litellm", ["s3://raw-logs/litellm/"])
    key = first[0].uri[len("s3://raw-logs/"):]
    body = bucket["s3"].get_object(Bucket="raw-logs", Key=key)["Body"].read()
    bucket["s3"].put_object(Bucket="raw-logs", Key=key, Body=body + b"\n")   # rewritten after the ingest
    again = {r.uri: r for r in ingest_paths(warehouse, "litellm", ["s3://raw-logs/litellm/"])}
    rewritten = again[first[0].uri]
    assert rewritten.status == "loaded"                       # fetched again because it changed ...
    assert rewritten.counts.loaded == 0 and rewritten.counts.duplicate > 0   # ... and adds nothing twice


def test_missing_bucket_is_a_clear_failure(warehouse, s3_endpoint):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="NoSuchBucket"):
        ingest_paths(warehouse, "litellm", ["s3://no-such-bucket/x/"])

"""LiteLLM's S3 logger writes one JSON object per request: ingest of N such objects over real S3 HTTP.

Run: .venv/bin/python bench/documents.py [--docs N]   (default 3,000; a moto S3 server on localhost)

Prints, side by side:
  ingest     `ingest_paths(litellm, s3://…)`: list, skip versions loaded before, fetch (8 threads), bundle,
             validate, dedupe, land, one manifest row per document — documents/s;
  floor      listing the prefix and GETting every object with the same 8 threads, nothing else (run
             before and after the ingest; the faster counts);
  re-run     the same ingest again (every object unchanged: listed, recognised, none fetched).
moto serves a few hundred requests/s here, so the floor is moto's: the ratio says how much our path adds
to fetching the objects at all. Real S3 is slower per GET (tens of ms) and the ratio closer to 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _server():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
                       "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"})
    return server


def _documents(client, n: int) -> None:
    from tests.helpers import payload

    def put(i: int) -> None:
        doc = payload(f"req-{i}", "2026-01-01T00:00:00", "anthropic", "claude-x", 1000, 50, cached=600)
        client.put_object(Bucket="logs", Key=f"2026/01/01/{i:08d}.json", Body=json.dumps(doc, indent=2).encode())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(n)))


def _floor(client) -> float:
    started = time.perf_counter()
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket="logs", Prefix="2026/")
            for o in page.get("Contents", [])]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: client.get_object(Bucket="logs", Key=k)["Body"].read(), keys))
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=3000)
    args = ap.parse_args()
    server = _server()
    try:
        import boto3

        import tokenomics.ingest  # noqa: F401  (registers sources)
        from tokenomics.ingest.runner import ingest_paths
        from tokenomics.warehouse import open_warehouse

        client = boto3.client("s3")
        client.create_bucket(Bucket="logs")
        _documents(client, args.docs)
        floors = [_floor(client)]  # before and after ours: moto's pace drifts
        with tempfile.TemporaryDirectory(prefix="tokenomics-docs-") as tmp:
            con = open_warehouse(Path(tmp) / "wh.duckdb")
            started = time.perf_counter()
            results = ingest_paths(con, "litellm", ["s3://logs/2026/"])
            ours = time.perf_counter() - started
            loaded = sum(r.counts.loaded for r in results)
            started = time.perf_counter()
            again = ingest_paths(con, "litellm", ["s3://logs/2026/"])
            rerun = time.perf_counter() - started
            con.close()
        floors.append(_floor(client))
        floor = min(floors)
    finally:
        server.stop()
    assert loaded == args.docs and {r.status for r in again} == {"skipped_already_ingested"}
    print(f"documents {args.docs:,}")
    print(f"ingest    {ours:7.2f} s  {args.docs / ours:8.0f} docs/s")
    print(f"floor     {floor:7.2f} s  {args.docs / floor:8.0f} docs/s   (list + GET, 8 threads; faster of"
          f" {floors[0]:.2f} s before and {floors[1]:.2f} s after)")
    print(f"ratio     {ours / floor:7.2f}    ingest / floor")
    print(f"re-run    {rerun:7.2f} s  (all unchanged: listed, none fetched)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

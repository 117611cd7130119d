"""LiteLLM per-request JSON documents (its S3 logger's objects): pretty-printed, arrays, concatenated,
broken — loaded in bundles from local folders and from S3 over HTTP, exactly once."""

import json

import boto3

import tokenomics.ingest.documents
from tokenomics.ingest.runner import ingest_paths
from tests.helpers import payload


def _doc(rid: str, **changes) -> dict:
    return {**payload(rid, "2026-01-01T00:00:00", "anthropic", "claude-x", 1000, 50, cached=600), **changes}


DOCS = {
    "2026/01/01/a.json": json.dumps(_doc("a"), indent=2).encode(),                  # pretty-printed
    "2026/01/01/b.json": json.dumps([_doc("b1"), _doc("b2")]).encode(),             # an array of payloads
    "2026/01/01/c.json": (json.dumps(_doc("c1")) + "\n" + json.dumps(_doc("c2"), indent=1)).encode(),  # concatenated
    "2026/01/01/d.json": json.dumps(_doc("d"), indent=2).encode()[:-40],            # truncated upload
    "2026/01/01/e.json": json.dumps(_doc("a"), indent=4).encode(),                  # request a, delivered again
    "2026/01/01/f.json": json.dumps(_doc("f", status="weird"), indent=2).encode(),  # fails a check
    "2026/01/01/g.json": b'{"id": "g", "x": "\xff"}',                              # not UTF-8
    "2026/01/01/notes.txt": b"not a log",                                          # not a document name
}


def _check(warehouse, results, where: str) -> None:
    counts = [sum(getattr(r.counts, k) for r in results) for k in ("read", "loaded", "quarantined", "duplicate")]
    # 9 objects: a, b1, b2, c1, c2 load; d (truncated), f (bad status), g (not UTF-8) are quarantined;
    # e repeats a byte-for-byte after normalisation, so it is a duplicate
    assert counts == [9, 5, 3, 1]
    assert all(r.counts.reconciles() for r in results)
    ids = [i for (i,) in warehouse.execute("SELECT request_id FROM raw_requests ORDER BY 1").fetchall()]
    assert ids == ["a", "b1", "b2", "c1", "c2"]
    rows = warehouse.execute("SELECT uri, line_no, reason FROM quarantine ORDER BY uri").fetchall()
    by_doc = {uri.rsplit("/", 1)[-1]: (line, reason) for uri, line, reason in rows}
    assert set(by_doc) == {"d.json", "f.json", "g.json"} and all(uri.startswith(where) for uri, *_ in rows)
    assert by_doc["d.json"] == (1, "not valid JSON")
    assert "status is not success/failure" in by_doc["f.json"][1] and "UTF-8" in by_doc["g.json"][1]
    # the token quirk is the same as for JSON lines: prompt_tokens include the 600 cache reads
    assert warehouse.execute("SELECT uncached_input_tokens, cache_read_tokens FROM raw_requests WHERE request_id = 'a'"
                             ).fetchone() == (400, 600)


def test_local_documents_load_in_bundles_exactly_once(warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(tokenomics.ingest.documents, "BUNDLE", 3)  # three bundles: duplicates are found across them
    for key, body in DOCS.items():
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(body)
    results = ingest_paths(warehouse, "litellm", [tmp_path])
    assert [r.status for r in results] == ["loaded"] * 3
    _check(warehouse, results, str(tmp_path))
    assert warehouse.execute("SELECT count(*) FROM ingest_manifest").fetchone()[0] == 7  # one per document
    again = ingest_paths(warehouse, "litellm", [tmp_path])
    assert {r.status for r in again} == {"skipped_already_ingested"}
    assert warehouse.execute("SELECT count(*) FROM raw_requests").fetchone()[0] == 5


def test_s3_documents_are_listed_bundled_and_not_downloaded_twice(warehouse, s3_endpoint, monkeypatch):
    monkeypatch.setattr(tokenomics.ingest.documents, "LOOKUP", 3)  # the listing is checked against the manifest 3 at a time
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="litellm-logs")
    for key, body in DOCS.items():
        s3.put_object(Bucket="litellm-logs", Key=key, Body=body)
    results = ingest_paths(warehouse, "litellm", ["s3://litellm-logs/2026/"], {"page_size": 2})
    assert [r.status for r in results] == ["loaded"]
    assert "(+6 more documents)" in results[0].uri
    _check(warehouse, results, "s3://litellm-logs/2026/01/01/")
    [again] = ingest_paths(warehouse, "litellm", ["s3://litellm-logs/2026/"])
    assert again.status == "skipped_already_ingested" and "7 documents unchanged" in again.message
    # a new object arrives: only it is fetched and loaded
    s3.put_object(Bucket="litellm-logs", Key="2026/01/02/h.json", Body=json.dumps(_doc("h"), indent=2).encode())
    later = ingest_paths(warehouse, "litellm", ["s3://litellm-logs/2026/"])
    assert [r.status for r in later] == ["skipped_already_ingested", "loaded"]
    assert later[1].counts.loaded == 1 and later[1].uri.endswith("h.json")
    # an object overwritten under its old key is fetched again; the other 7 (b–g, h) still are not
    s3.put_object(Bucket="litellm-logs", Key="2026/01/01/a.json", Body=json.dumps(_doc("a2"), indent=2).encode())
    rewritten = ingest_paths(warehouse, "litellm", ["s3://litellm-logs/2026/"])
    assert [r.status for r in rewritten] == ["skipped_already_ingested", "loaded"]
    assert "7 documents unchanged" in rewritten[0].message and rewritten[1].uri.endswith("/a.json")
    assert rewritten[1].counts.loaded == 1

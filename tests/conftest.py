import os
import socket
from pathlib import Path

import pytest

import tokenomics.ingest  # noqa: F401  (registers sources)
from tokenomics.warehouse import open_warehouse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def warehouse(tmp_path):
    con = open_warehouse(tmp_path / "wh.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """A small demo warehouse built through the real generate → ingest → build path."""
    from tokenomics.cli import build_demo

    base = tmp_path_factory.mktemp("demo")
    db = base / "demo.duckdb"
    manifest = build_demo(base / "raw", db, seed=7, requests=20_000, days=30)
    return {"db": db, "raw": base / "raw", "manifest": manifest}


@pytest.fixture()
def books(demo, tmp_path):
    """A writable copy of the demo warehouse (closing a month writes to it), its first month (always over) and
    its largest tenant."""
    import shutil

    import duckdb

    db = tmp_path / "books.duckdb"
    shutil.copy(demo["db"], db)
    con = duckdb.connect(str(db), read_only=True)
    first = con.execute("SELECT min(day) FROM mart_ledger_daily").fetchone()[0]
    top = con.execute("SELECT tenant FROM mart_ledger_daily WHERE tenant <> '__idle__' GROUP BY 1 "
                      "ORDER BY sum(effective_cost_usd) DESC LIMIT 1").fetchone()[0]
    con.close()
    return {"db": db, "month": first.strftime("%Y-%m"), "top": top, "raw": demo["raw"], "tmp": tmp_path}


@pytest.fixture()
def demo_env(demo, monkeypatch):
    monkeypatch.setenv("TOKENOMICS_DB", str(demo["db"]))
    return demo


@pytest.fixture()
def s3_endpoint(monkeypatch):
    """A real S3 API over HTTP: moto in server mode on a free port, with boto3 pointed at it."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    url = f"http://127.0.0.1:{port}"
    for key, value in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    yield url
    server.stop()


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server for SQL sources: a throwaway cluster (initdb + pg_ctl) on a free port."""
    from tests import pgcluster

    if not pgcluster.binaries():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries missing in CI (.ci/run installs postgresql)")
        pytest.skip("PostgreSQL server not installed")
    with pgcluster.cluster() as url:
        yield url

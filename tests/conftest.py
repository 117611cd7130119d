import json
import os
import socket
from pathlib import Path

import pytest

import ingest  # noqa: F401  (registers sources)
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
def postgres_url(tmp_path_factory):
    """A real PostgreSQL server for SQL sources: a throwaway cluster (initdb + pg_ctl) on a free port."""
    import glob
    import shutil
    import subprocess

    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries missing in CI (.ci/run installs postgresql)")
        pytest.skip("PostgreSQL server not installed")
    import tempfile
    from pathlib import Path as _Path

    bindir = os.path.dirname(bins[-1])
    base = _Path(tempfile.mkdtemp(prefix="tokenomics-pg-"))  # outside pytest's root-only tmp tree
    data = base / "data"
    as_user = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres system user
        shutil.chown(base, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*as_user, f"{bindir}/initdb", "-D", str(data), "-A", "trust", "-U", "tokenomics"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, f"{bindir}/pg_ctl", "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                    f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    yield f"postgresql://tokenomics@127.0.0.1:{port}/postgres"
    subprocess.run([*as_user, f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)

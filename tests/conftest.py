import json
import os
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

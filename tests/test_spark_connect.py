"""Issue 20: `tokenomics build --engine spark` on a cluster through Spark Connect (SPARK_REMOTE) — a real Spark Connect
server (pyspark's own SparkConnectServer, local[2], in a process of its own) and the CLI as a user runs it: every
model table equals DuckDB's, and a later build rewrites only the changed days (the session's dynamic partition
overwrite reaches the server)."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import payload, write_jsonl
from tests.test_spark_build import _assert_equal, cli_build
from tokenomics.lake import publish as lake_publish
from tokenomics.warehouse import build_models, open_warehouse

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (apt install openjdk-17-jre-headless)")


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    """sc://127.0.0.1:<port>: a Spark Connect server started with spark-submit from pyspark's own installation."""
    import pyspark

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = Path(pyspark.__file__).parent
    log = tmp_path_factory.mktemp("connect") / "server.log"
    server = subprocess.Popen(
        [str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
         "--master", "local[2]", "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.ui.enabled=false",
         "--conf", "spark.driver.memory=2g"],
        env={**os.environ, "SPARK_HOME": str(home)}, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-4000:]
        time.sleep(1)
    yield f"sc://127.0.0.1:{port}"
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def test_spark_connect_builds_every_model_and_then_only_the_changed_days(connect_server, tmp_path):
    from tokenomics.cli import build_demo
    from tokenomics.ingest.runner import ingest_paths

    db, lake, out = tmp_path / "wh.duckdb", tmp_path / "lake", tmp_path / "models"
    build_demo(tmp_path / "raw", db, seed=23, requests=1500, days=6)
    con = open_warehouse(db)
    lake_publish(con, str(lake))
    con.close()
    first = cli_build(lake, out, {"SPARK_REMOTE": connect_server})
    assert first["mart_spend_daily"] == "every day" and first["mart_budget_daily"] == "whole"
    assert {"mart_spend_daily", "mart_ledger_daily", "mart_focus_daily"} <= set(_assert_equal(db, out))

    con = open_warehouse(db)
    day = con.execute("SELECT max(day) FROM mart_spend_daily").fetchone()[0]
    write_jsonl(tmp_path / "late.jsonl", [payload(f"connect-late-{i}", f"{day}T10:00:00", "openai", "gpt-4o", 1500, 200,
                                                  tenant="globex") for i in range(5)])
    ingest_paths(con, "litellm", [tmp_path / "late.jsonl"])
    build_models(con)
    lake_publish(con, str(lake))
    con.close()
    again = cli_build(lake, out, {"SPARK_REMOTE": connect_server})
    assert again["mart_spend_daily"] == "1 day(s)", again
    _assert_equal(db, out)  # the other days' partitions survived the overwrite

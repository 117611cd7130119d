"""Issue 20: `tokenomics build --engine spark` from a lake in S3 to models in S3 — Spark's own s3a connector against a
real S3 API over HTTP (moto's server) — equals the warehouse path's models; a later build rewrites only the changed
days in the bucket; `publish --from-lake s3://…` serves the result.  The build runs as a user runs it: the CLI, in a
process of its own, configured by a spark-defaults.conf.

The s3a connector (hadoop-aws and the AWS SDK) is not in pyspark's wheel; a cluster has it.  Here it comes from PyPI's
sagemaker_pyspark (a test extra: hadoop-aws 3.3.1 and the AWS SDK 1.11 bundle), next to pyspark 4.3's Hadoop 3.5
client, so spark-defaults.conf names the jars, an SDK v1 credentials class (Hadoop 3.5's default names SDK v2 ones) and
the timeouts as plain numbers (3.5's defaults say "60s", which 3.3.1 cannot parse)."""

import json
import os
import shutil
import uuid
from pathlib import Path

import pytest

from tests.helpers import payload, write_jsonl
from tests.test_spark_build import _assert_equal, _rows, _same, cli_build
from tokenomics import spark_build
from tokenomics.cli import DEMO_LAYOUT
from tokenomics.lake import fetch, listing, read_text
from tokenomics.lake_ingest import ingest_to_lake
from tokenomics.warehouse import build_models, connect, open_warehouse

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (apt install openjdk-17-jre-headless)")

RUNS = ("int_ingest_freshness", "mart_ingest_health")  # per ingest run: a run per file in the lake, per call here
# Hadoop 3.5's defaults for these are durations with units ("60s", "24h"); hadoop-aws 3.3.1 reads plain numbers
TIMEOUTS = {"fs.s3a.threads.keepalivetime": "60", "fs.s3a.connection.establish.timeout": "30000",
            "fs.s3a.connection.timeout": "200000", "fs.s3a.multipart.purge.age": "86400"}


def _spark_conf(folder: Path) -> Path:
    """A spark-defaults.conf that puts the s3a connector on the classpath (what a cluster has installed)."""
    try:
        import sagemaker_pyspark
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("sagemaker_pyspark missing in CI (a test extra: the s3a connector's jars)")
        pytest.skip("sagemaker_pyspark not installed (pip install -e '.[test]')")
    jars = Path(sagemaker_pyspark.__file__).parent / "jars"
    wanted = [*jars.glob("hadoop-aws-*.jar"), *jars.glob("aws-java-sdk-bundle-*.jar")]
    assert len(wanted) == 2, wanted
    settings = {"spark.jars": ",".join(map(str, wanted)),
                "spark.hadoop.fs.s3a.aws.credentials.provider": "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
                **{f"spark.hadoop.{key}": value for key, value in TIMEOUTS.items()}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spark-defaults.conf").write_text("".join(f"{key} {value}\n" for key, value in settings.items()))
    return folder


def test_spark_builds_from_an_s3_lake_into_s3_incrementally_and_publishes_from_it(s3_endpoint, tmp_path):
    import boto3

    from tokenomics.cli import build_demo
    from tokenomics.ingest.runner import ingest_paths

    conf = _spark_conf(tmp_path / "spark-conf")
    db = tmp_path / "wh.duckdb"  # the same files through the warehouse, for comparison
    build_demo(tmp_path / "raw", db, seed=17, requests=1500, days=6)
    bucket = f"spark-{uuid.uuid4().hex[:8]}"  # moto keeps every in-process server's buckets: a bucket of its own
    boto3.client("s3").create_bucket(Bucket=bucket)
    lake, out = f"s3://{bucket}/lake", f"s3://{bucket}/models"
    for source, folder in DEMO_LAYOUT:
        assert all(r.status == "loaded" for r in ingest_to_lake(source, [tmp_path / "raw" / folder], lake, workers=2))

    first = cli_build(lake, out, {"SPARK_CONF_DIR": str(conf)}, master="local[2]")
    assert first["mart_spend_daily"] == "every day" and first["mart_budget_daily"] == "whole"
    objects = listing(out)
    assert spark_build.STATE in objects and any(k.startswith("mart_spend_daily/_day=") for k in objects)
    assert not (Path.cwd() / "s3:").exists()  # no local folder named after the bucket
    copy = fetch(out, tmp_path / "first")
    assert {"mart_spend_daily", "mart_ledger_daily", "mart_focus_daily"} <= set(_assert_equal(db, copy, RUNS))

    # late requests on the last day: into the lake and the warehouse alike; the next build rewrites that day only
    con = open_warehouse(db)
    day = con.execute("SELECT max(day) FROM mart_spend_daily").fetchone()[0]
    late = tmp_path / "late"
    late.mkdir()
    write_jsonl(late / "late.jsonl", [payload(f"s3-late-{i}", f"{day}T09:00:00", "openai", "gpt-4o", 2000, 300,
                                              tenant="initech") for i in range(7)])
    ingest_paths(con, "litellm", [late / "late.jsonl"])
    build_models(con)
    con.close()
    (result,) = ingest_to_lake("litellm", [late], lake)
    assert result.status == "loaded" and result.counts.loaded == 7
    again = cli_build(lake, out, {"SPARK_CONF_DIR": str(conf)}, master="local[2]")
    assert again["mart_spend_daily"] == "1 day(s)", again
    state = json.loads(read_text(out, spark_build.STATE))
    assert state["lake"] == lake and state["models"]["mart_spend_daily"] == "1 day(s)"
    second = fetch(out, tmp_path / "second")
    _assert_equal(db, second, RUNS)

    # the dashboard's snapshot straight from the bucket: the same marts as the warehouse's own
    served = spark_build.publish_from_lake(out, tmp_path / "served.duckdb")
    ours, theirs = connect(db, read_only=True), connect(served, read_only=True)
    for mart in ("mart_spend_daily", "mart_ledger_daily", "rate_cards"):  # rate cards: loaded by other runs here
        columns = ", ".join(f'"{c}"' for (c, *_) in ours.execute(f'DESCRIBE "{mart}"').fetchall() if c != "run_id")
        assert _same(_rows(theirs, f'SELECT {columns} FROM "{mart}"'), _rows(ours, f'SELECT {columns} FROM "{mart}"')), mart
    ours.close()
    theirs.close()

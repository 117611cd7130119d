"""The Spark SQL that `tokenomics sql --dialect spark --lake DIR` prints: no DuckDB-only construct is left, and
Spark 4 itself parses every statement of the script as printed (its own SQL parser, a local JVM).

Executing it on a demo lake and comparing every model table with DuckDB's: tests/test_spark_build.py."""

import re
import shutil

import pytest

from tokenomics.lake import publish, read_manifest
from tokenomics.portable import SPARK_SETTINGS, model_inputs, spark_script, split_script, transpile
from tokenomics.warehouse import connect

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (apt install openjdk-17-jre-headless)")


@pytest.fixture(scope="module")
def script(demo, tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    copy = lake / "wh.duckdb"
    shutil.copyfile(demo["db"], copy)
    con = connect(copy)
    publish(con, str(lake / "lake"))
    con.close()
    return spark_script(str(lake / "lake"), read_manifest(str(lake / "lake")))


def test_script_has_no_duckdb_only_construct(script):
    statements = split_script(script)
    assert statements[:len(SPARK_SETTINGS)] == [f"SET {k}={v}" for k, v in SPARK_SETTINGS.items()]
    for table in model_inputs():  # a view over the lake for every table the models read
        assert f"CREATE OR REPLACE TEMPORARY VIEW {table} AS SELECT" in script
    for construct in ("GLOB", "INT128", "HUGEINT", "LIST_AGGREGATE", "infinity", "REPLACE (", "CREATE OR REPLACE TABLE",
                      "LATERAL (VALUES", "LENGTH(FILTER"):
        assert construct not in re.sub(r"/\*.*?\*/", "", script, flags=re.S), construct  # comments aside
    assert "spark.sql.decimalOperations.allowPrecisionLoss=false" in script


def test_a_lake_and_work_folder_in_s3_are_opened_through_s3a():
    """Open-source Spark has no s3:// file system: the printed script reads and writes s3a://, the same keys."""
    import json

    from tokenomics.portable import spark_path

    assert spark_path("s3://bucket/lake") == "s3a://bucket/lake" and spark_path("/data/lake") == "/data/lake"
    manifest = {"relations": {"rate_cards": {"path": "rate_cards", "partitioned_by": [], "role": "reference",
                                             "columns": [["provider", "VARCHAR"]]}}}
    printed = spark_script("s3://bucket/lake", json.loads(json.dumps(manifest)), "s3://bucket/models/_work")
    assert "parquet.`s3a://bucket/lake/rate_cards`" in printed and "'s3a://bucket/models/_work/" in printed
    assert "s3://" not in printed


def test_spark_rewrites_are_exact_spellings():
    # open-ended rate cards: no infinite timestamp in Spark; the same rows by an explicit NULL test
    sql = transpile("SELECT * FROM t WHERE in_force(ts, valid_from, valid_to)", "spark")
    assert "valid_to IS NULL OR ts < valid_to" in " ".join(sql.split())
    # GLOB → LIKE with the literal % and _ escaped; a [class] pattern fails loudly rather than matching differently
    like = transpile("SELECT m GLOB 'gpt-4o_*' FROM t", "spark")
    assert "LIKE 'gpt-4o\\\\_%'" in like  # Spark literals take \\ for a backslash: LIKE sees gpt-4o\_%
    assert "RAISE_ERROR" in transpile("SELECT m GLOB p FROM t", "spark")
    # DuckDB casts to integers round; Spark truncates — rounded first.  // is exact in DECIMAL(38, 0)
    assert "ROUND(x)" in transpile("SELECT x::BIGINT FROM t", "spark")
    assert "DECIMAL(38, 0)" in transpile("SELECT l // 1000000 FROM t", "spark")
    assert re.search(r"CAST\(a AS DOUBLE\) / CAST\(b AS DOUBLE\)", transpile("SELECT a / b FROM t", "spark"))


def test_spark_parses_every_statement_as_printed(script, tmp_path):
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName("tokenomics-parse")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "1g")
             .config("spark.sql.warehouse.dir", str(tmp_path / "spark-warehouse")).getOrCreate())
    try:
        parser = spark._jsparkSession.sessionState().sqlParser()
        for statement in split_script(script):
            parser.parsePlan(statement)  # raises ParseException on anything Spark's grammar lacks
    finally:
        spark.stop()

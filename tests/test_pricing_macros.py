"""Pricing in one file: the rules are SQL macros (sql/macros), loaded on every connection, hashed into the build
fingerprint, inlined for other engines — and written nowhere else."""

import re
import shutil

from tokenomics.config import ENV_SQL_DIR, sql_dir
from tokenomics.incremental import model_fingerprints
from tokenomics.portable import macros, transpile
from tokenomics.warehouse import LAYERS, connect, macro_files, migrate, model_files


def test_connect_defines_every_macro_of_the_files():
    names = set(macros())
    assert {"token_cost", "bucket_pico", "unpriced_bucket", "discount_pico", "net_of_discount", "in_force", "in_tier",
            "in_scope"} <= names
    con = connect(":memory:")
    defined = {n for (n,) in con.execute("SELECT DISTINCT function_name FROM duckdb_functions() "
                                         "WHERE function_type = 'macro' AND NOT internal").fetchall()}
    con.close()
    assert names <= defined


def test_editing_a_macro_changes_the_build_fingerprint(tmp_path, monkeypatch):
    """The marts are a function of the macros: editing one must force a full rebuild, not leave marts stale."""
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    monkeypatch.setenv(ENV_SQL_DIR, str(copy))
    assert sql_dir() == copy and all(p.parent == copy / "macros" for p in macro_files())
    con = connect(":memory:")
    migrate(con)
    # (made by a build from the perf model: empty will do)
    con.execute("CREATE TABLE ref_deployment_perf (deployment_id VARCHAR, prefill_gpu_seconds_per_token DOUBLE, "
                "note VARCHAR)")
    texts = {p.stem: p.read_text() for layer in LAYERS for p in model_files(layer)}
    before, _ = model_fingerprints(con, texts)
    assert model_fingerprints(con, texts)[0] == before
    pricing = copy / "macros" / "pricing.sql"
    pricing.write_text(pricing.read_text().replace("t_w1h * coalesce(p_w1h, 0)", "t_w1h * coalesce(p_w5, 0)"))
    after, _ = model_fingerprints(con, texts)
    # the ledger's fingerprint moves, and with its undated part too: a full build, not a re-price by date
    assert after["int_request_costs"][0] != before["int_request_costs"][0]
    assert after["int_request_costs"][1] != before["int_request_costs"][1]
    con.close()


# what the macros define, spelled out by hand: the card-in-force and context-tier joins, the discount's arithmetic,
# the µ$ conversion and the per-bucket "tokens but no price" check
HAND_WRITTEN = re.compile(r"valid_to IS NULL OR|'infinity'|9223372036854775807|\(100 - |\* 10000\)::BIGINT"
                          r"|1000000\)::BIGINT|// 1000000|_tokens > 0 AND \w+ IS NULL", re.I)


def test_no_model_or_query_spells_out_a_pricing_rule():
    offenders = []
    for path in sorted(sql_dir().rglob("*.sql")):
        if path.parent.name in ("macros", "migrations", "ingest"):
            continue
        code = re.sub(r"--[^\n]*", "", path.read_text())
        offenders += [f"{path.relative_to(sql_dir())}: {m.group(0)}" for m in HAND_WRITTEN.finditer(code)]
    assert offenders == []


def test_other_dialects_get_the_macros_inlined():
    trino = transpile("SELECT token_cost(a, b, c, d, e, f, p1, p2, p3, p4, p5, p6) AS x FROM t "
                      "WHERE in_force(t.ts, t.valid_from, t.valid_to)", "trino")
    assert "token_cost" not in trino.lower() and "in_force" not in trino.lower()
    assert "CAST(d AS DECIMAL(38, 0)) * COALESCE(p4, 0)" in trino  # HUGEINT → DECIMAL(38, 0): exact in Trino
    assert "t.ts >= t.valid_from" in trino and "t.ts < COALESCE(t.valid_to" in trino


def test_a_plain_duckdb_session_on_the_warehouse_can_query_the_views(demo):
    """The views call the pricing macros; a build also stores them in the file, so the duckdb CLI works on it."""
    import duckdb

    con = duckdb.connect(str(demo["db"]), read_only=True)  # not tokenomics.warehouse.connect: no TEMP macros
    try:
        assert con.execute("SELECT count(*) FROM stg_rate_cards").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM int_request_costs WHERE effective_cost_usd IS NOT NULL").fetchone()[0] > 0
    finally:
        con.close()

"""Schema migrations: versioned, ordered, and an upgrade keeps existing data."""

from datetime import datetime, timezone

from tokenomics.warehouse import connect, current_version, migrate, migrations


def test_upgrade_from_v1_keeps_data(tmp_path):
    db = tmp_path / "old.duckdb"
    con = connect(db)
    assert migrate(con, target=1) == 1
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    con.execute("INSERT INTO ingest_runs (run_id, source, uri, started_at, status, rows_read, rows_loaded)"
                " VALUES ('run-1', 'litellm', 'file:///x.jsonl', ?, 'loaded', 3, 3)", [now])
    con.execute("INSERT INTO gpu_rates VALUES ('h100', 'H100', 'committed', 2.20, ?, NULL, 'run-1')", [now])
    con.close()

    con = connect(db)  # a later release opens the same file
    latest = migrations()[-1].version
    assert migrate(con) == latest > 1
    assert con.execute("SELECT run_id, rows_loaded, tool_version FROM ingest_runs").fetchall() == [("run-1", 3, None)]
    assert con.execute("SELECT usd_per_gpu_hour FROM gpu_rates").fetchone()[0] == __import__("decimal").Decimal("2.2")
    assert [v for (v,) in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()] == list(
        range(1, latest + 1))


def test_migrate_is_idempotent(tmp_path):
    con = connect(tmp_path / "a.duckdb")
    first = migrate(con)
    assert migrate(con) == first == current_version(con)


def test_a_model_that_changed_kind_is_replaced(warehouse):
    """A warehouse built when a model was a table rebuilds cleanly now that it is a view (and back)."""
    from tokenomics.warehouse import build_models

    build_models(warehouse)
    warehouse.execute("DROP VIEW int_request_tier_prices")
    warehouse.execute("CREATE TABLE int_request_tier_prices AS SELECT 1 AS stale")
    build_models(warehouse)
    kinds = warehouse.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'int_request_tier_prices'").fetchone()
    assert kinds[0] == 1


def test_quarantine_text_kept_before_the_allow_list_is_removed_on_upgrade(tmp_path):
    """Issue 18 §3: rows a deny-list kept (prompts, e-mails, keys) do not survive the upgrade; the rows stay."""
    db = tmp_path / "old.duckdb"
    con = connect(db)
    migrate(con, target=15)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for source in ("litellm", "bedrock", "nvidia-smi"):
        con.execute("INSERT INTO quarantine VALUES ('r', ?, 'f', 1, ?, 'not valid JSON', ?)",
                    [source, '{"id": "x", "api_key": "sk-CANARY", "messages": "CANARY prompt"}', now])
    con.close()
    con = connect(db)
    migrate(con)
    kept = dict(con.execute("SELECT source, raw FROM quarantine").fetchall())
    assert "CANARY" not in kept["litellm"] and "CANARY" not in kept["bedrock"] and '"bytes"' in kept["litellm"]
    assert "CANARY" in kept["nvidia-smi"]  # telemetry lines carry no text: left as they were
    assert con.execute("SELECT count(*), count(DISTINCT reason) FROM quarantine").fetchone() == (3, 1)

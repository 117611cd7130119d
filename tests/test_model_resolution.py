"""The one model-name resolver (sql/intermediate/int_model_resolution.sql): each rule on given names and cards,
and the onboarding loop — an unmatched name shows on Data health with the line that prices it."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.helpers import payload, write_jsonl
from tests.sqlgiven import given, memory, run_model

CARDS = [  # (provider, model) as the LiteLLM catalogue keys them
    ("openai", "gpt-4o"), ("openai", "gpt-4o-2024-08-06"), ("openai", "ft:gpt-4o-mini-2024-07-18"),
    ("anthropic", "claude-sonnet-4-5"), ("bedrock_converse", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
    ("bedrock_converse", "anthropic.claude-haiku-4-5-20251001-v1:0"), ("bedrock", "amazon.titan-text-express-v1"),
    ("vertex_ai-anthropic_models", "claude-3-5-sonnet@20240620"), ("azure", "gpt-4o"), ("openai", "gpt-3.5-turbo"),
]
NAMES = {  # logged (provider, model) -> (card provider, card model, rule)
    ("openai", "gpt-4o"): ("openai", "gpt-4o", "exact"),
    ("openai", "openai/gpt-4o"): ("openai", "gpt-4o", "provider_prefix"),
    ("bedrock", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0"):
        ("bedrock_converse", "us.anthropic.claude-sonnet-4-20250514-v1:0", "arn (bedrock_converse)"),
    ("bedrock", "eu.anthropic.claude-haiku-4-5-20251001-v1:0"):
        ("bedrock_converse", "anthropic.claude-haiku-4-5-20251001-v1:0", "region_prefix (bedrock_converse)"),
    ("bedrock", "amazon.titan-text-express-v1"): ("bedrock", "amazon.titan-text-express-v1", "exact"),
    ("openai", "ft:gpt-4o-mini-2024-07-18:acme::abc123"): ("openai", "ft:gpt-4o-mini-2024-07-18", "fine_tune"),
    ("anthropic", "claude-sonnet-4-5-20250929"): ("anthropic", "claude-sonnet-4-5", "dated_alias"),
    ("vertex_ai", "claude-3-5-sonnet@20240620"):
        ("vertex_ai-anthropic_models", "claude-3-5-sonnet@20240620", "exact (vertex_ai-anthropic_models)"),
    ("unknown", "gpt-3.5-turbo"): ("openai", "gpt-3.5-turbo", "exact (any provider)"),  # listed by openai alone
    ("unknown", "gpt-4o"): (None, None, "unmatched"),  # openai and azure both list it: no guess
    ("azure", "prod-gpt4o-eastus"): ("azure", "gpt-4o", "override"),
    ("azure", "team-x-deployment"): (None, None, "unmatched"),
}


def _resolved(overrides=()):
    con = memory()
    given(con, "stg_rate_cards", "provider VARCHAR, model VARCHAR", CARDS)
    given(con, "model_names", "provider VARCHAR, model VARCHAR", list(NAMES))
    given(con, "model_overrides", "provider VARCHAR, model VARCHAR, card_provider VARCHAR, card_model VARCHAR, "
          "run_id VARCHAR", [("azure", "prod-gpt4o-eastus", "azure", "gpt-4o", "r"), *overrides])
    run_model(con, "intermediate/int_model_resolution.sql")
    return con


def test_each_rule_resolves_what_gateways_and_vendors_write():
    con = _resolved()
    got = {(p, m): (cp, cm, rule) for p, m, cp, cm, rule, _ in con.execute("SELECT * FROM int_model_resolution").fetchall()}
    assert got == NAMES


def test_model_family_strips_the_snapshot_date_for_reconciliation():
    con = _resolved()
    family = dict(((p, m), f) for p, m, f in con.execute("SELECT provider, model, model_family FROM int_model_resolution").fetchall())
    assert family[("openai", "gpt-4o")] == "gpt-4o"
    assert family[("anthropic", "claude-sonnet-4-5-20250929")] == "claude-sonnet-4-5"
    assert family[("vertex_ai", "claude-3-5-sonnet@20240620")] == "claude-3-5-sonnet"


def test_unmatched_names_get_their_closest_entries_and_an_override_line():
    con = _resolved()
    run_model(con, "marts/mart_model_resolution.sql")
    row = con.execute("SELECT candidates, override_line FROM mart_model_resolution WHERE model = 'team-x-deployment'").fetchone()
    assert len(row[0]) == 3
    assert row[1].startswith('- {provider: "azure", model: "team-x-deployment", card_provider: ')
    assert con.execute("SELECT count(*) FROM mart_model_resolution WHERE rule <> 'unmatched' AND override_line IS NOT NULL"
                       ).fetchone()[0] == 0


def test_onboarding_an_azure_deployment_name_through_the_override_file(tmp_path):
    """Unpriced (never $0) → Data health names it with a line → the line in a contracts file prices it."""
    from tokenomics.ingest.runner import ingest_paths
    from tokenomics.access import Principal
    from tokenomics.queries import data_health
    from tokenomics.warehouse import build_models, open_warehouse

    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    (tmp_path / "model_prices_2026-01-01.json").write_text(
        '{"azure/gpt-4o": {"litellm_provider": "azure", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}}')
    ingest_paths(con, "litellm-prices", [tmp_path / "model_prices_2026-01-01.json"])
    write_jsonl(tmp_path / "gw.jsonl", [payload("az1", "2026-03-01T10:00:00", "azure", "prod-eastus-4o", 1000, 100)])
    ingest_paths(con, "litellm", [tmp_path / "gw.jsonl"])
    build_models(con)
    [(status, cost)] = con.execute("SELECT pricing_status, list_cost_usd FROM int_request_costs").fetchall()
    assert (status, cost) == ("unpriced", None)  # never $0
    con.close()
    admin = Principal(user="admin@example.com", role="admin")
    [row] = data_health(db, admin)["unmatched"].to_dicts()
    assert (row["provider"], row["model"], row["requests"]) == ("azure", "prod-eastus-4o", 1)
    assert row["closest_entries"][0] == "azure/gpt-4o"
    line = row["add_to_model_aliases"]
    assert line == '- {provider: "azure", model: "prod-eastus-4o", card_provider: "azure", card_model: "gpt-4o"}'
    (tmp_path / "contracts.yaml").write_text("model_aliases:\n  " + line + "\n")
    con = open_warehouse(db)
    [r] = ingest_paths(con, "contracts", [tmp_path / "contracts.yaml"])
    assert r.counts.loaded == 1
    build_models(con)
    # 1,000 in × $2.50 + 100 out × $10 per 1M = 2,500 + 1,000 = 3,500 µ$
    assert con.execute("SELECT pricing_status, model, list_cost_usd FROM int_request_costs").fetchone() == (
        "priced", "gpt-4o", Decimal("0.0035"))
    con.close()


def test_check_is_a_dry_run_that_reports_loads_quarantine_pricing_and_tenants(tmp_path, capsys):
    """`tokenomics check`: the real sources and build in a scratch warehouse seeded with the warehouse's cards."""
    import json

    from tokenomics.ingest.runner import ingest_paths
    from tokenomics.cli import main
    from tokenomics.warehouse import build_models, open_warehouse

    db = tmp_path / "wh.duckdb"
    con = open_warehouse(db)
    (tmp_path / "model_prices_2026-01-01.json").write_text(
        '{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}}')
    ingest_paths(con, "litellm-prices", [tmp_path / "model_prices_2026-01-01.json"])
    build_models(con)
    before = con.execute("SELECT (SELECT count(*) FROM raw_requests), (SELECT count(*) FROM ingest_runs)").fetchone()
    con.close()
    no_team = payload("c2", "2026-03-01T10:00:00", "openai", "gpt-4o", 1000, 100)
    no_team["metadata"]["spend_logs_metadata"] = None
    no_team["metadata"]["user_api_key_org_id"] = None
    write_jsonl(tmp_path / "gw.jsonl", [payload("c1", "2026-03-01T10:00:00", "openai", "gpt-4o", 1000, 100),
                                        no_team, payload("c3", "2026-03-01T10:00:00", "azure", "my-deploy", 10, 1),
                                        '{"id": "c4", "startTime": 17'])
    assert main(["--db", str(db), "check", "litellm", str(tmp_path / "gw.jsonl"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [f] = report["files"]
    assert (f["read"], f["loaded"], f["quarantined"], f["duplicate"]) == (4, 3, 1, 0)
    assert report["quarantined"][0]["reason"] == "not valid JSON" and report["quarantined"][0]["examples"][0].endswith(":4")
    assert [(u["provider"], u["model"], u["requests"]) for u in report["unpriced"]] == [("azure", "my-deploy", 1)]
    assert report["unpriced"][0]["add_to_model_aliases"].startswith('- {provider: "azure", model: "my-deploy"')
    tenants = {(t["tenant"], t["rule"]): t["requests"] for t in report["tenants"]}
    # explicit spend_logs_metadata.tenant for c1 and c3; c2 has neither tenant nor org: its team alias names it
    assert tenants == {("acme", "explicit"): 2, ("search", "team_alias"): 1}
    con = open_warehouse(db)
    assert con.execute("SELECT (SELECT count(*) FROM raw_requests), (SELECT count(*) FROM ingest_runs)").fetchone() == before
    con.close()
    assert main(["--db", str(db), "check", "litellm", str(tmp_path / "gw.jsonl")]) == 0
    text = capsys.readouterr().out
    assert "Unpriced, by model" in text and "my-deploy" in text and "team_alias" in text
    assert report["already_in_warehouse"] == 0
    con = open_warehouse(db)
    ingest_paths(con, "litellm", [tmp_path / "gw.jsonl"])  # for real now: a second check sees them stored
    con.close()
    assert main(["--db", str(db), "check", "litellm", str(tmp_path / "gw.jsonl"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["already_in_warehouse"] == 3


def test_check_prices_with_a_catalogue_before_any_warehouse_exists(tmp_path, capsys):
    import json

    from tokenomics.cli import main

    (tmp_path / "model_prices_2026-01-01.json").write_text(
        '{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}}')
    write_jsonl(tmp_path / "gw.jsonl", [payload("c1", "2026-03-01T10:00:00", "openai", "gpt-4o", 1000, 100)])
    db = tmp_path / "none.duckdb"
    assert main(["check", "litellm", str(tmp_path / "gw.jsonl"), "--db", str(db), "--json",
                 "--prices", str(tmp_path / "model_prices_2026-01-01.json")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["status"] for f in report["files"]] == ["loaded", "loaded"] and report["already_in_warehouse"] is None
    # 1,000 in × $2.50 + 100 out × $10 per 1M = 3,500 µ$
    assert report["priced"] == [{"pricing_status": "priced", "requests": 1, "list_cost_usd": "0.003500"}]
    assert not db.exists()  # a dry run creates no warehouse

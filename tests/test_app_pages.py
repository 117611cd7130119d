"""AppTest smoke test per page, on the demo warehouse."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app"


PAGES = [("overview", "Total spend"), ("tenant", "Self-hosted GPU"), ("statements", "Total"), ("fleet", "GPU bill"),
         ("savings", "Net savings"), ("batch", "Could save by moving to batch"), ("rate_cards", "Re-priced (effective)"),
         ("whatif", "Input tokens (mean)"), ("recommendations", "Saving a month (best per scope)"), ("data_health", "Ours − gateway-reported"), ("exports", None)]


@pytest.mark.parametrize("page, metric", PAGES)
def test_page_renders(demo_env, page, metric):
    at = AppTest.from_file(str(APP / "views" / f"{page}.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    if metric:
        assert metric in [m.label for m in at.metric]
    assert at.dataframe or page == "exports"


@pytest.mark.parametrize("page", [p for p, _ in PAGES])
def test_page_explains_an_empty_warehouse(tmp_path, monkeypatch, page):
    monkeypatch.setenv("TOKENOMICS_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(APP / "views" / f"{page}.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert page == "whatif" or "tokenomics demo" in at.info[0].value


def test_entrypoint_navigates_to_overview(demo_env):
    at = AppTest.from_file(str(APP / "main.py"), default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]


def test_tenant_filter_changes_totals(demo_env):
    at = AppTest.from_file(str(APP / "views" / "overview.py"), default_timeout=60).run()
    everyone = at.metric[0].value
    tenants = next(m for m in at.sidebar.multiselect if m.label == "Tenants")
    tenants.select(tenants.options[-1]).run()
    assert not at.exception and at.metric[0].value != everyone


def test_cached_queries_do_not_share_entries(demo_env):
    """Each cached query keeps its own entries (they share one wrapper implementation)."""
    from tokenomics.app import data

    assert isinstance(data.period(), tuple)
    assert set(data.filter_options()) == {"tenant", "provider", "model"}
    assert set(data.data_health()) == {"sources", "quarantine", "unmatched"}
    assert isinstance(data.period(), tuple)


def _plan(at):
    """The what-if page's ranked plan table (the one saying where each GPU's rate comes from)."""
    return next(d.value for d in at.dataframe if "Rate from" in d.value.columns)


def test_whatif_works_without_a_warehouse(tmp_path, monkeypatch):
    """Architects can size a fleet before ingesting anything: manual workload only."""
    monkeypatch.setenv("TOKENOMICS_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(APP / "views" / "whatif.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [r.value for r in at.sidebar.radio] == ["Manual"]
    plan = _plan(at)
    assert len(plan) > 0 and (plan["TPOT ms"] <= 50).all()


def test_whatif_slo_tightening_changes_the_plan(demo_env):
    at = AppTest.from_file(str(APP / "views" / "whatif.py"), default_timeout=60).run()
    loose = _plan(at)
    tpot = next(n for n in at.number_input if n.label == "TPOT SLO (ms)")
    tpot.set_value(20).run()
    tight = _plan(at)
    assert not at.exception
    assert (tight["TPOT ms"] <= 20).all() and loose["TPOT ms"].max() > 20


def test_whatif_prices_gpus_at_your_contract_rates(demo_env):
    """The demo's contracts hold H100s at $2.20 and H200s at $2.95: the plan uses them, others list price."""
    at = AppTest.from_file(str(APP / "views" / "whatif.py"), default_timeout=60).run()
    tier = next(s for s in at.selectbox if s.label == "GPU price")
    assert tier.value == "contract"
    plan = _plan(at)
    rates = {(g, src): r for g, src, r in zip(plan["GPU"], plan["Rate from"], plan["$/GPU-hour"])}
    assert rates.get(("h200-sxm", "contract")) == 2.95
    assert all(src == "on_demand" for (g, src) in rates if g not in ("h100-sxm", "h200-sxm"))


def test_whatif_without_a_peak_rate_still_ranks(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENOMICS_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(APP / "views" / "whatif.py"), default_timeout=60).run()
    next(n for n in at.number_input if n.label == "Peak requests per second").set_value(0.0).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "GPUs for peak" not in _plan(at).columns and len(_plan(at)) > 0


def test_whatif_sizes_for_the_p90_request(demo_env):
    at = AppTest.from_file(str(APP / "views" / "whatif.py"), default_timeout=60).run()
    mean_in = next(m for m in at.metric if m.label == "Input tokens (mean)").value
    next(r for r in at.sidebar.radio if r.label == "Size for").set_value("p90 request").run()
    assert not at.exception, [e.value for e in at.exception]
    p90_in = next(m for m in at.metric if m.label == "Input tokens (p90)").value
    assert int(p90_in.replace(",", "")) > int(mean_in.replace(",", ""))
    assert int(p90_in.replace(",", "")) & (int(p90_in.replace(",", "")) - 1) == 0  # a bucket edge: power of two


def test_data_health_says_when_the_dashboard_is_behind_the_warehouse(demo, tmp_path, monkeypatch):
    """Issue 18 §2: rows loaded but not yet published show as a warning, with what is missing."""
    import shutil

    from tokenomics.ingest.runner import ingest_paths
    from tests.helpers import payload, write_jsonl
    from tokenomics.config import serving_path
    from tokenomics.warehouse import build_models, open_warehouse

    db = tmp_path / "wh.duckdb"
    shutil.copyfile(demo["db"], db)
    shutil.copyfile(serving_path(demo["db"]), serving_path(db))
    monkeypatch.setenv("TOKENOMICS_DB", str(db))
    in_sync = AppTest.from_file(str(APP / "views" / "data_health.py"), default_timeout=60).run()
    assert not in_sync.exception and not in_sync.warning
    write_jsonl(tmp_path / "late.jsonl", [payload(f"l{i}", "2026-11-10T10:00:00", "openai", "gpt-y", 10, 5)
                                          for i in range(7)])
    con = open_warehouse(db)
    ingest_paths(con, "litellm", [tmp_path / "late.jsonl"])  # loaded, not built: the snapshot lacks it
    con.close()
    behind = AppTest.from_file(str(APP / "views" / "data_health.py"), default_timeout=60).run()
    assert not behind.exception
    [warning] = [w.value for w in behind.warning]
    assert "behind the warehouse: 1 loaded ingest runs (7 rows)" in warning and "tokenomics build" in warning
    con = open_warehouse(db)
    build_models(con)
    con.close()
    caught_up = AppTest.from_file(str(APP / "views" / "data_health.py"), default_timeout=60).run()
    assert not caught_up.exception and not caught_up.warning


# --- issue 21 §8: presentation ------------------------------------------------------------------------

MY_PAGES = ["fleet", "savings", "batch", "rate_cards", "whatif", "data_health"]


def _columns(table) -> dict:
    import json

    return json.loads(table.proto.columns)


@pytest.mark.parametrize("page", MY_PAGES)
def test_every_table_has_human_headers_and_shows_unknown_as_a_dash(demo_env, page):
    """Every table goes through ui.table: labels instead of snake_case names, and "—" (not "None") for nulls."""
    at = AppTest.from_file(str(APP / "views" / f"{page}.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.dataframe and all(d.proto.placeholder == "—" for d in at.dataframe)
    headers = [c.get("label") for d in at.dataframe for name, c in _columns(d).items() if name != "_index"]
    assert all(headers) and not [h for h in headers if "_" in h and "model_aliases" not in h], headers


def test_tables_format_money_counts_and_days(demo_env):
    at = AppTest.from_file(str(APP / "views" / "rate_cards.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    reprice = next(d for d in at.dataframe if "change_usd" in d.value.columns)
    cols = _columns(reprice)
    assert cols["change_usd"] == {"label": "Change", "type_config": {"type": "number", "format": "dollar",
                                                                     "step": 0.01}}
    assert cols["requests"]["type_config"]["format"] == "localized"  # 25,502, not 25502
    cards = next(d for d in at.dataframe if "valid_from" in d.value.columns)
    cols = _columns(cards)
    assert cols["output_usd_per_mtok"]["label"] == "Output $/1M"
    assert cols["output_usd_per_mtok"]["type_config"]["step"] == 0.0001  # unit prices keep four decimals
    # a timestamp that is always midnight is a day: shown as 2026-07-01, not 2026-07-01 00:00:00+00:00
    assert cols["valid_from"]["type_config"] == {"type": "date", "format": "YYYY-MM-DD"}
    assert str(cards.value["valid_from"].dtype).startswith(("date", "object"))


def test_tables_keep_exact_decimals_for_downloads(demo_env):
    """Formatting is display only: the frame behind a table (and its CSV) keeps the exact Decimal amounts."""
    from decimal import Decimal

    import polars as pl

    from tokenomics.app import ui

    df = pl.DataFrame({"cost_usd": [Decimal("0.10"), None]}, schema={"cost_usd": pl.Decimal(18, 2)})
    config, shown = ui._column("cost_usd", df.schema["cost_usd"], df["cost_usd"])
    assert shown is None and config["type_config"]["format"] == "dollar" and df["cost_usd"][0] == Decimal("0.10")
    assert ui.label("ttft_ms") == "TTFT (ms)" and ui.label("gpu_count") == "GPUs" and ui.label("GPU") == "GPU"
    assert ui.money(Decimal("-1.66")) == "-$1.66" and ui.money(Decimal("15316.59")) == "$15,316.59"


def test_timestamps_show_to_the_minute(demo_env):
    at = AppTest.from_file(str(APP / "views" / "data_health.py"), default_timeout=60).run()
    quarantine = next(d for d in at.dataframe if "quarantined_at" in d.value.columns)
    cols = _columns(quarantine)
    assert cols["quarantined_at"] == {"label": "Quarantined at (UTC)",
                                      "type_config": {"type": "datetime", "format": "YYYY-MM-DD HH:mm"}}


def _as_tenant_viewer(monkeypatch, tmp_path):
    """Proxy mode as a tenant viewer: the real access file and roles; only the proxy's headers are stood in for."""
    import yaml

    from tokenomics.app import auth

    access = tmp_path / "access.yaml"
    access.write_text(yaml.safe_dump({"users": {"viewer@example.com": {"role": "tenant-viewer",
                                                                       "tenants": ["some-tenant"]}}}))
    monkeypatch.setenv("TOKENOMICS_AUTH", "proxy")
    monkeypatch.setenv("TOKENOMICS_ACCESS_FILE", str(access))
    monkeypatch.setitem(auth._IDENTITY, "proxy", lambda: ("viewer@example.com", []))


@pytest.mark.parametrize("page, what", [("exports", "Exports"), ("data_health", "Data health"),
                                        ("fleet", "the fleet-wide GPU figures")])
def test_a_page_the_role_may_not_open_says_not_permitted(demo_env, tmp_path, monkeypatch, page, what):
    _as_tenant_viewer(monkeypatch, tmp_path)
    at = AppTest.from_file(str(APP / "views" / f"{page}.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = [e.value for e in at.error]
    assert error.startswith(f"Not permitted: your role (tenant-viewer) cannot open {what}"), error
    assert "admin" in error
    if page == "fleet":  # the rest of the page: the GPU cost allocated to the viewer's own tenants
        assert "Who pays for the GPUs" in [h.value for h in at.subheader] and not at.metric
    else:
        assert not at.dataframe and not at.metric


def test_opening_a_hidden_page_by_url_says_not_permitted(demo_env, tmp_path, monkeypatch):
    """Not offered in the navigation, but its URL still lands on the page, which says why — not on Overview."""
    _as_tenant_viewer(monkeypatch, tmp_path)
    at = AppTest.from_file(str(APP / "main.py"), default_timeout=60).run()
    at.switch_page("views/data_health.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Data health"]
    assert at.error[0].value.startswith("Not permitted: your role (tenant-viewer) cannot open Data health")


def test_data_health_leaves_the_other_pages_cached_results_alone(demo_env, monkeypatch):
    """Every _cached query shares one Streamlit cache (same function source); Data health's ttl'd calls used to
    replace — empty — it on every visit, so every page recomputed everything.  Now a cached result survives."""
    import streamlit as st

    from tokenomics.app import data
    from tokenomics import queries

    opened = []
    real = queries.connect
    monkeypatch.setattr(queries, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    st.cache_data.clear()
    data.filter_options()
    data.snapshot_status()
    data.data_health(queries.Filters(*data.period()))
    before = len(opened)
    data.filter_options()
    data.snapshot_status()
    assert len(opened) == before


def test_whatif_shows_the_80_percent_range_and_marks_plans_at_risk(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENOMICS_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(APP / "views" / "whatif.py"), default_timeout=60).run()
    plan = _plan(at)
    for label in ("TTFT ms (80 % range)", "TPOT ms (80 % range)", "$/1M tokens (80 % range)"):
        assert plan[label].str.contains(r"\(.+–.+\)").all(), label  # '1,842 (1,510–2,301)'
    marks = set(plan["SLO at the 80 % bound"])
    assert marks <= {"within SLO", "⚠ upper bound breaks the SLO"} and marks


def test_whatif_says_what_the_engine_cannot_serve(demo_env):
    at = AppTest.from_file(str(APP / "views" / "whatif.py"), default_timeout=60).run()
    assert not at.exception
    [note] = [e for e in at.expander if e.label.startswith("Not offered with vllm")]
    assert "AWQ" in note.markdown[0].value and "docs.vllm.ai" in note.markdown[0].value

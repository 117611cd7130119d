"""AppTest smoke test per page, on the demo warehouse."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app"


PAGES = [("overview", "Total spend"), ("tenant", "Self-hosted (allocated)"), ("fleet", "GPU bill"),
         ("savings", "Net savings"), ("batch", "Could save by moving to batch"), ("rate_cards", "Re-priced (effective)"),
         ("whatif", "Input tokens (mean)"), ("data_health", "Ours − gateway-reported"), ("exports", None)]


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
    from app import data

    assert isinstance(data.period(), tuple)
    assert set(data.filter_options()) == {"tenant", "provider", "model"}
    assert set(data.data_health()) == {"sources", "quarantine", "unmatched"}
    assert isinstance(data.period(), tuple)


def _plan(at):
    """The what-if page's ranked plan table (the one with a GPU column)."""
    return next(d.value for d in at.dataframe if "GPU" in d.value.columns)


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

    from ingest.runner import ingest_paths
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

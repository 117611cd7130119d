"""Access control in the data layer: a tenant viewer never gets another tenant's rows, whatever it asks."""

from decimal import Decimal

import polars as pl
import pytest
import yaml

from tokenomics import queries
from tokenomics.access import LOCAL, NOBODY, AccessDenied, Principal, Role, load_access


@pytest.fixture(scope="module")
def world(demo):
    db = demo["db"]
    start, end = queries.period(db)
    tenants = queries.filter_options(db, LOCAL)["tenant"]
    mine, other = tenants[0], tenants[1]
    viewer = Principal("viewer@example.com", Role.TENANT_VIEWER, frozenset({mine}))
    return {"db": db, "start": start, "end": end, "mine": mine, "other": other, "viewer": viewer}


def test_scope_rules():
    v = Principal("v", Role.TENANT_VIEWER, frozenset({"a"}))
    assert v.scope() == ["a"] and v.scope(["a", "b"]) == ["a"] and v.scope(["b"]) == [NOBODY]
    assert LOCAL.scope() is None and LOCAL.scope(["b"]) == ["b"]
    assert Principal("f", Role.FINANCE).scope() is None
    assert not v.can("exports") and not v.can("data_health") and Principal("f", Role.FINANCE).can("exports")


def _tenant_frames(result: dict[str, pl.DataFrame]) -> list[pl.DataFrame]:
    return [df for df in result.values() if "tenant" in df.columns]


FILTERS = [
    lambda w: {},                                              # nothing asked: the viewer's own tenants
    lambda w: {"tenants": (w["other"],)},                      # only someone else's tenant (e.g. from a URL)
    lambda w: {"tenants": (w["mine"], w["other"])},            # theirs smuggled in next to mine
    lambda w: {"tenants": (w["other"],), "providers": ("openai",)},
    lambda w: {"tenants": ("' OR 1=1 --",)},                   # injection attempt: bound, matches nothing
]


@pytest.mark.parametrize("make", FILTERS)
@pytest.mark.parametrize("name", ["overview", "fleet", "savings", "batch", "workload", "rate_cards"])
def test_viewer_sees_only_its_tenant(world, make, name):
    f = queries.Filters(world["start"], world["end"], **make(world))
    call = {
        "overview": lambda p: queries.overview(world["db"], p, f),
        "fleet": lambda p: queries.fleet(world["db"], p, f),
        "savings": lambda p: queries.savings(world["db"], p, f),
        "batch": lambda p: queries.batch(world["db"], p, f),
        "workload": lambda p: queries.workload(world["db"], p, f, None),
        "rate_cards": lambda p: queries.rate_cards(world["db"], p, f, world["end"], Decimal(15)),
    }[name]
    got = call(world["viewer"])
    for df in _tenant_frames(got):
        assert set(df["tenant"].unique()) <= {world["mine"]}, name
    # and every number equals what an admin sees for the viewer's allowed tenants only
    allowed = world["viewer"].scope(f.tenants)
    expected = {"tenants": tuple(allowed)} if allowed != [NOBODY] else {"tenants": (NOBODY,)}
    admin_f = queries.Filters(world["start"], world["end"], **{**make(world), **expected})
    admin_call = {
        "overview": lambda: queries.overview(world["db"], LOCAL, admin_f),
        "fleet": lambda: {"allocation": queries.fleet(world["db"], LOCAL, admin_f)["allocation"]},
        "savings": lambda: queries.savings(world["db"], LOCAL, admin_f),
        "batch": lambda: queries.batch(world["db"], LOCAL, admin_f),
        "workload": lambda: queries.workload(world["db"], LOCAL, admin_f, None),
        "rate_cards": lambda: queries.rate_cards(world["db"], LOCAL, admin_f, world["end"], Decimal(15)),
    }[name]()
    for key, df in admin_call.items():
        if key == "allocation":
            df = df.filter(pl.col("tenant") != "__idle__")
        assert got[key].equals(df), (name, key)


def test_viewer_cannot_open_another_tenant_page(world):
    f = queries.Filters(world["start"], world["end"])
    assert queries.tenant(world["db"], world["viewer"], world["mine"], f)["kpis"]["requests"][0] > 0
    with pytest.raises(AccessDenied):
        queries.tenant(world["db"], world["viewer"], world["other"], f)


def test_viewer_cannot_reach_fleet_wide_raw_or_export_data(world):
    f = queries.Filters(world["start"], world["end"])
    assert set(queries.fleet(world["db"], world["viewer"], f)) == {"allocation"}
    for denied in (lambda: queries.data_health(world["db"], world["viewer"]),
                   lambda: queries.reconciliation(world["db"], world["viewer"], f),
                   lambda: queries.fleet_observed(world["db"], world["viewer"], world["start"], world["end"])):
        with pytest.raises(AccessDenied):
            denied()
    finance = Principal("f@example.com", Role.FINANCE)
    assert "raw" not in queries.data_health(world["db"], finance)["quarantine"].columns
    assert "raw" in queries.data_health(world["db"], LOCAL)["quarantine"].columns


def test_filter_options_only_offer_own_tenants(world):
    opts = queries.filter_options(world["db"], world["viewer"])
    assert opts["tenant"] == [world["mine"]]


def test_access_file_users_groups_and_unknowns(tmp_path):
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump({
        "users": {"ana@example.com": {"role": "finance"}, "bo@example.com": {"role": "tenant-viewer",
                                                                             "tenants": ["acme"]}},
        "groups": {"platform-admins": {"role": "admin"}, "globex-team": {"role": "tenant-viewer",
                                                                         "tenants": ["globex"]}}}))
    cfg = load_access(path)
    assert cfg.principal("ana@example.com").role == Role.FINANCE
    bo = cfg.principal("bo@example.com", ["globex-team"])
    assert bo.role == Role.TENANT_VIEWER and bo.tenants == {"acme", "globex"}
    assert cfg.principal("eve@example.com", ["platform-admins"]).role == Role.ADMIN
    assert cfg.principal("mallory@example.com") is None and cfg.principal(None) is None
    path.write_text(yaml.safe_dump({"users": {"x@example.com": {"role": "superuser"}}}))
    with pytest.raises(ValueError):
        load_access(path)
    assert load_access(tmp_path / "missing.yaml").principal("anyone@example.com") is None

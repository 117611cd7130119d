"""Access control in the data layer: a tenant viewer never gets another tenant's rows, whatever it asks."""

from decimal import Decimal

import polars as pl
import pytest
import yaml

from tokenomics import queries
from tokenomics.access import (LOCAL, NOBODY, AccessDenied, Principal, ProxyConfigError, ProxyRefused, ProxySettings,
                               Role, load_access)


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


def _frames(result: dict) -> dict[str, pl.DataFrame]:
    """The result's tables, the comparison periods' included (the rest is the policy stamp and freshness)."""
    out = {k: v for k, v in result.items() if isinstance(v, pl.DataFrame)}
    out.update({f"compare.{k}": v for k, v in (result.get("compare") or {}).items()})
    return out


def _tenant_frames(result: dict) -> list[pl.DataFrame]:
    return [df for df in _frames(result).values() if "tenant" in df.columns]


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
    mine = _frames(got)
    for key, df in _frames(admin_call).items():
        if key == "allocation":
            df = df.filter(pl.col("tenant") != "__idle__")
        assert mine[key].equals(df), (name, key)


def test_viewer_cannot_open_another_tenant_page(world):
    f = queries.Filters(world["start"], world["end"])
    assert queries.tenant(world["db"], world["viewer"], world["mine"], f)["kpis"]["requests"][0] > 0
    with pytest.raises(AccessDenied):
        queries.tenant(world["db"], world["viewer"], world["other"], f)


def test_viewer_cannot_reach_fleet_wide_raw_or_export_data(world):
    f = queries.Filters(world["start"], world["end"])
    assert set(queries.fleet(world["db"], world["viewer"], f)) == {"allocation", "policy"}
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


def test_access_file_keys_compare_case_insensitively(tmp_path):
    path = tmp_path / "access.yaml"
    path.write_text(yaml.safe_dump({"users": {"Ana@Example.COM": {"role": "finance"}},
                                    "groups": {"Platform-Admins": {"role": "admin"}}}))
    cfg = load_access(path)
    assert cfg.principal("ana@example.com").role == Role.FINANCE
    assert cfg.principal(" ANA@example.com ").role == Role.FINANCE
    assert cfg.principal("eve@example.com", ["platform-admins"]).role == Role.ADMIN
    assert cfg.principal("eve@example.com", ["PLATFORM-ADMINS"]).role == Role.ADMIN
    # two spellings of one key: which grant wins must not depend on letter case
    path.write_text("users:\n  ana@example.com: {role: tenant-viewer, tenants: [a]}\n"
                    "  ANA@example.com: {role: admin}\n")
    with pytest.raises(ValueError, match="listed twice"):
        load_access(path)


# --- proxy mode: only the proxy may assert an identity ---

SECRET = "s3cret-0123456789abcdef"


def _headers(*pairs):
    """get_all over raw header lines, case-insensitive names, like st.context.headers.get_all."""
    return lambda name: [v for k, v in pairs if k.lower() == name.lower()]


def test_proxy_mode_refuses_to_run_unprotected():
    with pytest.raises(ProxyConfigError, match="TOKENOMICS_PROXY_SECRET"):
        ProxySettings.from_env({"TOKENOMICS_AUTH": "proxy"})
    with pytest.raises(ProxyConfigError, match="too short"):
        ProxySettings.from_env({"TOKENOMICS_PROXY_SECRET": "hunter2"})
    with pytest.raises(ProxyConfigError, match="not an IP"):
        ProxySettings.from_env({"TOKENOMICS_TRUSTED_PROXIES": "proxy.internal"})
    s = ProxySettings.from_env({"TOKENOMICS_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7",
                                "TOKENOMICS_PROXY_SECRET_HEADER": "X-Proxy-Key"})
    assert s.secret is None and len(s.trusted) == 2 and s.secret_header == "X-Proxy-Key"


def test_proxy_secret_header_is_required_and_compared_exactly():
    s = ProxySettings.from_env({"TOKENOMICS_PROXY_SECRET": SECRET})
    forged = ("X-Forwarded-Email", "admin@example.com")
    for pairs, why in [((forged,), "missing"),
                       ((forged, ("X-Tokenomics-Proxy-Secret", "guess")), "wrong"),
                       ((forged, ("X-Tokenomics-Proxy-Secret", SECRET + "x")), "wrong"),
                       ((forged, ("X-Tokenomics-Proxy-Secret", "")), "wrong"),
                       ((forged, ("X-Tokenomics-Proxy-Secret", SECRET), ("x-tokenomics-proxy-secret", "guess")),
                        "2 times")]:
        with pytest.raises(ProxyRefused, match=why):
            s.identity(_headers(*pairs), "127.0.0.1")
    ok = _headers(("X-Forwarded-Email", " Ana@Example.com "), ("X-Tokenomics-Proxy-Secret", SECRET),
                  ("X-Forwarded-Groups", "finance, ops"), ("X-Forwarded-Groups", "platform-admins"))
    assert s.identity(ok, "203.0.113.9") == ("ana@example.com", ["finance", "ops", "platform-admins"])
    assert s.identity(_headers(("X-Tokenomics-Proxy-Secret", SECRET)), None) == (None, [])


def test_proxy_identity_header_twice_or_a_list_is_refused():
    s = ProxySettings.from_env({"TOKENOMICS_PROXY_SECRET": SECRET})
    secret = ("X-Tokenomics-Proxy-Secret", SECRET)
    with pytest.raises(ProxyRefused, match="sent 2 times"):
        s.identity(_headers(secret, ("X-Forwarded-Email", "eve@example.com"),
                            ("x-forwarded-email", "admin@example.com")), None)
    for merged in ("eve@example.com, admin@example.com", "eve@example.com admin@example.com"):
        with pytest.raises(ProxyRefused, match="more than one identity"):
            s.identity(_headers(secret, ("X-Forwarded-Email", merged)), None)


def test_proxy_trusted_addresses_use_the_raw_peer():
    env = {"TOKENOMICS_TRUSTED_PROXIES": "10.0.0.0/8", "FORWARDED_ALLOW_IPS": ""}
    s = ProxySettings.from_env(env)
    who = _headers(("X-Forwarded-Email", "ana@example.com"), ("X-Forwarded-For", "10.1.2.3"))
    assert s.identity(who, "10.9.8.7", env)[0] == "ana@example.com"
    assert s.identity(who, "::ffff:10.9.8.7", env)[0] == "ana@example.com"
    for peer in ("127.0.0.1", "192.168.1.5", None, "not-an-ip"):
        with pytest.raises(ProxyRefused, match="trusted proxy"):
            s.identity(who, peer, env)
    # if the server may rewrite the peer from X-Forwarded-For (Streamlit started without `tokenomics serve`),
    # an address check proves nothing: refuse rather than believe it
    with pytest.raises(ProxyRefused, match="tokenomics serve"):
        s.identity(who, "10.9.8.7", {"TOKENOMICS_TRUSTED_PROXIES": "10.0.0.0/8"})
    # both configured: both required
    both = ProxySettings.from_env({**env, "TOKENOMICS_PROXY_SECRET": SECRET})
    with pytest.raises(ProxyRefused, match="missing"):
        both.identity(who, "10.9.8.7", env)


def _serve_argv(monkeypatch, argv, env=None):
    from tokenomics import cli

    for key in ("TOKENOMICS_AUTH", "TOKENOMICS_PROXY_SECRET", "TOKENOMICS_TRUSTED_PROXIES"):
        monkeypatch.delenv(key, raising=False)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    seen = {}

    def fake_exec(path, cmd, child_env):
        seen.update(cmd=cmd, env=child_env)
        return None

    monkeypatch.setattr(cli.os, "execvpe", fake_exec)
    args = cli.parser().parse_args(argv)
    return args.func(args), seen


def test_serve_binds_loopback_unless_told(monkeypatch, tmp_path):
    db = str(tmp_path / "wh.duckdb")
    rc, seen = _serve_argv(monkeypatch, ["--db", db, "serve", "--port", "8600"])
    cmd = seen["cmd"]
    assert rc == 0 and cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert seen["env"]["FORWARDED_ALLOW_IPS"] == ""  # the TCP peer is never replaced by X-Forwarded-For
    _, seen = _serve_argv(monkeypatch, ["--db", db, "serve", "--address", "0.0.0.0"],
                          {"TOKENOMICS_AUTH": "proxy", "TOKENOMICS_PROXY_SECRET": SECRET})
    assert seen["cmd"][seen["cmd"].index("--server.address") + 1] == "0.0.0.0"
    from tokenomics import cli

    assert cli.parser().parse_args(["demo"]).address == "127.0.0.1"


def test_serve_refuses_proxy_mode_without_secret_or_trusted_proxies(monkeypatch, tmp_path, capsys):
    rc, seen = _serve_argv(monkeypatch, ["--db", str(tmp_path / "wh.duckdb"), "serve"], {"TOKENOMICS_AUTH": "proxy"})
    assert rc == 2 and not seen
    assert "refusing to start" in capsys.readouterr().err


def test_viewer_cannot_change_what_it_is_billed(world):
    """The allocation policy is the admin's: a tenant viewer asking for another split (e.g. from a URL) is refused;
    finance may explore it, and the result is labelled a scenario."""
    scenario = queries.Filters(world["start"], world["end"], driver="gpu_seconds", idle_policy="separate")
    for call in (lambda p: queries.overview(world["db"], p, scenario),
                 lambda p: queries.tenant(world["db"], p, world["mine"], scenario),
                 lambda p: queries.fleet(world["db"], p, scenario)):
        with pytest.raises(AccessDenied):
            call(world["viewer"])
        got = call(Principal("f@example.com", Role.FINANCE))
        assert got["policy"].source == "scenario" and "SCENARIO" in got["policy"].label()
    official = queries.overview(world["db"], world["viewer"], queries.Filters(world["start"], world["end"]))
    assert official["policy"].official

"""One Settings object for every TOKENOMICS_* variable: documented (as datasette checks its settings), read only
through tokenomics.settings, clear about bad values, defaults as before; global CLI options before or after
the command."""

import ast
import re
import timeit
from datetime import datetime, timezone
from pathlib import Path

import pytest

# imported at collection, not inside a capsys test: tokenomics.progress binds sys.stderr as a default at import
from tokenomics.cli import GLOBAL_OPTIONS, main, parser
from tokenomics.settings import VARIABLES, Settings, SettingsError, settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tokenomics", "ingest", "pricing", "app")


@pytest.fixture
def clean_env(monkeypatch):
    """No TOKENOMICS_* variable set: every setting at its default."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- (a) every setting is documented ----------------------------------------------------------------------------

def _documented() -> set[str]:
    text = (ROOT / "docs" / "settings.md").read_text()
    return set(re.findall(r"^\| `(TOKENOMICS_[A-Z0-9_]+)` \|", text, flags=re.M))


def test_every_setting_is_documented():
    documented = _documented()
    missing = [Settings.variable(name) for name in Settings.model_fields if Settings.variable(name) not in documented]
    assert not missing, f"settings missing from docs/settings.md (add a table row each): {missing}"
    stale = sorted(documented - set(VARIABLES))
    assert not stale, f"docs/settings.md lists variables that are no setting: {stale}"


def test_every_setting_has_a_description():
    assert all(f.description and f.description.endswith(".") for f in Settings.model_fields.values())


# --- (b) nothing reads a TOKENOMICS_* variable behind the Settings object's back ----------------------------------

def _strings(node, constants: dict) -> set[str]:
    """The strings an expression may stand for: a literal, a constant's value(s), an element of a constant tuple."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name):
        return constants.get(node.id, set())
    if isinstance(node, ast.Attribute):  # module.ENV_X
        return constants.get(node.attr, set())
    if isinstance(node, ast.Subscript):  # BATCH_SIZE[0]
        return _strings(node.value, constants)
    if isinstance(node, ast.Tuple):
        return set().union(*(_strings(e, constants) for e in node.elts)) if node.elts else set()
    return set()


def _constants(trees) -> dict[str, set[str]]:
    """Module-level names bound to strings (or tuples holding strings), across all the modules scanned."""
    out: dict[str, set[str]] = {}
    for tree in trees:
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    pairs = (zip(target.elts, stmt.value.elts) if isinstance(target, ast.Tuple)
                             and isinstance(stmt.value, ast.Tuple) else [(target, stmt.value)])
                    for t, v in pairs:
                        if isinstance(t, ast.Name):
                            out.setdefault(t.id, set()).update(_strings(v, {}))
    return out


def _env_reads(tree, constants) -> list[tuple[int, str]]:
    """Lookups keyed by a TOKENOMICS_* name: x.get(K), getenv(K), x[K], K in x, x.pop/setdefault(K)."""
    found = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("get", "getenv", "pop", "setdefault", "getenvb"):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            key = node.left
        if key is not None:
            hits = sorted(s for s in _strings(key, constants) if s.startswith("TOKENOMICS_"))
            found += [(node.lineno, h) for h in hits]
    return found


def _scan(sources: dict[str, str]) -> list[str]:
    trees = {path: ast.parse(text) for path, text in sources.items()}
    constants = _constants(trees.values())
    return [f"{path}:{line}: reads {name}" for path, tree in trees.items() for line, name in _env_reads(tree, constants)]


def test_the_scan_finds_direct_reads():
    sample = ('import os\nENV_X = "TOKENOMICS_X"\nA, B = "TOKENOMICS_A", "TOKENOMICS_B"\nSIZE = ("TOKENOMICS_S", 5)\n'
              'os.environ.get(ENV_X)\nos.getenv("TOKENOMICS_Y", "1")\nint(os.environ.get(SIZE[0], SIZE[1]))\n'
              'os.environ[B]\nif A in os.environ: pass\nos.environ.get("HOME")\nos.environ.get(str(name))\n')
    assert sorted(f.split(": ", 1)[1] for f in _scan({"m.py": sample})) == [
        f"reads TOKENOMICS_{x}" for x in "ABSXY"]


def test_only_the_settings_module_reads_tokenomics_variables():
    sources = {str(p.relative_to(ROOT)): p.read_text() for package in PACKAGES for p in (ROOT / package).rglob("*.py")
               if p != ROOT / "tokenomics" / "settings.py"}
    assert len(sources) > 20
    direct = _scan(sources)
    assert not direct, "read these through tokenomics.settings.settings() instead:\n" + "\n".join(direct)


# --- (c) a bad value is one clear sentence ----------------------------------------------------------------------

@pytest.mark.parametrize("name, value, sentence", [
    ("TOKENOMICS_CHUNK_BYTES", "64MB", "TOKENOMICS_CHUNK_BYTES must be an integer (got '64MB')"),
    ("TOKENOMICS_AHEAD_HOURS", "a day", "TOKENOMICS_AHEAD_HOURS must be a number (got 'a day')"),
    ("TOKENOMICS_BUILD_BATCH_ROWS", "0", "TOKENOMICS_BUILD_BATCH_ROWS must be greater than 0 (got '0')"),
    ("TOKENOMICS_AUTH", "ldap", "TOKENOMICS_AUTH must be one of local, proxy, oidc (got 'ldap')"),
    ("TOKENOMICS_SQL_TIMING", "sometimes", "TOKENOMICS_SQL_TIMING must be true or false"),
    ("TOKENOMICS_EARLIEST", "last year", "TOKENOMICS_EARLIEST must be an ISO date or time (got 'last year')"),
])
def test_a_bad_value_is_a_clear_sentence(clean_env, name, value, sentence):
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        settings()
    assert str(caught.value).startswith(sentence)
    assert "\n" not in str(caught.value) and "validation error" not in str(caught.value)


def test_each_bad_variable_is_named(clean_env):
    with pytest.raises(SettingsError, match=r"^TOKENOMICS_CHUNK_BYTES must be .*; TOKENOMICS_AUTH must be "):
        settings({"TOKENOMICS_CHUNK_BYTES": "x", "TOKENOMICS_AUTH": "x", "TOKENOMICS_DB": "ok.duckdb"})


def test_the_cli_says_the_sentence_not_a_traceback(clean_env, tmp_path, capsys):
    clean_env.setenv("TOKENOMICS_SQL_TIMING", "sometimes")
    assert main(["migrate", "--db", str(tmp_path / "wh.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: TOKENOMICS_SQL_TIMING must be true or false") and "Traceback" not in err


# --- (d) defaults as the code had them; the environment is read at call time ------------------------------------

def test_defaults_are_what_the_code_used_before(clean_env):
    import tokenomics.ingest.nvidia_smi
    from tokenomics import config
    from tokenomics.access import ProxySettings

    s = settings()
    assert s == Settings()  # settings() and pydantic-settings' own environment source agree
    assert config.db_path() == Path("data") / "tokenomics.duckdb" and config.hash_salt() == "tokenomics"
    assert config.sql_dir() == ROOT / "sql"
    assert s.earliest == datetime(2015, 1, 1, tzinfo=timezone.utc) and s.ahead_hours == 24
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert config.plausible_window(now) == (datetime(2015, 1, 1, tzinfo=timezone.utc), datetime(2026, 3, 2, tzinfo=timezone.utc))
    assert (s.ingest_memory, s.build_memory) == ("1GB", "6GB")
    assert s.build_batch_rows == 5_000_000
    assert s.max_line_bytes == 16 << 20 and s.known_prepass_rows == 12_000_000 and s.document_bundle == 2000
    assert s.chunk_bytes is None and tokenomics.ingest.nvidia_smi.piece_bytes() == 16 << 20
    assert not s.sql_timing and s.auth == "local" and s.user is None and s.tenant_map is None
    assert s.access_file is None and s.alerts_file is None and s.export_dir is None and s.proxy_secret is None
    proxy = ProxySettings.from_env({"TOKENOMICS_TRUSTED_PROXIES": "10.0.0.0/8"})
    assert (proxy.secret_header, proxy.user_header, proxy.groups_header) == (
        ProxySettings.secret_header, ProxySettings.user_header, ProxySettings.groups_header)


def test_module_constants_start_from_the_settings():
    import tokenomics.ingest.bedrock
    import tokenomics.ingest.documents
    import tokenomics.ingest.jsonl
    import tokenomics.ingest.known

    fresh = Settings()
    assert tokenomics.ingest.jsonl.CHUNK_BYTES == (fresh.chunk_bytes or 64 << 20)
    assert tokenomics.ingest.jsonl.MAX_LINE_BYTES == tokenomics.ingest.bedrock.MAX_LINE_BYTES == fresh.max_line_bytes
    assert tokenomics.ingest.documents.BUNDLE == fresh.document_bundle and tokenomics.ingest.known.PREPASS_ROWS == fresh.known_prepass_rows


def test_the_environment_is_read_at_call_time(clean_env, tmp_path):
    from tokenomics import config

    assert settings().build_batch_rows == 5_000_000
    clean_env.setenv("TOKENOMICS_BUILD_BATCH_ROWS", "2500")
    clean_env.setenv("TOKENOMICS_EARLIEST", "2009-01-01T00:00:00+02:00")
    clean_env.setenv("TOKENOMICS_DB", str(tmp_path / "x.duckdb"))
    clean_env.setenv("TOKENOMICS_AUTH", " Proxy ")
    clean_env.setenv("TOKENOMICS_ALERTS_FILE", "")  # empty: unset
    s = settings()
    assert s.build_batch_rows == 2500 and s.auth == "proxy" and s.alerts_file is None
    assert s.earliest == datetime(2008, 12, 31, 22, tzinfo=timezone.utc)
    assert config.db_path() == tmp_path / "x.duckdb" and config.db_path("y.duckdb") == Path("y.duckdb")
    clean_env.delenv("TOKENOMICS_BUILD_BATCH_ROWS")
    assert settings().build_batch_rows == 5_000_000


def test_a_mapping_is_read_instead_of_the_environment(clean_env):
    from tokenomics.access import ProxySettings

    clean_env.setenv("TOKENOMICS_PROXY_SECRET", "s" * 32)
    assert settings().proxy_secret.get_secret_value() == "s" * 32 and "s" * 32 not in repr(settings())
    given = ProxySettings.from_env({"TOKENOMICS_TRUSTED_PROXIES": "10.0.0.0/8", "TOKENOMICS_AUTH_HEADER": "X-User"})
    assert given.secret is None and given.user_header == "X-User"  # nothing from os.environ
    assert ProxySettings.from_env().secret == "s" * 32


def test_settings_is_cheap_enough_for_a_per_row_check(clean_env):
    settings()
    assert timeit.timeit(settings, number=10_000) < 1.0  # ~3 µs each; building one anew is ~2 ms


# --- global options before or after the command -----------------------------------------------------------------

@pytest.mark.parametrize("argv", [["migrate"], ["build", "--full"], ["export", "--period", "2026-01", "--dest", "d"],
                                  ["check", "litellm", "f.jsonl"], ["alert", "--dry-run"]])
def test_db_before_or_after_the_command(argv):
    p = parser()
    assert p.parse_args(["--db", "a.duckdb", *argv]).db == "a.duckdb"
    assert p.parse_args([*argv, "--db", "a.duckdb"]).db == "a.duckdb"
    assert p.parse_args([argv[0], "--db", "a.duckdb", *argv[1:]]).db == "a.duckdb"
    assert p.parse_args(argv).db is None
    assert p.parse_args(["--db", "a.duckdb", *argv, "--db", "b.duckdb"]).db == "b.duckdb"


def test_every_command_takes_the_global_options():
    import argparse

    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert len(commands) > 15
    for name, command in commands.items():
        for flag in GLOBAL_OPTIONS:
            assert f"[{flag} " in command.format_usage(), f"`tokenomics {name}` does not take {flag} after it"


def test_db_after_the_command_runs_against_that_warehouse(clean_env, tmp_path, capsys):
    clean_env.setenv("TOKENOMICS_DB", str(tmp_path / "from-env.duckdb"))
    assert main(["migrate", "--db", str(tmp_path / "after.duckdb")]) == 0
    assert main(["--db", str(tmp_path / "before.duckdb"), "migrate"]) == 0
    assert (tmp_path / "after.duckdb").exists() and (tmp_path / "before.duckdb").exists()
    assert not (tmp_path / "from-env.duckdb").exists()
    assert main(["migrate"]) == 0 and (tmp_path / "from-env.duckdb").exists()

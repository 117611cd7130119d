"""Every TOKENOMICS_* environment variable, in one place: one typed field each, with its default and what it does.

Code reads a variable only through `settings()` (tests/test_settings.py fails on a direct os.environ read of one
elsewhere, and on a field missing from docs/settings.md).  `settings()` reads the environment at call time, so a
variable changed meanwhile (a test's monkeypatch.setenv) is seen on the next call; the validated object is
cached per distinct set of TOKENOMICS_* values, because some callers (the plausible-window check) run per row.
An empty variable counts as unset.  A bad value raises SettingsError, one sentence per variable.

Variables named by other programs stay theirs: AWS_* (boto3), FORWARDED_ALLOW_IPS (uvicorn; `tokenomics serve`
sets it for the dashboard), and the secrets an alerts file names by *_env keys (read where the file is read).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime, timezone
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

PREFIX = "TOKENOMICS_"
MiB = 1 << 20


class SettingsError(ValueError):
    """A TOKENOMICS_* variable has a value its setting cannot take."""


class Settings(BaseSettings):
    """Tokenomics' settings; field `chunk_bytes` is the variable TOKENOMICS_CHUNK_BYTES, and so on."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, case_sensitive=False,
                                      frozen=True, extra="ignore")

    # --- storage -----------------------------------------------------------------------------------------------
    db: Path = Field(Path("data") / "tokenomics.duckdb",
                     description="The warehouse file (a DuckDB database) when no --db is given.")
    sql_dir: Path | None = Field(None, description="A copy of the SQL to run instead of the packaged sql/ folder "
                                                   "(for testing edits to the SQL; default: the packaged one).")

    # --- ingest ------------------------------------------------------------------------------------------------
    hash_salt: str = Field("tokenomics", description="Salt for pseudonymising user ids; set one per deployment "
                                                     "so the hashes cannot be guessed.")
    earliest: datetime = Field(datetime(2015, 1, 1, tzinfo=timezone.utc),
                               description="The earliest plausible timestamp of the data (ISO date or time; "
                                           "UTC unless it has a zone): rows before it are quarantined.")
    ahead_hours: float = Field(24.0, description="How many hours past now a timestamp may be (clock and zone "
                                                 "drift); rows later than that are quarantined.")
    ingest_memory: str = Field("1GB", description="DuckDB's memory cap during an ingest (a DuckDB size such as "
                                                  "1GB); beyond it DuckDB spills to <warehouse>.tmp.")
    chunk_bytes: int | None = Field(None, gt=0, description="Bytes per piece a JSON-lines or nvidia-smi file is "
                                                            "read and committed in (default 64 MiB for JSON "
                                                            "lines, 16 MiB for nvidia-smi).")
    max_line_bytes: int = Field(16 * MiB, gt=0, description="Bytes one JSON-lines record may have; a longer one "
                                                            "is quarantined by its size, never parsed.")
    known_prepass_rows: int = Field(12_000_000, ge=0,
                                    description="Stored requests from which an ingest looks up the ids it already "
                                                "has once per input instead of once per piece.")
    document_bundle: int = Field(2000, gt=0, description="Documents (one request each, e.g. LiteLLM S3 logs) "
                                                         "ingested together as one bundle.")
    tenant_map: Path | None = Field(None, description="Tenant-map YAML used when an ingest is given no "
                                                      "--tenant-map (identifiers to tenants).")

    # --- build -------------------------------------------------------------------------------------------------
    build_memory: str = Field("6GB", description="DuckDB's memory cap during a build (a DuckDB size such as "
                                                 "6GB); beyond it DuckDB spills to <warehouse>.tmp.")
    build_batch_rows: int = Field(5_000_000, gt=0, description="Requests a build prices per batch (whole days; "
                                                               "bounds the memory of the priced rows).")
    sql_timing: bool = Field(False, description="Print how long each SQL step and build stage took, on stderr "
                                                "(1/true to turn on).")

    # --- access (the dashboard) --------------------------------------------------------------------------------
    auth: Literal["local", "proxy", "oidc"] = Field(
        "local", description="How the dashboard knows who is looking: local (one user, an admin), proxy (a "
                             "sign-in proxy's headers) or oidc (Streamlit's login).")
    access_file: Path | None = Field(None, description="Access YAML granting roles and tenants to users and "
                                                       "groups; without it nobody but local mode sees anything.")
    proxy_secret: SecretStr | None = Field(None, description="Proxy mode: the shared secret (at least 16 "
                                                             "characters) the sign-in proxy sends on every "
                                                             "request.")
    proxy_secret_header: str = Field("X-Tokenomics-Proxy-Secret",
                                     description="Proxy mode: the header that carries the shared secret.")
    trusted_proxies: str = Field("", description="Proxy mode: the proxy's addresses (IPs or CIDRs, comma- or "
                                                 "space-separated), checked against the TCP peer.")
    auth_header: str = Field("X-Forwarded-Email", description="Proxy mode: the header naming the user's e-mail.")
    auth_groups_header: str = Field("X-Forwarded-Groups",
                                    description="Proxy mode: the header listing the user's groups "
                                                "(comma-separated).")

    # --- audit -------------------------------------------------------------------------------------------------
    user: str | None = Field(None, description="Who acts, for the audit log, when a command gets no --actor "
                                               "(default: the OS account).")

    # --- alerts ------------------------------------------------------------------------------------------------
    alerts_file: Path | None = Field(None, description="Alerts YAML (Slack webhook, e-mail) used when `tokenomics "
                                                       "alert` gets no --config; a missing file means no channel.")

    # --- exports -----------------------------------------------------------------------------------------------
    export_dir: Path | None = Field(None, description="Where the dashboard writes exports (default: exports/ "
                                                      "next to the warehouse file).")

    @field_validator("auth", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("earliest")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        """Arguments, then the environment — or the mapping settings() reads from; no .env file, no secrets dir."""
        environ = _SOURCE.get()
        return init_settings, env_settings if environ is None else _MappingSource(settings_cls, environ)

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of a field: chunk_bytes -> TOKENOMICS_CHUNK_BYTES."""
        return PREFIX + field.upper()


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source (same prefix and empty-value rules) over a given mapping instead of
    os.environ: a snapshot of it, a child process's environment, a test's dict."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


VARIABLES = tuple(Settings.variable(name) for name in Settings.model_fields)
_ENCODED = tuple(map(os.fsencode, VARIABLES))
_SOURCE: ContextVar[Mapping[str, str] | None] = ContextVar("tokenomics_settings_source", default=None)


_EXPECTED = {"int_parsing": "an integer", "int_from_float": "an integer", "float_parsing": "a number",
             "bool_parsing": "true or false (1/0, yes/no, on/off)", "datetime_from_date_parsing": "an ISO date or time",
             "datetime_parsing": "an ISO date or time"}


def _sentence(error: dict) -> str:
    name = Settings.variable(str(error["loc"][0])) if error.get("loc") else PREFIX + "*"
    field = Settings.model_fields.get(str(error["loc"][0])) if error.get("loc") else None
    got = error.get("input")
    got = "" if isinstance(got, dict) else f" (got {got!r})"
    kind = error.get("type", "")
    if kind == "literal_error":
        return f"{name} must be one of {', '.join(field.annotation.__args__)}{got}"
    if kind in _EXPECTED:
        return f"{name} must be {_EXPECTED[kind]}{got}"
    if kind in ("greater_than", "greater_than_equal"):
        bound = error.get("ctx", {}).get("gt", error.get("ctx", {}).get("ge"))
        return f"{name} must be {'greater than' if kind == 'greater_than' else 'at least'} {bound}{got}"
    return f"{name}: {error.get('msg', 'invalid value')}{got}"


@lru_cache(maxsize=64)
def _build(values: tuple) -> Settings:
    """Settings from the values of VARIABLES (None: unset; str, or bytes as os.environ keeps them), in order."""
    token = _SOURCE.set({name: value if isinstance(value, str) else os.fsdecode(value)
                         for name, value in zip(VARIABLES, values) if value is not None})
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError("; ".join(_sentence(e) for e in exc.errors())) from None
    finally:
        _SOURCE.reset(token)


def settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from the environment as it is now (or from `environ`: a dict of variables, as a child process
    would get); raises SettingsError naming each variable with a bad value.  Variable names are exact
    (TOKENOMICS_DB, not tokenomics_db)."""
    if environ is None:
        # the per-row plausibility check calls this: read CPython's bytes -> bytes dict behind os.environ
        # (POSIX) directly, ~1 µs for all the variables, where os.environ.get costs ~1.5 µs for each unset one
        data = getattr(os.environ, "_data", None)
        if isinstance(data, dict) and all(isinstance(k, bytes) for k in islice(data, 1)):
            return _build(tuple(map(data.get, _ENCODED)))
        environ = os.environ
    return _build(tuple(map(environ.get, VARIABLES)))

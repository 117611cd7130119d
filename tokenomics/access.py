"""Who may see what: roles and tenant scopes, applied in the data layer to every query.

Roles: ``admin`` (everything, incl. raw quarantined rows and exports), ``finance`` (all tenants, exports),
``tenant-viewer`` (only its own tenants' rows; no fleet-wide, raw-data or export views).  The app
resolves a request's user (OIDC login, a trusted proxy header, or local single-user mode) to a
Principal; queries then narrow every tenant filter to what the principal may see.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml

from tokenomics.settings import settings

ENV_ACCESS_FILE = "TOKENOMICS_ACCESS_FILE"
NOBODY = "\x00no-tenant"  # a tenant name no row has: an empty scope must match nothing, not everything


class Role(StrEnum):
    ADMIN = "admin"
    FINANCE = "finance"
    TENANT_VIEWER = "tenant-viewer"


# What each role may open beyond its tenants' rows (pages check these; queries enforce the tenant scope).
CAPABILITIES: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"all_tenants", "fleet", "exports", "data_health", "raw_rows", "scenarios", "close"}),
    Role.FINANCE: frozenset({"all_tenants", "fleet", "exports", "data_health", "scenarios", "close"}),
    Role.TENANT_VIEWER: frozenset(),
}


class AccessDenied(PermissionError):
    """The principal asked for something its role does not allow."""


@dataclass(frozen=True)
class Principal:
    user: str
    role: Role
    tenants: frozenset[str] = field(default_factory=frozenset)

    def can(self, capability: str) -> bool:
        return capability in CAPABILITIES[self.role]

    def require(self, capability: str) -> None:
        if not self.can(capability):
            raise AccessDenied(f"{self.user} ({self.role}) may not use {capability}")

    def scope(self, requested: list[str] | tuple[str, ...] | None = None) -> list[str] | None:
        """The tenant list a query may read: None = every tenant (only for all-tenant roles).

        A tenant viewer's request is intersected with its tenants; asking for nothing means all of its
        own; asking only for others yields a scope that matches no row.
        """
        wanted = list(requested or [])
        if self.can("all_tenants"):
            return wanted or None
        mine = sorted(self.tenants)
        chosen = [t for t in wanted if t in self.tenants] if wanted else mine
        return chosen or [NOBODY]

    def sees(self, tenant: str) -> bool:
        return self.can("all_tenants") or tenant in self.tenants


LOCAL = Principal("local", Role.ADMIN)


def _key(name: str) -> str:
    """Access-file keys and the names they are looked up by compare case-insensitively (e-mail, group)."""
    return str(name).strip().casefold()


def _normalised(section: str, grants: dict) -> dict:
    out: dict = {}
    for name, grant in grants.items():
        key = _key(name)
        if key in out:
            # two spellings of one user/group: which grant wins must not depend on letter case
            raise ValueError(f"access file: {section} entry {name!r} is listed twice (keys are case-insensitive)")
        out[key] = grant
    return out


@dataclass(frozen=True)
class AccessConfig:
    """users: e-mail -> {role, tenants}; groups: IdP/proxy group -> {role, tenants}.  Keys are case-insensitive."""

    users: dict
    groups: dict

    def __post_init__(self):
        object.__setattr__(self, "users", _normalised("users", self.users))
        object.__setattr__(self, "groups", _normalised("groups", self.groups))

    def principal(self, user: str | None, groups: list[str] | None = None) -> Principal | None:
        """The principal for an authenticated user, or None when nobody granted them access."""
        if not user or not user.strip():
            return None
        grants = [self.users[_key(user)]] if _key(user) in self.users else []
        grants += [self.groups[g] for g in dict.fromkeys(_key(g) for g in groups or []) if g in self.groups]
        if not grants:
            return None
        roles = [Role(g["role"]) for g in grants]
        role = next(r for r in (Role.ADMIN, Role.FINANCE, Role.TENANT_VIEWER) if r in roles)
        tenants = frozenset(t for g in grants for t in g.get("tenants") or [])
        return Principal(user, role, tenants)


def load_access(path: str | Path | None = None) -> AccessConfig:
    """Read the access file ($TOKENOMICS_ACCESS_FILE); a missing file grants nobody anything."""
    path = path or settings().access_file
    if not path or not Path(path).exists():
        return AccessConfig({}, {})
    doc = yaml.safe_load(Path(path).read_text()) or {}
    for section in ("users", "groups"):
        for name, grant in (doc.get(section) or {}).items():
            Role(grant.get("role"))  # validate early: a typo must not silently grant or deny
    return AccessConfig(doc.get("users") or {}, doc.get("groups") or {})


# --- proxy mode: who may assert an identity ------------------------------------------------------------------
# In TOKENOMICS_AUTH=proxy the identity headers are only as trustworthy as the path they came by.  A request
# must prove it came through the authenticating proxy: by a shared secret header the proxy adds
# (TOKENOMICS_PROXY_SECRET) and/or by its peer address (TOKENOMICS_TRUSTED_PROXIES, CIDRs; the raw TCP peer —
# `tokenomics serve` turns off uvicorn's X-Forwarded-For rewriting so a client cannot claim one).  With both
# set, both are required.  An identity header sent twice, or a list where one e-mail belongs, is refused:
# it means something between the user and us appended instead of replacing.

ENV_PROXY_SECRET = "TOKENOMICS_PROXY_SECRET"
ENV_PROXY_SECRET_HEADER = "TOKENOMICS_PROXY_SECRET_HEADER"
ENV_TRUSTED_PROXIES = "TOKENOMICS_TRUSTED_PROXIES"
ENV_USER_HEADER = "TOKENOMICS_AUTH_HEADER"
ENV_GROUPS_HEADER = "TOKENOMICS_AUTH_GROUPS_HEADER"
ENV_FORWARDED_ALLOW_IPS = "FORWARDED_ALLOW_IPS"  # uvicorn's: whose X-Forwarded-For rewrites the client address


class ProxyConfigError(ValueError):
    """Proxy mode is configured so that anyone who reaches the server could claim any identity."""


class ProxyRefused(PermissionError):
    """This request did not come (provably) through the authenticating proxy, or its identity is ambiguous."""


@dataclass(frozen=True)
class ProxySettings:
    secret: str | None
    trusted: tuple = ()  # ip_network objects
    secret_header: str = "X-Tokenomics-Proxy-Secret"
    user_header: str = "X-Forwarded-Email"
    groups_header: str = "X-Forwarded-Groups"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ProxySettings:
        """From the environment (or `env`, a mapping of variables), read through tokenomics.settings."""
        s = settings(env)
        secret = s.proxy_secret.get_secret_value() if s.proxy_secret else None
        if secret is not None and len(secret) < 16:
            raise ProxyConfigError(f"{ENV_PROXY_SECRET} is too short: use at least 16 random characters "
                                   "(e.g. `openssl rand -hex 32`)")
        trusted = []
        for cidr in s.trusted_proxies.replace(",", " ").split():
            try:
                trusted.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                raise ProxyConfigError(f"{ENV_TRUSTED_PROXIES}: {cidr!r} is not an IP address or CIDR") from None
        if secret is None and not trusted:
            raise ProxyConfigError(
                f"TOKENOMICS_AUTH=proxy needs {ENV_PROXY_SECRET} (a shared secret the proxy sends in the "
                f"{s.proxy_secret_header} header) and/or {ENV_TRUSTED_PROXIES} "
                "(the proxy's addresses, CIDRs): otherwise anyone who reaches the server can claim to be anyone "
                "(see docs/deploy.md)")
        return cls(secret, tuple(trusted), s.proxy_secret_header, s.auth_header, s.auth_groups_header)

    def trusts_peer(self, peer: str | None) -> bool:
        if not self.trusted:
            return True
        try:
            ip = ipaddress.ip_address((peer or "").split("%")[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.trusted)

    def identity(self, get_all: Callable[[str], list[str]], peer: str | None,
                 env: Mapping[str, str] | None = None) -> tuple[str | None, list[str]]:
        """(e-mail, groups) asserted by the proxy; raises ProxyRefused unless the request provably came through it.

        get_all(name) returns every value a header was sent with (one per header line); peer is the TCP peer.
        """
        env = os.environ if env is None else env
        if self.trusted:
            if env.get(ENV_FORWARDED_ALLOW_IPS, None) != "":
                raise ProxyRefused(f"{ENV_TRUSTED_PROXIES} is set but the server may rewrite client addresses from "
                                   "X-Forwarded-For: start the dashboard with `tokenomics serve`")
            if not self.trusts_peer(peer):
                raise ProxyRefused(f"requests from {peer or 'this address'} are not from a trusted proxy")
        if self.secret is not None:
            sent = get_all(self.secret_header)
            if len(sent) != 1:
                raise ProxyRefused(f"the {self.secret_header} header is missing" if not sent else
                                   f"the {self.secret_header} header was sent {len(sent)} times")
            if not hmac.compare_digest(sent[0].strip().encode(), self.secret.encode()):
                raise ProxyRefused(f"the {self.secret_header} header is wrong")
        users = get_all(self.user_header)
        if len(users) > 1:
            raise ProxyRefused(f"the {self.user_header} header was sent {len(users)} times")
        user = users[0].strip().lower() if users else ""
        if "," in user or any(c.isspace() for c in user):
            raise ProxyRefused(f"the {self.user_header} header holds more than one identity")
        groups = [g.strip() for line in get_all(self.groups_header) for g in line.split(",") if g.strip()]
        return user or None, groups

"""Who may see what: roles and tenant scopes, applied in the data layer to every query.

Roles: ``admin`` (everything, incl. raw quarantined rows and exports), ``finance`` (all tenants, exports),
``tenant-viewer`` (only its own tenants' rows; no fleet-wide, raw-data or export views).  The app
resolves a request's user (OIDC login, a trusted proxy header, or local single-user mode) to a
Principal; queries then narrow every tenant filter to what the principal may see.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml

ENV_ACCESS_FILE = "TOKENOMICS_ACCESS_FILE"
NOBODY = "\x00no-tenant"  # a tenant name no row has: an empty scope must match nothing, not everything


class Role(StrEnum):
    ADMIN = "admin"
    FINANCE = "finance"
    TENANT_VIEWER = "tenant-viewer"


# What each role may open beyond its tenants' rows (pages check these; queries enforce the tenant scope).
CAPABILITIES: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"all_tenants", "fleet", "exports", "data_health", "raw_rows"}),
    Role.FINANCE: frozenset({"all_tenants", "fleet", "exports", "data_health"}),
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


@dataclass(frozen=True)
class AccessConfig:
    """users: e-mail -> {role, tenants}; groups: IdP/proxy group -> {role, tenants}."""

    users: dict
    groups: dict

    def principal(self, user: str | None, groups: list[str] | None = None) -> Principal | None:
        """The principal for an authenticated user, or None when nobody granted them access."""
        if not user:
            return None
        grants = [self.users[user]] if user in self.users else []
        grants += [self.groups[g] for g in groups or [] if g in self.groups]
        if not grants:
            return None
        roles = [Role(g["role"]) for g in grants]
        role = next(r for r in (Role.ADMIN, Role.FINANCE, Role.TENANT_VIEWER) if r in roles)
        tenants = frozenset(t for g in grants for t in g.get("tenants") or [])
        return Principal(user, role, tenants)


def load_access(path: str | Path | None = None) -> AccessConfig:
    """Read the access file ($TOKENOMICS_ACCESS_FILE); a missing file grants nobody anything."""
    path = path or os.environ.get(ENV_ACCESS_FILE)
    if not path or not Path(path).exists():
        return AccessConfig({}, {})
    doc = yaml.safe_load(Path(path).read_text()) or {}
    for section in ("users", "groups"):
        for name, grant in (doc.get(section) or {}).items():
            Role(grant.get("role"))  # validate early: a typo must not silently grant or deny
    return AccessConfig(doc.get("users") or {}, doc.get("groups") or {})

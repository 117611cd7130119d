"""Which tenant a request belongs to when the gateway does not say: one mapping file, one documented chain.

The tenant-map YAML (``--tenant-map FILE`` or ``$TOKENOMICS_TENANT_MAP``) maps identifiers to tenants, per
kind of identifier::

    team_alias: {ml-platform: acme}        # LiteLLM metadata.user_api_key_team_alias
    team_id:    {"team-7f3a": acme}        # metadata.user_api_key_team_id
    org_id:     {"org-1": acme}            # metadata.user_api_key_org_id
    key_alias:  {svc-nightly: globex}      # metadata.user_api_key_alias
    end_user:   {"bob@initech.example": initech}   # end_user (compared in the clear, never stored so)
    tag:        {"tenant:acme": acme}      # any request tag
    arn:        {"arn:aws:iam::*:role/acme-*": acme}   # Bedrock caller ARN globs

A file of ARN globs alone (the older Bedrock format) is read as ``arn:``.  The chain a LiteLLM request goes
through, first hit wins (the rule that hit is stored as ``tenant_rule``):

1. ``explicit``: ``metadata.spend_logs_metadata.tenant``;
2. ``map:<kind>``: the map's entry for the org id, team alias, team id, key alias, end user, then each tag;
3. ``org_id``, ``team_alias``, ``team_id``: that identifier itself (they name a customer already);
4. ``unattributed``: the request is kept and counted under the tenant ``unattributed``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import yaml

from tokenomics.settings import settings

ENV_TENANT_MAP = "TOKENOMICS_TENANT_MAP"
UNATTRIBUTED = "unattributed"
KINDS = ("org_id", "team_alias", "team_id", "key_alias", "end_user", "tag", "arn")


def tenant_map(options: dict) -> dict[str, dict[str, str]]:
    """kind → {identifier: tenant} from the ingest's --tenant-map, else $TOKENOMICS_TENANT_MAP; {} without."""
    path = options.get("tenant_map") or settings().tenant_map
    if not path:
        return {}
    doc = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: a tenant map is a YAML mapping of kind -> {{identifier: tenant}}")
    if not set(doc) <= set(KINDS):
        return {"arn": {str(k): str(v) for k, v in doc.items()}}  # older format: ARN globs -> tenant
    out = {}
    for kind, entries in doc.items():
        if not isinstance(entries, dict):
            raise ValueError(f"{path}: '{kind}' must map identifiers to tenants")
        out[kind] = {str(k): str(v) for k, v in entries.items()}
    return out


@contextmanager
def registered(con, options: dict):
    """The map as the relation ``_tenant_map(kind, value, tenant)`` the SQL attribution chain joins."""
    rows = [(kind, value, tenant) for kind, entries in tenant_map(options).items() if kind != "arn"
            for value, tenant in entries.items()]
    table = pa.table({"kind": pa.array([r[0] for r in rows], pa.string()),
                      "value": pa.array([r[1] for r in rows], pa.string()),
                      "tenant": pa.array([r[2] for r in rows], pa.string())})
    con.execute("DROP VIEW IF EXISTS _tenant_map")  # one a failed load left behind (its unregister rolled back)
    con.register("_tenant_map", table)
    try:
        yield
    finally:
        con.unregister("_tenant_map")

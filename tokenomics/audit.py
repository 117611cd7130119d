"""Append-only audit log: who closed, reopened or changed the billing policy, and when (finance asks)."""

from __future__ import annotations

import getpass
import json
import os
from datetime import datetime, timezone

from tokenomics.settings import settings

ENV_ACTOR = "TOKENOMICS_USER"


def actor(explicit: str | None = None) -> str:
    """Who is acting: the signed-in user the app passes, else $TOKENOMICS_USER, else the OS account."""
    if explicit:
        return explicit
    try:
        return settings().user or getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return f"uid:{os.getuid()}"


def record(con, action: str, who: str, period: str | None = None, **detail) -> None:
    """One row per action; detail is kept as JSON text (it differs per action)."""
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
                [datetime.now(timezone.utc), who, action, period,
                 json.dumps(detail, sort_keys=True, default=str) if detail else None])

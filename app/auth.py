"""Who is looking: resolve the request's user to a Principal (tokenomics/access.py).

TOKENOMICS_AUTH selects how:
  local (default)  single-user mode for the demo and a laptop: the local user is an admin
  proxy            behind an authenticating reverse proxy (oauth2-proxy, IAP, …): the user's e-mail and
                   groups come from trusted headers (TOKENOMICS_AUTH_HEADER, default X-Forwarded-Email;
                   TOKENOMICS_AUTH_GROUPS_HEADER, default X-Forwarded-Groups, comma-separated)
  oidc             Streamlit's built-in OpenID Connect login (st.login; configure [auth] in
                   .streamlit/secrets.toml); the e-mail claim names the user
Roles and tenants come from the access file ($TOKENOMICS_ACCESS_FILE); anyone not in it sees nothing.
"""

from __future__ import annotations

import os

import streamlit as st

from tokenomics.access import LOCAL, Principal, load_access


def _mode() -> str:
    return os.environ.get("TOKENOMICS_AUTH", "local").lower()


def _proxy_identity() -> tuple[str | None, list[str]]:
    headers = st.context.headers
    user = headers.get(os.environ.get("TOKENOMICS_AUTH_HEADER", "X-Forwarded-Email"))
    groups = headers.get(os.environ.get("TOKENOMICS_AUTH_GROUPS_HEADER", "X-Forwarded-Groups")) or ""
    return (user.strip().lower() if user else None), [g.strip() for g in groups.split(",") if g.strip()]


def _oidc_identity() -> tuple[str | None, list[str]]:
    if not st.user.is_logged_in:
        st.title("Tokenomics")
        st.button("Log in", on_click=st.login, type="primary")
        st.stop()
    email = st.user.get("email")
    return (email.lower() if email else None), list(st.user.get("groups") or [])


_IDENTITY = {"proxy": _proxy_identity, "oidc": _oidc_identity}


def principal() -> Principal:
    """The current viewer; stops the page with an explanation when they have no access."""
    mode = _mode()
    if mode == "local":
        return LOCAL
    if mode not in _IDENTITY:
        st.error(f"TOKENOMICS_AUTH={mode!r} is not one of local, proxy, oidc")
        st.stop()
    user, groups = _IDENTITY[mode]()
    who = load_access().principal(user, groups)
    if who is None:
        st.error(f"{user or 'This request'} has no access to Tokenomics. Ask an admin to add you to the access file.")
        st.stop()
    return who

"""Who is looking: resolve the request's user to a Principal (tokenomics/access.py).

TOKENOMICS_AUTH selects how:
  local (default)  single-user mode for the demo and a laptop: the local user is an admin
  proxy            behind an authenticating reverse proxy (oauth2-proxy, IAP, …): the user's e-mail and
                   groups come from trusted headers (TOKENOMICS_AUTH_HEADER, default X-Forwarded-Email;
                   TOKENOMICS_AUTH_GROUPS_HEADER, default X-Forwarded-Groups, comma-separated) — believed only
                   when the request proves it came through the proxy: TOKENOMICS_PROXY_SECRET (sent by the
                   proxy in TOKENOMICS_PROXY_SECRET_HEADER, default X-Tokenomics-Proxy-Secret) and/or
                   TOKENOMICS_TRUSTED_PROXIES (the proxy's addresses); see docs/deploy.md
  oidc             Streamlit's built-in OpenID Connect login (st.login; configure [auth] in
                   .streamlit/secrets.toml); the e-mail claim names the user
Roles and tenants come from the access file ($TOKENOMICS_ACCESS_FILE); anyone not in it sees nothing.
"""

from __future__ import annotations

import streamlit as st

from tokenomics.access import LOCAL, Principal, ProxyConfigError, ProxyRefused, ProxySettings, load_access
from tokenomics.settings import SettingsError, settings


def _mode() -> str:
    try:
        return settings().auth
    except SettingsError as e:  # e.g. TOKENOMICS_AUTH must be one of local, proxy, oidc
        st.error(f"Tokenomics is misconfigured: {e}")
        st.stop()


def _proxy_identity() -> tuple[str | None, list[str]]:
    try:
        settings = ProxySettings.from_env()
        # the raw TCP peer of the WebSocket; Streamlit reports a loopback peer as None
        peer = st.context.ip_address or "127.0.0.1"
        return settings.identity(st.context.headers.get_all, peer)
    except ProxyConfigError as e:
        st.error(f"Tokenomics is misconfigured: {e}")
    except ProxyRefused as e:
        st.error(f"Refused: {e}. Open Tokenomics through its sign-in proxy.")
    st.stop()


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

"""Tokenomics dashboard entrypoint: page registry and navigation only."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

st.set_page_config(page_title="Tokenomics", page_icon="🪙", layout="wide")

pages = [
    st.Page(HERE / "pages" / "overview.py", title="Overview", icon="📊", url_path="overview", default=True),
    st.Page(HERE / "pages" / "tenant.py", title="Tenant spend", icon="🏢", url_path="tenant"),
    st.Page(HERE / "pages" / "data_health.py", title="Data health", icon="🩺", url_path="data-health"),
]
st.navigation(pages).run()

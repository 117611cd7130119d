"""Tokenomics dashboard entrypoint: page registry and navigation only."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

st.set_page_config(page_title="Tokenomics", page_icon=":material/paid:", layout="wide")

pages = [
    st.Page(HERE / "views" / "overview.py", title="Overview", icon=":material/monitoring:", default=True),
    st.Page(HERE / "views" / "tenant.py", title="Tenant spend", icon=":material/apartment:", url_path="tenant"),
    st.Page(HERE / "views" / "whatif.py", title="What-if", icon=":material/query_stats:", url_path="whatif"),
    st.Page(HERE / "views" / "data_health.py", title="Data health", icon=":material/health_and_safety:", url_path="data-health"),
]
st.navigation(pages).run()

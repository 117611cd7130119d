"""Tokenomics dashboard entrypoint: page registry and navigation only.

Pages a role cannot use are registered but not listed: opening their URL says "Not permitted" (ui.denied)
instead of silently landing on the overview.  The data layer refuses them regardless.
"""

from pathlib import Path

import streamlit as st

from tokenomics.app import data
from tokenomics.app.auth import principal

HERE = Path(__file__).parent / "views"

# a local favicon: a :material/…: one is fetched from fonts.gstatic.com, and nothing may leave the network
st.set_page_config(page_title="Tokenomics", page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
                   layout="wide", menu_items={"About": "Tokenomics: LLM inference cost analytics."})
who = principal()


def page(file: str, title: str, icon: str, url: str | None = None, default: bool = False,
         listed: bool = True) -> st.Page:
    return st.Page(HERE / file, title=title, icon=f":material/{icon}:", url_path=url, default=default,
                   visibility="visible" if listed else "hidden")


sections = {
    "Spend": [page("overview.py", "Overview", "monitoring", default=True),
              page("tenant.py", "Tenant spend", "apartment", "tenant"),
              page("statements.py", "Month close & statements", "receipt_long", "statements")],
    "Optimise": [page("savings.py", "Cache savings", "savings", "savings"),
                 page("batch.py", "Batch vs realtime", "schedule", "batch"),
                 page("whatif.py", "What-if", "query_stats", "whatif"),
                 page("rate_cards.py", "Rate cards", "sell", "rate-cards"),
                 page("recommendations.py", "Recommendations", "tips_and_updates", "recommendations",
                      listed=who.can("all_tenants"))],
    "Operate": [page("fleet.py", "GPU fleet", "memory", "fleet"),
                page("exports.py", "Exports", "ios_share", "exports", listed=who.can("exports")),
                page("data_health.py", "Data health", "health_and_safety", "data-health",
                     listed=who.can("data_health"))],
}
st.sidebar.caption(f"Signed in as **{who.user}** ({who.role})")
if stale := data.stale_warehouse():  # upgraded without a build: say what to run, not a missing-column error
    st.error(stale)
    st.stop()
if data.has_data():  # every page says how fresh its figures are
    st.sidebar.caption(f"Data through **{data.data_through():%d %b %Y}**")
st.navigation(sections).run()

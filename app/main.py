"""Tokenomics dashboard entrypoint: page registry and navigation only.

Pages a role cannot use are not offered (convenience only: the data layer refuses them regardless).
"""

from pathlib import Path

import streamlit as st

from app.auth import principal

HERE = Path(__file__).parent / "views"

st.set_page_config(page_title="Tokenomics", page_icon=":material/paid:", layout="wide")
who = principal()


def page(file: str, title: str, icon: str, url: str | None = None, default: bool = False) -> st.Page:
    return st.Page(HERE / file, title=title, icon=f":material/{icon}:", url_path=url, default=default)


sections = {
    "Spend": [page("overview.py", "Overview", "monitoring", default=True),
              page("tenant.py", "Tenant spend", "apartment", "tenant")],
    "Optimise": [page("savings.py", "Cache savings", "savings", "savings"),
                 page("batch.py", "Batch vs realtime", "schedule", "batch"),
                 page("whatif.py", "What-if", "query_stats", "whatif"),
                 page("rate_cards.py", "Rate cards", "sell", "rate-cards")],
    "Operate": [page("fleet.py", "GPU fleet", "memory", "fleet")]
               + ([page("exports.py", "Exports", "ios_share", "exports")] if who.can("exports") else [])
               + ([page("data_health.py", "Data health", "health_and_safety", "data-health")]
                  if who.can("data_health") else []),
}
st.sidebar.caption(f"Signed in as **{who.user}** ({who.role})")
st.navigation(sections).run()

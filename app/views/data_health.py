"""Data health: every input row accounted for — loaded, quarantined with a reason, or a duplicate."""

import streamlit as st

from app import data, ui

ui.page("Data health", data.has_data(), "ingest runs")

health = data.data_health()
st.subheader("Sources")
st.caption("For every source: rows read = loaded + quarantined + duplicate.")
st.dataframe(health["sources"], width="stretch", hide_index=True)
st.subheader("Quarantined rows")
st.dataframe(health["quarantine"], width="stretch", hide_index=True)

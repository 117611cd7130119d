"""Data health: every input row accounted for — loaded, quarantined with a reason, or a duplicate."""

import streamlit as st

from app import data, ui

ui.page("Data health", data.has_data(), "ingest runs")
if not data.viewer().can("data_health"):
    ui.denied("data health (it shows raw input rows)")

health = data.data_health()
sources = health["sources"]
st.subheader("Sources")
st.caption("For every source: rows read = loaded + quarantined + duplicate. Freshness = the newest row loaded.")
st.dataframe(sources, width="stretch", hide_index=True)
st.subheader("Quarantined rows")
st.caption("Kept with the reason they were rejected; fix the source and re-ingest — nothing is lost.")
quarantine = health["quarantine"]
st.dataframe(quarantine, width="stretch", hide_index=True)
if not quarantine.is_empty():
    labels = [f"{r['file']}:{r['line_no']} — {r['reason']}" for r in quarantine.head(200).iter_rows(named=True)]
    pick = st.selectbox("Inspect a quarantined row", range(len(labels)), format_func=labels.__getitem__)
    row = quarantine.row(pick, named=True)
    st.markdown(f"**{row['source']}** `{row['file']}` line {row['line_no']}: {row['reason']}")
    if "raw" in quarantine.columns:
        st.code(row["raw"] or "", language="json")
st.subheader("Unpriced models")
f = ui.global_filters(data.filter_options(), data.period())
st.dataframe(data.overview(f)["unpriced"], width="stretch", hide_index=True)

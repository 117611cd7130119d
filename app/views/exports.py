"""Exports: run a month's tenant-spend CSV or FOCUS 1.3 export, and list past ones with checksums."""

from datetime import date

import streamlit as st

from app import data, ui

ui.page("Exports", data.has_data(), "costs to export")
if not data.viewer().can("exports"):
    ui.denied("exports")

first, last = data.period()
months = sorted({date(y, m, 1).strftime("%Y-%m") for y in range(first.year, last.year + 1) for m in range(1, 13)
                 if first.replace(day=1) <= date(y, m, 1) <= last})[::-1]
with st.form("export"):
    cols = st.columns(4)
    period = cols[0].selectbox("Month", months)
    fmt = cols[1].selectbox("Format", ["csv", "focus"], format_func={"csv": "Tenant spend CSV", "focus": "FOCUS 1.3"}.get)
    driver = cols[2].selectbox("GPU cost split by", ["tokens", "weighted_tokens", "gpu_seconds"])
    idle = cols[3].selectbox("Idle GPU time", ["proportional", "separate"])
    if st.form_submit_button("Run export", type="primary"):
        manifest = data.run_export(period, fmt, driver, idle)
        st.success(f"Wrote {manifest['location']} — totals {manifest['totals']}")
st.caption(f"Exports land in `{data.export_dir()}` (set TOKENOMICS_EXPORT_DIR); the scheduler writes monthly "
           "ones to S3. Same month and settings → the same bytes.")

st.subheader("Past exports")
past = data.past_exports()
if past.is_empty():
    st.info("No exports yet.")
else:
    st.dataframe(past, width="stretch", hide_index=True)
    pick = st.selectbox("Download", [f"{e}/{n}" for e, n in zip(past["export"], past["file"])])
    folder, name = pick.split("/", 1)
    st.download_button(f"Download {name}", data.export_file(folder, name), file_name=name)

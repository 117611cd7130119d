"""Exports: a month's tenant-spend CSV or FOCUS dataset under the official policy, and past ones with checksums."""

import streamlit as st

from tokenomics.app import data, ui
from tokenomics.queries import DRIVERS, IDLE_POLICIES

ui.page("Exports", data.has_data(), "costs to export")
who = data.viewer()
if not who.can("exports"):
    ui.denied("Exports", "exports")

months = data.months()
names = months["month"].to_list()[::-1]
closed = months.filter(months["status"] == "closed")["month"].to_list()
with st.form("export"):
    cols = st.columns(2)
    period = cols[0].selectbox("Month", names, index=names.index(closed[-1]) if closed else 0,
                               format_func=lambda m: f"{m} (closed)" if m in closed else f"{m} (provisional)")
    fmt = cols[1].selectbox("Format", ["csv", "focus"], format_func={"csv": "Tenant spend CSV", "focus": "FOCUS 1.3"}.get)
    scenario = None
    if who.can("scenarios"):
        with st.expander("Scenario export (not what tenants are billed)"):
            on = st.checkbox("Export under another GPU allocation, labelled SCENARIO in every file name")
            c = st.columns(2)
            driver = c[0].selectbox("Split GPU cost by", DRIVERS, format_func=lambda d: d.replace("_", " "))
            idle = c[1].selectbox("Idle GPU time", IDLE_POLICIES,
                                  format_func={"proportional": "shared by usage", "separate": "kept apart"}.get)
            scenario = (driver, idle) if on else None
    go = st.form_submit_button("Run export", type="primary")
if go:
    manifest = data.run_export(period, fmt, scenario)
    stmt = manifest["statement"]
    kind = {"closed": f"closed version {stmt['version']}", "provisional": "provisional figures (month not closed)"}
    total = manifest["totals"].get("effective_usd") or manifest["totals"].get("EffectiveCost")
    st.success(f"Exported {period} as {'FOCUS 1.3' if fmt == 'focus' else 'the tenant spend CSV'} — "
               f"{kind.get(stmt['status'], stmt['status'])}, {stmt['tag']}, total {ui.money(total)} — "
               f"to {manifest['location']}.")
    main = manifest["files"][0]["name"]
    folder = manifest["location"].rstrip("/").rsplit("/", 1)[-1]
    if not manifest["location"].startswith("s3://"):
        st.download_button(f"Download {main}", data.export_file(folder, main), file_name=main, key="dl_new")
st.caption(f"Exports land in `{data.export_dir()}` (set TOKENOMICS_EXPORT_DIR); the scheduler writes monthly "
           "ones to S3. File names carry the period, policy and version: nothing overwrites another's file.")

st.subheader("Past exports")
past = data.past_exports()
if past.is_empty():
    st.info("No exports yet.")
else:
    ui.table(past)
    pick = st.selectbox("Download", [f"{e}/{n}" for e, n in zip(past["export"], past["file"])])
    folder, name = pick.split("/", 1)
    st.download_button(f"Download {name}", data.export_file(folder, name), file_name=name)

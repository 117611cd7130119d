"""Data health: every input row accounted for — loaded, quarantined with a reason, or a duplicate."""

import streamlit as st

from tokenomics.app import data, ui

ui.page("Data health", data.has_data(), "ingest runs")
if not data.viewer().can("data_health"):
    ui.denied("Data health (it shows raw input rows)", "data_health")

snapshot = data.snapshot_status()
if not snapshot["readable"]:
    st.info("An ingest or build is running: the figures below are the last published ones "
            f"({snapshot['published_at']:%Y-%m-%d %H:%M UTC})." if snapshot["published_at"] else
            "An ingest or build is running.")
elif snapshot["runs_missing"] or not snapshot["in_sync"]:
    st.warning(f"The dashboard is behind the warehouse: {snapshot['runs_missing']} loaded ingest runs "
               f"({snapshot['rows_missing']:,} rows) are not in the published figures"
               + ("" if snapshot["in_sync"] else ", and it was published from an older build")
               + ". Run `tokenomics build`: it republishes what is missing.")
f = ui.global_filters(data.filter_options(), data.period())
health = data.data_health(f)
sources = health["sources"]
st.subheader("Sources")
st.caption("For every source: rows read = loaded + quarantined + duplicate. Freshness = the newest row loaded.")
ui.table(sources)
st.subheader("Quarantined rows")
st.caption("Kept with the reason they were rejected; fix the source and re-ingest — nothing is lost.")
quarantine = health["quarantine"]
ui.table(quarantine)
if not quarantine.is_empty():
    labels = [f"{r['file']}:{r['line_no']} — {r['reason']}" for r in quarantine.head(200).iter_rows(named=True)]
    pick = st.selectbox("Inspect a quarantined row", range(len(labels)), format_func=labels.__getitem__)
    row = quarantine.row(pick, named=True)
    st.markdown(f"**{row['source']}** `{row['file']}` line {row['line_no']}: {row['reason']}")
    if "raw" in quarantine.columns:
        st.code(row["raw"] or "", language="json")
st.subheader("Unpriced models")
ui.table(health["unpriced"])
st.subheader("Model names no catalogue entry matches")
st.caption("Names as the gateways logged them that no rule maps to a price (docs/cost_model.md, \"Model "
           "names\"): the closest catalogue entries, and the line to add under `model_aliases:` in a contracts "
           "file to price them — check it names the right model before you do.")
ui.table(health["unmatched"])

st.subheader("Reconciliation")
reconciled = data.reconciliation(f)
gateway, vendor = reconciled["gateway"], reconciled["vendor"]
ui.metrics([
    dict(label="Ours − gateway-reported", value=ui.money(data.money_total(gateway["variance_usd"])),
         help="Our list cost minus the cost the gateway logged, over requests where both exist"),
    dict(label="Ours − vendor-billed", value=ui.money(data.money_total(vendor["variance_usd"])),
         help="Our effective cost minus the vendors' cost reports, on days both sides have data"),
])
ui.table_section("Against the gateway's reported cost", gateway, "priced requests with a reported cost",
                 "Per provider, model and tier; the largest variances first. A variance traces to a token "
                 "class or a tier the gateway prices differently.")
ui.table_section("Against the vendors' cost reports", vendor,
                 "vendor cost reports (ingest openai-costs or anthropic-costs)",
                 "Per provider, token class and tier (reasoning is billed as output), on days both sides "
                 "have data, so a missing export does not read as a variance.")

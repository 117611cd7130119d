"""Batch vs realtime: which traffic could wait for the vendor batch tier, and what it would save."""

import streamlit as st

from tokenomics.app import data, ui

ui.page("Batch vs realtime", data.has_data(), "priced API requests")
f = ui.global_filters(data.filter_options(), data.period())
view = data.batch(f)
classes = view["classes"]
if classes.is_empty():
    ui.empty_state("priced API requests")
    st.stop()

candidates = classes.filter(classes["candidate"])
ui.metrics([
    dict(label="Could save by moving to batch",
         value=ui.money(data.money_total(candidates["move_to_batch_savings_usd"])),
         help="Latency-tolerant traffic (tagged offline, off-hours or slow non-streaming) at the batch tier"),
    dict(label="Could save with flex", value=ui.money(data.money_total(
        classes.filter(classes["latency_class"] == "non_streaming")["move_to_flex_savings_usd"])),
         help="Non-streaming traffic batch does not take, at the vendor's flex tier: synchronous but slower, and "
              "refused when the vendor is busy (where a flex price exists, e.g. OpenAI's o-series)"),
    dict(label="Already saved with batch", value=ui.money(data.money_total(classes["realised_savings_usd"]))),
    dict(label="Turnaround", value="≤ 24 h", help="Vendor batch APIs complete within 24 hours (often much sooner)"),
])

ui.chart_with_table(ui.bars(classes, "move_to_batch_savings_usd", "latency_class", "Savings available by latency class"),
                    classes, "Latency classes")
st.caption("interactive = streaming (a person is waiting); non_streaming = possible but not obviously "
           "latency-tolerant; candidates are tagged_offline, off_hours (00–06 UTC) and slow (≥ 30 s).")
st.subheader("Biggest candidates")
ui.table(view["candidates"])

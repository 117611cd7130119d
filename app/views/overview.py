"""Overview: what we spend on tokens, where, and what we could not price."""

import streamlit as st

from app import data, ui

ui.page("Overview", data.has_data(), "priced requests")

start, end = ui.date_range(*data.period())
chosen = st.sidebar.multiselect("Tenants", data.tenants(), default=st.query_params.get_all("tenant"))
st.query_params["tenant"] = chosen
view = data.overview(start, end, chosen)
kpi = view["kpis"].row(0, named=True)

cols = st.columns(5)
cols[0].metric("API spend", ui.money(kpi["api_effective_usd"]),
               help="Effective: list price minus contract discounts, priced requests only")
cols[1].metric("Discounts", ui.money(kpi["api_discount_usd"]))
cols[2].metric("GPU bill", ui.money(kpi["gpu_cost_usd"]), help="GPUs × $/GPU-hour, idle hours included")
cols[3].metric("Requests", f"{kpi['requests']:,}")
cols[4].metric("Unpriced", f"{kpi['unpriced_requests']:,}", help="No rate card matched: never counted as $0",
               delta=f"{kpi['unpriced_share']:.2%} of requests", delta_color="off")

st.altair_chart(ui.stacked_area(view["by_day"], "day", "cost_usd", "category", "Spend per day"), width="stretch")
with st.expander("Spend per day — table"):
    st.dataframe(view["by_day"], width="stretch", hide_index=True)

left, right = st.columns(2)
with left:
    st.altair_chart(ui.bars(view["by_tenant"], "effective_cost_usd", "tenant", "Top tenants (API, effective)"),
                    width="stretch")
    st.dataframe(view["by_tenant"], width="stretch", hide_index=True, height=240)
with right:
    priced = view["by_model"].filter(view["by_model"]["pricing_status"] == "priced")
    st.altair_chart(ui.bars(priced, "effective_cost_usd", "model", "Spend by model (API, effective)"),
                    width="stretch")
    st.dataframe(view["by_model"], width="stretch", hide_index=True, height=240)

st.subheader("Unpriced models")
st.caption("Requests whose provider/model/tier has no rate card in force. They are counted here, never as $0: "
           "ingest a rate card for them to price them retroactively.")
st.dataframe(view["unpriced"], width="stretch", hide_index=True)

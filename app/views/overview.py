"""Overview: what we spend on tokens — API and self-hosted — where, and what we could not price."""

import streamlit as st

from app import data, ui

ui.page("Overview", data.has_data(), "priced requests")
f = ui.global_filters(data.filter_options(), data.period())
view = data.overview(f)
kpi = view["kpis"].row(0, named=True)

cols = st.columns(6)
cols[0].metric("Total spend", ui.money(kpi["total_usd"]), help="API effective + self-hosted GPU cost")
cols[1].metric("API", ui.money(kpi["api_usd"]), help="List price minus contract discounts, priced requests")
cols[2].metric("Self-hosted", ui.money(kpi["self_hosted_usd"]),
               help=f"GPU cost allocated by {f.driver.replace('_', ' ')}; idle {f.idle_policy}")
cols[3].metric("Idle GPUs", ui.money(kpi["idle_usd"]), help="Shown when idle time is kept separate")
cols[4].metric("Requests", f"{kpi['requests']:,}")
cols[5].metric("Unpriced", f"{kpi['unpriced_requests']:,}", help="No rate card matched: never counted as $0",
               delta=f"{kpi['unpriced_share']:.2%} of requests", delta_color="off")

ui.chart_with_table(ui.stacked_area(view["by_day"], "day", "cost_usd", "category", "Spend per day"),
                    view["by_day"], "Spend per day")

left, right = st.columns(2)
with left:
    ui.chart_with_table(ui.bars(view["by_tenant"], "total_usd", "tenant", "Top tenants (API + self-hosted)"),
                        view["by_tenant"], "Spend by tenant")
with right:
    ui.chart_with_table(ui.bars(view["by_model"].filter(view["by_model"]["effective_cost_usd"].is_not_null()),
                                "effective_cost_usd", "model", "Spend by model"),
                        view["by_model"], "Spend by model")

st.subheader("Unpriced models")
st.caption("Requests whose provider/model/tier has no rate card in force. They are counted here, never as $0: "
           "ingest a rate card for them to price them retroactively.")
st.dataframe(view["unpriced"], width="stretch", hide_index=True)

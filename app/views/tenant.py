"""Tenant spend: one tenant's cost by day, model and team, its budget burn-down and anomalies."""

import altair as alt
import streamlit as st

from app import data, ui

ui.page("Tenant spend", data.has_data(), "tenants")
options = data.filter_options()
f = ui.global_filters(options, data.period(), tenants=False)
names = options["tenant"]
if not names:
    ui.empty_state("tenants you can see")
    st.stop()
wanted = st.query_params.get("tenant")
name = st.sidebar.selectbox("Tenant", names, index=names.index(wanted) if wanted in names else 0, key="tenant_pick")
st.query_params["tenant"] = name
view = data.tenant(name, f)
kpi = view["kpis"].row(0, named=True)

st.subheader(name)
cols = st.columns(5)
cols[0].metric("Total spend", ui.money(kpi["total_usd"]))
cols[1].metric("API (effective)", ui.money(kpi["api_usd"]), help=f"list {ui.money(kpi['api_list_usd'])}")
cols[2].metric("Self-hosted (allocated)", ui.money(kpi["self_hosted_usd"]))
cols[3].metric("Requests", f"{kpi['requests']:,}")
cols[4].metric("$ / 1M tokens", ui.money(kpi["usd_per_mtok"]))

daily = (
    alt.Chart(ui.for_chart(view["daily"]), title="Spend per day by model")
    .mark_bar()
    .encode(x=alt.X("day:T", title=None), y=alt.Y("effective_cost_usd:Q", title="USD", axis=alt.Axis(format="$,.0f")),
            color=alt.Color("model:N", scale=alt.Scale(scheme="tableau20"), title=None),
            tooltip=["day:T", "model:N", alt.Tooltip("effective_cost_usd:Q", format="$,.2f"), "requests:Q"])
    .properties(height=320)
)
ui.chart_with_table(daily, view["daily"], "Spend per day")

budget = view["budget"]
st.subheader("Budget")
if budget.is_empty():
    st.info("No budget for this tenant's months. Add one to a contracts file: "
            "`budgets: [{tenant: ..., month: 2026-11-01, budget_usd: '5000.00'}]`.")
else:
    last = budget.row(-1, named=True)
    cols = st.columns(3)
    cols[0].metric(f"Budget {last['month']:%b %Y}", ui.money(last["budget_usd"]))
    cols[1].metric("Month to date", ui.money(last["mtd_usd"]), delta=f"{last['burn_pct']}% burned", delta_color="off")
    over = last["forecast_usd"] > last["budget_usd"]
    cols[2].metric("Month-end forecast", ui.money(last["forecast_usd"]),
                   delta=("over budget" if over else "within budget"), delta_color="inverse" if over else "normal")
    ui.chart_with_table(ui.burn_down(budget), budget, "Budget burn-down")

st.subheader("Anomalies")
if view["anomalies"].is_empty():
    st.caption("No day-over-day anomalies in this period (robust z-score against the trailing 14 days).")
else:
    st.dataframe(view["anomalies"], width="stretch", hide_index=True)

st.subheader("By tag (API requests)")
st.caption("A request with several tags counts under each, so tags overlap; they do not add up to the total.")
st.dataframe(view["tags"], width="stretch", hide_index=True)

st.subheader("By team, source and model")
st.dataframe(view["breakdown"], width="stretch", hide_index=True)
st.download_button("Download CSV", view["breakdown"].write_csv(), file_name=f"tokenomics-{name}-{f.start}-{f.end}.csv",
                   mime="text/csv")

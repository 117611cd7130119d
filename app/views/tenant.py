"""Tenant spend: one tenant's statement figures, cost by day and team, budget burn-down and anomalies."""

import altair as alt
import streamlit as st

from tokenomics.app import data, ui

ui.page("Tenant spend", data.has_data(), "tenants")
options = data.filter_options()
f = ui.global_filters(options, data.period(), tenants=False, scenarios=data.viewer().can("scenarios"))
names = options["tenant"]
if not names:
    ui.empty_state("tenants you can see")
    st.stop()
wanted = st.query_params.get("show_tenant")  # the tenant shown; ?tenant= is the Overview's filter list
name = st.sidebar.selectbox("Tenant", names, index=names.index(wanted) if wanted in names else 0, key="tenant_pick")
st.query_params["show_tenant"] = name
view = data.tenant(name, f)
kpi = view["kpis"].row(0, named=True)
before = {k: (v.row(0, named=True) if not v.is_empty() else {}) for k, v in view["compare"].items()}

st.subheader(name)
ui.policy_stamp(view["policy"], view["months"], data.data_through())
ui.metrics([
    dict(label="Total spend", value=ui.money(kpi["total_usd"]),
         delta=ui.delta(kpi["total_usd"], before["previous"].get("total_usd")), delta_color="inverse",
         help="vs the previous period"),
    dict(label="API (effective)", value=ui.money(kpi["api_usd"]),
         help=f"list {ui.money(kpi['api_list_usd'])} − discounts {ui.money(kpi['discount_usd'])}"),
    dict(label="Self-hosted GPU", value=ui.money(kpi["self_hosted_usd"]),
         help=f"of which share of idle GPU time {ui.money(kpi['idle_share_usd'])}"),
    dict(label="$ / 1M tokens", value=ui.money(kpi["usd_per_mtok"])),
    dict(label="Requests", value=f"{kpi['requests']:,}"),
    dict(label="Unpriced requests", value=f"{kpi['unpriced_requests']:,}", help="No rate card matched: never $0"),
    dict(label="Same period last year", value=ui.money(before["year_ago"].get("total_usd")),
         delta=ui.delta(kpi["total_usd"], before["year_ago"].get("total_usd")), delta_color="inverse"),
])

st.subheader("Statement lines")
st.caption("The cents this tenant is billed: the same lines as its statement and the tenant-spend export "
           "(list − discount = effective on every line).")
ui.table(view["breakdown"])
st.download_button("Download CSV", view["breakdown"].write_csv(), file_name=f"tokenomics-{name}-{f.start}-{f.end}.csv",
                   mime="text/csv", key="dl_lines")

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
    ui.table(view["anomalies"])

st.subheader("By tag (API requests)")
st.caption("A request with several tags counts under each, so tags overlap; they do not add up to the total.")
ui.table(view["tags"])

st.subheader("By team, source and model")
st.caption("Exact amounts per team (analysis; the statement lines above are what is billed).")
ui.table(view["by_team"])

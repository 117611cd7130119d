"""Tenant drill-down: one tenant's spend by day, team, model and tier."""

import altair as alt
import streamlit as st

from app import data, ui

ui.page("Tenant spend", data.has_data(), "tenants")

start, end = ui.date_range(*data.period())
names = data.tenants()
wanted = st.query_params.get("tenant", names[0])
name = st.sidebar.selectbox("Tenant", names, index=names.index(wanted) if wanted in names else 0)
st.query_params["tenant"] = name
view = data.tenant(name, start, end)
daily, breakdown, kpi = view["daily"], view["breakdown"], view["kpis"].row(0, named=True)

st.subheader(name)
cols = st.columns(3)
cols[0].metric("API spend (effective)", ui.money(kpi["effective_cost_usd"]))
cols[1].metric("API spend (list)", ui.money(kpi["list_cost_usd"]))
cols[2].metric("Requests", f"{kpi['requests']:,}")

chart = (
    alt.Chart(ui.for_chart(daily), title="Spend per day by model")
    .mark_bar()
    .encode(
        x=alt.X("day:T", title=None),
        y=alt.Y("effective_cost_usd:Q", title="USD", axis=alt.Axis(format="$,.0f")),
        color=alt.Color("model:N", scale=alt.Scale(scheme="tableau20"), title=None),
        tooltip=["day:T", "model:N", alt.Tooltip("effective_cost_usd:Q", format="$,.2f"), "requests:Q"],
    )
    .properties(height=320)
)
st.altair_chart(chart, width="stretch")
st.subheader("By team, model and tier")
st.dataframe(breakdown, width="stretch", hide_index=True)
st.download_button("Download CSV", breakdown.write_csv(), file_name=f"tokenomics-{name}-{start}-{end}.csv",
                   mime="text/csv")

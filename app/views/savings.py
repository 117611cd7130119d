"""Cache savings: what provider prompt caching, the gateway cache and prefix caching saved, net."""

import altair as alt
import streamlit as st

from tokenomics.app import data, ui

ui.page("Cache savings", data.has_data(), "cached requests")
f = ui.global_filters(data.filter_options(), data.period())
view = data.savings(f)
monthly = view["monthly"]
if monthly.is_empty():
    ui.empty_state("requests with cache reads or gateway cache hits")
    st.stop()

ui.metrics([
    dict(label="Net savings", value=ui.money(data.money_total(monthly["net_savings_usd"])),
         help="Counterfactual cost without the cache minus actual, minus cache-write premiums"),
    dict(label="Cache-write premium paid", value=ui.money(data.money_total(monthly["write_premium_usd"]))),
    dict(label="After contract discounts", value=ui.money(data.money_total(monthly["net_savings_effective_usd"]))),
])

chart = (
    alt.Chart(ui.for_chart(monthly), title="Net savings per month by mechanism")
    .mark_bar()
    .encode(x=alt.X("month:T", title=None, timeUnit="yearmonth"),
            y=alt.Y("net_savings_usd:Q", title="USD", axis=alt.Axis(format="$,.0f")),
            color=alt.Color("mechanism:N", title=None),
            tooltip=["month:T", "mechanism", alt.Tooltip("gross_savings_usd:Q", format="$,.2f"),
                     alt.Tooltip("write_premium_usd:Q", format="$,.2f"), alt.Tooltip("net_savings_usd:Q", format="$,.2f")])
    .properties(height=300)
)
ui.chart_with_table(chart, monthly, "Savings per month")

st.subheader("By tenant and month")
ui.table(view["by_tenant"])

st.subheader("5-minute vs 1-hour cache writes: break-even reads")
st.caption("How many times a cached prefix must be read back before writing it paid off: "
           "(write price − input price) / (input price − read price). Compare with the reads per written "
           "token you actually get.")
ui.table(view["breakeven"])

"""Rate cards: effective-dated prices, their history, and the period re-priced at another date's cards."""

from decimal import Decimal

import altair as alt
import streamlit as st

from tokenomics.app import data, ui

ui.page("Rate cards", data.has_data(), "rate cards")
f = ui.global_filters(data.filter_options(), data.period())
cols = st.columns(2)
price_at = cols[0].date_input("Prices in force on", value=f.end, key="price_at")
proposed = cols[1].number_input("Proposed discount % (0 = current contracts)", 0.0, 100.0,
                                float(st.query_params.get("discount", 0)), step=1.0)
st.query_params["discount"] = str(proposed)
view = data.rate_cards(f, price_at, Decimal(str(proposed)) if proposed else None)

st.subheader(f"Re-priced: the period's tokens at {price_at} prices")
reprice = view["reprice"]
if reprice.is_empty():
    ui.empty_state("API traffic in this period")
else:
    ui.metrics([
        dict(label="Actual (effective)", value=ui.money(data.money_total(reprice["actual_effective_usd"]))),
        dict(label="Re-priced (effective)", value=ui.money(data.money_total(reprice["repriced_effective_usd"]))),
        dict(label="Change", value=ui.money(data.money_total(reprice["change_usd"])),
             help="Only tokens that have a price at the chosen date are compared"),
    ])
    ui.table(reprice)

st.subheader(f"Cards in force on {price_at}")
ui.table(view["cards"])

history = view["history"]
if not history.is_empty():
    chart = (
        alt.Chart(ui.for_chart(history), title="Output price history ($/1M tokens, base context tier)")
        .mark_line(point=True, interpolate="step-after")
        .encode(x=alt.X("valid_from:T", title=None), y=alt.Y("output_usd_per_mtok:Q", title="$/1M output tokens"),
                color=alt.Color("model:N", title=None), strokeDash=alt.StrokeDash("service_tier:N", title=None),
                tooltip=["model", "service_tier", "valid_from:T", "uncached_input_usd_per_mtok", "output_usd_per_mtok"])
        .properties(height=300)
    )
    ui.chart_with_table(chart, history, "Price history")

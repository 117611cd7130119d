"""Overview: what we spend on tokens — API and self-hosted — where, and what we could not price."""

import streamlit as st

from tokenomics.app import data, ui

ui.page("Overview", data.has_data(), "priced requests")
f = ui.global_filters(data.filter_options(), data.period(), scenarios=data.viewer().can("scenarios"))
view = data.overview(f)
kpi = view["kpis"].row(0, named=True)
before = {k: (v.row(0, named=True) if not v.is_empty() else {}) for k, v in view["compare"].items()}
ui.policy_stamp(view["policy"], view["months"], view["data_through"])

ui.metrics([
    dict(label="Total spend", value=ui.money(kpi["total_usd"]),
         delta=ui.delta(kpi["total_usd"], before["previous"].get("total_usd")), delta_color="inverse",
         help="API effective + self-hosted GPU cost, incl. unallocated idle; vs the previous period"),
    dict(label="API", value=ui.money(kpi["api_usd"]), delta=ui.delta(kpi["api_usd"], before["previous"].get("api_usd")),
         delta_color="inverse",
         help=f"List {ui.money(kpi['api_list_usd'])} − contract discounts {ui.money(kpi['discount_usd'])}"),
    dict(label="Self-hosted GPU", value=ui.money(kpi["self_hosted_usd"]),
         help=f"Charged to tenants by the policy; of which their share of idle time {ui.money(kpi['idle_share_usd'])}"),
    dict(label="Idle GPU time", value=ui.money(kpi["idle_total_usd"]),
         help=f"Bill − busy time (as on GPU fleet): {ui.money(kpi['idle_share_usd'])} charged to tenants as their "
              f"share, {ui.money(kpi['idle_usd'])} unallocated (hours with no traffic; all idle time when idle is "
              "kept apart)"),
    dict(label="Requests", value=f"{kpi['requests']:,}"),
    dict(label="Unpriced requests", value=f"{kpi['unpriced_requests']:,}", help="No rate card matched: never $0",
         delta=f"{kpi['unpriced_share']:.2%} of requests", delta_color="off"),
    dict(label="$ / 1M tokens", value=ui.money(kpi["usd_per_mtok"]), help="Tenants' cost per million tokens"),
    dict(label="Same period last year", value=ui.money(before["year_ago"].get("total_usd")),
         delta=ui.delta(kpi["total_usd"], before["year_ago"].get("total_usd")), delta_color="inverse"),
])

ui.chart_with_table(ui.stacked_area(view["by_day"], "day", "cost_usd", "category", "Spend per day"),
                    view["by_day"], "Spend per day")
st.caption("Daily amounts are exact; the period's totals above and in the tables below are the statement's cents.")

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
ui.table(view["unpriced"])

"""GPU fleet: per deployment — utilisation, energy, throughput, $/1M tokens, idle cost, who pays."""

import altair as alt
import streamlit as st

from tokenomics.app import data, ui

ui.page("GPU fleet", data.has_data(), "GPU telemetry")
f = ui.global_filters(data.filter_options(), data.period())
view = data.fleet(f)

if "deployments" in view:
    deployments = view["deployments"]
    if deployments.is_empty():
        ui.empty_state("GPU deployments with telemetry (`tokenomics ingest deployments`, `nvidia-smi`)")
        st.stop()
    ui.metrics([
        dict(label="GPU bill", value=ui.money(data.money_total(deployments["gpu_cost_usd"]))),
        dict(label="Idle cost", value=ui.money(data.money_total(deployments["idle_cost_usd"])),
             help="Bill × (1 − utilisation): what idle GPU time cost"),
        dict(label="GPUs", value=f"{deployments['gpu_count'].sum():,}"),
        dict(label="Requests served", value=f"{deployments['requests'].sum():,}"),
    ])
    ui.table(deployments)
    util = (
        alt.Chart(view["daily"].to_pandas(), title="Mean GPU utilisation per day")
        .mark_line(point=True)
        .encode(x=alt.X("day:T", title=None), y=alt.Y("avg_util_pct:Q", title="%"), color=alt.Color("deployment_id:N", title=None),
                tooltip=["day:T", "deployment_id", "avg_util_pct", "requests"])
        .properties(height=260)
    )
    ui.chart_with_table(util, view["daily"], "Utilisation per day")
else:
    ui.denied("the fleet-wide GPU figures (deployments, utilisation, idle cost)", "fleet", stop=False)
    st.caption("Your role sees only the GPU cost allocated to your tenants, below.")

st.subheader("Who pays for the GPUs")
st.caption(f"{view['policy'].label()}.")
alloc = view["allocation"]
if alloc.is_empty():
    ui.empty_state("self-hosted traffic")
else:
    bars = (
        alt.Chart(ui.for_chart(alloc), title="Allocated GPU cost by tenant")
        .mark_bar()
        .encode(x=alt.X("allocated_usd:Q", title="USD", axis=alt.Axis(format="$,.0f")),
                y=alt.Y("tenant:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
                color=alt.Color("deployment_id:N", title=None),
                tooltip=["deployment_id", "tenant", alt.Tooltip("allocated_usd:Q", format="$,.2f"), "tokens"])
        .properties(height=max(160, 22 * alloc["tenant"].n_unique()))
    )
    ui.chart_with_table(bars, alloc, "GPU allocation")

if data.viewer().can("fleet"):
    st.subheader("Observed vs the what-if model")
    ui.table_section("Busy-hour throughput per deployment", data.fleet_vs_model(f.start, f.end),
                     "self-hosted deployments with traffic",
                     "Busiest 10 % of hours: observed output tokens/s per GPU next to the calibrated model at the "
                     "same load, and the model's capacity for this request shape.")

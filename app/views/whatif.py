"""What-if: which GPU, precision, TP and batch size serves this traffic cheapest within the SLO."""

import altair as alt
import streamlit as st

from tokenomics.app import data, ui
from tokenomics.pricing.perf.whatif import ENGINES

st.title("What-if: GPUs, precision and batch size")
params = st.query_params
has_data = data.has_data()

# --- workload: real traffic from the warehouse, or typed in ---------------------------------------
sources = ["Traffic from the warehouse", "Manual"] if has_data else ["Manual"]
source = st.sidebar.radio("Workload", sources, index=sources.index(params.get("source", sources[0]))
                          if params.get("source") in sources else 0)
params["source"] = source
profile = None
window = data.period() if has_data else None
if source == sources[0] and has_data:
    f = ui.global_filters(data.filter_options(), data.period())
    window = (f.start, f.end)
    routes = ["All routes", *data.workload(f, None)["routes"]["route"].to_list()]
    route = st.sidebar.selectbox("Route (provider/model)", routes, index=routes.index(params["route"])
                                 if params.get("route") in routes else 0)
    params["route"] = route
    route_arg = None if route == "All routes" else route
    traffic = data.workload(f, route_arg)
    profile = traffic["profile"].row(0, named=True)
    if not profile["requests"]:
        st.info("No model-served requests for this tenant/route in the period; widen the filters or switch "
                "the workload to Manual.")
        st.stop()
    sizes = ["mean request", "p50 request", "p90 request"]
    size = st.sidebar.radio("Size for", sizes, index=sizes.index(params["size"]) if params.get("size") in sizes else 0,
                            help="p50/p90 round up to the power-of-two length bucket")
    params["size"] = size
    if size == "mean request":
        isl, osl = max(round(profile["mean_input_tokens"]), 1), max(round(profile["mean_output_tokens"]), 1)
    else:
        isl, osl = data.length_percentiles(traffic["shape"], 0.5 if size == "p50 request" else 0.9)
    peak_rps, hours = profile["peak_rps"], float(profile["period_hours"])
    ui.metrics([
        dict(label="Requests (cache misses)", value=f"{profile['requests']:,}"),
        dict(label=f"Input tokens ({size.split()[0]})", value=f"{isl:,}"),
        dict(label=f"Output tokens ({size.split()[0]})", value=f"{osl:,}"),
        dict(label="Busiest hour", value=f"{peak_rps * 3600:,.0f} req/h", help="Fleets below are sized for this rate."),
    ])
    with st.expander("Request length distribution"):
        st.altair_chart(ui.length_histogram(traffic["shape"]), width="stretch")
        ui.table(traffic["shape"])
else:
    route_arg = None
    cols = st.columns(3)
    isl = cols[0].number_input("Input tokens per request", 1, 200_000, int(params.get("isl", 1024)), step=256)
    osl = cols[1].number_input("Output tokens per request", 1, 64_000, int(params.get("osl", 512)), step=128)
    peak_rps = cols[2].number_input("Peak requests per second", 0.0, 10_000.0, float(params.get("rps", 5.0)))
    params["isl"], params["osl"], params["rps"] = str(isl), str(osl), str(peak_rps)
    hours = 730.0

# --- model, engine, price, SLO --------------------------------------------------------------------
models = data.perf_models()
default_model = params.get("model") or data.perf_model_for(route_arg) or "llama-3.3-70b"
tiers = data.price_tiers()
with st.container(horizontal=True):  # one row on a wide screen; wraps (3 + 2) on a narrow one
    model = st.selectbox("Model", list(models), index=list(models).index(default_model)
                         if default_model in models else 0, format_func=lambda m: models[m])
    engine = st.selectbox("Engine", ENGINES, index=ENGINES.index(params.get("engine", "vllm"))
                          if params.get("engine") in ENGINES else 0)
    tier = st.selectbox("GPU price", tiers, index=tiers.index(params["tier"]) if params.get("tier") in tiers else 0,
                        format_func=lambda t: t.replace("_", " "),
                        help="contract = your ingested $/GPU-hour where you have one, else on-demand list price")
    ttft = st.number_input("TTFT SLO (ms)", 50, 120_000, int(params.get("ttft", 2000)), step=100)
    tpot = st.number_input("TPOT SLO (ms)", 5, 1000, int(params.get("tpot", 50)), step=5)
params.update(model=model, engine=engine, tier=tier, ttft=str(ttft), tpot=str(tpot))

result = data.whatif_plan(model, isl, osl, engine, tier, float(ttft), float(tpot), peak_rps or None, hours,
                          data.warehouse_version())
frontier, plan = result["frontier"], result["plan"]
if plan.is_empty():
    st.warning("No GPU, precision, TP and load in the catalogue meets this SLO for this model; relax the SLO.")
    st.stop()

# --- cost frontier ---------------------------------------------------------------------------------
st.subheader("Cost per token vs speed per user")
cheapest = plan.head(1)
points = ["gpu", "precision", "tp", "concurrency", "tok_s_per_user", "usd_per_mtok"]
background = (
    alt.Chart(ui.for_chart(result["within_slo"].select(points)).to_pandas())
    .mark_circle(size=18, opacity=0.25)
    .encode(x=alt.X("tok_s_per_user:Q", title="Output tokens/s per user", scale=alt.Scale(type="log")),
            y=alt.Y("usd_per_mtok:Q", title="$ per 1M tokens", scale=alt.Scale(type="log")),
            color=alt.Color("gpu:N", scale=alt.Scale(range=ui.PALETTE + ui.PALETTE), title="GPU"),
            tooltip=["gpu", "precision", "tp", "concurrency"])
)
front = (
    alt.Chart(ui.for_chart(frontier.select(points)).to_pandas())
    .mark_line(point=True, color="black", strokeWidth=2)
    .encode(x="tok_s_per_user:Q", y="usd_per_mtok:Q",
            tooltip=["gpu", "precision", "tp", "concurrency", alt.Tooltip("tok_s_per_user:Q", format=",.1f"),
                     alt.Tooltip("usd_per_mtok:Q", format="$,.4f", title="$/1M tokens")])
)
best = (
    alt.Chart(ui.for_chart(cheapest.select(points)).to_pandas())
    .mark_point(shape="diamond", size=260, filled=True, color=ui.PALETTE[3])
    .encode(x="tok_s_per_user:Q", y="usd_per_mtok:Q", tooltip=["gpu", "precision", "tp", "concurrency"])
)
ui.chart_with_table((background + front + best).properties(height=380),
                    ui.whatif_plan_table(frontier.drop("price_source", "usd_per_gpu_hour", strict=False)),
                    "Cost frontier")
st.caption(f"Black line: the setups no other beats on both speed per user and $/1M tokens, within TTFT ≤ {ttft:,} ms "
           f"and TPOT ≤ {tpot:,} ms for {isl:,} input / {osl:,} output tokens; red diamond: the cheapest setup "
           "below. Each dot is one GPU × precision × TP × concurrency; every prediction has an 80 % range "
           "(tables) from the held-out calibration error, wider for GPUs and precisions without measurements.")

if excluded := data.not_offered(engine):
    with st.expander(f"Not offered with {engine} ({len(excluded)})"):
        st.markdown("\n".join(f"- {line}" for line in excluded))

# --- ranked plan ------------------------------------------------------------------------------------
st.subheader("Cheapest setups for this traffic")
table = ui.whatif_plan_table(plan)
ui.table(table)
st.download_button("Download plan CSV", table.write_csv(), file_name=f"whatif-{model}-{isl}x{osl}.csv",
                   mime="text/csv")

# --- API vendors --------------------------------------------------------------------------------------
if has_data:
    requests = profile["requests"] if profile else int(peak_rps * 3600 * hours)
    api = data.api_prices(data.period()[1], isl, osl, requests)
    ui.table_section("API vendors for the same requests", api, "per-token rate cards",
                     "Blended $/1M tokens = (input × input price + output × output price) / (input + output), "
                     "comparable with the self-hosted $/1M tokens above. `usd_for_traffic` prices the same "
                     "number of requests (cache-write and cache-read discounts not applied).")
    if data.viewer().can("fleet"):
        ui.table_section("Your fleet next to the model", data.fleet_vs_model(*window),
                         "self-hosted deployments with traffic",
                         "Busiest 10 % of each deployment's hours: observed output tokens/s per GPU and latency "
                         "next to the model at the same load; capacity is the model's best throughput per GPU "
                         "for this request shape.")

with st.expander("Model accuracy (held-out calibration rows)"):
    ui.table(data.calibration_report())

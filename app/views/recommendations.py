"""Recommendations: what to change, ranked by dollars saved a month, each with its evidence, assumptions,
range and risk."""

import streamlit as st

from tokenomics.app import data, ui

ui.page("Recommendations", data.has_data(), "costs to optimise")
if not data.viewer().can("all_tenants"):
    ui.denied("Recommendations (they cover every tenant's traffic)", "all_tenants")

months = data.recommendation_months()[::-1]
wanted = st.query_params.get("month")
with st.sidebar:
    month = st.selectbox("Month", months, index=months.index(wanted) if wanted in months else 0, key="rec_month")
    st.caption("What a rightsized plan must meet")
    ttft = st.number_input("TTFT SLO (ms)", 50.0, 60_000.0, 2000.0, step=100.0)
    tpot = st.number_input("TPOT SLO (ms)", 5.0, 1000.0, 100.0, step=5.0)
    headroom = st.slider("Headroom over the observed peak", 1.0, 3.0, 1.3, 0.1)
st.query_params["month"] = month

found = data.recommendations(month, ttft, tpot, headroom)
cover = data.recommendation_coverage(month)
if not found:
    st.info(f"No recommendation saves at least $1 in {cover.describe()}.")
    st.stop()
best = {}
for r in found:  # alternatives on one scope do not add up: count the best of each
    best.setdefault(r.scope, r)
ui.metrics([dict(label="Recommendations", value=f"{len(found):,}"),
            dict(label="Saving a month (best per scope)",
                 value=ui.money(cover.per_month(sum(r.saving_usd for r in best.values()))),
                 help="Several recommendations on one deployment or route are alternatives: only the largest counts"),
            dict(label="Largest, a month", value=ui.money(cover.per_month(found[0].saving_usd)))])
if cover.partial:
    st.caption(f"{month} has data for {cover.describe()}: today, projected and saving are for those days (they "
               f"reconcile with the ledger); \"a month\" is the same daily rate over all {cover.month_days} days. "
               "Ranked by dollars saved; the range is the saving at the projection's high and low ends.")
else:
    st.caption(f"{month}: ranked by dollars saved this month. Saving = today's cost of the scope (from the ledger) − "
               "the projected cost; the range is the saving at the projection's high and low ends.")
st.download_button("Download recommendations CSV", data.recommendations_csv(month, ttft, tpot, headroom),
                   file_name=f"recommendations-{month}.csv", mime="text/csv")

for i, r in enumerate(found):
    saved = ui.money(cover.per_month(r.saving_usd))
    header = f"{saved} a month ({ui.money(r.saving_usd)} in {cover.span()})" if cover.partial else f"{saved} a month"
    with st.expander(f"{header} — {r.title}", expanded=False):
        ui.metrics([dict(label="Today", value=ui.money(r.today_usd)),
                    dict(label="Projected", value=ui.money(r.projected_usd)),
                    dict(label="Saving", value=ui.money(r.saving_usd)),
                    dict(label="Range (80 %)", value=f"{ui.money(r.low_usd)} – {ui.money(r.high_usd)}")])
        st.markdown(f"**Do:** {r.action}")
        st.markdown(f"**Risk:** {r.risk}")
        st.dataframe({"Evidence": list(r.evidence), "Value": [str(v) for v in r.evidence.values()]},
                     hide_index=True, width="stretch", key=f"evidence_{i}")
        st.markdown("**Assumptions**\n" + "\n".join(f"- {a}" for a in r.assumptions))

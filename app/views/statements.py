"""Month close & statements: close a month as finance, see its versions and what changed, send statements."""

from datetime import date

import streamlit as st

from tokenomics.app import data, ui
from tokenomics.chargeback import IDLE_TENANT, SECTIONS

ui.page("Month close & statements", data.has_data(), "costs to close")
who = data.viewer()
months = data.months()
if months.is_empty():
    ui.empty_state("months with costs")
    st.stop()

names = months["month"].to_list()[::-1]
today = date.today()
ended = [m for m in names if date(int(m[:4]), int(m[5:]), 1) < today.replace(day=1)]
wanted = st.query_params.get("month")
month = st.selectbox("Month", names, index=names.index(wanted) if wanted in names else
                     names.index(ended[0]) if ended else 0, key="close_month")
st.query_params["month"] = month
stmt = data.month_statement(month)
status = {"closed": st.success, "reopened": st.warning, "provisional": st.info}[stmt.status]
status(f"{stmt.label}. {stmt.policy.label()}.")

ui.metrics([dict(label="Total", value=ui.money(stmt.total)),
            dict(label="Tenants", value=f"{stmt.lines.filter(stmt.lines['section'] != 'idle')['tenant'].n_unique():,}"),
            dict(label="Unpriced requests", value=f"{stmt.lines['unpriced_requests'].sum():,}"),
            dict(label="Version", value=f"v{stmt.version}" if stmt.version else "not closed")])

if who.can("close"):
    st.subheader("Close")
    month_over = month in ended
    if stmt.status in ("provisional", "reopened"):
        with st.form("close"):
            note = st.text_input("Note (optional)", placeholder="e.g. approved by the FinOps review")
            go = st.form_submit_button(f"Close {month}", type="primary", disabled=not month_over)
        if not month_over:
            st.caption(f"{month} has not ended yet: it can be closed from the 1st of next month.")
        if go:
            result = data.close_month(month, note or None)
            st.session_state["close_result"] = (month, result)
            st.rerun()
    else:
        with st.form("reopen"):
            reason = st.text_input("Reason to reopen", placeholder="e.g. late Bedrock logs for the 28th")
            go = st.form_submit_button(f"Reopen {month}")
        if go:
            if not reason.strip():
                st.error("Reopening a closed month needs a reason (it goes into the audit log).")
            else:
                data.reopen_month(month, reason)
                st.rerun()
    done = st.session_state.pop("close_result", None)
    if done and done[0] == month:
        result = done[1]
        if result["action"] == "unchanged":
            st.info(f"{month} was already closed as v{result['version']}; nothing changed.")
        else:
            st.success(f"Closed {month} as version {result['version']} under {result['policy'].replace('-', ' ')}: "
                       f"total {ui.money(result['effective_usd'])}.")
            if result.get("warning"):
                st.warning(result["warning"])

    if len(stmt.versions) > 1 or stmt.status == "reopened":
        st.subheader("What changed")
        versions = [v["version"] for v in stmt.versions]
        old = st.selectbox("Compare version", versions[:-1] if stmt.status == "closed" else versions,
                           index=len(versions) - 2 if stmt.status == "closed" else len(versions) - 1)
        new = versions[-1] if stmt.status == "closed" else None
        st.caption(f"v{old} → {'v' + str(new) if new else 'the figures now'}, by tenant, with the reason.")
        ui.table(data.statement_diff(month, old, new))

st.subheader("Statements")
tenants = sorted(stmt.lines["tenant"].unique().to_list(), key=lambda t: (t == IDLE_TENANT, t))  # idle GPU time last
if not tenants:
    st.info("No statement lines you can see for this month.")
else:
    pick = st.selectbox("Tenant", tenants, key="statement_tenant",
                        format_func=lambda t: SECTIONS["idle"] if t == IDLE_TENANT else t)
    files = data.statement_files(month, pick, stmt.version if stmt.status == "closed" else None)
    cols = st.columns(len(files))
    for col, (name, body) in zip(cols, files.items()):
        col.download_button(f"Download {name.rsplit('.', 1)[1].upper()}", body, file_name=name,
                            mime="application/pdf" if name.endswith(".pdf") else "text/csv", key=f"dl_{name}")
    lines = stmt.lines.filter(stmt.lines["tenant"] == pick).drop("month", "tenant", "policy", "status", "version")
    ui.table(lines)

if who.can("close"):
    st.subheader("Months")
    ui.table(months)
    st.subheader("Audit log")
    ui.table(data.audit_log())

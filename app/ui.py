"""Layout helpers shared by pages: filters, money formatting, one chart theme. No data access."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import altair as alt
import polars as pl
import streamlit as st

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC"]


def money(value: Decimal | float | int | None) -> str:
    """$1,234.56 — thousands separators, cents, and an explicit dash for unknown."""
    if value is None:
        return "—"
    return f"${Decimal(value):,.2f}"


def for_chart(df: pl.DataFrame) -> pl.DataFrame:
    """Vega-Lite plots floats: exact decimals are converted for drawing only, never for tables."""
    return df.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


@alt.theme.register("tokenomics", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    """One look for every chart: the palette, quiet axes, no chart border."""
    return {"config": {"range": {"category": PALETTE}, "view": {"stroke": None},
                       "axis": {"labelColor": "#555", "titleColor": "#555", "gridColor": "#eee"},
                       "legend": {"labelColor": "#555", "titleColor": "#555"},
                       "title": {"anchor": "start", "fontSize": 14}}}


def _remembered(key: str, default):
    """A filter value from the URL, else from this session (so it survives page switches), else default."""
    remembered = st.session_state.setdefault("_filters", {})
    if key in st.query_params:
        values = st.query_params.get_all(key)
        return values if isinstance(default, list) else values[-1]
    return remembered.get(key, default)


def _remember(key: str, value) -> None:
    st.session_state.setdefault("_filters", {})[key] = value
    st.query_params[key] = value


def _clamp(day: date, first: date, last: date) -> date:
    return min(max(day, first), last)


def _parse_day(text, fallback: date) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return fallback


def date_range(first: date, last: date, key: str = "period") -> tuple[date, date]:
    """Date range picker defaulting to the last 30 days of data, kept in the URL."""
    default_start = max(first, last - timedelta(days=29))
    start = _clamp(_parse_day(_remembered("start", default_start.isoformat()), default_start), first, last)
    end = _clamp(_parse_day(_remembered("end", last.isoformat()), last), first, last)
    picked = st.sidebar.date_input("Period", value=(start, min(max(end, start), last)), min_value=first,
                                   max_value=last, key=key)
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        start, end = picked
    _remember("start", start.isoformat())
    _remember("end", end.isoformat())
    return start, end


def _multi(label: str, key: str, options: list[str]) -> tuple[str, ...]:
    chosen = [v for v in _remembered(key, []) if v in options]  # a URL value outside your options is dropped
    picked = st.sidebar.multiselect(label, options, default=chosen, key=f"f_{key}")
    _remember(key, picked)
    return tuple(picked)


def global_filters(options: dict[str, list[str]], period: tuple[date, date], tenants: bool = True):
    """The shared filter bar: period, tenants, providers, models and the GPU allocation — in the URL."""
    from tokenomics.queries import DRIVERS, IDLE_POLICIES, Filters

    start, end = date_range(*period)
    chosen_tenants = _multi("Tenants", "tenant", options["tenant"]) if tenants else ()
    providers = _multi("Providers", "provider", options["provider"])
    models = _multi("Models", "model", options["model"])
    with st.sidebar.expander("GPU cost allocation", expanded=False):
        driver = _remembered("driver", "tokens")
        driver = st.selectbox("Split GPU cost by", DRIVERS, index=DRIVERS.index(driver) if driver in DRIVERS else 0,
                              format_func=lambda d: d.replace("_", " "), key="f_driver")
        idle = _remembered("idle", "proportional")
        idle = st.radio("Idle GPU time", IDLE_POLICIES, index=IDLE_POLICIES.index(idle) if idle in IDLE_POLICIES else 0,
                        format_func={"proportional": "shared by tenants", "separate": "kept as __idle__"}.get,
                        key="f_idle")
    _remember("driver", driver)
    _remember("idle", idle)
    return Filters(start, end, chosen_tenants, providers, models, driver, idle)


def denied(what: str) -> None:
    """Stop a page the viewer's role may not open (the data layer would refuse it anyway)."""
    st.warning(f"Your role cannot open {what}.")
    st.stop()


def chart_with_table(chart: alt.Chart, df: pl.DataFrame, name: str) -> None:
    """Every chart has its numbers behind it: a table and a CSV download."""
    st.altair_chart(chart, width="stretch")
    with st.expander(f"{name} — table"):
        st.dataframe(df, width="stretch", hide_index=True)
        st.download_button("Download CSV", df.write_csv(), file_name=f"{name.lower().replace(' ', '-')}.csv",
                           mime="text/csv", key=f"dl_{name}")


def stacked_area(df: pl.DataFrame, x: str, y: str, color: str, title: str) -> alt.Chart:
    return (
        alt.Chart(for_chart(df), title=title)
        .mark_area()
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{y}:Q", title="USD", axis=alt.Axis(format="$,.0f")),
            color=alt.Color(f"{color}:N", scale=alt.Scale(range=PALETTE), title=None),
            tooltip=[alt.Tooltip(f"{x}:T"), alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{y}:Q", format="$,.2f")],
        )
        .properties(height=320)
    )


def bars(df: pl.DataFrame, x: str, y: str, title: str, limit: int = 15) -> alt.Chart:
    return (
        alt.Chart(for_chart(df.head(limit)), title=title)
        .mark_bar(color=PALETTE[0])
        .encode(
            x=alt.X(f"{x}:Q", title="USD", axis=alt.Axis(format="$,.0f")),
            y=alt.Y(f"{y}:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=180)),
            tooltip=[alt.Tooltip(f"{y}:N"), alt.Tooltip(f"{x}:Q", format="$,.2f")],
        )
        .properties(height=max(160, 26 * min(limit, df.height)))
    )


def page(title: str, has_data: bool, what: str) -> None:
    """Title, then stop with an explanation of what to ingest when there is nothing to show."""
    st.title(title)
    if not has_data:
        empty_state(what)
        st.stop()


def empty_state(what: str) -> None:
    st.info(f"No {what} yet. Run `tokenomics demo --no-serve` for demo data, or ingest your own with "
            "`tokenomics ingest litellm <files>` (see `tokenomics sources`).")


def whatif_plan_table(plan: pl.DataFrame) -> pl.DataFrame:
    """The ranked plan with readable columns (display rounding only)."""
    cols = {"gpu": "GPU", "precision": "Precision", "tp": "TP", "concurrency": "Concurrency per replica",
            "ttft_ms": "TTFT ms", "tpot_ms": "TPOT ms", "output_tok_s_per_gpu": "Output tok/s per GPU",
            "usd_per_gpu_hour": "$/GPU-hour", "price_source": "Rate from", "usd_per_mtok": "$/1M tokens", "replicas_for_peak": "Replicas for peak",
            "gpus_for_peak": "GPUs for peak", "monthly_usd": "$ for period at peak fleet"}
    present = [c for c in cols if c in plan.columns]
    digits = {"usd_per_mtok": 4, "usd_per_gpu_hour": 2, "monthly_usd": 2}
    rounded = plan.select(present).with_columns(
        pl.col(c).round(digits.get(c, 1)) for c in present if plan.schema[c] == pl.Float64)
    return rounded.rename({c: cols[c] for c in present})


def length_histogram(shape: pl.DataFrame) -> alt.Chart:
    """Share of requests per power-of-two length bucket, input and output side by side."""
    df = shape.with_columns(label=pl.format("{}–{}", "from_tokens", "to_tokens")).to_pandas()
    return (
        alt.Chart(df)
        .mark_bar(color=PALETTE[0])
        .encode(x=alt.X("label:N", sort=alt.SortField("bucket"), title="tokens"),
                y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of requests"),
                column=alt.Column("kind:N", title=None),
                tooltip=["kind", "label", "requests", alt.Tooltip("cumulative_share:Q", format=".1%")])
        .properties(height=200, width=380)
    )


def table_section(title: str, df: pl.DataFrame, empty_what: str, caption: str) -> None:
    """A subheader, then the table with its caption, or an explanation of what to ingest."""
    st.subheader(title)
    if df.is_empty():
        empty_state(empty_what)
        return
    st.dataframe(df, width="stretch", hide_index=True)
    st.caption(caption)


def burn_down(budget: pl.DataFrame) -> alt.Chart:
    """Month-to-date spend against the straight-line plan, with the budget as a rule."""
    df = for_chart(budget)
    base = alt.Chart(df).encode(x=alt.X("day:T", title=None), detail="month:T")
    actual = base.mark_line(point=True, color=PALETTE[0]).encode(
        y=alt.Y("mtd_usd:Q", title="USD", axis=alt.Axis(format="$,.0f")),
        tooltip=["day:T", alt.Tooltip("mtd_usd:Q", format="$,.2f"), alt.Tooltip("forecast_usd:Q", format="$,.2f")])
    plan = base.mark_line(strokeDash=[4, 4], color="#999").encode(y="planned_mtd_usd:Q")
    cap = base.mark_line(color=PALETTE[3], strokeWidth=2).encode(y="budget_usd:Q")
    return (actual + plan + cap).properties(height=260, title="Month to date vs plan (dashed) and budget (red)")

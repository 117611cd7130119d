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


def date_range(first: date, last: date, key: str = "period") -> tuple[date, date]:
    """Date range picker defaulting to the last 30 days of data, kept in the URL."""
    params = st.query_params
    default_start = max(first, last - timedelta(days=29))
    start = date.fromisoformat(params.get("start", default_start.isoformat()))
    end = date.fromisoformat(params.get("end", last.isoformat()))
    picked = st.sidebar.date_input("Period", value=(start, end), min_value=first, max_value=last, key=key)
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        start, end = picked
    st.query_params["start"], st.query_params["end"] = start.isoformat(), end.isoformat()
    return start, end


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

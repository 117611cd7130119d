"""Layout helpers shared by pages: filters, money formatting, one chart theme. No data access."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import altair as alt
import polars as pl
import streamlit as st

from tokenomics.access import CAPABILITIES
from tokenomics.app.auth import principal
from tokenomics.pricing.perf.anchors import LABELS as ANCHOR_LABELS
from tokenomics.queries import DRIVERS, IDLE_POLICIES, Filters

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC"]


def money(value: Decimal | float | int | None) -> str:
    """$1,234.56 — thousands separators, cents, and an explicit dash for unknown."""
    if value is None:
        return "—"
    cents = round(Decimal(value), 2)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


def for_chart(df: pl.DataFrame) -> pl.DataFrame:
    """Vega-Lite plots floats: exact decimals are converted for drawing only, never for tables."""
    return df.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


# --- tables: one look for every table (labels, money, counts, dates, blanks) -------------------------------

# Column names whose generic label (see `label`) would read badly; money columns drop their `_usd` suffix.
LABELS = {
    "deployment_id": "Deployment", "gpu_type": "GPU", "gpu_count": "GPUs", "gpu": "GPU", "tp": "TP",
    "service_tier": "Tier", "cost_source": "Cost source", "line_no": "Line", "raw": "Raw input line",
    "file": "File", "candidate": "Batch candidate", "latency_class": "Latency class",
    "avg_util_pct": "Mean GPU utilisation", "energy_kwh": "Energy (kWh)", "hours": "Hours",
    "total_usd": "Total", "api_usd": "API", "self_hosted_usd": "Self-hosted", "idle_usd": "Idle GPUs",
    "discount_usd": "Contract discounts", "cost_usd": "Cost", "allocated_usd": "Allocated GPU cost",
    "write_premium_usd": "Cache-write premium", "net_savings_effective_usd": "Net savings after discounts",
    "provider_cache_usd": "Provider prompt cache", "gateway_cache_usd": "Gateway cache",
    "self_hosted_prefix_usd": "Self-hosted prefix cache",
    "batch_list_usd": "At batch list price", "realised_savings_usd": "Already saved with batch",
    "move_to_batch_savings_usd": "Could save with batch", "with_batch_price": "Requests with a batch price",
    "mean_latency_s": "Mean latency (s)", "min_input_tokens": "From input tokens",
    "usd_per_mtok": "$/1M tokens", "usd_per_mtok_blended": "Blended $/1M tokens",
    "usd_per_mtok_output": "$/1M output tokens", "usd_per_request": "$ per request",
    "usd_for_traffic": "$ for this traffic", "usd_per_gpu_hour": "$/GPU-hour",
    "input_usd_per_mtok": "Input $/1M", "uncached_input_usd_per_mtok": "Input $/1M",
    "read_usd_per_mtok": "Cache read $/1M",
    "cache_read_usd_per_mtok": "Cache read $/1M", "write_5m_usd_per_mtok": "5-min cache write $/1M",
    "cache_write_5m_usd_per_mtok": "5-min cache write $/1M", "write_1h_usd_per_mtok": "1-hour cache write $/1M",
    "cache_write_1h_usd_per_mtok": "1-hour cache write $/1M", "output_usd_per_mtok": "Output $/1M",
    "reasoning_usd_per_mtok": "Reasoning $/1M",
    "breakeven_reads_5m": "Break-even reads (5-min write)", "breakeven_reads_1h": "Break-even reads (1-hour write)",
    "actual_list_usd": "Actual (list)", "actual_effective_usd": "Actual (effective)",
    "repriced_list_usd": "Re-priced (list)", "repriced_effective_usd": "Re-priced (effective)",
    "computed_list_usd": "Our list cost", "computed_usd": "Our cost", "reported_usd": "Gateway-reported",
    "vendor_usd": "Vendor-billed", "variance_pct": "Variance %", "compared_requests": "Requests compared",
    "newest_event": "Newest row", "hours_since_newest_event": "Hours since newest row",
    "closest_entries": "Closest catalogue entries", "add_to_model_aliases": "Line for model_aliases",
    "observed_over_predicted": "Observed ÷ predicted", "tok_s_per_user": "Output tok/s per user",
    "burn_pct": "Budget used %", "mtd_usd": "Month to date", "planned_mtd_usd": "Planned month to date",
    "robust_z": "Robust z-score", "sha256": "SHA-256", "isl": "Input tokens", "osl": "Output tokens",
    "rows_duplicate": "Duplicate rows", "throughput_mape": "Throughput MAPE %", "ttft_mape": "TTFT MAPE %",
    "tpot_mape": "TPOT MAPE %",
}
_WORDS = {"usd": "USD", "gpu": "GPU", "gpus": "GPUs", "ttft": "TTFT", "tpot": "TPOT", "id": "ID", "api": "API",
          "tp": "TP", "mtok": "1M tokens", "kwh": "kWh", "pct": "%", "ms": "(ms)", "s": "(s)", "mape": "MAPE",
          "csv": "CSV", "utc": "UTC", "uri": "URI", "url": "URL", "kv": "KV", "gb": "GB", "sha256": "SHA-256",
          "rps": "requests/s", "hi": "(high)", "lo": "(low)"}
_PLAIN_INTEGERS = {"line_no", "tp", "bucket", "year"}  # identifiers and small settings: no thousands separator


def label(column: str) -> str:
    """The human header for a column: LABELS, else snake_case as a sentence (acronyms kept, `_usd` dropped:
    the values carry the $).  A name that is not snake_case is taken to be a label already."""
    if column in LABELS:
        return LABELS[column]
    words = column.split("_")
    if not column.replace("_", "").isalnum() or column != column.lower() or not words[0]:
        return column
    if len(words) > 1 and words[-1] == "usd":
        words = words[:-1]
    text = " ".join(_WORDS.get(w, w) for w in words).replace("tok (s)", "tok/s")
    return text[:1].upper() + text[1:]


def _money_digits(column: str, text: str) -> int | None:
    """Cents for amounts, more for unit prices; None when the column is not money."""
    if not (column.endswith("_usd") or "usd_" in column or text.startswith("$")):
        return None
    if "per_request" in column or "per request" in text:
        return 6
    return 4 if ("mtok" in column or "1M" in text) else 2


def _midnights(values: pl.Series) -> bool:
    """Every value of a datetime column is at 00:00 (a day, stored as a timestamp)."""
    present = values.drop_nulls()
    return present.len() > 0 and bool((present.dt.time() == time(0)).all())


def _column(column: str, dtype: pl.DataType, values: pl.Series):
    """(column config, display-only replacement of the values or None) from a column's name and type."""
    cc = st.column_config
    text = label(column)
    if dtype == pl.Datetime and _midnights(values):
        days = values.dt.date()
        return _column(column, pl.Date, days)[0], days
    if dtype == pl.Date:
        monthly = column == "month" or column.endswith("_month")
        return cc.DateColumn(text, format="YYYY-MM" if monthly else "YYYY-MM-DD"), None
    if dtype == pl.Datetime:
        zone = values.dtype.time_zone
        return cc.DatetimeColumn(f"{text} ({zone})" if zone else text, format="YYYY-MM-DD HH:mm"), None
    if dtype.is_numeric():
        digits = _money_digits(column, text)
        if digits is not None:
            return cc.NumberColumn(text, format="dollar", step=10 ** -digits), None
        if column == "share" or column.endswith("_share") or column.startswith("share_"):
            return cc.NumberColumn(text, format="percent", step=0.001), None
        if column.endswith("_pct") or text.endswith("%"):
            return cc.NumberColumn(text, format="%.1f%%"), None
        if dtype.is_integer() or (dtype == pl.Decimal and getattr(dtype, "scale", 0) == 0):
            return cc.NumberColumn(text, format=None if column in _PLAIN_INTEGERS else "localized"), None
        if column.endswith(("_ms", "_s", "_kwh")) or "tok_s" in column or "tok/s" in text:
            return cc.NumberColumn(text, format="localized", step=0.1), None
        return cc.NumberColumn(text, format="localized"), None
    if dtype == pl.List:
        return cc.ListColumn(text), None
    if dtype == pl.Boolean:
        return cc.CheckboxColumn(text), None
    return cc.Column(text), None


def table(df: pl.DataFrame, key: str | None = None, height: int | None = None) -> None:
    """A data frame as a readable table: human headers, $ with cents (unit prices with more digits), counts
    with thousands separators, days without 00:00:00, timestamps to the minute, and "—" for unknown.
    Display only: the frame (exact decimals, snake_case names) is what a CSV download gets."""
    config, shown = {}, {}
    for column, dtype in df.schema.items():
        config[column], replacement = _column(column, dtype, df[column])
        if replacement is not None:
            shown[column] = replacement
    st.dataframe(df.with_columns(**shown) if shown else df, hide_index=True, width="stretch",
                 height=height or "auto", column_config=config, key=key, placeholder="—")


def metrics(items: list[dict], per_row: int = 4) -> None:
    """Headline figures, at most `per_row` to a row (rows evenly split), each row a wrapping flex row: on a
    narrow screen a figure moves to the next line instead of being cut off ("$15,3…"), as it is in st.columns.
    Each item is st.metric's keyword arguments (label, value, help, delta, delta_color, …)."""
    rows = -(-len(items) // per_row)
    size = -(-len(items) // max(rows, 1))
    for start in range(0, len(items), size):
        with st.container(horizontal=True, gap="medium"):
            for item in items[start:start + size]:
                st.metric(**{"width": "stretch", **item})


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


PRESETS = {"last_month": "Last complete month", "mtd": "Month to date", "qtd": "Quarter to date",
           "ytd": "Year to date", "last_30": "Last 30 days", "custom": "Custom range"}


def preset_range(preset: str, first: date, last: date) -> tuple[date, date]:
    """A finance period, inclusive, anchored on the last day with data (the figures are 'through' that day)."""
    month = last.replace(day=1)
    ranges = {"mtd": (month, last), "last_month": ((month - timedelta(days=1)).replace(day=1), month - timedelta(days=1)),
              "qtd": (date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last), "ytd": (date(last.year, 1, 1), last),
              "last_30": (last - timedelta(days=29), last)}
    start, end = ranges.get(preset, ranges["mtd"])
    return max(start, first) if end >= first else start, end


def default_preset(first: date, last: date) -> str:
    """Last complete month while the current one is young (under a week of data), else month to date."""
    young = last.day < 7 and last.replace(day=1) > first
    return "last_month" if young else "mtd"


def date_range(first: date, last: date, key: str = "period") -> tuple[date, date]:
    """Finance period presets (in the URL as ?period=), or a custom range (?start=&end=)."""
    preset = _remembered("period", default_preset(first, last))
    preset = preset if preset in PRESETS else "custom"
    preset = st.sidebar.selectbox("Period", list(PRESETS), index=list(PRESETS).index(preset),
                                  format_func=PRESETS.get, key=f"{key}_preset")
    _remember("period", preset)
    if preset != "custom":
        start, end = preset_range(preset, first, last)
        st.sidebar.caption(f"{start:%d %b %Y} – {end:%d %b %Y}")
        return start, end
    default_start, default_end = preset_range("last_30", first, last)
    start = _clamp(_parse_day(_remembered("start", default_start.isoformat()), default_start), first, last)
    end = _clamp(_parse_day(_remembered("end", default_end.isoformat()), default_end), first, last)
    picked = st.sidebar.date_input("From – to", value=(start, min(max(end, start), last)), min_value=first,
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


def global_filters(options: dict[str, list[str]], period: tuple[date, date], tenants: bool = True,
                   scenarios: bool = False):
    """The shared filter bar: period, tenants, providers, models — in the URL.  GPU cost follows the official
    allocation policy; roles allowed to explore (scenarios=True) may pick another, shown as a labelled scenario."""
    start, end = date_range(*period)
    chosen_tenants = _multi("Tenants", "tenant", options["tenant"]) if tenants else ()
    providers = _multi("Providers", "provider", options["provider"])
    models = _multi("Models", "model", options["model"])
    driver = idle = None
    if scenarios:
        with st.sidebar.expander("Scenario: another GPU allocation", expanded=False):
            st.caption("Explore only: statements and exports always use the official policy.")
            on = st.toggle("Use a scenario", value=_remembered("scenario", "off") == "on", key="f_scenario")
            picked = _remembered("scenario_driver", DRIVERS[0])
            driver = st.selectbox("Split GPU cost by", DRIVERS, index=DRIVERS.index(picked) if picked in DRIVERS else 0,
                                  format_func=lambda d: d.replace("_", " "), key="f_driver", disabled=not on)
            picked = _remembered("scenario_idle", IDLE_POLICIES[0])
            idle = st.radio("Idle GPU time", IDLE_POLICIES,
                            index=IDLE_POLICIES.index(picked) if picked in IDLE_POLICIES else 0,
                            format_func={"proportional": "shared by usage", "separate": "kept apart"}.get,
                            key="f_idle", disabled=not on)
        _remember("scenario", "on" if on else "off")
        _remember("scenario_driver", driver)
        _remember("scenario_idle", idle)
        if not on:
            driver = idle = None
    return Filters(start, end, chosen_tenants, providers, models, driver, idle)


def policy_stamp(policy, months: list[tuple], through: date | None) -> None:
    """Every chargeback figure says which allocation made it, whether its month is closed, and how fresh it is."""
    closed = [f"{m} closed v{v}" for m, status, v in months if status == "closed"]
    open_ = [m for m, status, _ in months if status != "closed"]
    parts = [policy.label()] + closed + ([f"{', '.join(open_)} provisional"] if open_ else [])
    if through:
        parts.append(f"data through {through:%d %b %Y}")
    (st.warning if not policy.official else st.caption)(" · ".join(parts))


def delta(now, before) -> str | None:
    """'+12.3 %' against a comparison figure; None where there is nothing to compare with."""
    if before is None or not before:
        return None
    change = (Decimal(now) - Decimal(before)) / Decimal(before) * 100
    return f"{change:+.1f} %"


def denied(what: str, capability: str | None = None, stop: bool = True) -> None:
    """Say — never silently redirect — that the viewer's role may not open `what` (the data layer refuses it
    anyway), which roles may, and whom to ask; then stop the page (stop=False: only that part of it)."""
    roles = [str(r) for r, caps in CAPABILITIES.items() if capability in caps] if capability else []
    ask = "ask a Tokenomics admin to grant it in the access file."
    st.error(f"Not permitted: your role ({principal().role}) cannot open {what}. "
             + (f"It needs the {' or '.join(roles)} role: {ask}" if roles else ask[0].upper() + ask[1:]),
             icon=":material/block:")
    if stop:
        st.stop()


def chart_with_table(chart: alt.Chart, df: pl.DataFrame, name: str) -> None:
    """Every chart has its numbers behind it: a table and a CSV download."""
    st.altair_chart(chart, width="stretch")
    with st.expander(f"{name} — table"):
        table(df)
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


def _with_range(value: str, lo: str, hi: str, digits: int, prefix: str = "") -> pl.Expr:
    """'1,842 (1,510–2,301)': a prediction with its 80 % range, as text for display."""
    def fmt(c):
        return pl.col(c).round(digits).map_elements(lambda v: f"{prefix}{v:,.{digits}f}", return_dtype=pl.Utf8)
    return pl.format("{} ({}–{})", fmt(value), fmt(lo), fmt(hi))


def whatif_plan_table(plan: pl.DataFrame) -> pl.DataFrame:
    """The ranked plan with readable columns, every latency and $/1M tokens followed by its 80 % range, and a plan
    whose upper bound breaks the SLO marked (display only)."""
    ranged = {"ttft_ms": ("TTFT ms", 0, ""), "tpot_ms": ("TPOT ms", 1, ""), "usd_per_mtok": ("$/1M tokens", 4, "$")}
    out = plan.with_columns(*(_with_range(c, f"{c}_lo", f"{c}_hi", d, pre).alias(f"{label} (80 % range)")
                              for c, (label, d, pre) in ranged.items() if f"{c}_hi" in plan.columns))
    if "anchor" in plan.columns:
        out = out.with_columns(pl.col("anchor").replace_strict(ANCHOR_LABELS, default=pl.col("anchor")))
    if "slo_at_risk" in plan.columns:
        out = out.with_columns(pl.when(pl.col("slo_at_risk")).then(pl.lit("⚠ upper bound breaks the SLO"))
                               .otherwise(pl.lit("within SLO")).alias("SLO at the 80 % bound"))
    cols = {"gpu": "GPU", "precision": "Precision", "tp": "TP", "concurrency": "Concurrency per replica"}
    for c, (label, _, _) in ranged.items():
        cols[c] = label
        cols[f"{label} (80 % range)"] = f"{label} (80 % range)"
    cols.update({"SLO at the 80 % bound": "SLO at the 80 % bound", "output_tok_s_per_gpu": "Output tok/s per GPU",
                 "usd_per_gpu_hour": "$/GPU-hour", "price_source": "Rate from", "replicas_for_peak": "Replicas for peak",
                 "gpus_for_peak": "GPUs for peak", "monthly_usd": "$ for period at peak fleet",
                 "anchor": "Prediction basis"})
    present = [c for c in cols if c in out.columns]
    digits = {"usd_per_mtok": 4, "usd_per_gpu_hour": 2, "monthly_usd": 2}
    rounded = out.select(present).with_columns(
        pl.col(c).round(digits.get(c, 1)) for c in present if out.schema[c] == pl.Float64)
    return rounded.rename({c: cols[c] for c in present if cols[c] != c})


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
    table(df)
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

"""What-if questions on the calibrated model: one operating point, best point within an SLO, sweeps."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl

from tokenomics.pricing.perf import anchors, physics
from tokenomics.pricing.perf.catalogue import Model, catalogue, resolve_gpu, resolve_model
from tokenomics.pricing.perf.costs import usd_per_gpu_hour
from tokenomics.pricing.perf.fit import coefficient_key, part_keys
from tokenomics.pricing.perf.model import band, predict
from tokenomics.pricing.perf.names import ENGINES

DEFAULT_CONCURRENCIES = (1, 2, 4, 6, 8, 12, 16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384,
                         448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048)
SLO_SEARCH = tuple(sorted({int(round(x)) for x in np.geomspace(1, 4096, 120)}))


class WhatIfError(ValueError):
    """A question the model cannot answer as asked (unknown GPU/model/precision, bad sizes)."""


def _model(name: str) -> Model:
    model = resolve_model(name)
    if model is None:
        raise WhatIfError(f"unknown model {name!r}; known: {', '.join(sorted(catalogue().models))}")
    return model


def _gpu_id(name: str) -> str:
    gpu = resolve_gpu(name)
    if gpu is None:
        raise WhatIfError(f"unknown GPU {name!r}; known: {', '.join(sorted(catalogue().gpus))}")
    return gpu.id


def _precision_id(name: str) -> str:
    if name not in catalogue().precisions:
        raise WhatIfError(f"unknown precision {name!r}; known: {', '.join(catalogue().precisions)}")
    return name


def _deployable(engine: str, gpu: str, precision: str) -> None:
    """An explicit question about a combination the engine's documentation says it cannot serve is an error."""
    why = catalogue().why_unsupported(engine, gpu, precision)
    if why:
        raise WhatIfError(f"{engine} cannot serve {precision} on {gpu}: {why}")


def not_offered(engine: str) -> list[str]:
    """What sweeps leave out for ``engine`` (data/support.yaml), one sentence per rule with its source."""
    out = []
    for rule in catalogue().unsupported:
        if not rule.engines or engine in rule.engines:
            parts = ", ".join(rule.generations) or " and ".join(v.upper() for v in rule.vendors) or "any"
            out.append(f"{', '.join(rule.precisions) or 'any precision'} on {parts} GPUs: {rule.why} ({rule.source})")
    return out


def deployable(df: pl.DataFrame) -> pl.DataFrame:
    """The rows an engine can serve (data/support.yaml): what sweeps, plans and recommendations may offer."""
    if df.is_empty():
        return df
    cat = catalogue()
    pairs = df.select("engine", "gpu", "precision").unique()
    ok = pairs.with_columns(_ok=pl.Series([cat.why_unsupported(e, g, p) is None for e, g, p in pairs.iter_rows()],
                                          dtype=pl.Boolean))
    return df.join(ok, on=["engine", "gpu", "precision"], how="left", maintain_order="left") \
        .filter(pl.col("_ok")).drop("_ok")


def grid(model: Model, gpus: list[str], precisions: list[str], tps: list[int], concurrencies: list[int],
         isl: int, osl: int) -> tuple[physics.Configs, pl.DataFrame]:
    """Configs for the full cross product, built by indexing small per-(GPU, precision) tables."""
    if isl < 1 or osl < 1:
        raise WhatIfError("input and output lengths must be at least 1 token")
    cat = catalogue()
    pairs = [(g, p) for g in gpus for p in precisions]
    tables = [{**physics.gpu_columns(cat.gpus[g], cat.precisions[p]),
               **physics.precision_columns(cat.precisions[p])} for g, p in pairs]
    pair_idx, tp, conc = (a.ravel() for a in np.meshgrid(np.arange(len(pairs)), np.asarray(tps, float),
                                                           np.asarray(concurrencies, float), indexing="ij"))
    n = len(pair_idx)
    c: physics.Configs = {k: np.asarray([t[k] for t in tables])[pair_idx] for k in tables[0]}
    c.update({k: np.full(n, float(v)) for k, v in physics.model_columns(model).items()})
    c.update(tp=tp, dp=np.ones(n), conc=conc, pf_conc=conc, isl=np.full(n, float(isl)),
             osl=np.full(n, float(osl)), agg=np.ones(n))
    labels = pl.DataFrame({"gpu": [pairs[i][0] for i in pair_idx], "precision": [pairs[i][1] for i in pair_idx],
                           "tp": tp.astype(int), "concurrency": conc})
    return c, labels


def _band_columns(labels: pl.DataFrame, model: Model) -> pl.DataFrame:
    """Per row: the measured/predicted band factors of its (GPU, precision, anchor level) and what was measured."""
    rows = []
    for gpu, precision, level in labels.select("gpu", "precision", "anchor").unique().iter_rows():
        b = band(model.is_moe, precision, gpu, anchor=level)
        rows.append({"gpu": gpu, "precision": precision, "anchor": level, "_ttft_lo": b["ttft"][0],
                     "_ttft_hi": b["ttft"][1], "_tpot_lo": b["tpot"][0], "_tpot_hi": b["tpot"][1],
                     "_thr_lo": b["throughput"][0], "_thr_hi": b["throughput"][1], "measured": b["measured"]})
    return pl.DataFrame(rows, schema_overrides={"gpu": labels.schema["gpu"], "precision": labels.schema["precision"]})


RANGE_COLUMNS = ("ttft_ms_lo", "ttft_ms_hi", "tpot_ms_lo", "tpot_ms_hi", "output_tok_s_per_gpu_lo",
                 "output_tok_s_per_gpu_hi", "usd_per_mtok_lo", "usd_per_mtok_hi", "usd_per_mtok_output_lo",
                 "usd_per_mtok_output_hi")


def evaluate(model_name: str, gpus: list[str], precisions: list[str], tps: list[int], concurrencies: list[int],
             isl: int, osl: int, engine: str = "vllm", price_tier: str = "on_demand",
             usd_per_gpu_hour_override: Decimal | None = None,
             rates: dict[str, Decimal] | None = None) -> pl.DataFrame:
    """Predictions for every combination, with $/1M tokens at the chosen $/GPU-hour.

    The rate per GPU is the override if given, else ``rates[gpu]`` (your contracts), else the
    catalogue's ``price_tier``; the ``price_source`` column says which.
    """
    if engine not in ENGINES:
        raise WhatIfError(f"unknown engine {engine!r}; calibrated engines: {', '.join(ENGINES)}")
    model = _model(model_name)
    gpu_ids = [_gpu_id(g) for g in gpus]
    precision_ids = [_precision_id(p) for p in precisions]
    c, labels = grid(model, gpu_ids, precision_ids, tps, concurrencies, isl, osl)
    keys = np.full(len(labels), coefficient_key(engine, model.is_moe))
    layouts = np.array([anchors.layout_key(model.id, g, pr, engine, True, (tp, 1), (tp, 1))
                        for g, pr, tp in labels.select("gpu", "precision", "tp").iter_rows()])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = predict(c, keys, layouts=layouts, parts=part_keys(labels["gpu"], [model.is_moe] * len(labels)))
    labels = labels.with_columns(anchor=pl.Series(p["anchor"]))
    chosen = {g: ((usd_per_gpu_hour_override, "override") if usd_per_gpu_hour_override
                  else ((rates[g], "contract") if rates and g in rates else (usd_per_gpu_hour(g, price_tier), price_tier)))
              for g in gpu_ids}
    rate = labels["gpu"].replace_strict({g: float(r) for g, (r, _) in chosen.items()}, return_dtype=pl.Float64)
    source = labels["gpu"].replace_strict({g: s for g, (_, s) in chosen.items()}, return_dtype=pl.String)
    fits = pl.Series(p["fits"])
    ok = lambda s: pl.when(fits).then(s).otherwise(None)  # noqa: E731
    df = labels.with_columns(
        model=pl.lit(model.id), engine=pl.lit(engine), isl=pl.lit(isl), osl=pl.lit(osl), gpus=pl.Series(p["gpus"]).cast(pl.Int64),
        fits=fits, usd_per_gpu_hour=rate, price_source=source,
        max_concurrency_kv=pl.Series(p["max_concurrency_kv"]).cast(pl.Int64),
        weights_gb_per_gpu=pl.Series(p["weights_gb_per_gpu"]).round(2),
        ttft_ms=ok(pl.Series(p["ttft_s"] * 1e3)), tpot_ms=ok(pl.Series(p["tpot_s"] * 1e3)),
        tok_s_per_user=ok(pl.Series(p["tok_s_per_user"])),
        output_tok_s_per_gpu=ok(pl.Series(p["output_tok_s_per_gpu"])),
        total_tok_s_per_gpu=ok(pl.Series(p["total_tok_s_per_gpu"])),
        memory_bound=pl.Series(p["memory_bound"]),
    )
    df = df.with_columns(
        usd_per_mtok=pl.col("usd_per_gpu_hour") * 1e6 / (3600 * pl.col("total_tok_s_per_gpu")),
        usd_per_mtok_output=pl.col("usd_per_gpu_hour") * 1e6 / (3600 * pl.col("output_tok_s_per_gpu")),
    )
    # 80 % range: prediction x (10th, 90th percentile of measured/predicted) of the regime's held-out rows;
    # cost scales with 1 / throughput, so its low end comes from the throughput band's high end.
    df = df.join(_band_columns(labels, model), on=["gpu", "precision", "anchor"], how="left", maintain_order="left")
    return df.with_columns(
        ttft_ms_lo=pl.col("ttft_ms") * pl.col("_ttft_lo"), ttft_ms_hi=pl.col("ttft_ms") * pl.col("_ttft_hi"),
        tpot_ms_lo=pl.col("tpot_ms") * pl.col("_tpot_lo"), tpot_ms_hi=pl.col("tpot_ms") * pl.col("_tpot_hi"),
        output_tok_s_per_gpu_lo=pl.col("output_tok_s_per_gpu") * pl.col("_thr_lo"),
        output_tok_s_per_gpu_hi=pl.col("output_tok_s_per_gpu") * pl.col("_thr_hi"),
        usd_per_mtok_lo=pl.col("usd_per_mtok") / pl.col("_thr_hi"),
        usd_per_mtok_hi=pl.col("usd_per_mtok") / pl.col("_thr_lo"),
        usd_per_mtok_output_lo=pl.col("usd_per_mtok_output") / pl.col("_thr_hi"),
        usd_per_mtok_output_hi=pl.col("usd_per_mtok_output") / pl.col("_thr_lo"),
        throughput_band_lo=pl.col("_thr_lo"), throughput_band_hi=pl.col("_thr_hi"),
    ).drop("_ttft_lo", "_ttft_hi", "_tpot_lo", "_tpot_hi", "_thr_lo", "_thr_hi")


def _reason(row: dict, model: Model) -> str | None:
    if row["fits"]:
        return None
    gpu = catalogue().gpus[row["gpu"]]
    if row["weights_gb_per_gpu"] >= gpu.memory_gb * physics.USABLE_MEMORY - physics.RESERVED_BYTES / 1e9:
        return (f"{model.id} at {row['precision']} needs {row['weights_gb_per_gpu']:.1f} GB of weights per GPU "
                f"at TP={row['tp']}; {gpu.id} has {gpu.memory_gb:g} GB (about {physics.USABLE_MEMORY:.0%} usable)")
    return "weights fit but not even one request's KV cache does: use more GPUs (higher TP) or shorter sequences"


def _as_json(row: dict, model: Model, isl: int, osl: int, price_tier: str) -> dict:
    """One operating point in the CLI's JSON shape."""
    gpu = catalogue().gpus[row["gpu"]]
    gemm, _ = gpu.gemm_for(catalogue().precisions[row["precision"]])
    r = lambda v, n=2: None if v is None else round(v, n)  # noqa: E731
    return {
        "gpu": row["gpu"], "model": model.id, "precision": row["precision"], "gemm_dtype": gemm,
        "engine": row["engine"], "tp": row["tp"], "gpus": row["gpus"], "isl": isl, "osl": osl,
        "concurrency": int(row["concurrency"]) if float(row["concurrency"]).is_integer() else row["concurrency"],
        "fits": row["fits"], "reason": _reason(row, model),
        "ttft_ms": r(row["ttft_ms"]), "ttft_ms_lo": r(row["ttft_ms_lo"]), "ttft_ms_hi": r(row["ttft_ms_hi"]),
        "tpot_ms": r(row["tpot_ms"]), "tpot_ms_lo": r(row["tpot_ms_lo"]), "tpot_ms_hi": r(row["tpot_ms_hi"]),
        "tok_s_per_user": r(row["tok_s_per_user"]),
        "output_tok_s_per_gpu": r(row["output_tok_s_per_gpu"], 1),
        "total_tok_s_per_gpu": r(row["total_tok_s_per_gpu"], 1),
        "max_concurrency_kv": row["max_concurrency_kv"], "weights_gb_per_gpu": row["weights_gb_per_gpu"],
        "bound": None if not row["fits"] else ("memory-bandwidth" if row["memory_bound"] else "compute"),
        "price_tier": price_tier, "usd_per_gpu_hour": row["usd_per_gpu_hour"],
        "usd_per_mtok": r(row["usd_per_mtok"], 4), "usd_per_mtok_lo": r(row["usd_per_mtok_lo"], 4),
        "usd_per_mtok_hi": r(row["usd_per_mtok_hi"], 4), "usd_per_mtok_output": r(row["usd_per_mtok_output"], 4),
        "usd_per_mtok_output_lo": r(row["usd_per_mtok_output_lo"], 4),
        "usd_per_mtok_output_hi": r(row["usd_per_mtok_output_hi"], 4), "measured": row["measured"],
        "anchor": row["anchor"],
        "uncertainty_80pct_measured_over_predicted": band(model.is_moe, row["precision"], row["gpu"],
                                                          anchor=row["anchor"]),
    }


def point(model: str, gpu: str, precision: str, tp: int, isl: int, osl: int, concurrency: int,
          engine: str = "vllm", price_tier: str = "on_demand", usd_per_gpu_hour_override: Decimal | None = None) -> dict:
    """One configuration at one concurrency."""
    if concurrency < 1:
        raise WhatIfError("concurrency must be at least 1")
    _deployable(engine, _gpu_id(gpu), _precision_id(precision))
    df = evaluate(model, [gpu], [precision], [tp], [concurrency], isl, osl, engine, price_tier,
                  usd_per_gpu_hour_override)
    tier = "override" if usd_per_gpu_hour_override else price_tier
    return _as_json(df.row(0, named=True), _model(model), isl, osl, tier)


def within_slo(df: pl.DataFrame, ttft_slo_ms: float | None, tpot_slo_ms: float | None,
               upper_bound: bool = False) -> pl.DataFrame:
    """Rows that fit and meet both latency objectives (a missing objective is no constraint).

    ``upper_bound``: require the top of the 80 % range (``ttft_ms_hi``/``tpot_ms_hi``) within the SLO,
    not just the central prediction.
    """
    suffix = "_hi" if upper_bound and "ttft_ms_hi" in df.columns else ""
    cond = pl.col("fits")
    if ttft_slo_ms is not None:
        cond &= pl.col("ttft_ms" + suffix) <= ttft_slo_ms
    if tpot_slo_ms is not None:
        cond &= pl.col("tpot_ms" + suffix) <= tpot_slo_ms
    return df.filter(cond)


def slo_at_risk(ttft_slo_ms: float | None, tpot_slo_ms: float | None) -> pl.Expr:
    """True where the top of the 80 % latency range breaks an objective the central prediction meets."""
    risk = pl.lit(False)
    if ttft_slo_ms is not None:
        risk |= pl.col("ttft_ms_hi") > ttft_slo_ms
    if tpot_slo_ms is not None:
        risk |= pl.col("tpot_ms_hi") > tpot_slo_ms
    return risk


def best_point(model: str, gpu: str, precision: str, tp: int, isl: int, osl: int, ttft_slo_ms: float | None,
               tpot_slo_ms: float | None, engine: str = "vllm", price_tier: str = "on_demand",
               usd_per_gpu_hour_override: Decimal | None = None) -> dict:
    """The highest-throughput concurrency that meets the SLO (the cheapest $/1M tokens)."""
    _deployable(engine, _gpu_id(gpu), _precision_id(precision))
    df = evaluate(model, [gpu], [precision], [tp], list(SLO_SEARCH), isl, osl, engine, price_tier,
                  usd_per_gpu_hour_override)
    tier = "override" if usd_per_gpu_hour_override else price_tier
    ok = within_slo(df, ttft_slo_ms, tpot_slo_ms).sort("total_tok_s_per_gpu", descending=True)
    m = _model(model)
    if ok.is_empty():
        out = _as_json(df.row(0, named=True), m, isl, osl, tier)
        out.update(meets_slo=False, reason=out["reason"] or "no concurrency meets the latency objectives, "
                   "even a single request: relax the SLO, raise TP or choose a faster GPU")
        return out
    return {**_as_json(ok.row(0, named=True), m, isl, osl, tier), "meets_slo": True,
            "ttft_slo_ms": ttft_slo_ms, "tpot_slo_ms": tpot_slo_ms}


def pareto(df: pl.DataFrame, x: str = "tok_s_per_user", y: str = "output_tok_s_per_gpu") -> pl.DataFrame:
    """Configurations no other beats on both per-user speed and per-GPU throughput."""
    rows = df.filter(pl.col("fits") & pl.col(x).is_not_null()).sort([x, y], descending=[True, True])
    best_before = rows[y].cum_max().shift(1, fill_value=-1.0)
    return rows.filter(rows[y] > best_before)


def pareto_cost(df: pl.DataFrame, x: str = "tok_s_per_user", y: str = "usd_per_mtok") -> pl.DataFrame:
    """Configurations no other beats on both per-user speed (higher) and $/1M tokens (lower): the frontier the
    cheapest plan lies on (the lowest $/1M tokens is never beaten on cost)."""
    rows = df.filter(pl.col("fits") & pl.col(x).is_not_null() & pl.col(y).is_not_null()) \
        .sort([x, y], descending=[True, False])
    best_before = rows[y].cum_min().shift(1, fill_value=float("inf"))
    return rows.filter(rows[y] < best_before)


def sweep(model: str, isl: int, osl: int, gpus: list[str] | None = None, precisions: list[str] | None = None,
          tps: list[int] | None = None, concurrencies: list[int] | None = None, engine: str = "vllm",
          price_tier: str = "on_demand", rates: dict[str, Decimal] | None = None) -> pl.DataFrame:
    """Every GPU x precision x TP x concurrency the engine can serve (defaults: the whole catalogue, TP 1-8, 30
    loads); combinations its documentation rules out (``deployable``) are left out."""
    return deployable(evaluate(model, gpus or list(catalogue().gpus), precisions or list(catalogue().precisions),
                               tps or [1, 2, 4, 8], concurrencies or list(DEFAULT_CONCURRENCIES), isl, osl, engine,
                               price_tier, rates=rates))


def contract_rates(rows: list[dict]) -> dict[str, Decimal]:
    """Your cheapest in-force $/GPU-hour per catalogue GPU, from ingested contract rate rows."""
    out: dict[str, Decimal] = {}
    for row in rows:
        gpu = resolve_gpu(row["gpu_type"])
        if gpu and (gpu.id not in out or row["usd_per_gpu_hour"] < out[gpu.id]):
            out[gpu.id] = row["usd_per_gpu_hour"]
    return out


def plan(df: pl.DataFrame, ttft_slo_ms: float | None, tpot_slo_ms: float | None, peak_rps: float | None,
         hours: float = 730.0, headroom: float = 0.0, upper_bound: bool = False) -> pl.DataFrame:
    """Per (GPU, precision, TP): the cheapest point within the SLO and the fleet the peak needs.

    Replicas for the peak follow Little's law: a replica at concurrency C completes C / cycle requests
    per second (cycle = TTFT + (osl - 1) x TPOT), so peak_rps x (1 + headroom) needs
    ceil(that / replica rps) replicas.  ``monthly_usd`` is that fleet kept up for ``hours`` (730 = a
    month) at the row's $/GPU-hour; ``monthly_usd_lo``/``_hi`` the same with the replica rate at the
    ends of the 80 % throughput range (``replicas_for_peak_hi`` is the fleet if throughput comes in low).
    ``slo_at_risk`` flags points whose upper latency bound breaks the SLO; ``upper_bound=True`` keeps
    only points whose upper bound meets it.
    """
    ok = within_slo(df, ttft_slo_ms, tpot_slo_ms, upper_bound)
    best = (ok.sort("usd_per_mtok").group_by("gpu", "precision", "tp", maintain_order=True).first()
            .sort("usd_per_mtok"))
    cycle_s = (pl.col("ttft_ms") + (pl.col("osl") - 1) * pl.col("tpot_ms")) / 1000
    per_replica_rps = pl.col("concurrency") / cycle_s
    best = best.with_columns(replica_rps=per_replica_rps)
    if "ttft_ms_hi" in best.columns:
        best = best.with_columns(slo_at_risk=slo_at_risk(ttft_slo_ms, tpot_slo_ms))
    if peak_rps:
        need = peak_rps * (1 + headroom)
        count = lambda rps: (pl.lit(need) / rps).ceil().cast(pl.Int64).clip(lower_bound=1)  # noqa: E731
        cost = lambda n: n * pl.col("gpus") * pl.col("usd_per_gpu_hour") * hours  # noqa: E731
        best = best.with_columns(replicas_for_peak=count(pl.col("replica_rps"))).with_columns(
            gpus_for_peak=pl.col("replicas_for_peak") * pl.col("gpus"),
            monthly_usd=cost(pl.col("replicas_for_peak")))
        if "throughput_band_lo" in best.columns:
            best = best.with_columns(
                replicas_for_peak_lo=count(pl.col("replica_rps") * pl.col("throughput_band_hi")),
                replicas_for_peak_hi=count(pl.col("replica_rps") * pl.col("throughput_band_lo"))).with_columns(
                monthly_usd_lo=cost(pl.col("replicas_for_peak_lo")),
                monthly_usd_hi=cost(pl.col("replicas_for_peak_hi")))
    return best


def cheapest_plan(model: str, isl: int, osl: int, peak_rps: float, ttft_slo_ms: float | None,
                  tpot_slo_ms: float | None, headroom: float = 0.2, hours: float = 730.0,
                  price_tier: str = "on_demand", rates: dict[str, Decimal] | None = None, engine: str = "vllm",
                  gpus: list[str] | None = None, precisions: list[str] | None = None, tps: list[int] | None = None,
                  upper_bound: bool = False) -> dict:
    """The cheapest GPU x precision x TP x replicas serving ``peak_rps`` x (1 + headroom) within the SLO.

    Wraps ``sweep`` + ``plan`` and ranks by the fleet's cost for ``hours`` (not $/1M tokens: whole
    replicas make a cheaper-per-token point dearer at low load); at an equal cost, by the upper end of its range,
    then the wider weight format (less of a quality change), then $/1M tokens.  Returns ``{"feasible": False,
    "reason": ...}`` when nothing meets the SLO; otherwise the configuration, its fleet, its monthly cost
    with the 80 % range (``monthly_usd_lo``/``_hi``), latencies with their ranges, and ``slo_at_risk``.
    ``upper_bound=True`` only accepts points whose upper latency bound meets the SLO.
    """
    if peak_rps is None or peak_rps <= 0:
        raise WhatIfError("peak requests per second must be positive")
    if headroom < 0:
        raise WhatIfError("headroom must be zero or positive (0.2 = 20 % above the peak)")
    df = sweep(model, isl, osl, gpus=gpus, precisions=precisions, tps=tps, engine=engine, price_tier=price_tier,
               rates=rates)
    ranked = plan(df, ttft_slo_ms, tpot_slo_ms, peak_rps, hours, headroom, upper_bound)
    if ranked.is_empty():
        return {"feasible": False, "model": _model(model).id, "isl": isl, "osl": osl, "peak_rps": peak_rps,
                "reason": "no GPU, precision and TP in the catalogue meets the latency objectives"
                          + (" at the top of the 80 % range" if upper_bound else "")
                          + ": relax the SLO or shorten the requests"}
    # at an equal fleet cost and range, the wider format: whole replicas often make FP8 and FP4 cost the same, and the
    # narrower one would be a quality change that saves nothing
    bits = {p.id: p.weight_bits for p in catalogue().precisions.values()}
    ranked = ranked.with_columns(_bits=pl.col("precision").replace_strict(bits, return_dtype=pl.Float64))
    row = ranked.sort(["monthly_usd", "monthly_usd_hi", "_bits", "usd_per_mtok"],
                      descending=[False, False, True, False]).row(0, named=True)
    r = lambda v, n=2: None if v is None else round(float(v), n)  # noqa: E731
    return {
        "feasible": True, "model": row["model"], "engine": row["engine"], "isl": isl, "osl": osl,
        "peak_rps": peak_rps, "headroom": headroom, "hours": hours, "ttft_slo_ms": ttft_slo_ms,
        "tpot_slo_ms": tpot_slo_ms, "gpu": row["gpu"], "precision": row["precision"], "tp": row["tp"],
        "concurrency_per_replica": int(row["concurrency"]), "replicas": row["replicas_for_peak"],
        "gpus": row["gpus_for_peak"], "replicas_hi": row["replicas_for_peak_hi"],
        "usd_per_gpu_hour": row["usd_per_gpu_hour"], "price_source": row["price_source"],
        "monthly_usd": r(row["monthly_usd"]), "monthly_usd_lo": r(row["monthly_usd_lo"]),
        "monthly_usd_hi": r(row["monthly_usd_hi"]),
        "usd_per_mtok": r(row["usd_per_mtok"], 4), "usd_per_mtok_lo": r(row["usd_per_mtok_lo"], 4),
        "usd_per_mtok_hi": r(row["usd_per_mtok_hi"], 4),
        "ttft_ms": r(row["ttft_ms"]), "ttft_ms_lo": r(row["ttft_ms_lo"]), "ttft_ms_hi": r(row["ttft_ms_hi"]),
        "tpot_ms": r(row["tpot_ms"]), "tpot_ms_lo": r(row["tpot_ms_lo"]), "tpot_ms_hi": r(row["tpot_ms_hi"]),
        "replica_rps": r(row["replica_rps"], 3), "slo_at_risk": row["slo_at_risk"], "measured": row["measured"],
        "max_concurrency_kv": row["max_concurrency_kv"],
        "alternatives": ranked.height,
    }


def length_percentile(shape: pl.DataFrame, kind: str, q: float) -> int | None:
    """Upper edge of the power-of-two bucket holding the q-quantile of input or output length.

    Conservative (rounds up to the bucket edge) because sizing a fleet for a p90 request should not
    under-provision; None when there is no traffic.
    """
    rows = shape.filter((pl.col("kind") == kind) & (pl.col("cumulative_share") >= q - 1e-12))
    return None if rows.is_empty() else int(rows["to_tokens"][0])

"""Recommendations in dollars: what to change, what it saves this month, the evidence, the assumptions, the range
and the risk — from the fleet's own traffic and the warehouse's cards (docs/cost_model.md rule 25).

Every recommendation reconciles: today (the period's cost of its scope, from the ledger's marts) − projected
= saving; the range is the saving under the low and high projection.  Recommendations on one scope (e.g.
rightsize vs scale-to-zero of one deployment) are alternatives: their savings do not add up.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from tokenomics import chargeback, queries
from tokenomics.access import LOCAL
from tokenomics.pricing.perf import fleet as perf_fleet
from tokenomics.pricing.perf import whatif
from tokenomics.pricing.perf.catalogue import catalogue, resolve_gpu, resolve_model
from tokenomics.pricing.perf.costs import usd_per_gpu_hour
from tokenomics.warehouse import connect

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Options:
    """What the recommendations assume: the latency SLO a plan must meet and the headroom over the peak."""

    ttft_slo_ms: float = 2000.0
    tpot_slo_ms: float = 100.0
    headroom: float = 1.3
    min_saving_usd: Decimal = Decimal("1.00")


@dataclass
class Recommendation:
    kind: str
    title: str
    scope: str
    today_usd: Decimal
    projected_usd: Decimal
    low_usd: Decimal  # saving if the projection is at its high end
    high_usd: Decimal  # saving if the projection is at its low end
    risk: str
    action: str
    evidence: dict = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)

    @property
    def saving_usd(self) -> Decimal:
        return self.today_usd - self.projected_usd

    def as_dict(self) -> dict:
        return {**asdict(self), "saving_usd": self.saving_usd}


def _q(con, name: str, **params):
    """A named query (sql/queries/) on this connection, with only the parameters it names."""
    return con.execute(queries._text(name), queries._bound(queries._text(name), params)).pl()


def _usd(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _rec(kind, title, scope, today, projected, risk, action, evidence, assumptions, spread=Decimal(0)) -> Recommendation:
    """Cents fixed once: today and projected to the cent, saving = their difference; the range moves the
    projection by ±spread (a fraction)."""
    today, projected = _usd(today), _usd(projected)
    low, high = _usd(projected * (1 + spread)), _usd(projected * (1 - spread))
    return Recommendation(kind, title, scope, today, projected, today - low, today - high, risk, action, evidence,
                          assumptions)


def _batch(con, p: dict, o: Options) -> list[Recommendation]:
    rows = _q(con, "recommend_batch", **p)
    return [_rec("batch", f"Move latency-tolerant {r['provider']}/{r['model']} traffic to the batch tier",
                 f"{r['provider']}/{r['model']}", r["today_usd"], r["today_usd"] - r["saving_usd"], "low",
                 "Send these requests through the vendor's batch API (results within 24 h).",
                 {"requests": r["requests"], "latency classes": r["latency_classes"]},
                 ["Only traffic tagged offline, sent off-hours or already slow (the batch advisor's classes).",
                  "Batch prices in force for the period."]) for r in rows.iter_rows(named=True)]


def _flex(con, p: dict, o: Options) -> list[Recommendation]:
    """Non-streaming traffic the batch tier does not take (a caller waits for it) at the vendor's flex tier."""
    rows = _q(con, "recommend_flex", **p)
    return [_rec("flex", f"Send non-streaming {r['provider']}/{r['model']} traffic to the flex tier",
                 f"{r['provider']}/{r['model']} (non-streaming)", r["today_usd"], r["today_usd"] - r["saving_usd"],
                 "medium: flex answers more slowly, and the vendor may refuse a request when busy (retry, or fall back "
                 "to the standard tier)",
                 "Set the service tier to flex on these requests: still synchronous, the caller gets its answer.",
                 {"requests": r["requests"], "latency class": "non_streaming"},
                 ["Only non-streaming traffic the batch recommendation does not take (not tagged offline, sent "
                  "off-hours or already slow): the two savings add up.",
                  "Flex prices in force for the period, with your contract discount."]) for r in rows.iter_rows(named=True)]


def _models(con, p: dict, o: Options) -> list[Recommendation]:
    rows = _q(con, "recommend_models", **p)
    best: dict[tuple, dict] = {}
    for r in rows.iter_rows(named=True):
        key = (r["provider"], r["model"], r["service_tier"])
        if key not in best and r["today_usd"] > r["projected_usd"]:
            best[key] = r
    tier = lambda t: "" if t == "standard" else f" {t}"  # noqa: E731  (one route per tier: titles must differ)
    return [_rec("model", f"Serve {k[0]}/{k[1]}{tier(k[2])} requests with {r['candidate']}", f"{k[0]}/{k[1]} ({k[2]})",
                 r["today_usd"], r["projected_usd"], "high: a quality change",
                 f"Evaluate {r['candidate']} on this route's prompts; switch if quality holds.",
                 {"requests": r["requests"], "input tokens": r["input_tokens"], "output tokens": r["output_tokens"]},
                 ["The same tokens on the candidate's card and contract discount in force at the period's end.",
                  "Candidates are models of the same provider your organisation already uses.",
                  "Output length may differ on another model."])
            for k, r in best.items()]


def _cache(con, p: dict, o: Options) -> list[Recommendation]:
    rows = _q(con, "recommend_cache", **p)
    return [Recommendation("cache", f"Write {r['provider']}/{r['model']} prompt-cache entries for 5 minutes, not 1 hour",
                           f"{r['provider']}/{r['model']}", _usd(r["today_usd"]), _usd(r["projected_usd"]),
                           Decimal(0), _usd(r["today_usd"]) - _usd(r["projected_usd"]),
                           "medium: reads more than 5 minutes after a write become uncached input",
                           "Set cache_control ttl to 5m where a prefix is read back within minutes.",
                           {"1-hour write tokens": r["write_1h_tokens"],
                            "reads per written token": r["observed_reads_per_write"]},
                           ["List prices of the cache-write buckets at the period's end.",
                            "Range: from no saving (every read comes later than 5 minutes) to the full price "
                            "difference (every read within 5 minutes)."])
            for r in rows.iter_rows(named=True) if r["today_usd"] > r["projected_usd"]]


def _plan(model_id: str, precision: str | None, isl: int, osl: int, peak_rps: float, hours: float, o: Options,
          rates: dict, engine: str = "vllm") -> dict | None:
    """The cheapest GPU × TP × replicas at ``precision`` (any the engine serves when None) serving the peak with
    headroom within the SLO (the what-if model, with its 80 % range): one whose whole range meets the SLO when there
    is one, else the cheapest whose prediction does (flagged slo_at_risk)."""
    for safe in (True, False):
        best = whatif.cheapest_plan(model_id, isl, osl, peak_rps, o.ttft_slo_ms, o.tpot_slo_ms,
                                    headroom=max(o.headroom - 1, 0), hours=hours, rates=rates or None, engine=engine,
                                    precisions=[precision] if precision else None, upper_bound=safe)
        if best.get("feasible"):
            return best
    return None


def _lengths(r: dict) -> tuple[int, int]:
    """Mean input and output tokens per request, at least 1 each (what the what-if model sizes for)."""
    return (max(int(round(r["mean_input_tokens"] or 1)), 1), max(int(round(r["mean_output_tokens"] or 1)), 1))


def _deployments(con, p: dict, o: Options) -> list[Recommendation]:
    """Per self-hosted deployment with a bill: scale to zero, commit, rightsize, or send its traffic to an API."""
    contracts = _q(con, "gpu_contract_rates", day=p["end"]).to_dicts()
    rates = whatif.contract_rates(contracts)
    reserved = whatif.contract_rates([c for c in contracts if c["kind"] in ("committed", "reserved")])
    out = []
    for r in _q(con, "recommend_deployments", **p).iter_rows(named=True):
        if r["bill_usd"]:
            out += [rec for rec in (_scale_to_zero(r), _commitment(r, reserved), *_rightsize(r, o, rates),
                                    _api_instead(con, p, r)) if rec is not None]
    return out


def _scale_to_zero(r: dict) -> Recommendation | None:
    if not r["idle_hours"]:
        return None
    dep, bill = r["deployment_id"], r["bill_usd"]
    return _rec("scale_to_zero", f"Scale {dep} to zero in hours without traffic", dep, bill,
                bill - r["idle_hours_usd"], "medium: the first request after a pause waits for a cold start",
                "Autoscale the deployment to zero replicas when no request arrives (e.g. nights).",
                {"hours": r["hours"], "hours without traffic": r["idle_hours"],
                 "bill of those hours": _usd(r["idle_hours_usd"])},
                ["Hours without any request in the period cost nothing when scaled down.",
                 "Cold starts (model load) are not costed."])


def _commitment(r: dict, contracted: dict) -> Recommendation | None:
    """A 1-year reservation for the deployment's baseline: the GPUs it ran on every day, paid for every hour of the
    days it ran whether up or not; GPUs above the baseline stay on demand.  Saving = the baseline's GPU-hours used at
    the on-demand rate − the reservation's cost (negative, so not offered, when the GPUs are down too often).  The
    reserved rate is your own committed one for that GPU where a contract has it (``contracted``), else the
    catalogue's public 1-year rate."""
    gpu = resolve_gpu(r["gpu_type"])
    if r["rate_kind"] != "on_demand" or gpu is None or not r["baseline_gpus"]:
        return None
    own = gpu.id in contracted
    reserved = contracted[gpu.id] if own else usd_per_gpu_hour(gpu.id, "reserved_1y")
    on_demand = r["usd_per_gpu_hour"]
    if reserved >= on_demand:
        return None
    dep, base = r["deployment_id"], r["baseline_gpus"]
    used, paid = Decimal(base * r["hours"]), Decimal(base * r["days"] * 24)  # GPU-hours of the baseline
    if paid * reserved >= used * on_demand:  # up too few hours for a reservation to pay off
        return None
    return _rec("commitment", f"Reserve {base} × {r['gpu_type']} for {dep} (1 year)", dep,
                r["bill_usd"], r["bill_usd"] - used * on_demand + paid * reserved,
                "low if the deployment stays: a commitment is paid whether used or not",
                f"Buy a 1-year reservation for the deployment's {base} always-on GPU(s); keep the rest on demand.",
                {"GPUs a day (fewest / most)": f"{base} / {r['gpu_count']}", "GPU-hours": r["gpu_hours"],
                 "baseline GPU-hours used / paid": f"{int(used)} / {int(paid)}",
                 "on-demand $/GPU-hour": on_demand, "reserved $/GPU-hour": reserved,
                 "reserved rate from": "your contract" if own else "catalogue (public 1-year)",
                 "break-even uptime": f"{reserved / on_demand:.0%}"},
                ["The deployment keeps its baseline GPUs for a year.",
                 "A reservation is paid for every hour of the days the deployment ran, up or not; GPUs above the "
                 "baseline stay on demand.",
                 "Your committed rate for this GPU where a contract has one, else the catalogue's public 1-year rate."])


def _rightsize(r: dict, o: Options, rates: dict) -> list[Recommendation]:
    """The cheapest plan at today's precision (no quality change) when it differs from today's setup, and the
    cheapest at any precision the engine serves when that one is cheaper still (a quantization: a quality change)."""
    setup, _ = perf_fleet._resolve(r)
    if setup is None or not r["requests"]:
        return []
    isl, osl = _lengths(r)
    sized = lambda precision: _plan(setup["model"], precision, isl, osl, r["peak_rps"] or 1e-9,  # noqa: E731
                                    r["hours"], o, rates, setup["engine"])
    same, any_precision = sized(setup["precision"]), sized(None)
    out = []
    if same is not None and (same["gpu"], same["gpus"]) != (setup["gpu"], r["gpu_count"]):
        out.append(_plan_rec(r, setup, same, o, isl, osl))
    if (any_precision is not None and any_precision["precision"] != setup["precision"]
            and any_precision["monthly_usd"] < (same["monthly_usd"] if same else float(r["bill_usd"]))):
        out.append(_plan_rec(r, setup, any_precision, o, isl, osl))
    return out


def _gpu_name(gpu_id: str, yours: str | None = None) -> str:
    """A plan's GPU as its reader knows it: the deployment's own label when the plan keeps that part, else the
    catalogue's name ('NVIDIA H200 SXM 141GB', not the id 'h200-sxm')."""
    if yours and (own := resolve_gpu(yours)) is not None and own.id == gpu_id:
        return yours
    return catalogue().gpus[gpu_id].name


def _plan_rec(r: dict, setup: dict, best: dict, o: Options, isl: int, osl: int) -> Recommendation:
    """A deployment served by ``best`` instead: rightsized at today's precision, or quantized (a quality change)."""
    dep, today, new = r["deployment_id"], setup["precision"], best["precision"]
    quantized = new != today
    precisions = catalogue().precisions
    missed = "at the top of the model's range the plan misses the SLO" if best["slo_at_risk"] else ""
    fleet = (f"{best['gpus']} × {_gpu_name(best['gpu'], r['gpu_type'])} ({new}, TP {best['tp']}) instead of "
             f"{r['gpu_count']} × {r['gpu_type']}")
    if quantized and precisions[new].weight_bits > precisions[today].weight_bits:  # cheaper and closer to the original
        kind, title = "precision", f"Serve {dep} at {new}, wider than today's {today}: {fleet}"
        risk = "medium: a new setup needs a load test; answers can change (toward the original model's)"
        precision_note = (f"A checkpoint of {setup['model']} in {new}: a wider format than today's {today}, so no "
                          "quality is given up.")
    elif quantized:
        kind, title = "quantize", f"Quantize {dep} to {new}: {fleet}"
        risk = f"high: a quality change ({today} → {new} weights): evaluate it on your own prompts before the switch"
        precision_note = (f"A checkpoint of {setup['model']} in {new} (published, or made with the engine's quantization "
                          f"tools); its answers can differ from today's {today} ones, which no dollar figure prices.")
    else:
        kind, title = "rightsize", f"Rightsize {dep}: {fleet}"
        risk = "medium: a new setup needs a load test before the switch"
        precision_note = f"Same precision as today ({today}): no quality change."
    if missed:  # the SLO at risk: a rightsize is high risk for it, a precision change says it beside its own
        risk = f"{risk}; {missed}" if quantized else f"high: {missed}"
    rec = _rec(kind, title, dep, r["bill_usd"], Decimal(str(best["monthly_usd"])), risk,
               f"Serve {setup['model']} on {best['replicas']} replica(s) of {best['tp']} × "
               f"{_gpu_name(best['gpu'], r['gpu_type'])} at {new} with "
               f"{setup['engine']}, concurrency {best['concurrency_per_replica']} per replica.",
               {"peak requests/s": round(r["peak_rps"], 3), "p95 requests/s": round(r["p95_rps"], 3),
                "mean input tokens": isl, "mean output tokens": osl,
                "predicted TTFT ms (80 % range)": f"{best['ttft_ms']} ({best['ttft_ms_lo']}–{best['ttft_ms_hi']})",
                "predicted TPOT ms (80 % range)": f"{best['tpot_ms']} ({best['tpot_ms_lo']}–{best['tpot_ms_hi']})",
                "requests in flight per replica / KV-cache room at this shape":
                    f"{best['concurrency_per_replica']} / {best['max_concurrency_kv']}",
                "precision": f"{today} → {new}" if quantized else today,
                "$/GPU-hour": best["usd_per_gpu_hour"], "rate from": best["price_source"],
                "measured on this GPU": best["measured"]},
               [f"SLO: TTFT ≤ {o.ttft_slo_ms:g} ms, TPOT ≤ {o.tpot_slo_ms:g} ms at the peak × {o.headroom:g} headroom.",
                precision_note,
                f"Kept up for the same {r['hours']} hours; your contract rate where you have one, else the "
                "catalogue's on-demand rate.",
                "The range is the what-if model's 80 % range of the fleet's cost (more replicas if throughput "
                "comes in low)."])
    rec.low_usd = rec.today_usd - _usd(best["monthly_usd_hi"])
    rec.high_usd = rec.today_usd - _usd(best["monthly_usd_lo"])
    return rec


def _plain(price: Decimal) -> str:
    """A price without trailing zeros: 0.720000 → 0.72 (never in exponent form)."""
    return f"{price.normalize():f}"


def _api_instead(con, p: dict, r: dict) -> Recommendation | None:
    """A self-hosted deployment's traffic priced on API cards for the same open-weights model: its input and output
    tokens at the cheapest standard card in force at the period's end (the context tier its mean request falls in)."""
    model = resolve_model(r["model"] or "")
    if model is None or not r["requests"]:
        return None
    isl, osl = _lengths(r)
    cards = _q(con, "api_prices", day=p["price_at"], isl=isl, osl=osl, requests=r["requests"])
    same = [c for c in cards.iter_rows(named=True) if c["service_tier"] == "standard"
            and (m := resolve_model(c["model"])) is not None and m.id == model.id]
    if not same:
        return None
    cheapest = min(same, key=lambda c: (c["usd_per_request"], c["provider"], c["model"]))
    projected = (r["prompt_tokens"] * cheapest["uncached_input_usd_per_mtok"]
                 + r["completion_tokens"] * cheapest["output_usd_per_mtok"]) / Decimal(1_000_000)
    if projected >= r["bill_usd"]:
        return None
    api = f"{cheapest['provider']}/{cheapest['model']}"
    return _rec("api_instead", f"Send {r['deployment_id']}'s traffic to an API: {api}",
                r["deployment_id"], r["bill_usd"], projected, "medium: data leaves your network; vendor rate limits apply",
                f"Route {model.name} requests to {api} and retire the deployment.",
                {"requests": r["requests"], "input tokens": r["prompt_tokens"], "output tokens": r["completion_tokens"],
                 "API $/1M input / output": f"${_plain(cheapest['uncached_input_usd_per_mtok'])} / "
                                            f"${_plain(cheapest['output_usd_per_mtok'])}",
                 "API $/1M tokens (blended)": f"${_plain(cheapest['usd_per_mtok_blended'])}",
                 "other APIs with this model": len(same) - 1},
                ["The deployment's input and output tokens, uncached, at the API's standard list price in force at the "
                 "period's end (the context tier of its mean request).", "No contract discount for that API.",
                 "Cold starts, rate limits and latency of the API not costed."])


def _cache_unused(con, p: dict, o: Options) -> list[Recommendation]:
    """Routes that never read from the prompt cache, at the cache-read share the organisation's caching routes get."""
    out = []
    for r in _q(con, "recommend_cache_unused", **p).iter_rows(named=True):
        today, best = _usd(r["today_usd"]), _usd(r["all_read_usd"])
        projected = _usd(r["today_usd"] - (r["today_usd"] - r["all_read_usd"]) * r["read_share"])
        out.append(Recommendation(
            "cache_unused", f"Turn on prompt caching for {r['provider']}/{r['model']}", f"{r['provider']}/{r['model']}",
            today, projected, Decimal(0), today - best,
            "low: cached prefixes change no answer; the saving depends on how much of each prompt repeats",
            "Put the stable part of each prompt (system prompt, tools, documents) first and mark it cacheable.",
            {"requests": r["requests"], "uncached input tokens": r["uncached_input_tokens"],
             "cache-read share of your caching routes": r["read_share"]},
            ["Today = this route's uncached input tokens at the input price; cache writes' premium not included.",
             f"Projected: {r['read_share']:.0%} of them read from the cache, the median share of your routes that "
             "cache (same provider where it has one).",
             "Range: from none to all of them read from the cache."]))
    return out


def _api_to_self_host(con, p: dict, o: Options) -> list[Recommendation]:
    """An API route serving an open-weights model the what-if model knows, on a right-sized deployment of its own."""
    rates = whatif.contract_rates(_q(con, "gpu_contract_rates", day=p["end"]).to_dicts())
    out = []
    for r in _q(con, "recommend_api_routes", **p).iter_rows(named=True):
        model = resolve_model(r["model"])
        if model is None:
            continue
        isl, osl = _lengths(r)
        best = _plan(model.id, None, isl, osl, r["peak_rps"] or 1e-9, r["hours"], o, rates)
        if best is None:
            continue
        rec = _rec("self_host", f"Self-host {r['provider']}/{r['model']} on {best['gpus']} × {_gpu_name(best['gpu'])}",
                   f"{r['provider']}/{r['model']}", r["today_usd"], Decimal(str(best["monthly_usd"])),
                   "high: you run the service (on-call, upgrades); quantisation may change quality"
                   if best["precision"] not in ("bf16", "fp16") else "high: you run the service (on-call, upgrades)",
                   f"Serve {model.name} on {best['replicas']} replica(s) of {best['tp']} × {_gpu_name(best['gpu'])} at "
                   f"{best['precision']} and route this traffic to it.",
                   {"requests": r["requests"], "peak requests/s": round(r["peak_rps"], 3),
                    "mean input tokens": isl, "mean output tokens": osl,
                    "predicted TTFT ms (80 % range)": f"{best['ttft_ms']} ({best['ttft_ms_lo']}–{best['ttft_ms_hi']})",
                    "$/GPU-hour": best["usd_per_gpu_hour"], "rate from": best["price_source"]},
                   [f"Kept up all {r['hours']} hours of the period; SLO TTFT ≤ {o.ttft_slo_ms:g} ms, TPOT ≤ "
                    f"{o.tpot_slo_ms:g} ms at the peak × {o.headroom:g}.", "Engineering and operations time not costed."])
        rec.low_usd = rec.today_usd - _usd(best["monthly_usd_hi"])
        rec.high_usd = rec.today_usd - _usd(best["monthly_usd_lo"])
        out.append(rec)
    return out


KINDS: dict[str, Callable] = {"deployments": _deployments, "batch": _batch, "flex": _flex, "model": _models,
                              "cache": _cache,
                              "cache_unused": _cache_unused,
                              "self_host": _api_to_self_host}


def recommend(db, period: str, options: Options | None = None, principal=None) -> list[Recommendation]:
    """Every recommendation for the month, ranked by $ saved (fleet-wide: admin and finance only)."""
    (principal or LOCAL).require("all_tenants")
    o = options or Options()
    start, end = chargeback.month_bounds(period)
    last = end - timedelta(days=1)
    p = {"start": start, "end": last, "price_at": datetime.combine(last, time(23, 59), tzinfo=timezone.utc),
         "tenants": None, "providers": None, "models": None}
    con = connect(db, read_only=True)
    try:
        found = [rec for kind in KINDS.values() for rec in kind(con, p, o)]
    finally:
        con.close()
    cover = coverage(db, period)  # a month in progress: the threshold is $1 a month at its rate
    found = [r for r in found if cover.per_month(r.saving_usd) >= o.min_saving_usd]
    return sorted(found, key=lambda r: (-r.saving_usd, r.kind, r.scope))


@dataclass(frozen=True)
class Coverage:
    """The days of a month the warehouse has data for.  A month in progress (or the first one loaded) is partial:
    its recommendations are for those days only (they reconcile with the ledger of those days), and
    ``per_month`` scales a figure to the whole month at the same daily rate — what "a month" means on a page."""

    period: str
    first: date | None  # first and last day with data in the month; None when the month has none
    last: date | None
    month_days: int

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1 if self.first and self.last else 0

    @property
    def partial(self) -> bool:
        return 0 < self.days < self.month_days

    def per_month(self, usd: Decimal) -> Decimal:
        """A figure for the covered days at the same daily rate over the whole month, to the cent."""
        return _usd(Decimal(usd) * self.month_days / self.days) if self.partial else usd

    def span(self) -> str:
        """'1–15 Nov', or the month itself when it is whole."""
        if not self.partial:
            return self.period
        return (f"{self.first.day}–{self.last.day}" if self.first != self.last else f"{self.first.day}") + \
            f" {self.first:%b}"

    def describe(self) -> str:
        """'1–15 Nov 2026 (15 of 30 days)', or the month itself when it is whole."""
        if not self.partial:
            return self.period
        return f"{self.span()} {self.first:%Y} ({self.days} of {self.month_days} days)"


def coverage(db, period: str) -> Coverage:
    """Which days of ``period`` have data (``queries.period``: the first and last day with any cost)."""
    return covered(period, *queries.period(db))


def covered(period: str, first: date | None, last: date | None) -> Coverage:
    """``period``'s days within the warehouse's [first, last] days with data."""
    start, end = chargeback.month_bounds(period)
    lo, hi = (max(start, first), min(end - timedelta(days=1), last)) if first else (None, None)
    if lo is not None and lo > hi:
        lo = hi = None
    return Coverage(period, lo, hi, (end - start).days)


CSV_COLUMNS = ("rank", "kind", "title", "scope", "today_usd", "projected_usd", "saving_usd", "saving_low_usd",
               "saving_high_usd", "days_with_data", "month_days", "saving_per_month_usd", "risk", "action", "evidence",
               "assumptions")


def to_csv(found: list[Recommendation], cover: Coverage) -> str:
    """The list as CSV: the same cents the page and the CLI show (decimal text, never floats); evidence as JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rank, r in enumerate(found, 1):
        writer.writerow([rank, r.kind, r.title, r.scope, r.today_usd, r.projected_usd, r.saving_usd, r.low_usd,
                         r.high_usd, cover.days, cover.month_days, cover.per_month(r.saving_usd), r.risk, r.action,
                         json.dumps(r.evidence, default=str, ensure_ascii=False), " | ".join(r.assumptions)])
    return out.getvalue()


def months(db) -> list[str]:
    first, last = queries.period(db)
    return [m for m, _, _ in chargeback.month_pieces(first, last + timedelta(days=1))] if first else []

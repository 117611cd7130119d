"""Deterministic demo data, written in the sources' real formats so it takes the real ingest path.

Traffic: power-law tenants, diurnal and weekly cycles, several vendors, prompt caching, >200k
prompts, batch/flex/priority tiers, unknown models, gateway cache hits, failures, plus injected
malformed rows and re-delivered duplicates whose expected counts go into demo_manifest.json.
Telemetry for the two self-hosted deployments is derived from the traffic they served.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from tokenomics.demo.catalogue import (
    CLUSTER_PHYSICS,
    CONTRACTS,
    DEPLOYMENTS,
    catalogue_snapshots,
)

END = datetime(2026, 11, 16, tzinfo=timezone.utc)
TELEMETRY_STEP_S = 300


@dataclass(frozen=True)
class ModelSpec:
    """How one model's traffic looks in the demo."""

    logged: str  # LiteLLM "model" field
    provider: str
    catalogue_key: str | None  # None: not in any catalogue (unpriced)
    weight: float
    input_median: float
    output_median: float
    caching: str  # none | auto | explicit | prefix
    reasoning: bool = False
    long_context: bool = False
    batchable: bool = False
    tiers: tuple[str, ...] = ()
    self_hosted: bool = False
    tpot_s: float = 0.02


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("gpt-4o-mini", "openai", "gpt-4o-mini", 20, 900, 220, "auto", batchable=True, tpot_s=0.008),
    ModelSpec("gpt-4o", "openai", "gpt-4o", 9, 2200, 380, "auto", batchable=True, tiers=("priority",), tpot_s=0.015),
    ModelSpec("gpt-4.1", "openai", "gpt-4.1", 6, 5000, 420, "auto", batchable=True, tpot_s=0.016),
    ModelSpec("o4-mini", "openai", "o4-mini", 4, 1800, 300, "auto", reasoning=True, batchable=True, tiers=("flex",), tpot_s=0.01),
    ModelSpec("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5", 12, 3500, 520, "explicit", long_context=True, batchable=True, tpot_s=0.018),
    ModelSpec("claude-haiku-4-5", "anthropic", "claude-haiku-4-5", 10, 1500, 260, "explicit", batchable=True, tpot_s=0.007),
    ModelSpec("gemini/gemini-2.5-pro", "gemini", "gemini/gemini-2.5-pro", 4, 6000, 700, "auto", reasoning=True, long_context=True, tpot_s=0.014),
    ModelSpec("gemini/gemini-2.5-flash", "gemini", "gemini/gemini-2.5-flash", 8, 1200, 300, "auto", tpot_s=0.005),
    ModelSpec("bedrock/amazon.nova-pro-v1:0", "bedrock", "amazon.nova-pro-v1:0", 3, 1400, 280, "none", tpot_s=0.012),
    ModelSpec("hosted_vllm/llama-3.3-70b-instruct", "hosted_vllm", None, 22, 4000, 350, "prefix", self_hosted=True, tpot_s=0.03),
    ModelSpec("mistral/mistral-large-2512", "mistral", None, 0.35, 1600, 300, "none", tpot_s=0.02),
    ModelSpec("gpt-5.2-preview-internal", "openai", None, 0.25, 1500, 400, "none", tpot_s=0.02),
)

_TENANT_WORDS = (
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "wonka", "tyrell",
    "cyberdyne", "soylent", "aperture", "blackmesa", "massive", "pied-piper", "gringotts", "oscorp",
    "monarch", "nakatomi", "dunder", "sterling", "prestige", "genco", "buynlarge", "virtucon", "zorg",
    "krusty", "duff", "gekko", "bluth", "lacroix", "ollivander", "tessier", "weyland", "yoyodyne",
    "rekall", "ingen", "omni", "spacely",
)
_TEAMS = ("search", "support-bot", "data-science", "platform", "marketing", "risk", "legal-review", "code-assist")
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")
_DEPLOYMENT_SHARE = {"vllm-llama70b-h100-bf16": 0.6, "vllm-llama70b-h200-fp8": 0.4}


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 42
    requests: int = 1_000_000
    days: int = 92
    tenants: int = 36
    bad_rate: float = 0.0003
    duplicate_rate: float = 0.0005
    conflict_rate: float = 0.00003
    end: datetime = END  # the period ends here (bench/scale.py --chunks generates consecutive periods)
    gpu_serial: int | None = None  # GPU UUIDs' serial (default: the seed), one fleet across chunks


def _tenants(rng: np.random.Generator, cfg: DemoConfig) -> dict:
    """Per-tenant traits; weights follow a power law (a few tenants dominate spend)."""
    t = cfg.tenants
    names = [
        f"{_TENANT_WORDS[i % len(_TENANT_WORDS)]}" + ("" if i < len(_TENANT_WORDS) else f"-{i // len(_TENANT_WORDS)}")
        for i in range(t)
    ]
    weight = 1.0 / np.arange(1, t + 1) ** 1.15
    rng.shuffle(weight[3:])  # keep a clear top three, shuffle the long tail's order
    base = np.array([m.weight for m in MODELS])
    mix = rng.dirichlet(np.maximum(base * 0.35, 0.05), size=t)
    tz = rng.choice([-8, -5, 0, 1, 5.5, 9], size=t)
    tz[:2] = -5
    # the internal GPU platform serves North American business units only: nights there are idle hours
    self_hosted = (rng.random(t) < 0.7) & (tz < 0)
    self_hosted[:2] = True
    sh_idx = [i for i, m in enumerate(MODELS) if m.self_hosted]
    for i in np.where(~self_hosted)[0]:
        mix[i, sh_idx] = 0.0
    unknown_idx = [i for i, m in enumerate(MODELS) if m.catalogue_key is None and not m.self_hosted]
    mix[:, unknown_idx] = np.maximum(mix[:, unknown_idx], 0.002)
    mix /= mix.sum(axis=1, keepdims=True)
    return {
        "name": names,
        "weight": weight / weight.sum(),
        "mix": mix,
        "tz": tz,
        "internal": self_hosted,
        "weekend": rng.uniform(0.15, 0.8, size=t),
        "growth": rng.uniform(-0.2, 0.9, size=t),
        "cache_p": rng.uniform(0.1, 0.75, size=t),
        "batch_p": np.where(rng.random(t) < 0.5, rng.uniform(0.02, 0.3, size=t), 0.0),
        "uses_1h": rng.random(t) < 0.3,
        "teams": [list(rng.choice(_TEAMS, size=rng.integers(1, 5), replace=False)) for _ in range(t)],
        "users": rng.integers(5, 120, size=t),
        "region": rng.choice(_REGIONS, size=t),
        "org_id": [f"org-{rng.integers(0, 2**63):016x}" for _ in range(t)],
        "keys": [[f"{rng.integers(0, 2**63):016x}{rng.integers(0, 2**63):016x}" for _ in range(4)] for _ in range(t)],
    }


def _hourly_intensity(tenants: dict, cfg: DemoConfig, start: datetime) -> np.ndarray:
    """tenant × hour request intensity: local business-hours peak, weekend dip, trend, noise."""
    hours = np.arange(cfg.days * 24)
    utc_hour = (start.hour + hours) % 24
    weekday = (start.weekday() + (start.hour + hours) // 24) % 7
    out = np.empty((len(tenants["name"]), hours.size))
    noise_rng = np.random.default_rng(7)
    for i in range(len(tenants["name"])):
        local = (utc_hour + tenants["tz"][i]) % 24
        night = 0.002 if tenants["internal"][i] else 0.08  # internal teams barely work at night
        diurnal = night + np.exp(-((local - 14.0) ** 2) / (2 * 3.2**2))
        weekly = np.where(weekday >= 5, tenants["weekend"][i], 1.0)
        trend = 1.0 + tenants["growth"][i] * hours / hours.size
        out[i] = diurnal * weekly * trend * noise_rng.lognormal(0, 0.25, hours.size)
    return out


def _lognormal_int(rng, median, sigma, n, lo, hi):
    return np.clip(rng.lognormal(np.log(median), sigma, n), lo, hi).astype(np.int64)


def generate_requests(cfg: DemoConfig) -> pl.DataFrame:
    """The valid traffic, one row per request, with its LiteLLM-logged fields."""
    rng = np.random.default_rng(cfg.seed)
    start = cfg.end - timedelta(days=cfg.days)
    ten = _tenants(rng, cfg)
    n = cfg.requests
    tenant = rng.choice(len(ten["name"]), size=n, p=ten["weight"])
    # model per request from the tenant's mix (inverse CDF on the tenant's cumulative row)
    cum = np.cumsum(ten["mix"], axis=1)
    model = (rng.random(n)[:, None] > cum[tenant]).sum(axis=1)
    model = np.minimum(model, len(MODELS) - 1)

    intensity = _hourly_intensity(ten, cfg, start)
    hour = np.empty(n, dtype=np.int64)
    for i in range(len(ten["name"])):
        idx = np.where(tenant == i)[0]
        p = intensity[i] / intensity[i].sum()
        hour[idx] = rng.choice(p.size, size=idx.size, p=p)
    start_s = start.timestamp() + hour * 3600.0 + rng.random(n) * 3600.0

    spec = {f: np.array([getattr(m, f) for m in MODELS]) for f in
            ("input_median", "output_median", "reasoning", "long_context", "batchable", "self_hosted", "tpot_s")}
    caching = np.array([m.caching for m in MODELS])[model]

    prompt = np.clip(rng.lognormal(np.log(spec["input_median"][model]), 1.0), 8, 120_000).astype(np.int64)
    long_ctx = spec["long_context"][model] & (rng.random(n) < 0.02)
    prompt[long_ctx] = rng.integers(200_001, 700_000, size=long_ctx.sum())
    completion = np.clip(rng.lognormal(np.log(spec["output_median"][model]), 0.8), 1, 16_000).astype(np.int64)
    reasoning = np.where(spec["reasoning"][model], (completion * rng.uniform(0.5, 3.0, n)).astype(np.int64), 0)
    completion = completion + reasoning

    # service tier: batch for batchable vendor models, flex/priority where the model offers it
    is_batch = spec["batchable"][model] & (rng.random(n) < ten["batch_p"][tenant])
    tier = np.full(n, "default", dtype=object)
    for i, m in enumerate(MODELS):
        for t_name, share in (("flex", 0.12), ("priority", 0.04)):
            if t_name in m.tiers:
                pick = (model == i) & ~is_batch & (rng.random(n) < share)
                tier[pick] = t_name

    # prompt caching, by provider semantics
    cache_read = np.zeros(n, dtype=np.int64)
    cache_write = np.zeros(n, dtype=np.int64)
    uses_cache = rng.random(n) < ten["cache_p"][tenant]
    auto = (caching == "auto") & uses_cache & (prompt >= 1024)
    cache_read[auto] = (np.floor(prompt[auto] * rng.uniform(0.3, 0.95, auto.sum()) / 128) * 128).astype(np.int64)
    prefix = (caching == "prefix") & uses_cache
    cache_read[prefix] = (prompt[prefix] * rng.uniform(0.2, 0.8, prefix.sum())).astype(np.int64)
    explicit = caching == "explicit"
    reads = explicit & uses_cache
    cache_read[reads] = (prompt[reads] * rng.uniform(0.5, 0.95, reads.sum())).astype(np.int64)
    writes = explicit & (rng.random(n) < np.where(uses_cache, 0.15, 0.3))
    room = prompt - cache_read
    cache_write[writes] = (room[writes] * rng.uniform(0.3, 0.9, writes.sum())).astype(np.int64)
    one_hour = writes & ten["uses_1h"][tenant] & (rng.random(n) < 0.5) & ~long_ctx
    cache_write_1h = np.where(one_hour, cache_write, 0)

    failed = rng.random(n) < 0.012
    gw = rng.random(n)
    gateway_cache = np.where(~is_batch & ~failed & (gw < 0.03), "exact",
                             np.where(~is_batch & ~failed & (gw < 0.04), "semantic", "miss"))
    for arr in (prompt, completion, reasoning, cache_read, cache_write, cache_write_1h):
        arr[failed] = 0

    # timing
    stream = ~is_batch & (rng.random(n) < 0.6)
    ttft = 0.2 + prompt / 40_000 + rng.lognormal(-2.0, 0.5, n)
    latency = ttft + completion * spec["tpot_s"][model] * rng.uniform(0.8, 1.3, n)
    latency = np.where(is_batch, rng.uniform(600, 20 * 3600, n), latency)
    latency = np.where(gateway_cache != "miss", rng.uniform(0.004, 0.03, n), latency)
    latency = np.where(failed, rng.uniform(0.05, 30, n), latency)
    end_s = start_s + latency
    first_token_s = np.where(stream & (gateway_cache == "miss"), start_s + np.minimum(ttft, latency), end_s)

    # the deployment as an index into names: the two self-hosted deployments, then each vendor model's own name
    deployments = ["vllm-llama70b-h100-bf16", "vllm-llama70b-h200-fp8", *(m.logged.split("/")[-1] for m in MODELS)]
    sh = spec["self_hosted"][model]
    deployment = 2 + model
    deployment[sh] = np.where(rng.random(sh.sum()) < _DEPLOYMENT_SHARE["vllm-llama70b-h100-bf16"], 0, 1)

    cost = _reported_cost(model, start_s, prompt, cache_read, cache_write, cache_write_1h, completion,
                          is_batch, tier, failed | (gateway_cache != "miss"))

    user_k = (rng.random(n) * ten["users"][tenant]).astype(np.int64)
    team_k = (rng.random(n) * 8).astype(np.int64)
    key_k = rng.integers(0, 4, n)
    teams = [ts[k % len(ts)] for ts in ten["teams"] for k in range(8)]
    keys = [k for ks in ten["keys"] for k in ks]
    features = ["feature:chat", "feature:summarise", "feature:extract", "feature:agent", "feature:rag"]
    models_logged = [m.logged for m in MODELS]

    def pick(values, index) -> pl.Series:  # strings by index: no per-row Python or NumPy string objects
        return pl.Series(values, dtype=pl.String).gather(pl.Series(index, dtype=pl.UInt32))

    tiers = ["default", "flex", "priority"]
    caches = ["miss", "exact", "semantic"]

    frame = pl.DataFrame({
        "tenant_i": tenant, "user_k": user_k, "nonce": rng.integers(0, 2**62, n), "seq": np.arange(n),
        "tenant": pick(ten["name"], tenant),
        "org_id": pick(ten["org_id"], tenant),
        "team": pick(teams, tenant * 8 + team_k),
        "key_hash": pick(keys, tenant * 4 + key_k),
        "region": pick(list(ten["region"]), tenant),
        "feature": pick(features, rng.integers(0, len(features), n)),
        "provider": pick([m.provider for m in MODELS], model),
        "model": pick(models_logged, model),
        "model_group": pick([m.split("/")[-1] for m in models_logged], model),
        "model_id": pick(deployments, deployment),
        "start": start_s, "end": end_s, "first_token": first_token_s,
        "prompt_tokens": prompt, "completion_tokens": completion, "reasoning_tokens": reasoning,
        "cached_tokens": cache_read, "cache_creation": cache_write, "cache_creation_1h": cache_write_1h,
        "batch": is_batch, "tier": pick(tiers, np.select([tier == t for t in tiers], range(len(tiers)))), "stream": stream,
        # nightly document pipelines tag themselves offline (own stream: other columns keep their draws)
        "offline": ~stream & ~is_batch & (np.random.default_rng(cfg.seed + 1).random(n) < 0.25),
        "status": pick(["success", "failure"], failed.astype(np.int64)),
        "gateway_cache": pick(caches, np.select([gateway_cache == c for c in caches], range(len(caches)))),
        "response_cost": cost,
    })
    return frame.with_columns(
        pl.format("chatcmpl-{}-{}", pl.col("nonce"), pl.col("seq")).alias("id"),
        pl.format("user-{}-{}", pl.col("tenant_i"), pl.col("user_k")).alias("user"),
    ).drop("tenant_i", "user_k", "nonce", "seq").sort("start")


def _reported_cost(model, start_s, prompt, cread, cwrite, cwrite_1h, completion, batch, tier, free):
    """What LiteLLM itself would log as response_cost: float list price, 0 for unknown models."""
    cost = np.zeros(model.size)
    snapshots = sorted(catalogue_snapshots().items())
    day_s = np.array([datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() for d, _ in snapshots])
    snap = np.searchsorted(day_s, start_s, side="right") - 1
    for si, (_, catalogue) in enumerate(snapshots):
        for mi, m in enumerate(MODELS):
            if m.catalogue_key is None:
                continue
            entry = catalogue[m.catalogue_key]
            sel = (model == mi) & (snap == si)
            above = sel & (prompt > 200_000) & ("input_cost_per_token_above_200k_tokens" in entry)

            def p(key, mask):
                suffix = "_above_200k_tokens"
                v = np.where(mask, entry.get(key + suffix, entry.get(key, 0.0)), entry.get(key, 0.0))
                return v

            inp, out = p("input_cost_per_token", above), p("output_cost_per_token", above)
            cr = p("cache_read_input_token_cost", above) if "cache_read_input_token_cost" in entry else inp
            cw = p("cache_creation_input_token_cost", above) if "cache_creation_input_token_cost" in entry else inp
            cw1 = entry.get("cache_creation_input_token_cost_above_1hr", 0.0)
            uncached = prompt - cread - cwrite
            c = uncached * inp + cread * cr + (cwrite - cwrite_1h) * cw + cwrite_1h * cw1 + completion * out
            ratio = np.where(batch, entry.get("input_cost_per_token_batches", 0.0) / entry["input_cost_per_token"], 1.0)
            for t_name in ("flex", "priority"):
                key = f"input_cost_per_token_{t_name}"
                if key in entry:
                    ratio = np.where(tier == t_name, entry[key] / entry["input_cost_per_token"], ratio)
            cost[sel] = (c * ratio)[sel]
    return np.where(free, 0.0, np.round(cost, 10))


def _request_tags(df: pl.DataFrame) -> pl.Series:
    """["env:prod", feature, "workload:offline" if offline] per row, looked up among the few distinct lists (building
    a list per row took 1.4 s for 1M rows)."""
    features = df["feature"].unique().sort().to_list()
    lists = pl.Series([["env:prod", f, *(["workload:offline"] if offline else [])] for f in features
                       for offline in (False, True)], dtype=pl.List(pl.String))
    index = df.select(pl.col("feature").replace_strict(features, list(range(len(features))), return_dtype=pl.UInt32) * 2
                      + pl.col("offline").cast(pl.UInt32)).to_series()
    return lists.gather(index)


def _payload_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Shape rows as LiteLLM StandardLoggingPayload objects (text redacted, as LiteLLM can do)."""
    c = pl.col
    none = pl.lit(None, dtype=pl.String)
    return df.select(
        c("id"),
        pl.when(c("batch")).then(pl.lit("aretrieve_batch")).otherwise(pl.lit("acompletion")).alias("call_type"),
        c("response_cost"),
        c("status"),
        (c("prompt_tokens") + c("completion_tokens")).alias("total_tokens"),
        c("prompt_tokens"), c("completion_tokens"),
        c("start").alias("startTime"), c("end").alias("endTime"), c("first_token").alias("completionStartTime"),
        c("model"), c("model_id"), c("model_group"),
        pl.when(c("provider") == "hosted_vllm")
          .then(pl.concat_str([pl.lit("http://"), c("model_id"), pl.lit(".serving.internal:8000/v1")]))
          .otherwise(pl.lit("https://api.example-vendor.invalid")).alias("api_base"),
        c("provider").alias("custom_llm_provider"),
        pl.struct(
            c("key_hash").alias("user_api_key_hash"),
            c("org_id").alias("user_api_key_org_id"),
            pl.concat_str([c("tenant"), pl.lit("/"), c("team")]).alias("user_api_key_team_id"),
            c("team").alias("user_api_key_team_alias"),
            c("user").alias("user_api_key_user_id"),
            pl.struct(c("tenant"), c("feature").str.slice(8).alias("project"), c("region")).alias("spend_logs_metadata"),
            pl.struct(
                c("completion_tokens"), c("prompt_tokens"),
                pl.struct(c("reasoning_tokens")).alias("completion_tokens_details"),
                pl.struct(
                    c("cached_tokens"),
                    pl.struct(
                        (c("cache_creation") - c("cache_creation_1h")).alias("ephemeral_5m_input_tokens"),
                        c("cache_creation_1h").alias("ephemeral_1h_input_tokens"),
                    ).alias("cache_creation_token_details"),
                ).alias("prompt_tokens_details"),
                c("cache_creation").alias("cache_creation_input_tokens"),
            ).alias("usage_object"),
        ).alias("metadata"),
        (c("gateway_cache") != "miss").alias("cache_hit"),
        c("stream"),  # StandardLoggingPayload's own flag (model_parameters holds what the caller passed)
        pl.when(c("gateway_cache") == "semantic").then(pl.concat_str([pl.lit("semantic:"), c("id").str.slice(9, 16)]))
          .when(c("gateway_cache") == "exact").then(c("id").str.slice(9, 24)).otherwise(none).alias("cache_key"),
        _request_tags(df).alias("request_tags"),
        pl.lit("redacted-by-litellm").alias("messages"),
        pl.lit("redacted-by-litellm").alias("response"),
        pl.struct(
            c("stream"),
            pl.when(c("tier") == "default").then(none).otherwise(c("tier")).alias("service_tier"),
        ).alias("model_parameters"),
        pl.struct(
            pl.when(c("batch")).then(pl.concat_list([c("model_group")])).otherwise(pl.lit(None, dtype=pl.List(pl.String))).alias("batch_models"),
        ).alias("hidden_params"),
    )


_BAD_KINDS = (
    "truncated", "negative_tokens", "string_tokens", "missing_id", "bad_timestamp", "invalid_utf8",
    "cache_exceeds_prompt", "absurd_tokens",
)  # a payload without tenant metadata or with naive timestamps is real LiteLLM output: it loads


def _bad_line(kind: str, good: dict, new_id: str) -> bytes:
    """Corrupt a valid payload in one specific way (each kind must be quarantined)."""
    d = json.loads(json.dumps(good))
    d["id"] = new_id
    usage = d["metadata"]["usage_object"]
    if kind == "truncated":
        return json.dumps(d).encode()[: 120]
    if kind == "negative_tokens":
        usage["prompt_tokens"] = -5
    elif kind == "string_tokens":
        usage["completion_tokens"] = "12k"
    elif kind == "missing_id":
        del d["id"]
    elif kind == "bad_timestamp":
        d["startTime"] = "yesterday"
    elif kind == "invalid_utf8":
        return json.dumps(d).encode().replace(b'"env:prod"', b'"env:pr\xff\xfed"')
    elif kind == "cache_exceeds_prompt":
        usage["prompt_tokens_details"]["cached_tokens"] = usage["prompt_tokens"] + 100
        usage["cache_read_input_tokens"] = usage["prompt_tokens"] + 100
    elif kind == "absurd_tokens":
        usage["prompt_tokens"] = 5_000_000_000
    return json.dumps(d).encode()


def _write_month(part: pl.DataFrame, path: Path, seed: int, cfg: DemoConfig) -> dict:
    """Write one month, inserting malformed, duplicate and conflicting lines at random places."""
    rng = np.random.default_rng(seed)
    n = part.height
    tally = {"bad": 0, "duplicate": 0, "conflict": 0}

    def line(i: int) -> bytes:
        return part.slice(i, 1).write_ndjson().rstrip("\n").encode()

    inserts: list[tuple[int, bytes]] = []
    for j in range(max(1, round(n * cfg.bad_rate))):
        kind = _BAD_KINDS[j % len(_BAD_KINDS)]
        good = json.loads(line(int(rng.integers(0, n))))
        inserts.append((int(rng.integers(0, n + 1)), _bad_line(kind, good, f"bad-{seed}-{j:06d}")))
        tally["bad"] += 1
    for _ in range(max(1, round(n * cfg.duplicate_rate))):
        src = int(rng.integers(0, n))
        inserts.append((int(rng.integers(src + 1, n + 1)), line(src)))
        tally["duplicate"] += 1
    for _ in range(max(1, round(n * cfg.conflict_rate))):
        src = int(rng.integers(0, n))
        d = json.loads(line(src))
        d["metadata"]["usage_object"]["completion_tokens"] = int(d["metadata"]["usage_object"]["completion_tokens"]) + 7
        inserts.append((int(rng.integers(src + 1, n + 1)), json.dumps(d).encode()))
        tally["conflict"] += 1
    inserts.sort(key=lambda t: t[0])
    with path.open("wb") as handle:
        done = 0
        for pos, text in inserts:
            if pos > done:
                part.slice(done, pos - done).write_ndjson(handle)
                done = pos
            handle.write(text + b"\n")
        if done < n:
            part.slice(done, n - done).write_ndjson(handle)
    return tally


def write_gateway_logs(df: pl.DataFrame, out: Path, cfg: DemoConfig) -> dict:
    """One JSONL file per month under gateway/litellm/, like a log shipper's monthly export."""
    target = out / "gateway" / "litellm"
    target.mkdir(parents=True, exist_ok=True)
    month = pl.from_epoch((pl.col("start") * 1000).cast(pl.Int64), time_unit="ms").dt.strftime("%Y-%m")
    payload = _payload_frame(df).with_columns(df.select(month.alias("_month")))
    parts = payload.partition_by("_month", as_dict=True, maintain_order=True)
    jobs = [(part.drop("_month"), target / f"litellm-spend-{key}.jsonl", cfg.seed * 100 + i, cfg)
            for i, ((key,), part) in enumerate(sorted(parts.items()))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        tallies = list(pool.map(lambda job: _write_month(*job), jobs))
    tally = {"valid": df.height}
    for key in ("bad", "duplicate", "conflict"):
        tally[key] = sum(t[key] for t in tallies)
    return tally


def write_telemetry(df: pl.DataFrame, out: Path, cfg: DemoConfig) -> int:
    """nvidia-smi CSV per host every 5 minutes, utilisation and power driven by served tokens."""
    rng = np.random.default_rng(cfg.seed + 2)
    target = out / "telemetry" / "nvidia-smi"
    target.mkdir(parents=True, exist_ok=True)
    start = (cfg.end - timedelta(days=cfg.days)).timestamp()
    steps = cfg.days * 24 * 3600 // TELEMETRY_STEP_S
    serial = cfg.seed if cfg.gpu_serial is None else cfg.gpu_serial
    rows = 0
    served = df.filter(pl.col("model_id").is_in(list(CLUSTER_PHYSICS)) & (pl.col("gateway_cache") == "miss"))
    for deployment, phys in CLUSTER_PHYSICS.items():
        mine = served.filter(pl.col("model_id") == deployment)
        bucket = ((mine["start"].to_numpy() - start) // TELEMETRY_STEP_S).astype(np.int64)
        # nvidia-smi utilisation is the share of time a kernel ran: with continuous batching a replica is
        # busy whenever one request is in flight, so utilisation ≈ 1 - exp(-Σ request seconds / capacity).
        in_flight = np.bincount(bucket, weights=(mine["end"] - mine["start"]).to_numpy(), minlength=steps)[:steps]
        load = in_flight / (TELEMETRY_STEP_S * phys["replicas"])
        frac = 1 - np.exp(-load)
        intensity = np.clip(load / 4, 0, 1)  # bigger batches draw more power once the GPU is busy
        ts = start + np.arange(steps) * TELEMETRY_STEP_S
        frames = []
        for g in range(phys["gpus"]):
            jitter = rng.uniform(0.85, 1.15, steps)
            util = np.clip(np.round(100 * frac ** 0.6 * jitter), 0, 100).astype(int)
            busy = np.clip(frac * jitter, 0, 1)
            power = phys["idle_w"] + (phys["peak_w"] - phys["idle_w"]) * busy * (0.45 + 0.5 * intensity)
            power = power + rng.normal(0, 2.5, steps)
            mem_used = (phys["mem_total"] * 0.9 + rng.integers(-200, 200, steps)).astype(int)
            when = pl.from_epoch(pl.Series((ts * 1000 + g * 7).astype(np.int64)), time_unit="ms")
            with_unit = lambda values, unit: pl.Series(values).cast(pl.String) + unit  # noqa: E731  (no per-row Python)
            frames.append(pl.DataFrame({
                "timestamp": when.dt.strftime("%Y/%m/%d %H:%M:%S%.3f"),
                "name": phys["name"],
                "pci.bus_id": f"00000000:{0x18 + g * 0x10:02X}:00.0",
                "uuid": f"GPU-{deployment[-8:]}-{g:02d}-{serial:04d}-0000-{g:012d}",
                "utilization.gpu [%]": with_unit(util, " %"),
                "utilization.memory [%]": with_unit((util * 0.6).astype(int), " %"),
                "memory.used [MiB]": with_unit(mem_used, " MiB"),
                "memory.total [MiB]": f"{phys['mem_total']} MiB",
                "power.draw [W]": [f"{p:.2f} W" for p in np.clip(power, 20, 720)],
                "power.limit [W]": "700.00 W",
                "clocks.current.sm [MHz]": with_unit(np.where(util > 0, 1980, 345), " MHz"),
                "clocks.current.memory [MHz]": "2619 MHz",
                "temperature.gpu": (30 + util * 0.35).astype(int),
            }))
        table = pl.concat(frames).sort("timestamp")
        text = table.write_csv(separator=",", quote_style="never")
        header, body = text.split("\n", 1)
        (target / f"{phys['host']}.csv").write_text(", ".join(header.split(",")) + "\n" + body.replace(",", ", "))
        rows += table.height
    return rows


def write_reference(out: Path) -> None:
    """Rate-card snapshots (LiteLLM catalogue JSON), the contract file and the deployments file."""
    cards = out / "rate_cards" / "litellm"
    cards.mkdir(parents=True, exist_ok=True)
    for day, catalogue in catalogue_snapshots().items():
        (cards / f"model_prices_{day.isoformat()}.json").write_text(json.dumps(catalogue, indent=2, sort_keys=True))
    (out / "rate_cards" / "contracts.yaml").write_text(yaml.safe_dump(CONTRACTS, sort_keys=False))
    (out / "deployments.yaml").write_text(yaml.safe_dump(DEPLOYMENTS, sort_keys=False))


def write_budgets(df: pl.DataFrame, out: Path) -> int:
    """Monthly budgets for the ten biggest tenants: 1.15 x their median month of total spend (API list
    cost + their token share of the self-hosted GPU bill), rounded to $100 — so some months run over."""
    rates = {r["rate_ref"]: Decimal(r["usd_per_gpu_hour"]) for r in CONTRACTS["gpu_rates"] if r["valid_to"] is None}
    gpu_month = float(sum(d["gpu_count"] * rates[d["gpu_rate_ref"]] for d in DEPLOYMENTS["deployments"]) * 730)
    sh = pl.col("model_id").is_in([d["deployment_id"] for d in DEPLOYMENTS["deployments"]])
    tokens = pl.col("prompt_tokens") + pl.col("completion_tokens")
    monthly = (df.with_columns(month=pl.from_epoch("start", time_unit="s").dt.truncate("1mo").dt.date())
               .group_by("tenant", "month")
               .agg(pl.col("response_cost").sum().alias("api"), tokens.filter(sh).sum().alias("sh_tokens"))
               .with_columns(spend=pl.col("api") + gpu_month * pl.col("sh_tokens")
                             / pl.col("sh_tokens").sum().over("month").clip(lower_bound=1)))
    top = monthly.group_by("tenant").agg(pl.col("spend").median()).sort("spend", descending=True).head(10)
    budgets = [{"tenant": t, "month": m.isoformat(), "budget_usd": f"{max(round(v * 1.15, -2), 100):.2f}"}
               for t, v in top.iter_rows() for m in sorted(monthly["month"].unique())]
    (out / "rate_cards" / "contracts-budgets.yaml").write_text(yaml.safe_dump({"budgets": budgets}, sort_keys=False))
    return len(budgets)


def generate(out: Path, cfg: DemoConfig = DemoConfig()) -> dict:
    """Write the whole demo input tree and a manifest of what the ingest should find in it."""
    out.mkdir(parents=True, exist_ok=True)
    df = generate_requests(cfg)
    tally = write_gateway_logs(df, out, cfg)
    telemetry_rows = write_telemetry(df, out, cfg)
    write_reference(out)
    budgets = write_budgets(df, out)
    manifest = {
        "budgets": budgets,
        "seed": cfg.seed,
        "requests_valid": tally["valid"],
        "lines_written": tally["valid"] + tally["bad"] + tally["duplicate"] + tally["conflict"],
        "expected_loaded": tally["valid"],
        "expected_quarantined": tally["bad"] + tally["conflict"],
        "expected_duplicate": tally["duplicate"],
        "telemetry_rows": telemetry_rows,
        "period_start": (cfg.end - timedelta(days=cfg.days)).isoformat(),
        "period_end": cfg.end.isoformat(),
    }
    (out / "demo_manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest

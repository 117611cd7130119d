"""Recommendations reconcile: today (the scope's cost from the marts) − projected = saving, by hand and on the demo."""

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import Decimal

import duckdb
import pytest

from tests.sqlgiven import given, memory
from tokenomics import recommend
from tokenomics.access import AccessDenied, Principal, Role

D = Decimal
NOV = {"start": date(2026, 11, 1), "end": date(2026, 11, 30),
       "price_at": datetime(2026, 11, 30, 23, 59, tzinfo=timezone.utc)}
CARDS = ("provider VARCHAR, model VARCHAR, service_tier VARCHAR, min_input_tokens BIGINT, max_input_tokens BIGINT, "
         "valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ, uncached_input_micro_per_mtok BIGINT, "
         "cache_read_micro_per_mtok BIGINT, cache_write_5m_micro_per_mtok BIGINT, cache_write_1h_micro_per_mtok BIGINT, "
         "output_micro_per_mtok BIGINT, reasoning_micro_per_mtok BIGINT, cache_write_5m_usd_per_mtok DECIMAL(18,6), "
         "cache_write_1h_usd_per_mtok DECIMAL(18,6)")
USAGE = ("day DATE, tenant VARCHAR, team VARCHAR, provider VARCHAR, model VARCHAR, service_tier VARCHAR, "
         "prompt_floor BIGINT, requests BIGINT, uncached_input_tokens BIGINT, cache_read_tokens BIGINT, "
         "cache_write_5m_tokens BIGINT, cache_write_1h_tokens BIGINT, output_tokens BIGINT, reasoning_tokens BIGINT, "
         "list_cost_usd DECIMAL(38,12), effective_cost_usd DECIMAL(38,12), unpriced_requests BIGINT")
FROM = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_batch_saving_is_the_batch_advisors_own_number():
    con = memory()
    given(con, "mart_batch_daily", "day DATE, tenant VARCHAR, provider VARCHAR, model VARCHAR, latency_class VARCHAR, "
          "requests BIGINT, effective_cost_usd DECIMAL(38,12), move_to_batch_savings_usd DECIMAL(38,12)", [
              (date(2026, 11, 2), "a", "openai", "gpt-4o", "off_hours", 10, D("4.00"), D("2.00")),
              (date(2026, 11, 3), "b", "openai", "gpt-4o", "tagged_offline", 5, D("1.50"), D("0.75")),
              (date(2026, 11, 3), "b", "openai", "gpt-4o", "interactive", 50, D("100"), D("50"))])  # needs answers now
    [r] = recommend._batch(con, NOV, recommend.Options())
    # today = 4.00 + 1.50 = 5.50 (the interactive traffic stays); saving = 2.00 + 0.75 = 2.75; projected = 2.75
    assert (r.today_usd, r.projected_usd, r.saving_usd) == (D("5.50"), D("2.75"), D("2.75"))
    assert r.evidence["requests"] == 15


def test_flex_takes_the_non_streaming_traffic_batch_leaves_and_the_two_add_up():
    con = memory()
    given(con, "mart_batch_daily", "day DATE, tenant VARCHAR, provider VARCHAR, model VARCHAR, latency_class VARCHAR, "
          "requests BIGINT, effective_cost_usd DECIMAL(38,12), move_to_batch_savings_usd DECIMAL(38,12), "
          "move_to_flex_savings_usd DECIMAL(38,12)", [
              (date(2026, 11, 2), "a", "openai", "o4-mini", "non_streaming", 30, D("6.00"), D("3.00"), D("3.00")),
              (date(2026, 11, 3), "b", "openai", "o4-mini", "non_streaming", 10, D("2.00"), D("1.00"), D("1.00")),
              (date(2026, 11, 3), "b", "openai", "o4-mini", "off_hours", 5, D("1.00"), D("0.50"), D("0.50")),
              (date(2026, 11, 3), "b", "openai", "o4-mini", "interactive", 50, D("10"), D("5"), D("5")),
              (date(2026, 11, 3), "b", "openai", "gpt-4o", "non_streaming", 8, D("4.00"), D("2.00"), None)])  # no flex
    [flex] = recommend._flex(con, NOV, recommend.Options())
    # o4-mini's non-streaming traffic: today 6.00 + 2.00 = 8.00, flex saves 3.00 + 1.00 = 4.00 -> projected 4.00
    assert (flex.today_usd, flex.projected_usd, flex.saving_usd) == (D("8.00"), D("4.00"), D("4.00"))
    assert flex.scope == "openai/o4-mini (non-streaming)" and flex.risk.startswith("medium")
    [batch] = recommend._batch(con, NOV, recommend.Options())
    # the batch recommendation takes the off-hours rows only (0.50): disjoint traffic, another scope, savings add up
    assert batch.saving_usd == D("0.50") and batch.scope != flex.scope


def test_cache_ttl_saving_and_its_range_by_hand():
    con = memory()
    given(con, "mart_usage_for_repricing", USAGE, [
        (date(2026, 11, 5), "a", "", "anthropic", "claude-x", "standard", 0, 100, 0, 6_000_000, 0, 2_000_000, 0, 0,
         D(0), D(0), 0)])
    given(con, "stg_rate_cards", CARDS, [("anthropic", "claude-x", "standard", 0, None, FROM, None, 3_000_000, 300_000,
                                          3_750_000, 6_000_000, 15_000_000, 15_000_000, D("3.75"), D("6.00"))])
    [r] = recommend._cache(con, NOV, recommend.Options())
    # 2M one-hour write tokens: today 2 × $6.00 = $12.00; at the 5-minute price 2 × $3.75 = $7.50; saving $4.50
    # range: $0 (every read comes after 5 minutes) to $4.50 (all within)
    assert (r.today_usd, r.projected_usd, r.saving_usd) == (D("12.00"), D("7.50"), D("4.50"))
    assert (r.low_usd, r.high_usd) == (D(0), D("4.50")) and r.evidence["reads per written token"] == D("3.000")


def test_cheaper_model_prices_the_same_tokens_with_its_discount():
    con = memory()
    given(con, "mart_usage_for_repricing", USAGE, [
        (date(2026, 11, 5), "a", "", "openai", "big", "standard", 0, 40, 1_000_000, 0, 0, 0, 100_000, 0,
         D("3.50"), D("3.50"), 0),
        (date(2026, 11, 6), "b", "", "openai", "small", "standard", 0, 10, 10_000, 0, 0, 0, 1_000, 0,
         D("0.01"), D("0.009"), 0)])
    given(con, "stg_rate_cards", CARDS, [
        ("openai", "big", "standard", 0, None, FROM, None, 2_500_000, None, None, None, 10_000_000, None, None, None),
        ("openai", "small", "standard", 0, None, FROM, None, 150_000, None, None, None, 600_000, None, None, None)])
    given(con, "stg_contract_discounts", "provider VARCHAR, model_pattern VARCHAR, discount_pct DECIMAL(7,4), "
          "valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ", [("openai", "small", D(10), FROM, None)])
    [r] = recommend._models(con, NOV, recommend.Options())
    # big's tokens on small's card: 1M × $0.15 + 0.1M × $0.60 = $0.21 list, − 10 % = $0.189 → $0.19
    # today is what big's requests cost (the ledger's effective $3.50): saving $3.50 − $0.19 = $3.31
    assert r.scope == "openai/big (standard)" and "small" in r.title
    assert (r.today_usd, r.projected_usd, r.saving_usd) == (D("3.50"), D("0.19"), D("3.31"))
    assert r.risk.startswith("high")  # small's tokens on big's card cost more: no recommendation that way


def _deployment(daily, *, model="a-private-model", precision="bf16", tp=1, kind="committed", rate=D(3), hourly=(),
                other_rates=(), cards=()):
    """The recommendations for one deployment 'dep' on H100s: daily rows (day, GPUs, hours up, hours without traffic,
    bill, requests, prompt tokens, completion tokens), requests per hour, the rate it pays, other contract rates
    (rate_ref, GPU type, kind, $/GPU-hour) and API cards (provider, model, tier, $/1M input, $/1M output)."""
    con = memory()
    given(con, "mart_gpu_daily", "day DATE, deployment_id VARCHAR, gpu_type VARCHAR, gpu_count INTEGER, hours BIGINT, "
          "hours_without_traffic BIGINT, gpu_cost_usd DECIMAL(38,12), requests BIGINT, prompt_tokens BIGINT, "
          "completion_tokens BIGINT", [(d, "dep", "H100-SXM-80GB", *rest) for d, *rest in daily])
    given(con, "mart_usage_hourly", "deployment VARCHAR, hour TIMESTAMPTZ, requests BIGINT, pricing_status VARCHAR, "
          "gateway_cache VARCHAR", [("dep", hour, n, "self_hosted", "miss") for hour, n in hourly])
    given(con, "gpu_deployments", "deployment_id VARCHAR, model VARCHAR, precision VARCHAR, engine VARCHAR, "
          "tensor_parallel INTEGER, gpu_rate_ref VARCHAR", [("dep", model, precision, "vllm", tp, "r")])
    given(con, "stg_gpu_rates", "rate_ref VARCHAR, gpu_type VARCHAR, kind VARCHAR, usd_per_gpu_hour DECIMAL(18,6), "
          "valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ",
          [("r", "H100-SXM-80GB", kind, rate, FROM, None), *((*o, FROM, None) for o in other_rates)])
    given(con, "stg_rate_cards", "provider VARCHAR, model VARCHAR, service_tier VARCHAR, min_input_tokens BIGINT, "
          "max_input_tokens BIGINT, valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ, uncached_input_usd_per_mtok "
          "DECIMAL(18,6), output_usd_per_mtok DECIMAL(18,6)",
          [(provider, name, tier, 0, None, FROM, None, i, o) for provider, name, tier, i, o in cards])  # none: no API
    return recommend._deployments(con, NOV, recommend.Options())


def test_scale_to_zero_saves_the_hours_without_traffic():
    [r] = _deployment([(date(2026, 11, 1), 1, 24, 8, D(48), 100, 100_000, 10_000),    # $2/h
                       (date(2026, 11, 2), 1, 24, 12, D(72), 50, 50_000, 5_000)])     # $3/h
    # idle hours at each day's mean hourly bill: 8 × $2 + 12 × $3 = $52 of a $120 bill; projected $68
    assert (r.kind, r.today_usd, r.projected_usd, r.saving_usd) == ("scale_to_zero", D("120.00"), D("68.00"), D("52.00"))
    assert r.evidence["hours without traffic"] == 20


@pytest.fixture(scope="module")
def found(demo):
    con = duckdb.connect(str(demo["db"]), read_only=True)
    month = con.execute("SELECT max(day) FROM mart_ledger_daily").fetchone()[0].strftime("%Y-%m")
    con.close()
    return month, recommend.recommend(demo["db"], month)


def test_every_recommendation_on_the_demo_reconciles_with_the_ledger(demo, found):
    month, recs = found
    assert recs and {r.kind for r in recs} >= {"rightsize", "scale_to_zero", "model", "batch"}
    assert [r.saving_usd for r in recs] == sorted((r.saving_usd for r in recs), reverse=True)
    assert len({r.title for r in recs}) == len(recs)  # a route's batch tier is its own scope and says so
    con = duckdb.connect(str(demo["db"]), read_only=True)
    start, end = recommend.chargeback.month_bounds(month)
    for r in recs:
        assert r.saving_usd == r.today_usd - r.projected_usd > 0
        assert r.low_usd <= r.saving_usd <= r.high_usd
        if r.kind in ("rightsize", "quantize", "precision", "scale_to_zero", "commitment", "api_instead"):
            bill = con.execute("SELECT sum(gpu_cost_usd) FROM mart_gpu_daily WHERE deployment_id = ? AND day >= ? "
                               "AND day < ?", [r.scope, start, end]).fetchone()[0]
            assert r.today_usd == bill.quantize(D("0.01"), "ROUND_HALF_UP"), r.title  # the scope's bill, this month
    con.close()


def test_recommendations_are_fleet_wide_and_the_cli_prints_json(demo, found):
    month, recs = found
    with pytest.raises(AccessDenied):
        recommend.recommend(demo["db"], month, principal=Principal("v", Role.TENANT_VIEWER, frozenset({"acme"})))
    out = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(demo["db"]), "recommend", "--period",
                          month, "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [D(d["saving_usd"]) for d in doc] == [r.saving_usd for r in recs]
    assert all(D(d["today_usd"]) - D(d["projected_usd"]) == D(d["saving_usd"]) for d in doc)
    cover = recommend.coverage(demo["db"], month)  # the demo's last month is in progress
    assert cover.partial and all(d["days_with_data"] == cover.days and d["month_days"] == cover.month_days
                                 and D(d["saving_per_month_usd"]) == cover.per_month(D(d["saving_usd"])) for d in doc)
    text = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(demo["db"]), "recommend", "--period",
                           month], capture_output=True, text=True).stdout
    top = recs[0]
    assert f"has data for {cover.describe()}" in text
    assert f"${top.saving_usd:,.2f} (≈ ${cover.per_month(top.saving_usd):,.2f}/month)" in text
    bad = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(demo["db"]), "recommend", "--period",
                          "2026-13"], capture_output=True, text=True)
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr


def test_the_latest_month_by_default_and_the_same_cents_as_csv(demo, found, tmp_path):
    month, recs = found
    out = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(demo["db"]), "recommend", "--csv"],
                         capture_output=True, text=True)  # no --period: the latest month with data
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    cover = recommend.coverage(demo["db"], month)
    assert [(r["title"], D(r["saving_usd"])) for r in rows] == [(r.title, r.saving_usd) for r in recs]
    assert [int(r["rank"]) for r in rows] == list(range(1, len(recs) + 1))
    for row, rec in zip(rows, recs):
        assert D(row["today_usd"]) - D(row["projected_usd"]) == D(row["saving_usd"])
        assert (D(row["saving_low_usd"]), D(row["saving_high_usd"])) == (rec.low_usd, rec.high_usd)
        assert D(row["saving_per_month_usd"]) == cover.per_month(rec.saving_usd)
        assert int(row["days_with_data"]) == cover.days and json.loads(row["evidence"]) == json.loads(
            json.dumps(rec.evidence, default=str))
    assert out.stdout == recommend.to_csv(recs, cover)  # what the page's download button serves
    missing = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(tmp_path / "none.duckdb"),
                              "recommend"], capture_output=True, text=True)
    assert missing.returncode == 2 and "no warehouse" in missing.stderr and "Traceback" not in missing.stderr


def test_a_month_in_progress_says_which_days_and_scales_a_month_at_their_rate():
    first, last = date(2026, 8, 16), date(2026, 11, 15)  # the warehouse's first and last day with any cost
    nov = recommend.covered("2026-11", first, last)
    assert (nov.days, nov.month_days, nov.partial) == (15, 30, True)
    assert (nov.span(), nov.describe()) == ("1–15 Nov", "1–15 Nov 2026 (15 of 30 days)")
    assert nov.per_month(D("2376.00")) == D("4752.00")  # $2,376.00 in 15 days × 30 / 15
    assert nov.per_month(D("0.01")) == D("0.02")
    aug = recommend.covered("2026-08", first, last)  # the first month loaded: 16–31 Aug
    assert (aug.days, aug.describe()) == (16, "16–31 Aug 2026 (16 of 31 days)")
    assert aug.per_month(D("1.00")) == D("1.94")  # $1.00 × 31 / 16 = $1.9375, half up to the cent
    oct_ = recommend.covered("2026-10", first, last)
    assert not oct_.partial and oct_.per_month(D("10.00")) == D("10.00") and oct_.describe() == "2026-10"
    dec = recommend.covered("2026-12", first, last)  # no data at all: nothing to scale
    assert (dec.days, dec.partial, dec.per_month(D("5.00"))) == (0, False, D("5.00"))
    assert recommend.covered("2026-11", None, None).days == 0  # an empty warehouse


def test_a_deployment_rightsized_at_its_precision_and_quantized_as_a_dearer_quality_alternative():
    found = _deployment(  # 4 GPUs × 24 h × $2.00 = $192; 100 requests an hour of 2,000 in / 400 out
        [(date(2026, 11, 2), 4, 24, 0, D(192), 2400, 2400 * 2000, 2400 * 400)],
        model="meta-llama/Llama-3.3-70B-Instruct", tp=4, rate=D(2),
        hourly=[(datetime(2026, 11, 2, h, tzinfo=timezone.utc), 100) for h in range(24)])
    by_kind = {r.kind: r for r in found}
    assert set(by_kind) == {"rightsize", "quantize"}  # committed rate: no commitment; no idle hour: no scale to zero
    same, quantized = by_kind["rightsize"], by_kind["quantize"]
    # at today's bf16 the cheapest fleet whose whole 80 % range meets the SLO for 100/3600 req/s × 1.3 is two H100s
    # (TP 2) on your $2.00 contract: 2 × 24 h × $2.00 = $96.00, saving $192.00 − $96.00 = $96.00 (one MI300X at $2.49
    # would cost $59.76, but a dense model's TTFT range on AMD parts reaches 5× the prediction: the AMD check runs)
    assert (same.today_usd, same.projected_usd, same.saving_usd) == (D("192.00"), D("96.00"), D("96.00"))
    assert same.evidence["rate from"] == "contract" and "2 × H100-SXM-80GB (bf16, TP 2) instead of 4 × H100-SXM-80GB" in same.title  # your label for the same part
    assert same.evidence["precision"] == "bf16" and "no quality change" in " ".join(same.assumptions)
    # at any precision vLLM serves: one H100 at FP8 on your $2.00 contract: 1 × 24 × $2.00 = $48.00, saving $144.00 —
    # cheaper than the bf16 plan, so it is offered too, as a quality change (FP8, not NVFP4: equal cost, wider format)
    assert (quantized.today_usd, quantized.projected_usd, quantized.saving_usd) == (D("192.00"), D("48.00"), D("144.00"))
    assert quantized.evidence["precision"] == "bf16 → fp8" and quantized.evidence["rate from"] == "contract"
    assert quantized.risk.startswith("high: a quality change") and "to fp8" in quantized.title
    assert quantized.scope == same.scope == "dep"  # alternatives on one scope: the page counts only the best
    for r in (same, quantized):
        assert r.low_usd <= r.saving_usd <= r.high_usd


def test_a_deployment_sent_to_the_cheapest_api_selling_its_model():
    found = _deployment(  # 4 GPUs × 24 h × $2.00 = $192; 2,400 requests: 4.8M input and 0.96M output tokens
        [(date(2026, 11, 2), 4, 24, 0, D(192), 2400, 4_800_000, 960_000)],
        model="meta-llama/Llama-3.3-70B-Instruct", tp=4, rate=D(2),
        hourly=[(datetime(2026, 11, 2, h, tzinfo=timezone.utc), 100) for h in range(24)],
        cards=[("bedrock_converse", "meta.llama3-3-70b-instruct-v1:0", "standard", D("0.72"), D("0.72")),
               ("bedrock_converse", "meta.llama3-3-70b-instruct-v1:0", "batch", D("0.36"), D("0.36")),  # not realtime
               ("together_ai", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "standard", D("1.04"), D("1.04")),
               ("openai", "gpt-4o-mini", "standard", D("0.15"), D("0.60"))])  # cheaper, but another model
    [api] = [r for r in found if r.kind == "api_instead"]
    # the cheapest standard card for the same model: (4.8M + 0.96M) × $0.72 / 1M = $4.1472 → $4.15;
    # saving $192.00 − $4.15 = $187.85 (together_ai's $1.04 would be $5.99)
    assert (api.today_usd, api.projected_usd, api.saving_usd) == (D("192.00"), D("4.15"), D("187.85"))
    assert api.title == "Send dep's traffic to an API: bedrock_converse/meta.llama3-3-70b-instruct-v1:0"
    assert api.evidence["API $/1M input / output"] == "$0.72 / $0.72" and api.evidence["other APIs with this model"] == 1


def test_a_cheaper_plan_at_a_wider_format_than_today_is_not_called_a_quantization():
    r = {"deployment_id": "dep", "gpu_count": 2, "gpu_type": "H100-SXM-80GB", "bill_usd": D("100"), "peak_rps": 0.1,
         "p95_rps": 0.05, "hours": 24}
    setup = {"model": "llama-3.1-8b", "precision": "int4-awq", "engine": "vllm"}
    best = {"precision": "bf16", "gpu": "l4", "gpus": 1, "tp": 1, "replicas": 1, "concurrency_per_replica": 4,
            "slo_at_risk": False, "monthly_usd": 19.2, "monthly_usd_lo": 19.2, "monthly_usd_hi": 19.2,
            "ttft_ms": 1, "ttft_ms_lo": 1, "ttft_ms_hi": 1, "tpot_ms": 1, "tpot_ms_lo": 1, "tpot_ms_hi": 1,
            "max_concurrency_kv": 9, "usd_per_gpu_hour": 0.8, "price_source": "on_demand", "measured": "none"}
    wider = recommend._plan_rec(r, setup, best, recommend.Options(), 1000, 100)
    # $100.00 today − 1 × 24 h × $0.80 = $19.20 → saving $80.80, at bf16: wider than AWQ, so no quality is given up
    assert wider.kind == "precision" and "wider than today's int4-awq" in wider.title
    assert not wider.risk.startswith("high") and wider.saving_usd == D("80.80")
    narrower = recommend._plan_rec(r, {**setup, "precision": "bf16"}, {**best, "precision": "fp8"}, recommend.Options(),
                                   1000, 100)
    assert narrower.kind == "quantize" and narrower.risk.startswith("high: a quality change (bf16 → fp8")


def _on_demand(days, other_rates=()):
    """A deployment on H100 on-demand rates at $4.00/GPU-hour; days: (day, GPUs, hours up)."""
    return _deployment([(d, n, h, 0, D(4 * n * h), 10, 1, 1) for d, n, h in days], kind="on_demand", rate=D(4),
                       other_rates=other_rates)


def test_a_commitment_covers_the_baseline_gpus_and_is_paid_for_every_hour():
    from tokenomics.pricing.perf.costs import usd_per_gpu_hour

    reserved = usd_per_gpu_hour("h100-sxm", "reserved_1y")  # the catalogue's 1-year rate, $2.10 (test_whatif)
    # always up, 3 GPUs on Nov 2 and 2 on Nov 3: bill (3 + 2) × 24 × $4.00 = $480.00.  Baseline 2 GPUs reserved for both
    # days: 2 × 48 × $2.10 = $201.60 instead of their 96 GPU-hours on demand ($384.00); the third GPU's day stays on
    # demand.  Projected $480.00 − $384.00 + $201.60 = $297.60, saving $182.40
    [r] = _on_demand([(date(2026, 11, 2), 3, 24), (date(2026, 11, 3), 2, 24)])
    assert reserved == D("2.1") and r.kind == "commitment" and "Reserve 2 ×" in r.title
    assert (r.today_usd, r.projected_usd, r.saving_usd) == (D("480.00"), D("297.60"), D("182.40"))
    assert r.evidence["GPUs a day (fewest / most)"] == "2 / 3" and r.evidence["baseline GPU-hours used / paid"] == "96 / 96"
    # up 12 hours a day on 2 GPUs: bill 2 × 24 × $4.00 = $192.00; a reservation is paid for all 48 hours:
    # 2 × 48 × $2.10 = $201.60 > $192.00: up 50 %, below the break-even $2.10 / $4.00 = 52.5 %, so nothing is offered
    assert _on_demand([(date(2026, 11, 2), 2, 12), (date(2026, 11, 3), 2, 12)]) == []
    # your own committed H100 rate ($1.50, another team's contract) prices the reservation instead of the catalogue's:
    # 2 × 48 × $1.50 = $144.00 → projected $480.00 − $384.00 + $144.00 = $240.00, saving $240.00
    [own] = _on_demand([(date(2026, 11, 2), 3, 24), (date(2026, 11, 3), 2, 24)],
                       other_rates=[("team-b", "H100-SXM-80GB", "committed", D("1.5"))])
    assert (own.projected_usd, own.saving_usd) == (D("240.00"), D("240.00"))
    assert own.evidence["reserved rate from"] == "your contract"


def test_a_route_that_never_reads_the_cache_at_the_share_other_routes_get():
    con = memory()
    given(con, "mart_usage_for_repricing", USAGE, [
        # a caching route of the same provider: 3M cache reads of 12M input → read share 3 / 12 = 25 %
        (date(2026, 11, 5), "a", "", "anthropic", "cached", "standard", 0, 10, 9_000_000, 3_000_000, 0, 0, 0, 0,
         D(1), D(1), 0),
        (date(2026, 11, 5), "b", "", "anthropic", "plain", "standard", 0, 40, 4_000_000, 0, 0, 0, 100, 0,
         D(12), D(12), 0)])
    given(con, "stg_rate_cards", CARDS, [("anthropic", "plain", "standard", 0, None, FROM, None, 3_000_000, 300_000,
                                          3_750_000, 6_000_000, 15_000_000, 15_000_000, D("3.75"), D("6.00"))])
    con.execute("ALTER TABLE stg_rate_cards ADD COLUMN uncached_input_usd_per_mtok DECIMAL(18,6) DEFAULT 3")
    con.execute("ALTER TABLE stg_rate_cards ADD COLUMN cache_read_usd_per_mtok DECIMAL(18,6) DEFAULT 0.30")
    [r] = recommend._cache_unused(con, NOV, recommend.Options())
    # plain's 4M uncached input: today 4 × $3.00 = $12.00; all read from the cache 4 × $0.30 = $1.20
    # at the 25 % share: 12.00 − (12.00 − 1.20) × 0.25 = 12.00 − 2.70 = $9.30 → saving $2.70; range $0 – $10.80
    assert (r.today_usd, r.projected_usd, r.saving_usd) == (D("12.00"), D("9.30"), D("2.70"))
    assert (r.low_usd, r.high_usd) == (D(0), D("10.80")) and r.scope == "anthropic/plain"


def test_an_api_route_of_an_open_weights_model_priced_on_its_own_deployment():
    con = memory()
    given(con, "mart_usage_hourly", "hour TIMESTAMPTZ, tenant VARCHAR, provider VARCHAR, model VARCHAR, "
          "deployment VARCHAR, pricing_status VARCHAR, gateway_cache VARCHAR, requests BIGINT, prompt_tokens BIGINT, "
          "completion_tokens BIGINT", [
              (datetime(2026, 11, 2, h, tzinfo=timezone.utc), "a", "together_ai", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
               None, "priced", "miss", 3600, 3600 * 2000, 3600 * 400) for h in range(24)])  # 1 request/s all day
    given(con, "mart_ledger_daily", "day DATE, tenant VARCHAR, provider VARCHAR, model VARCHAR, cost_source VARCHAR, "
          "effective_cost_usd DECIMAL(38,12)",
          [(date(2026, 11, 2), "a", "together_ai", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "api", D("50000"))])
    given(con, "stg_gpu_rates", "rate_ref VARCHAR, gpu_type VARCHAR, kind VARCHAR, usd_per_gpu_hour DECIMAL(18,6), "
          "valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ", [])
    [r] = recommend._api_to_self_host(con, NOV, recommend.Options())
    # today = the route's effective cost; projected = the cheapest fleet for 1 req/s × 1.3 kept up 30 × 24 h
    assert r.kind == "self_host" and r.today_usd == D("50000.00") and r.evidence["requests"] == 86_400
    assert r.saving_usd == r.today_usd - r.projected_usd and r.low_usd <= r.saving_usd <= r.high_usd
    assert "720 hours" in " ".join(r.assumptions)


@pytest.mark.parametrize("name", ["meta-llama/Llama-3.3-70B-Instruct-Turbo", "meta.llama3-3-70b-instruct-v1:0",
                                  "us.meta.llama3-3-70b-instruct-v1:0", "llama-3.3-70b"])
def test_api_vendors_spellings_of_an_open_weights_model_resolve(name):
    from tokenomics.pricing.perf.catalogue import resolve_model

    assert resolve_model(name).id == "llama-3.3-70b"
    assert resolve_model("gpt-4o") is None and resolve_model("claude-sonnet-4-5") is None


def test_open_weights_names_in_litellms_real_catalogue_resolve():
    """Genuine vendor keys (tests/fixtures/real/litellm, provenance in its README): the spellings the resolver reads —
    Together's and DeepInfra's -Instruct-Turbo, Bedrock's meta.llama3-3-70b-instruct-v1:0 with and without a region —
    find the model; a distilled or fine-tuned model named after it does not."""
    import json
    from pathlib import Path

    from tokenomics.pricing.perf.catalogue import resolve_model

    keys = set(json.loads((Path(__file__).parent / "fixtures" / "real" / "litellm"
                           / "model_prices_and_context_window.json").read_text()))
    same = ["together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "meta.llama3-3-70b-instruct-v1:0", "us.meta.llama3-3-70b-instruct-v1:0", "cerebras/llama-3.3-70b",
            "nebius/meta-llama/Llama-3.3-70B-Instruct"]
    others = ["lambda_ai/deepseek-llama3.3-70b", "fireworks_ai/accounts/fireworks/models/dobby-unhinged-llama-3-3-70b-new"]
    assert set(same + others) <= keys  # still in the genuine file
    assert all(resolve_model(k).id == "llama-3.3-70b" for k in same)
    assert all(resolve_model(k) is None for k in others)


def test_every_vendor_packaging_of_catalogue_models_in_litellms_real_catalogue_resolves():
    """Genuine LiteLLM keys: a vendor's packaging (Cloudflare '@cf/', Databricks 'databricks-meta-', watsonx 'llama-3-3',
    OCI 'meta.', Vertex '-maas', Groq-style '-versatile'/'-instant', Bedrock '-1:0', Fireworks 'v3p1', dated checkpoints)
    resolves to the catalogue model; distills, fine-tunes, other sizes and versions models.yaml does not alias do not."""
    from pathlib import Path

    from tokenomics.pricing.perf.catalogue import resolve_model

    keys = set(json.loads((Path(__file__).parent / "fixtures" / "real" / "litellm"
                           / "model_prices_and_context_window.json").read_text()))
    same = {
        "llama-3.3-70b": ["cloudflare/@cf/meta/llama-3.3-70b-instruct-fp8-fast", "snowflake/llama3.3-70b",
                          "gradient_ai/llama3.3-70b-instruct", "lambda_ai/llama3.3-70b-instruct-fp8",
                          "databricks/databricks-meta-llama-3-3-70b-instruct", "watsonx/meta-llama/llama-3-3-70b-instruct",
                          "sambanova/Meta-Llama-3.3-70B-Instruct", "oci/meta.llama-3.3-70b-instruct",
                          "oci/meta.llama-3.3-70b-instruct-fp8-dynamic", "vertex_ai/meta/llama-3.3-70b-instruct-maas",
                          "inferenceapis/llama-3.3-70b-versatile", "ovhcloud/Meta-Llama-3_3-70B-Instruct",
                          "fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct",
                          # models.yaml: Llama 3.1 70B is the same architecture
                          "meta.llama3-1-70b-instruct-v1:0", "together_ai/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"],
        "llama-3.1-8b": ["inferenceapis/llama-3.1-8b-instant", "cerebras/llama3.1-8b", "zerogpu/llama-3.1-8b-instruct-fast",
                         "cloudflare/@cf/meta/llama-3.1-8b-instruct-fp8", "databricks/databricks-meta-llama-3-1-8b-instruct",
                         "us.meta.llama3-1-8b-instruct-v1:0", "vertex_ai/meta/llama-3.1-8b-instruct-maas",
                         "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct"],
        "llama-3.1-405b": ["lambda_ai/llama3.1-405b-instruct-fp8", "oci/meta.llama-3.1-405b-instruct"],
        "deepseek-v3": ["deepinfra/deepseek-ai/DeepSeek-V3", "deepseek.v3-v1:0", "us.deepseek.r1-v1:0",
                        "novita/deepseek/deepseek_v3", "lambda_ai/deepseek-v3-0324",
                        "vertex_ai/deepseek-ai/deepseek-r1-0528-maas",
                        "deepinfra/deepseek-ai/DeepSeek-R1-0528-Turbo",
                        # models.yaml lists nvidia/DeepSeek-V3.1-NVFP4 under deepseek-v3
                        "fireworks_ai/accounts/fireworks/models/deepseek-v3p1", "bedrock_mantle/deepseek.v3.1"],
        "gpt-oss-120b": ["groq/openai/gpt-oss-120b", "openai.gpt-oss-120b-1:0", "us-gov.openai.gpt-oss-120b-1:0",
                         "cloudflare/@cf/openai/gpt-oss-120b", "databricks/databricks-gpt-oss-120b",
                         "oci/openai.gpt-oss-120b", "vertex_ai/openai/gpt-oss-120b-maas", "azure_ai/FW-GPT-OSS-120B",
                         "ollama/gpt-oss:120b-cloud"],
        "qwen3-32b": ["cerebras/qwen-3-32b", "qwen.qwen3-32b-v1:0", "gradient_ai/alibaba-qwen3-32b",
                      "novita/qwen/qwen3-32b-fp8"],
        "qwen3-235b-a22b": ["qwen.qwen3-235b-a22b-2507-v1:0", "vertex_ai/qwen/qwen3-235b-a22b-instruct-2507-maas",
                            "gmi/Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"],
        "qwen3.5-397b-a17b": ["tensormesh/Qwen/Qwen3.5-397B-A17B-FP8"],
        "kimi-k2": ["fireworks_ai/accounts/fireworks/models/kimi-k2p5", "bedrock/us-east-1/moonshotai.kimi-k2.5",
                    "novita/moonshotai/kimi-k2-0905", "together_ai/moonshotai/Kimi-K2.5-fp4"],
        "minimax-m2": ["minimax.minimax-m2", "bedrock/us-east-1/minimax.minimax-m2.5", "vertex_ai/minimaxai/minimax-m2-maas",
                       "minimax/MiniMax-M2.5-lightning", "novita/minimax/minimax-m2.5-highspeed"],
    }
    others = [  # distills and fine-tunes, other sizes, versions models.yaml does not alias
        "fireworks_ai/accounts/fireworks/models/deepseek-r1-distill-llama-70b",
        "fireworks_ai/accounts/fireworks/models/deepseek-r1-distill-llama-8b", "lambda_ai/deepseek-llama3.3-70b",
        "nebius/deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "cloudflare/@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
        "snowflake/snowflake-llama-3.3-70b", "deepinfra/NousResearch/Hermes-3-Llama-3.1-70B",
        "lambda_ai/llama3.1-nemotron-70b-instruct-fp8", "cloudflare/@cf/meta/llama-guard-3-8b",
        "openai.gpt-oss-safeguard-120b", "groq/openai/gpt-oss-20b", "bedrock/us-gov-east-1/openai.gpt-oss-20b-1:0",
        "meta_llama/Llama-3.3-8B-Instruct", "meta.llama3-70b-instruct-v1:0", "snowflake/llama3-70b",
        "vertex_ai/meta/llama3-8b-instruct-maas", "deepseek.v3.2", "vertex_ai/deepseek-ai/deepseek-v3.2-maas",
        "deepinfra/deepseek-ai/DeepSeek-V3.1-Terminus", "fireworks_ai/accounts/fireworks/models/deepseek-v3p2",
        "novita/qwen/qwen3-235b-a22b-thinking-2507", "fireworks_ai/accounts/fireworks/models/qwen3-vl-8b-instruct",
        "bedrock/moonshotai.kimi-k2-thinking", "fireworks_ai/kimi-k2p6-fast", "minimax.minimax-m2.1",
        "deepseek/deepseek-chat"]
    named = [k for ks in same.values() for k in ks] + others
    assert set(named) <= keys, set(named) - keys  # still in the genuine file
    assert {k: getattr(resolve_model(k), "id", None) for ks in same.values() for k in ks} == {
        k: m for m, ks in same.items() for k in ks}
    assert {k: resolve_model(k) for k in others} == dict.fromkeys(others)

"""Issue 22 item 4: every what-if prediction carries its 80 % range; plans flag an SLO at risk; the CLI
answers without --gpu; cheapest_plan for the recommendations engine."""

import json
import subprocess
import sys

import polars as pl
import pytest

from tokenomics.pricing.perf import whatif
from tokenomics.pricing.perf.model import WIDEN_GPU, band, calibration

RANGES = [("ttft_ms", "ttft_ms_lo", "ttft_ms_hi"), ("tpot_ms", "tpot_ms_lo", "tpot_ms_hi"),
          ("usd_per_mtok", "usd_per_mtok_lo", "usd_per_mtok_hi"),
          ("usd_per_mtok_output", "usd_per_mtok_output_lo", "usd_per_mtok_output_hi")]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tokenomics.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def sweep():
    return whatif.sweep("llama-3.3-70b", 1024, 512, precisions=["bf16", "fp8", "nvfp4"])


def test_every_fitting_row_has_a_range_around_its_prediction(sweep):
    ok = sweep.filter(pl.col("fits"))
    assert ok.height > 100
    for mid, lo, hi in RANGES:
        assert ok[lo].null_count() == 0 and ok[hi].null_count() == 0
        assert (ok[lo] <= ok[mid] * (1 + 1e-9)).all() and (ok[mid] <= ok[hi] * (1 + 1e-9)).all(), mid
        assert (ok[hi] > ok[lo]).all(), mid
    # rows that do not fit have no prediction and so no range
    assert sweep.filter(~pl.col("fits"))["ttft_ms_hi"].null_count() == sweep.filter(~pl.col("fits")).height


def test_range_is_the_held_out_band_of_the_regime(sweep):
    h100_fp8 = (pl.col("gpu") == "h100-sxm") & (pl.col("precision") == "fp8") & pl.col("fits")
    row = sweep.filter(h100_fp8).row(0, named=True)
    held = {r["regime"]: r for r in calibration()["report"]
            if r["split"] == "held-out" and r["anchor"] == row["anchor"]}["dense/8-16bit/agg"]
    assert row["measured"] == "gpu+precision"
    assert row["tpot_ms_hi"] == pytest.approx(row["tpot_ms"] * held["tpot_band_hi"], rel=1e-6)
    assert row["ttft_ms_lo"] == pytest.approx(row["ttft_ms"] * held["ttft_band_lo"], rel=1e-6)
    # cost is 1 / throughput: its high end comes from the throughput band's low end
    assert row["usd_per_mtok_hi"] == pytest.approx(row["usd_per_mtok"] / held["throughput_band_lo"], rel=1e-6)


def test_parts_without_measurement_get_a_wider_range(sweep):
    def width(gpu, precision):
        r = sweep.filter((pl.col("gpu") == gpu) & (pl.col("precision") == precision) & pl.col("fits"))
        r = r.row(0, named=True)
        return r["measured"], r["tpot_ms_hi"] / r["tpot_ms_lo"]

    measured, w_h100 = width("h100-sxm", "fp8")
    unmeasured, w_l40s = width("l40s", "fp8")
    assert (measured, unmeasured) == ("gpu+precision", "none")
    assert w_l40s == pytest.approx(w_h100 * WIDEN_GPU ** 2, rel=5e-3)  # bands are rounded to 3 places
    assert band(False, "fp8", "l40s")["widened_by"] > 1 and band(False, "fp8", "h100-sxm")["widened_by"] == 1


def test_point_json_carries_the_ranges():
    p = whatif.point("llama-3.3-70b", "h100-sxm", "fp8", 2, 1024, 1024, 64)
    for mid, lo, hi in RANGES:
        assert p[lo] <= p[mid] <= p[hi], mid
    assert p["uncertainty_80pct_measured_over_predicted"]["measured"] == "gpu+precision"


def test_plan_flags_a_point_whose_upper_bound_breaks_the_slo(sweep):
    planned = whatif.plan(sweep, 2000, 50, peak_rps=10)
    assert planned.height > 0
    risky = planned.filter(pl.col("slo_at_risk"))
    safe = planned.filter(~pl.col("slo_at_risk"))
    assert risky.height > 0  # plans push the central prediction to the SLO, so its top often breaks it
    assert ((risky["ttft_ms_hi"] > 2000) | (risky["tpot_ms_hi"] > 50)).all()
    assert ((safe["ttft_ms_hi"] <= 2000) & (safe["tpot_ms_hi"] <= 50)).all()
    cautious = whatif.plan(sweep, 2000, 50, peak_rps=10, upper_bound=True)
    assert cautious.height > 0 and not cautious["slo_at_risk"].any()
    for r in planned.iter_rows(named=True):
        assert r["monthly_usd_lo"] <= r["monthly_usd"] <= r["monthly_usd_hi"]
        assert r["replicas_for_peak_lo"] <= r["replicas_for_peak"] <= r["replicas_for_peak_hi"]


def test_plan_headroom_buys_replicas(sweep):
    base = whatif.plan(sweep, 2000, 50, peak_rps=40).row(0, named=True)
    more = whatif.plan(sweep, 2000, 50, peak_rps=40, headroom=0.5)
    more = more.filter((pl.col("gpu") == base["gpu"]) & (pl.col("precision") == base["precision"])
                       & (pl.col("tp") == base["tp"])).row(0, named=True)
    assert more["replicas_for_peak"] >= base["replicas_for_peak"]
    assert more["replicas_for_peak"] == pytest.approx(-(-40 * 1.5 // more["replica_rps"]), abs=1)


def test_cheapest_plan_is_the_cheapest_fleet_of_the_plan():
    out = whatif.cheapest_plan("llama-3.3-70b", 1024, 512, peak_rps=20, ttft_slo_ms=2000, tpot_slo_ms=50,
                               headroom=0.2, hours=730, price_tier="on_demand",
                               gpus=["h100-sxm", "h200-sxm", "b200-sxm"], precisions=["bf16", "fp8"])
    assert out["feasible"] is True
    df = whatif.sweep("llama-3.3-70b", 1024, 512, gpus=["h100-sxm", "h200-sxm", "b200-sxm"], precisions=["bf16", "fp8"])
    every = whatif.plan(df, 2000, 50, peak_rps=20, hours=730, headroom=0.2)
    assert out["monthly_usd"] == pytest.approx(every["monthly_usd"].min(), rel=1e-6)
    assert out["monthly_usd_lo"] <= out["monthly_usd"] <= out["monthly_usd_hi"]
    assert out["ttft_ms"] <= 2000 and out["tpot_ms"] <= 50
    assert out["replicas"] * out["replica_rps"] >= 20 * 1.2 - 1e-6
    assert out["gpus"] == out["replicas"] * out["tp"]
    assert out["monthly_usd"] == pytest.approx(out["gpus"] * out["usd_per_gpu_hour"] * 730, rel=1e-6)
    assert isinstance(out["slo_at_risk"], bool)
    cautious = whatif.cheapest_plan("llama-3.3-70b", 1024, 512, 20, 2000, 50, gpus=["h100-sxm", "h200-sxm", "b200-sxm"],
                                    precisions=["bf16", "fp8"], upper_bound=True)
    assert cautious["feasible"] and cautious["slo_at_risk"] is False and cautious["monthly_usd"] >= out["monthly_usd"]


def test_cheapest_plan_infeasible_and_bad_input():
    out = whatif.cheapest_plan("llama-3.1-405b", 1024, 512, 5, ttft_slo_ms=1, tpot_slo_ms=1, gpus=["l4"])
    assert out["feasible"] is False and "latency objectives" in out["reason"]
    with pytest.raises(whatif.WhatIfError):
        whatif.cheapest_plan("llama-3.1-8b", 1024, 512, 0, 1000, 50)


def test_cli_without_gpu_answers_with_the_cheapest_gpu():
    run = _cli("whatif", "--model", "llama-3.1-8b", "--precision", "fp8", "--concurrency", "32", "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert "gpu_chosen" in out and out["fits"] and out["ttft_ms_lo"] <= out["ttft_ms"] <= out["ttft_ms_hi"]
    slo = _cli("whatif", "--model", "llama-3.1-8b", "--ttft-slo-ms", "500", "--tpot-slo-ms", "30", "--json")
    assert slo.returncode == 0, slo.stderr
    assert json.loads(slo.stdout)["meets_slo"] is True


def test_cli_without_gpu_or_question_or_answer_is_a_sentence_not_a_traceback():
    none = _cli("whatif", "--model", "llama-3.1-8b", "--json")
    assert none.returncode == 2 and none.stderr.startswith("error:") and "Traceback" not in none.stderr
    impossible = _cli("whatif", "--model", "llama-3.1-405b", "--ttft-slo-ms", "1", "--tpot-slo-ms", "1", "--json")
    assert impossible.returncode == 2 and "Traceback" not in impossible.stderr and "no GPU" in impossible.stderr


def test_cli_sweep_filters_by_slo_and_optionally_by_its_upper_bound():
    args = ("whatif", "--model", "llama-3.1-8b", "--sweep", "--ttft-slo-ms", "300", "--tpot-slo-ms", "20", "--json")
    rows = json.loads(_cli(*args).stdout)
    assert rows and all(r["ttft_ms"] <= 300 and r["tpot_ms"] <= 20 for r in rows)
    assert all(r["usd_per_mtok_lo"] <= r["usd_per_mtok"] <= r["usd_per_mtok_hi"] for r in rows)
    strict = json.loads(_cli(*args, "--slo-upper-bound").stdout)
    assert strict and all(r["ttft_ms_hi"] <= 300 and r["tpot_ms_hi"] <= 20 and not r["slo_at_risk"] for r in strict)


def test_the_cheapest_plan_is_on_the_cost_frontier():
    from tokenomics.pricing.perf import whatif

    df = whatif.sweep("llama-3.3-70b", 2048, 256)
    within = whatif.within_slo(df, 2000.0, 60.0)
    frontier = whatif.pareto_cost(within)
    plan = whatif.plan(df, 2000.0, 60.0, 2.0, 730.0)
    key = ["gpu", "precision", "tp", "concurrency"]
    assert plan.head(1).select(key).row(0) in set(frontier.select(key).rows())
    # nothing on the frontier is beaten on both speed and cost by any setup within the SLO
    for row in frontier.iter_rows(named=True):
        assert within.filter((within["tok_s_per_user"] > row["tok_s_per_user"])
                             & (within["usd_per_mtok"] < row["usd_per_mtok"])).is_empty()

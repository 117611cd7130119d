"""TTFT is modelled from its serving components (issue 22 item 3), and the bench reports each regime's bar."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tokenomics.pricing.perf import fit, physics, whatif
from tokenomics.pricing.perf.catalogue import catalogue

ROOT = Path(__file__).resolve().parents[1]


def _terms(isl, conc, agg=1.0, dp=1.0, tpot=0.02):
    c, _ = whatif.grid(catalogue().models["llama-3.3-70b"], ["h100-sxm"], ["fp8"], [2], [conc], isl, 512)
    c = dict(c, agg=np.full(1, agg), dp=np.full(1, dp))
    decode = physics.decode_terms(c, physics.memory(c))
    return physics.ttft_terms(c, decode, np.full(1, tpot))


def test_scheduler_terms_count_engine_steps():
    t = _terms(20000, 16, tpot=0.02)
    assert t["scheduler_step"][0] == pytest.approx(0.02)
    assert t["prefill_chunks"][0] == pytest.approx(0.02 * 3)          # 20,000 tokens = 3 chunks of 8,192
    assert t["batch_steps"][0] == pytest.approx(0.02 * np.log2(16))   # running batch of 16
    assert t["dp_prefill_wait"][0] == 0                               # no attention DP


def test_disaggregated_prefill_has_no_decode_steps_to_wait_for():
    t = _terms(4096, 16, agg=0.0, dp=4.0)
    for name in ("scheduler_step", "prefill_chunks", "batch_steps", "decode_step_wait", "dp_prefill_wait"):
        assert t[name][0] == 0, name
    assert t["prefill_compute"][0] > 0 and t["prefill_queue"][0] > 0


def test_attention_dp_ranks_wait_for_each_others_prefills():
    one, four = _terms(4096, 16, dp=1.0), _terms(4096, 16, dp=4.0)
    own = four["prefill_compute"][0] + four["prefill_memory"][0]
    assert one["dp_prefill_wait"][0] == 0 and four["dp_prefill_wait"][0] == pytest.approx(3 * own)


def test_ttft_grows_with_load_and_prompt_length():
    low = whatif.point("llama-3.3-70b", "h100-sxm", "fp8", 2, 1024, 512, 4)
    high = whatif.point("llama-3.3-70b", "h100-sxm", "fp8", 2, 1024, 512, 64)
    longer = whatif.point("llama-3.3-70b", "h100-sxm", "fp8", 2, 8192, 512, 4)
    assert low["ttft_ms"] < high["ttft_ms"] and low["ttft_ms"] < longer["ttft_ms"]


def test_bench_prints_every_regime_with_its_bars():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "whatif_accuracy.py")], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode in (0, 1), run.stderr
    for level in ("[answered]", "[physics]", "[family]", "[layout]", "[series]"):
        assert level in run.stdout
    for regime in ("dense/8-16bit/agg", "dense/fp4/agg", "moe/8-16bit/agg", "moe/fp4/agg"):
        assert regime in run.stdout
    assert "mi300x/moe/fp8" in run.stdout  # the AMD parts, before and after their own rows joined the fit
    # TTFT misses its 20 % bar for never-measured configurations; the bench says so rather than hiding it, and
    # fails (exit 1) only for a miss of the model as shipped or where the configuration was measured (series level)
    assert "missed at physics level" in run.stdout
    gated = "MISSED at answered level" in run.stdout or "MISSED at series level" in run.stdout
    assert gated == (run.returncode == 1)
    misses = [line for line in run.stdout.splitlines() if line.lower().startswith("missed")]
    assert not any(" tpot " in line or " throughput " in line for line in misses), misses


def test_disaggregated_prefill_saturates_in_a_closed_loop():
    """Prefill-worker queue: none in aggregated serving, ~0 at light load, users x service - decode time past the knee."""
    assert _terms(1024, 512, agg=1.0)["prefill_saturation"][0] == 0
    light, heavy = _terms(1024, 2, agg=0.0)["prefill_saturation"][0], _terms(1024, 4096, agg=0.0)["prefill_saturation"][0]
    assert 0 <= light < heavy
    service, think, users = np.array([0.1]), np.array([10.0]), np.array([1000.0])
    wait = physics.closed_loop_wait(service, think, users)[0]
    assert wait == pytest.approx(1000 * 0.1 - 10.0 - 0.1, rel=0.05)   # saturated: every extra user adds one service
    assert physics.closed_loop_wait(service, think, np.array([5.0]))[0] < 0.05  # 5 users x 0.1 s << 10 s away


def test_each_calibration_file_loads_alone_every_row_used_or_skipped_with_a_reason():
    """An AMD file alone leaves every prefill_/decode_ column empty (aggregated runs): they are still numbers."""
    import polars as pl

    for path in fit.CALIBRATION_FILES:
        rows, skipped = fit.load_calibration([path])
        assert rows.height + skipped.height == pl.read_csv(path, infer_schema_length=None).height, path.name
        assert rows.height > 0 and skipped["skip_reason"].null_count() == 0


def _check_rows(name: str, expected: int):
    """An AMD file kept as a check (not fitted), every row usable, predicted by the committed coefficients."""
    from tokenomics.pricing.perf.model import calibration

    rows, skipped = fit.load_calibration([Path(fit.CALIBRATION_FILES[0]).parent / "real" / "amd" / name])
    assert rows.height == expected and skipped.is_empty()
    committed = calibration()["coefficients"]
    return rows, fit.evaluate(rows, {"tpot": committed["tpot"], "ttft": committed["ttft"]})


def test_amd_dense_vllm_points_kept_as_a_check_tpot_within_ten_percent():
    """Llama-3.3-70B on one MI355X (vLLM, FP8 and MXFP4; not fitted): decode is predicted from NVIDIA efficiencies
    within 10 %; TTFT is the documented gap (docs/perf_model.md), not asserted here."""
    import polars as pl

    _, ev = _check_rows("amd_dense_serving.csv", 2)
    assert ev.filter((pl.col("tpot_pred") / pl.col("tpot") - 1).abs() > 0.10).is_empty(), ev.select("tpot", "tpot_pred")


def test_amd_dense_tp8_points_kept_as_a_check_show_the_documented_gap():
    """Llama-3.3-70B FP8 on 8 x MI355X (vLLM 0.15.1, TP 8; llm-d's MI355X reference, not fitted: TPOT is the median
    ITL there): the NVIDIA efficiencies predict decode 1.2-2.7x too fast (more at 16k context) and TTFT 2-5x too
    fast — the gap docs/perf_model.md states; a change that moves it must restate it there."""
    import polars as pl

    rows, ev = _check_rows("amd_llmd_serving.csv", 7)
    assert set(rows["p_tp"]) == {8.0} and set(rows["gpu_id"]) == {"mi355x"}
    ev = ev.with_columns(tpot_ratio=pl.col("tpot") / pl.col("tpot_pred"), ttft_ratio=pl.col("ttft") / pl.col("ttft_pred"))
    assert ev["tpot_ratio"].min() > 1.1 and ev["tpot_ratio"].max() < 3.0, ev.select("id", "tpot_ratio")
    assert ev["ttft_ratio"].min() > 2.0 and ev["ttft_ratio"].max() < 6.0, ev.select("id", "ttft_ratio")
    # the long-context rows are the slow ones: attention over 16k tokens, not the weights, is what runs slower
    long = ev.filter(pl.col("id").str.contains("16384x2048"))["tpot_ratio"]
    short = ev.filter(pl.col("id").str.contains("4096x4096"))["tpot_ratio"]
    assert long.min() > short.max()


def test_the_what_if_range_holds_every_amd_dense_check_run():
    """The checks are not fitted, so the central prediction keeps the gap above; the 80 % range a user sees for a dense
    model on an AMD part must not pretend otherwise: every check run's TTFT and TPOT lie inside it (before this, 8 of
    the 9 measured TTFTs were above it)."""
    from tokenomics.pricing.perf import whatif

    for name, expected in (("amd_llmd_serving.csv", 7), ("amd_dense_serving.csv", 2)):
        rows, _ = _check_rows(name, expected)
        for r in rows.iter_rows(named=True):
            p = whatif.point("llama-3.3-70b", r["gpu_id"], r["precision_id"], int(r["d_tp"]), int(r["isl"]),
                             int(r["osl"]), int(r["conc"]))
            assert p["ttft_ms_lo"] <= r["silicon_ttft_ms"] <= p["ttft_ms_hi"] * 1.001, (r["id"], p["ttft_ms_hi"])
            assert p["tpot_ms_lo"] <= r["silicon_tpot_ms"] <= p["tpot_ms_hi"] * 1.001, (r["id"], p["tpot_ms_hi"])
            band = p["uncertainty_80pct_measured_over_predicted"]
            assert band["checked_rows"] >= 1 and band["measured"] == "gpu, other model class"  # MI355X: MoE runs only
    # an NVIDIA part's range is its own held-out one, untouched by the AMD checks
    nvidia = whatif.point("llama-3.3-70b", "h100-sxm", "fp8", 8, 1024, 256, 16)["uncertainty_80pct_measured_over_predicted"]
    assert "checked_rows" not in nvidia and nvidia["ttft"][1] < 2.0

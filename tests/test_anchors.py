"""Measured neighbours (pricing/perf/anchors.py): hand-computed corrections at each level, and the what-if
answering a measured configuration with its measurement."""

import math

import numpy as np
import polars as pl
import pytest

from tokenomics.pricing.perf import anchors, model, whatif

KEY = anchors.layout_key("m", "g", "fp8", "vllm", True, (2, 1), (2, 1))
LN2 = math.log(2)


def _table():
    # one layout measured at 1024x1024, concurrency 4 (measured 2x the physics) and 16 (exactly the physics),
    # TPOT 1.5x at both; and at 8192x1024, concurrency 8, measured half the physics (TTFT) and TPOT exact.
    return anchors.build(pl.DataFrame({
        "key": [KEY] * 4, "conc": [4.0, 16.0, 16.0, 8.0], "isl": [1024.0, 1024.0, 1024.0, 8192.0],
        "osl": [1024.0] * 4, "ttft_ratio": [2.0, 0.9, 1 / 0.9, 0.5], "tpot_ratio": [1.5, 1.5, 1.5, 1.0]}))


def test_repeats_merge_by_median_and_points_are_logs():
    points = _table()[KEY]
    assert len(points) == 3  # the two measurements at concurrency 16 are one point
    at16 = [p for p in points if p[0] == pytest.approx(math.log(16), abs=1e-6)][0]
    # median of log 0.9 and log(1/0.9) = 0: the physics was right on average
    assert at16[3] == pytest.approx(0.0, abs=1e-6) and at16[4] == pytest.approx(math.log(1.5), abs=1e-6)


def test_a_disaggregated_points_repeats_merge_by_their_lowest_ttft():
    dis = anchors.layout_key("m", "g", "fp8", "sglang", False, (8, 1), (8, 1))
    points = anchors.build(pl.DataFrame({
        "key": [KEY, KEY, dis, dis], "conc": [16.0] * 4, "isl": [1024.0] * 4, "osl": [1024.0] * 4,
        "ttft_ratio": [1.0, 4.0, 1.0, 4.0], "tpot_ratio": [1.0, 4.0, 1.0, 4.0]}))
    # aggregated: the median of log 1 and log 4 = log 2; disaggregated: the lowest TTFT (a stall only adds), log 1;
    # TPOT by the median in both
    assert points[KEY][0][3] == pytest.approx(math.log(2), abs=1e-6)
    assert points[dis][0][3] == pytest.approx(0.0, abs=1e-6)
    assert points[dis][0][4] == pytest.approx(math.log(2), abs=1e-6)


def test_series_level_interpolates_in_log_concurrency_and_holds_flat_beyond_the_ends():
    table = _table()
    conc = np.array([8.0, 2.0, 64.0])
    f_ttft, f_tpot, level = anchors.correct(table, np.array([KEY] * 3), conc, np.full(3, 1000.0), np.full(3, 1050.0))
    assert list(level) == ["series"] * 3  # 1000 and 1050 are within 10 % of 1024
    # concurrency 8 is halfway between 4 and 16 in log: log ratio = (ln 2 + 0) / 2 -> factor sqrt(2)
    assert f_ttft[0] == pytest.approx(math.sqrt(2), rel=1e-5)
    assert f_ttft[1] == pytest.approx(2.0, rel=1e-5) and f_ttft[2] == pytest.approx(1.0, abs=1e-5)
    assert f_tpot == pytest.approx([1.5] * 3, rel=1e-5)


def test_layout_level_weights_the_nearest_points_by_inverse_distance():
    table = _table()
    f_ttft, _, level = anchors.correct(table, np.array([KEY]), np.array([8.0]), np.array([4096.0]),
                                       np.array([1024.0]))
    assert level[0] == "layout"
    # distances in (log c, log isl, log osl) from (ln 8, ln 4096, ln 1024):
    #   c4/1024:  sqrt(ln2^2 + (2 ln2)^2) = ln2 * sqrt 5;  c16/1024: the same;  c8/8192: ln 2
    # weights 1/(d + 0.3); log ratios ln 2, 0, -ln 2
    d = [LN2 * math.sqrt(5), LN2 * math.sqrt(5), LN2]
    w = [1 / (x + anchors.SMOOTH) for x in d]
    expected = (w[0] * LN2 + w[1] * 0 + w[2] * -LN2) / sum(w)
    assert f_ttft[0] == pytest.approx(math.exp(expected), rel=1e-5)


def test_an_unmeasured_layout_is_physics_alone_and_held_points_are_left_out():
    table = _table()
    f_ttft, f_tpot, level = anchors.correct(table, np.array(["other"]), np.array([4.0]), np.array([1024.0]),
                                            np.array([1024.0]))
    assert (f_ttft[0], f_tpot[0], level[0]) == (1.0, 1.0, "none")
    # hold 'point': concurrency 4 itself is left out, so the series answers from concurrency 16 (flat)
    f_ttft, _, level = anchors.correct(table, np.array([KEY]), np.array([4.0]), np.array([1024.0]),
                                       np.array([1024.0]), hold="point")
    assert (level[0], f_ttft[0]) == ("series", pytest.approx(1.0, abs=1e-5))
    # hold 'shape': no 1024x1024 point left, so the layout level answers (from 8192x1024 only)
    f_ttft, _, level = anchors.correct(table, np.array([KEY]), np.array([4.0]), np.array([1024.0]),
                                       np.array([1024.0]), hold="shape")
    assert (level[0], f_ttft[0]) == ("layout", pytest.approx(0.5, rel=1e-5))


def test_family_level_takes_the_other_layouts_of_the_model_gpu_and_engine_at_this_shape():
    # the family (model m, GPU g, vLLM, aggregated) measured at 1024x1024 with TP 2 (_table: log ratios ln 2 at
    # concurrency 4, 0 at 16) and with TP 4 in bf16 (log ratio ln 4 at concurrency 8); another engine's layout
    # (sglang, log ratio ln 8) is not family.  Asked about TP 8 fp8 at 1000x1050 (the same shape within 10 %):
    # median of the points ln 2, 0, ln 4 = ln 2, shrunk by n layouts / (n + 0.5) = 2 / 2.5 -> factor 2 ** 0.8;
    # TPOT stays the physics' (1)
    tp4 = anchors.layout_key("m", "g", "bf16", "vllm", True, (4, 1), (4, 1))
    other_engine = anchors.layout_key("m", "g", "fp8", "sglang", True, (8, 1), (8, 1))
    table = {**_table(), **anchors.build(pl.DataFrame({
        "key": [tp4, other_engine], "conc": [8.0, 8.0], "isl": [1024.0] * 2, "osl": [1024.0] * 2,
        "ttft_ratio": [4.0, 8.0], "tpot_ratio": [3.0, 3.0]}))}
    tp8 = anchors.layout_key("m", "g", "fp8", "vllm", True, (8, 1), (8, 1))
    f_ttft, f_tpot, level = anchors.correct(table, np.array([tp8, tp8]), np.array([32.0, 32.0]),
                                            np.array([1000.0, 8192.0]), np.array([1050.0, 1024.0]))
    assert level[0] == "family" and f_ttft[0] == pytest.approx(2 ** 0.8, rel=1e-5) and f_tpot[0] == 1.0
    # at 8192x1024 only TP 2 was measured in the family: one layout, log ratio -ln 2, shrunk 1 / 1.5 -> 2 ** (-2/3)
    assert level[1] == "family" and f_ttft[1] == pytest.approx(2 ** (-2 / 3), rel=1e-5)
    # hold 'layout' leaves TP 2's own points out: its family answers from TP 4 alone (ln 4 x 2/3)
    f_ttft, _, level = anchors.correct(table, np.array([KEY]), np.array([4.0]), np.array([1024.0]),
                                       np.array([1024.0]), hold="layout")
    assert (level[0], f_ttft[0]) == ("family", pytest.approx(4 ** (2 / 3), rel=1e-5))
    # a shape no layout of the family ran: physics alone
    _, _, level = anchors.correct(table, np.array([tp8]), np.array([4.0]), np.array([128.0]), np.array([128.0]))
    assert level[0] == "none"


def test_layout_level_blends_in_the_family_where_it_was_measured_at_this_shape():
    # TP 2 (_table) never ran 2048x1024; TP 4 of its family did (log ratio ln 4, one layout: family ln 4 x 2/3).
    # The layout level from TP 2's own points at (ln 8, ln 2048, ln 1024): distances ln2 sqrt2 (c4 and c16 at 1024)
    # and 2 ln2 (c8 at 8192), weights 1/(d + 0.3), log ratios ln 2, 0, -ln 2; then 0.7 x that + 0.3 x ln 4 x 2/3
    tp4 = anchors.layout_key("m", "g", "bf16", "vllm", True, (4, 1), (4, 1))
    table = {**_table(), **anchors.build(pl.DataFrame({
        "key": [tp4], "conc": [8.0], "isl": [2048.0], "osl": [1024.0], "ttft_ratio": [4.0], "tpot_ratio": [3.0]}))}
    f_ttft, f_tpot, level = anchors.correct(table, np.array([KEY]), np.array([8.0]), np.array([2048.0]),
                                            np.array([1024.0]))
    d = [LN2 * math.sqrt(2), LN2 * math.sqrt(2), 2 * LN2]
    w = [1 / (x + anchors.SMOOTH) for x in d]
    own = (w[0] * LN2 + w[1] * 0 + w[2] * -LN2) / sum(w)
    assert level[0] == "layout"
    assert f_ttft[0] == pytest.approx(math.exp(0.7 * own + 0.3 * math.log(4) * 2 / 3), rel=1e-5)
    # TPOT stays the layout's own neighbours (1.5, 1.5, 1.0 by the same weights)
    assert f_tpot[0] == pytest.approx(math.exp((w[0] + w[1]) * math.log(1.5) / sum(w)), rel=1e-5)


def test_layout_level_moves_the_layouts_own_series_to_the_shape_as_its_family_moved():
    a = anchors.layout_key("m", "g", "fp8", "vllm", True, (1, 1), (1, 1))  # one family: m, g, vllm, aggregated
    b = anchors.layout_key("m", "g", "fp8", "vllm", True, (2, 1), (2, 1))
    table = anchors.build(pl.DataFrame({  # A ran 1k/1k (2x the physics) and 1k/8k (half); B only 1k/1k (exact)
        "key": [a, a, b], "conc": [8.0] * 3, "isl": [1024.0] * 3, "osl": [1024.0, 8192.0, 1024.0],
        "ttft_ratio": [2.0, 0.5, 1.0], "tpot_ratio": [1.0, 1.0, 1.25]}))
    f_ttft, f_tpot, level = anchors.correct(table, np.array([b]), np.array([8.0]), np.array([1024.0]),
                                            np.array([8192.0]))
    assert level[0] == "layout"
    # B at 1k/8k: its nearest points say log 1 = 0; the family at 1k/8k says -ln 2 shrunk by 1 / (1 + 0.5): blended
    # 0.7 x 0 + 0.3 x (-2/3 ln 2) = -0.2 ln 2.  Its own series moved as A moved from 1k/1k to 1k/8k: 0 + (-ln 2 - ln 2)
    # x 1 / 1.5 = -4/3 ln 2.  Half of each: -(0.1 + 2/3) ln 2
    assert f_ttft[0] == pytest.approx(2 ** -(0.1 + 2 / 3), rel=1e-5)
    assert f_tpot[0] == pytest.approx(1.25, rel=1e-5)  # TPOT: its own points only
    # without another layout that ran both shapes there is no shift: B alone at 1k/4k keeps its nearest-points answer
    f_alone, _, _ = anchors.correct(anchors.build(pl.DataFrame({
        "key": [b], "conc": [8.0], "isl": [1024.0], "osl": [1024.0], "ttft_ratio": [1.5], "tpot_ratio": [1.0]})),
        np.array([b]), np.array([8.0]), np.array([1024.0]), np.array([4096.0]))
    assert f_alone[0] == pytest.approx(1.5, rel=1e-5)


def test_the_whatif_answers_a_measured_configuration_with_its_measurement():
    # tests/fixtures/silicon_sample.csv measured this point twice (TP 2, concurrency 64): ..._c64_cfg732 on vLLM
    # 0.19 (TTFT 194.18 ms, TPOT 22.23 ms) and 2026_03_25_..._c64_tp2_0_ep1_0_5 on a nightly (173.53 ms, 22.38 ms):
    # the answer is their geometric mean (the median of two log ratios)
    p = whatif.point("MiniMaxAI/MiniMax-M2.5", "b300-sxm", "fp8", 2, 1024, 1024, 64)
    assert p["anchor"] == "series"
    assert p["ttft_ms"] == pytest.approx(math.sqrt(194.18 * 173.53), rel=0.01)
    assert p["tpot_ms"] == pytest.approx(math.sqrt(22.23 * 22.38), rel=0.01)
    assert p["uncertainty_80pct_measured_over_predicted"]["anchor"] == "series"
    # a request shape the layout never ran: the layout level, with its own (wider) range
    q = whatif.point("MiniMaxAI/MiniMax-M2.5", "b300-sxm", "fp8", 2, 3000, 300, 64)
    assert q["anchor"] == "layout"
    wide = q["ttft_ms_hi"] / q["ttft_ms_lo"]
    assert wide > p["ttft_ms_hi"] / p["ttft_ms_lo"]


def test_amd_parts_are_calibrated_on_their_own_measurements():
    """InferenceX's MI300X/MI325X/MI355X rows (tests/fixtures/real/amd) are in the fit: each part's efficiency
    factor against the NVIDIA-fitted coefficients, its own report rows and range, and anchors on its series."""
    from tokenomics.pricing.perf.model import WIDEN_GPU, band, calibration

    cal = calibration()
    assert cal["reference_vendor"] == "nvidia"
    assert {"mi300x/moe", "mi325x/moe", "mi355x/moe"} <= set(cal["coefficients"]["parts"])
    assert {"mi300x/fp8", "mi325x/fp8", "mi355x/fp8", "mi355x/mxfp4"} <= set(cal["measured"])
    # MI300X on ROCm decodes slower than its datasheet peak says, by the NVIDIA parts' standard
    assert cal["coefficients"]["parts"]["mi300x/moe"][0] > 1.2
    assert band(True, "fp8", "mi300x")["regime"] == "amd:moe/8-16bit/agg"
    # a dense model on MI300X was never measured: NVIDIA efficiencies stand in, with the never-measured width
    assert band(False, "fp8", "mi300x")["widened_by"] == WIDEN_GPU
    # measured twice at concurrency 16 (SGLang 0.5.9 and 0.5.12): TPOT 30.94 and 21.01 ms, TTFT 476.9 and 617.5 ms;
    # the anchored answer lies between the two runs (their geometric mean)
    p = whatif.point("deepseek-ai/DeepSeek-R1-0528", "mi300x", "fp8", 8, 1024, 1024, 16, engine="sglang")
    assert p["anchor"] == "series"
    assert p["tpot_ms"] == pytest.approx(math.sqrt(30.944 * 21.011), rel=0.02)
    assert 476.9 <= p["ttft_ms"] <= 617.5


def test_an_anchored_range_is_never_a_handful_of_rows():
    # DeepSeek on MI300X at TP 4 is answered at the family level, where the committed report holds 2 AMD held-out
    # rows (a range of 1.35-1.50 that excluded the prediction): the pooled family range stands in, from many rows
    df = whatif.evaluate("deepseek-v3", ["mi300x"], ["fp8"], [4], [16], 1024, 1024, engine="sglang")
    assert df["anchor"][0] == "family"
    b = model.band(True, "fp8", "mi300x", anchor="family")
    assert b["rows"] >= model.MIN_BAND_ROWS and b["ttft"][0] < 1 < b["ttft"][1]
    assert df["ttft_ms_lo"][0] < df["ttft_ms"][0] < df["ttft_ms_hi"][0]

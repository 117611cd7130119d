"""What the public sources state about calibration rows (tests/fixtures/real/inferencex/) and how the fit uses it."""

from __future__ import annotations

import polars as pl

from tokenomics.pricing.perf import fit

CSV = fit.CALIBRATION_FILES[0]


def _raw() -> pl.DataFrame:
    return pl.read_csv(CSV, infer_schema_length=None)


def test_every_stated_row_is_a_calibration_row_and_stated_layouts_agree_with_their_gpu_totals():
    raw = _raw()
    for path in fit.STATED_FILES:
        stated = pl.read_csv(path, infer_schema_length=None)
        assert stated["id"].is_unique().all(), path
        joined = stated.join(raw.select("id", "mode"), on="id", how="left")
        assert joined["mode"].null_count() == 0, path.name          # no id the calibration file lacks
        if "spec_method" in stated.columns:
            assert set(stated["spec_method"].drop_nulls()) <= {"none", "mtp"}, path.name
        if "num_gpu" in stated.columns:  # an aggregated run's layout: its GPUs are TP x DP (EP inside those ranks)
            assert set(joined["mode"]) == {"agg"}, path.name
            gpus = pl.col("tp_size") * pl.col("attention_dp_size") * pl.col("pp_size")
            assert stated.filter(gpus != pl.col("num_gpu")).height == 0, path.name
            continue
        if "prefill_tp_size" not in stated.columns:
            continue
        assert set(joined["mode"]) == {"disagg"}, path.name
        with_layout = stated.filter(pl.col("prefill_tp_size").is_not_null() & pl.col("num_prefill_gpu").is_not_null())
        assert with_layout.height > 100
        # workers x GPUs per worker = the GPU totals the dashboard record states
        for phase in ("prefill", "decode"):
            gpus = (pl.col(f"{phase}_num_workers") * pl.col(f"{phase}_tp_size") * pl.col(f"{phase}_attention_dp_size"))
            assert with_layout.filter(gpus != pl.col(f"num_{phase}_gpu")).height == 0, phase


def test_a_stated_layout_is_used_and_the_gpus_behind_the_row_follow_from_it():
    rows, _ = fit.load_calibration(fit.CALIBRATION_FILES)
    # source A: 1 prefill worker of TP8 + 3 decode workers of TP8 (the file itself has no worker counts)
    row = rows.filter(pl.col("id") == "2026_03_25_deepseek_r1_b200_sxm_sglang_fp8_disagg_1024x1024_c32_tp8_0_ep8_0_543")
    assert row.select("p_workers", "p_tp", "p_dp", "d_workers", "d_tp", "d_dp").row(0) == (1, 8, 1, 3, 8, 1)
    assert row["gpus"][0] == 8 * 1 * 1 + 8 * 1 * 3  # = 32
    assert _raw().filter(pl.col("id") == row["id"][0])["decode_num_workers"][0] is None


def test_speculative_runs_and_unstated_layouts_are_skipped_with_their_reason():
    rows, skipped = fit.load_calibration(fit.CALIBRATION_FILES)
    reason = dict(skipped.select("id", "skip_reason").iter_rows())
    mtp = "2026_03_25_deepseek_r1_b200_sxm_trtllm_fp8_disagg_1024x1024_c1600_tp8_0_ep8_0_355"
    assert reason[mtp].startswith("speculative decoding (MTP)")
    workers_only = "2026_03_25_deepseek_r1_h200_sxm_trtllm_fp8_disagg_8192x1024_c512_tp8_0_ep8_0_370"
    assert reason[workers_only].startswith("disaggregated run whose per-phase layout no source states")
    facts = fit.stated_facts()
    stated_mtp = set(facts.filter(pl.col("spec_method") == "mtp")["id"])
    assert stated_mtp and not stated_mtp & set(rows["id"])
    # every input row is used or skipped, once
    assert rows.height + skipped.height == sum(pl.read_csv(p, infer_schema_length=None).height
                                              for p in fit.CALIBRATION_FILES)
    assert rows["id"].is_unique().all()


def test_without_stated_files_the_rows_stay_as_the_file_has_them(tmp_path):
    rows, skipped = fit.load_calibration(fit.CALIBRATION_FILES, stated=())
    with_facts, _ = fit.load_calibration(fit.CALIBRATION_FILES)
    # +994 disaggregated runs with stated workers, -62 without a stated layout, -440 stated to decode speculatively,
    # less the repeats among them
    assert with_facts.height > rows.height + 150
    # a run the sources say decoded speculatively is fitted when nothing says so
    mtp = set(fit.stated_facts().filter(pl.col("spec_method") == "mtp")["id"])
    assert mtp & set(rows["id"]) and not mtp & set(with_facts["id"])
    # an installed product has no tests/ folder: stated files that are not there are none
    alone, _ = fit.load_calibration(fit.CALIBRATION_FILES, stated=(tmp_path / "absent.csv",))
    assert alone.height == rows.height


def test_the_stated_files_never_contradict_each_other():
    frames = [f.select("id", "spec_method") for f in (pl.read_csv(p, infer_schema_length=None) for p in fit.STATED_FILES)
              if "spec_method" in f.columns]
    assert len(frames) == 2
    both = frames[0].join(frames[1], on="id", suffix="_other").drop_nulls()
    assert both.height > 100
    assert both.filter(pl.col("spec_method") != pl.col("spec_method_other")).height == 0


def test_aggregated_runs_take_their_stated_layout_and_fit_on_one_node():
    rows, _ = fit.load_calibration(fit.CALIBRATION_FILES)
    # DeepSeek-R1 on B200, SGLang: the file records tp_size 64 (TP 8 x EP 8); the recipe states TP 8, EP 8: 8 GPUs
    stated = pl.read_csv(fit.STATED_FILES[2], infer_schema_length=None)
    example = stated.join(_raw().select("id", "tp_size", "system"), on="id", suffix="_file").filter(
        (pl.col("tp_size_file") == 64) & (pl.col("system") == "b200_sxm") & pl.col("id").is_in(rows["id"].implode())
    ).row(0, named=True)
    assert (example["tp_size"], example["moe_ep_size"], example["num_gpu"]) == (8, 8, 8)
    row = rows.filter(pl.col("id") == example["id"])
    assert row["gpus"][0] == 8
    # no aggregated run the fit uses claims more GPUs than one node of its system holds (8; an NVL72 rack's 72)
    one_node = rows.filter((pl.col("agg") == 1) & pl.col("gpu_id").is_in(["h100-sxm", "h200-sxm", "b200-sxm", "b300-sxm"]))
    assert one_node.height > 1500 and one_node["gpus"].max() <= 8
    minimax = "minimaxm2_5_b300_vllm_fp8_agg_1024x1024_c512_cfg734"  # TP 4 x DP 4 recorded, no source states which
    assert minimax not in set(rows["id"])


def test_a_measurement_repeated_under_another_id_is_used_once():
    rows, skipped = fit.load_calibration(fit.CALIBRATION_FILES)
    # one DeepSeek-R1 B200 FP4 8k/1k run at 10 users, in the db-dump and in both older dumps: TTFT 694.854658 ms
    twins = ["dsr1_b200_trtllm_fp4_disagg_8192x1024_c10_cfg320",
             "2026_03_25_deepseek_r1_b200_sxm_trtllm_fp4_disagg_8192x1024_c10_tp4_0_ep4_0_1144",
             "2026_04_06_deepseek_r1_b200_sxm_trtllm_fp4_disagg_8192x1024_c10_tp4_ep4_1272"]
    used = rows.filter(pl.col("id").is_in(twins))
    assert used.height == 1
    reasons = skipped.filter(pl.col("id").is_in(twins))["skip_reason"].to_list()
    assert reasons == [fit.REPEATED] * 2
    # no measurement is used twice
    assert rows.select(fit.MEASUREMENT).is_duplicated().sum() == 0


def test_a_repeat_of_a_speculative_run_is_skipped_with_it():
    rows, skipped = fit.load_calibration(fit.CALIBRATION_FILES)
    mtp_ids = set(fit.stated_facts().filter(pl.col("spec_method") == "mtp")["id"])
    mtp_runs = skipped.filter(pl.col("id").is_in(list(mtp_ids))).select(fit.MEASUREMENT).unique()
    assert mtp_runs.height > 100
    assert rows.join(mtp_runs, on=list(fit.MEASUREMENT), how="semi", nulls_equal=True).is_empty()
    # the db-dump copy of two older-dump runs stated MTP
    assert skipped.filter(pl.col("id") == "dsr1_gb200_trtllm_fp4_disagg_1024x8192_c7_cfg423")["skip_reason"].to_list() \
        == ["speculative decoding (MTP): the physics models one token per decode step"]


def test_the_stated_files_state_disjoint_layout_columns():
    layout = {path.name: {c for c in pl.read_csv(path, n_rows=1).columns
                          if c.endswith(("_size", "_num_workers"))} for path in fit.STATED_FILES}
    names = list(layout)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not layout[a] & layout[b], (a, b)


def test_a_run_not_in_steady_state_is_skipped_and_a_capacity_cliff_is_kept():
    rows, skipped = fit.load_calibration(fit.CALIBRATION_FILES)
    reason = dict(skipped.select("id", "skip_reason").iter_rows())
    # DeepSeek-R1 on GB200, TensorRT-LLM FP4 disaggregated at 1k/1k with 4 decode workers: 5 users (1.25 per decode
    # worker) waited 3,721 ms for the first token where 12 users (3 per worker) waited 209 ms: a warm-up
    assert reason["2026_03_25_deepseek_r1_gb200_trtllm_fp4_disagg_1024x1024_c5_tp4_0_ep4_0_394"] == fit.NOT_STEADY
    # a stalled repeat at 48 users (2,138 ms) beside the other dump's 266 ms, and 311 ms at 96 users
    assert reason["2026_03_25_deepseek_r1_gb200_trtllm_fp4_disagg_1024x1024_c48_tp4_0_ep4_0_419"] == fit.NOT_STEADY
    # TTFT rising with users is a steady state, however steep: 192 users, past the prefill workers' capacity, waited
    # 4,790 ms (15x the 311 ms at 96) and stay, with the 266 ms at 48
    used = set(rows["id"])
    assert {"dsr1_gb200_trtllm_fp4_disagg_1024x1024_c192_cfg388", "dsr1_gb200_trtllm_fp4_disagg_1024x1024_c48_cfg388",
            "dsr1_gb200_trtllm_fp4_disagg_1024x1024_c96_cfg388"} <= used
    # few runs: 45 of 3,481, from the fit and from every error figure alike
    assert (skipped["skip_reason"] == fit.NOT_STEADY).sum() == 45 and rows.height == 3436

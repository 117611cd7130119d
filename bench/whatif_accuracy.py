"""Held-out accuracy of the what-if model, per regime, against issue 5's bar.

Run: .venv/bin/python bench/whatif_accuracy.py [CSV]   (default: tests/fixtures/silicon_sample.csv)
Refits on the training split (same deterministic split as `tokenomics calibrate`), then prints the
median absolute % error of TPOT, throughput per GPU and TTFT on held-out rows next to a baseline: the
uncalibrated roofline (every efficiency coefficient = 1, no overheads), so the table shows what the
fit buys.  Exit code 1 if a target is missed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pricing.perf import fit, physics  # noqa: E402

TARGET = {"dense/8-16bit": 15.0}  # everything else (MoE, FP4): 30 %


def _roofline() -> dict:
    ones = lambda names: [1.0 if n in physics.LOWER_BOUNDS else 0.0 for n in names]  # noqa: E731
    key = "*/dense/agg"
    sets = {"tpot": {k: ones(physics.TPOT_FEATURES) for k in (key, "*/moe/agg", "*/moe/disagg", "*/dense/disagg")},
            "ttft": {k: ones(physics.TTFT_FEATURES) for k in (key, "*/moe/agg", "*/moe/disagg", "*/dense/disagg")}}
    return sets


def main(csv: Path) -> int:
    rows, skipped = fit.load_calibration(csv)
    coefficients = fit.fit(rows)
    calibrated = fit.evaluate(rows, coefficients).filter(pl.col("holdout"))
    baseline = fit.evaluate(rows, _roofline()).filter(pl.col("holdout"))
    err = lambda df, m: ((pl.col(f"{m}_pred") / pl.col(m) - 1).abs().median() * 100).round(1)  # noqa: E731
    table = calibrated.group_by("regime").agg(pl.len().alias("rows"), *(err(calibrated, m).alias(m) for m in
                                                                         ("tpot", "throughput", "ttft")))
    base = baseline.group_by("regime").agg(*(err(baseline, m).alias(f"{m}_roofline") for m in ("tpot", "throughput")))
    table = table.join(base, on="regime").sort("regime")
    print(f"calibration rows used {rows.height}, skipped {skipped.height}: "
          f"{dict(skipped.group_by('skip_reason').len().iter_rows())}")
    print(f"{'regime (held-out)':<22}{'rows':>6}{'TPOT %':>9}{'thru %':>9}{'TTFT %':>9}"
          f"{'roofline TPOT %':>17}{'roofline thru %':>17}{'target':>8}  ok")
    failed = False
    for r in table.iter_rows(named=True):
        target = TARGET.get(r["regime"].rsplit("/", 1)[0], 30.0)
        ok = r["tpot"] <= target and r["throughput"] <= target
        failed |= not ok
        print(f"{r['regime']:<22}{r['rows']:>6}{r['tpot']:>9}{r['throughput']:>9}{r['ttft']:>9}"
              f"{r['tpot_roofline']:>17}{r['throughput_roofline']:>17}{target:>8}  {'yes' if ok else 'NO'}")
    return 1 if failed else 0


if __name__ == "__main__":
    default = ROOT / "tests" / "fixtures" / "silicon_sample.csv"
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))

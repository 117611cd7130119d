"""Held-out accuracy of the what-if model, per regime, against issue 22's bars.

Run: .venv/bin/python bench/whatif_accuracy.py [CSV]   (default: tests/fixtures/silicon_sample.csv)
Refits on the training split (same deterministic split as `tokenomics calibrate`), then prints the
median absolute % error of TPOT, throughput per GPU and TTFT on held-out rows next to a baseline: the
uncalibrated roofline (every efficiency coefficient = 1, no overheads), so the table shows what the
fit buys.  Bars (issue 22): TPOT <= 10 % dense, <= 20 % MoE; throughput <= 15 % dense (issue 5),
<= 20 % MoE; TTFT <= 20 % everywhere.  Exit code 1 if any bar is missed (each miss is printed).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pricing.perf import fit, physics  # noqa: E402

METRICS = ("tpot", "throughput", "ttft")


def target(regime: str, metric: str) -> float:
    """Issue 22's bar for one regime ('moe/fp4/agg') and metric."""
    dense = regime.startswith("dense/")
    return {"tpot": 10.0 if dense else 20.0, "throughput": 15.0 if dense else 20.0, "ttft": 20.0}[metric]


def _roofline() -> dict:
    ones = lambda names: [1.0 if n in physics.LOWER_BOUNDS else 0.0 for n in names]  # noqa: E731
    keys = ("*/dense/agg", "*/moe/agg", "*/moe/disagg", "*/dense/disagg")
    return {"tpot": {k: ones(physics.TPOT_FEATURES) for k in keys},
            "ttft": {k: ones(physics.TTFT_FEATURES) for k in keys}}


def table(csv: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(held-out error per regime with the roofline baseline, used rows, skipped rows)."""
    rows, skipped = fit.load_calibration(csv)
    calibrated = fit.evaluate(rows, fit.fit(rows)).filter(pl.col("holdout"))
    baseline = fit.evaluate(rows, _roofline()).filter(pl.col("holdout"))
    err = lambda m: ((pl.col(f"{m}_pred") / pl.col(m) - 1).abs().median() * 100).round(1)  # noqa: E731
    out = calibrated.group_by("regime").agg(pl.len().alias("rows"), *(err(m).alias(m) for m in METRICS))
    base = baseline.group_by("regime").agg(*(err(m).alias(f"{m}_roofline") for m in ("tpot", "throughput")))
    return out.join(base, on="regime").sort("regime"), rows, skipped


def main(csv: Path) -> int:
    out, rows, skipped = table(csv)
    print(f"calibration rows used {rows.height}, skipped {skipped.height}: "
          f"{dict(skipped.group_by('skip_reason').len().iter_rows())}")
    print(f"{'regime (held-out)':<22}{'rows':>6}{'TPOT %':>9}{'thru %':>9}{'TTFT %':>9}"
          f"{'roofline TPOT %':>17}{'roofline thru %':>17}  bars (TPOT/thru/TTFT)")
    misses = []
    for r in out.iter_rows(named=True):
        marks = []
        for m in METRICS:
            bar = target(r["regime"], m)
            ok = r[m] <= bar
            marks.append(f"{bar:g}{'' if ok else '!'}")
            if not ok:
                misses.append(f"{r['regime']} {m} {r[m]} % > {bar:g} %")
        print(f"{r['regime']:<22}{r['rows']:>6}{r['tpot']:>9}{r['throughput']:>9}{r['ttft']:>9}"
              f"{r['tpot_roofline']:>17}{r['throughput_roofline']:>17}  {'/'.join(marks)}")
    for miss in misses:
        print(f"MISSED: {miss}")
    return 1 if misses else 0


if __name__ == "__main__":
    default = ROOT / "tests" / "fixtures" / "silicon_sample.csv"
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))

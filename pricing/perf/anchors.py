"""Measured neighbours: correct the physics by the residual of the nearest measured points of the same layout.

The physics with pooled coefficients misses each configuration's own offset and slope in concurrency (TTFT
within one measured series is a straight line in concurrency to about 5 %, but its intercept and slope vary
with engine flags no public record states).  Where the calibration measured the layout — model, GPU,
precision, engine, serving mode and TP x DP per phase — the prediction is multiplied by the measured/predicted
ratio of its neighbours, at one of three levels:

- ``series``: the layout was measured at this request shape (input and output lengths within ±10 %): the log
  ratio is interpolated linearly in log concurrency (held flat beyond the measured ends);
- ``layout``: measured at other shapes only: inverse-distance mean of the ``K`` nearest points in
  (log concurrency, log input, log output);
- ``none``: never measured: the physics alone.

Each level has its own held-out error and 80 % range in the calibration report.
"""

from __future__ import annotations

import numpy as np
import polars as pl

LEVELS = ("none", "layout", "series")
LABELS = {"none": "physics only (layout never measured)", "layout": "measured layout, other request shapes",
          "series": "measured layout and shape, other concurrencies"}
SHAPE_TOL = np.log(1.1)  # |log isl ratio| and |log osl ratio| within this: the same request shape
K = 4                    # neighbours averaged at the layout level
SMOOTH = 0.3             # added to distances so one very near point does not take all the weight
HOLDS = (None, "point", "shape")  # what evaluation leaves out of the anchors: nothing, the same point, the same shape


def layout_key(model: str, gpu: str, precision: str, engine: str, agg: bool, prefill: tuple[float, float],
               decode: tuple[float, float]) -> str:
    """One layout's key: the configuration minus concurrency and request shape."""
    mode = "agg" if agg else "disagg"
    return (f"{model}|{gpu}|{precision}|{engine}|{mode}|{prefill[0]:g}x{prefill[1]:g}|"
            f"{decode[0]:g}x{decode[1]:g}")


def build(points: pl.DataFrame) -> dict[str, list[list[float]]]:
    """Anchors per layout: [log conc, log isl, log osl, log ratio TTFT, log ratio TPOT], repeats merged by median.

    ``points`` holds key, conc, isl, osl and the measured/predicted ratios ttft_ratio, tpot_ratio.
    """
    merged = (points.group_by("key", "conc", "isl", "osl")
              .agg(pl.col("ttft_ratio").log().median().alias("r_ttft"), pl.col("tpot_ratio").log().median().alias("r_tpot"))
              .sort("key", "isl", "osl", "conc"))
    out: dict[str, list[list[float]]] = {}
    for key, c, i, o, rt, rp in merged.iter_rows():
        out.setdefault(key, []).append([round(float(np.log(c)), 6), round(float(np.log(i)), 6),
                                        round(float(np.log(o)), 6), round(rt, 6), round(rp, 6)])
    return out


def _one(points: np.ndarray, lc: float, li: float, lo: float, hold: str | None) -> tuple[float, float, str]:
    """(log ratio TTFT, log ratio TPOT, level) for one configuration from its layout's anchors."""
    same_shape = (np.abs(points[:, 1] - li) <= SHAPE_TOL) & (np.abs(points[:, 2] - lo) <= SHAPE_TOL)
    if hold:
        drop = same_shape & ((np.abs(points[:, 0] - lc) <= 1e-4) if hold == "point" else True)
        points, same_shape = points[~drop], same_shape[~drop]
    if same_shape.any():
        series = points[same_shape]
        order = np.argsort(series[:, 0])
        x = series[order, 0]
        return (float(np.interp(lc, x, series[order, 3])), float(np.interp(lc, x, series[order, 4])), "series")
    if len(points):
        d = np.sqrt((points[:, 0] - lc) ** 2 + (points[:, 1] - li) ** 2 + (points[:, 2] - lo) ** 2)
        near = np.argsort(d)[:K]
        w = 1 / (d[near] + SMOOTH)
        return (float(w @ points[near, 3] / w.sum()), float(w @ points[near, 4] / w.sum()), "layout")
    return 0.0, 0.0, "none"


def correct(anchors: dict, keys: np.ndarray, conc: np.ndarray, isl: np.ndarray, osl: np.ndarray,
            hold: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per configuration: (TTFT factor, TPOT factor, level), from the anchors of its layout key.

    ``hold`` leaves out what evaluation must not see: 'point' the same concurrency and shape (its repeats),
    'shape' every point of the same shape.
    """
    n = len(keys)
    r_ttft, r_tpot, level = np.zeros(n), np.zeros(n), np.full(n, "none", dtype=object)
    lc, li, lo = np.log(conc), np.log(isl), np.log(osl)
    cache: dict[tuple, tuple[float, float, str]] = {}
    for i, key in enumerate(keys):
        points = anchors.get(str(key))
        if not points:
            continue
        memo = (key, lc[i], li[i], lo[i])
        if memo not in cache:
            cache[memo] = _one(np.asarray(points, dtype=float), lc[i], li[i], lo[i], hold)
        r_ttft[i], r_tpot[i], level[i] = cache[memo]
    return np.exp(r_ttft), np.exp(r_tpot), level.astype(str)

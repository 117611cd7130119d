"""Measured neighbours: correct the physics by the residual of the nearest measured points of the same layout.

The physics with pooled coefficients misses each configuration's own offset and slope in concurrency (TTFT
within one measured series is a straight line in concurrency to about 5 %, but its intercept and slope vary
with engine flags no public record states).  Where the calibration measured the layout — model, GPU,
precision, engine, serving mode and TP x DP per phase — the prediction is multiplied by the measured/predicted
ratio of its neighbours, at one of four levels:

- ``series``: the layout was measured at this request shape (input and output lengths within ±10 %): the log
  ratio is interpolated linearly in log concurrency (held flat beyond the measured ends);
- ``layout``: measured at other shapes only: inverse-distance mean of the ``K`` nearest points in
  (log concurrency, log input, log output), blended with the family's factor (below) where the family was measured
  at this shape (weight ``FAMILY_BLEND``), then with the layout's own series at each shape it ran moved by how far
  the family's other layouts moved between that shape and this one (``SHIFT_BLEND``, ``_shifted``);
- ``family``: the layout never measured, but its model, GPU, engine and serving mode were, at this request shape,
  with other layouts (precision, TP x DP): TTFT times the median ratio of those points, shrunk by the number of
  layouts n (log ratio x n / (n + 0.5)).  Chosen on training rows with each row's own layout left out (TTFT median
  error vs the physics: dense 23.3 -> 17.0 %, dense FP4 21.8 -> 12.9 %, MoE FP4 23.5 -> 19.7 %, MoE 8-16 bit
  21.4 -> 21.7 %, disaggregated 46.4 -> 36.0 % and 49.8 -> 49.5 %); shrinking by points (n / (n + 2)) or taking
  each layout's median first did a little worse, a family with the precision in it or of model and GPU alone
  did worse;
- ``none``: never measured: the physics alone.

Each level has its own held-out error and 80 % range in the calibration report.
"""

from __future__ import annotations

import numpy as np
import polars as pl

LEVELS = ("none", "family", "layout", "series")
LABELS = {"none": "physics only (neither the layout nor its model, GPU and engine at this shape measured)",
          "family": "measured model, GPU and engine at this request shape, other layouts",
          "layout": "measured layout, other request shapes",
          "series": "measured layout and shape, other concurrencies"}
SHAPE_TOL = np.log(1.1)  # |log isl ratio| and |log osl ratio| within this: the same request shape
K = 4                    # neighbours averaged at the layout level
SMOOTH = 0.3             # added to distances so one very near point does not take all the weight
FAMILY_SHRINK = 0.5      # a family factor from n layouts is their points' median log ratio x n / (n + 0.5)
# at the layout level, when the family was also measured at this shape, its TTFT log ratio gets this weight (chosen on
# training rows, own shape left out: row-weighted median TTFT error 22.4 % at 0, 21.4 % at 0.2, 21.1 % at 0.3, 21.0 %
# at 0.4, 21.1 % at 0.5; the aggregated regimes 17.5 % at 0 and 17.2 % for any weight from 0.2 to 0.4)
FAMILY_BLEND = 0.3
# At the layout level, the layout's own series at each shape it ran, read at this concurrency, moved by the median shift
# of the family's other layouts measured at both that shape and this one (a difference in differences: the layout keeps
# its own offset, the family gives the shape's effect — e.g. TensorRT-LLM's TTFT ratio at 1k/8k is about half its
# ratio at 1k/1k on every Llama-70B NVFP4 layout), shrunk by the number of layouts n (x n / (n + 0.5)), shapes
# weighted by inverse distance; blended with the inverse-distance answer at this weight.  Chosen on training rows, own
# shape left out: pooled median TTFT error 18.8 % at 0, 17.7 % at 0.3, 16.2 % at 0.5, 16.3 % at 0.6, 16.8 % at 1;
# per regime at 0.5 dense 15.2 -> 12.9 %, dense FP4 23.1 -> 16.2 %, MoE 16.3 -> 13.7 %, MoE FP4 19.3 -> 19.9 %,
# disaggregated 46.5 -> 38.5 % and 44.3 -> 35.5 %.
SHIFT_BLEND = 0.5
# Repeats of one disaggregated point (same layout, shape and users) differ upward, not both ways: a KV hand-off
# stall or a backlog at the prefill workers adds to a run's TTFT, nothing takes from it.  Their lowest is that point's
# anchor.  Chosen on training rows, each point left out: median TTFT error 27.3 -> 25.2 % (8-16 bit) and 21.7 ->
# 21.3 % (FP4) against the repeats' median; for aggregated layouts the lowest did no better (training rows 9.9 -> 10.1 %
# MoE 8-16 bit, 10.2 -> 10.0 % FP4), so they keep the median (``build``).
# what evaluation leaves out of the anchors: nothing, the same point, the same shape, the whole layout
HOLDS = (None, "point", "shape", "layout")


def layout_key(model: str, gpu: str, precision: str, engine: str, agg: bool, prefill: tuple[float, float],
               decode: tuple[float, float]) -> str:
    """One layout's key: the configuration minus concurrency and request shape."""
    mode = "agg" if agg else "disagg"
    return (f"{model}|{gpu}|{precision}|{engine}|{mode}|{prefill[0]:g}x{prefill[1]:g}|"
            f"{decode[0]:g}x{decode[1]:g}")


def family_key(layout: str) -> str:
    """A layout key's model, GPU, engine and serving mode (``layout_key`` minus precision and TP x DP); a key of
    another form is a family of its own."""
    parts = layout.split("|")
    return "|".join(parts[i] for i in (0, 1, 3, 4)) if len(parts) == 7 else layout


def build(points: pl.DataFrame) -> dict[str, list[list[float]]]:
    """Anchors per layout: [log conc, log isl, log osl, log ratio TTFT, log ratio TPOT], repeats merged by median —
    but a disaggregated layout's TTFT by the lowest repeat (see the note on repeats above).

    ``points`` holds key, conc, isl, osl and the measured/predicted ratios ttft_ratio, tpot_ratio.
    """
    log_ttft = pl.col("ttft_ratio").log()
    merged = (points.group_by("key", "conc", "isl", "osl")
              .agg(pl.when(pl.col("key").first().str.contains("|disagg|", literal=True))
                   .then(log_ttft.min()).otherwise(log_ttft.median()).alias("r_ttft"),
                   pl.col("tpot_ratio").log().median().alias("r_tpot"))
              .sort("key", "isl", "osl", "conc"))
    out: dict[str, list[list[float]]] = {}
    for key, c, i, o, rt, rp in merged.iter_rows():
        out.setdefault(key, []).append([round(float(np.log(c)), 6), round(float(np.log(i)), 6),
                                        round(float(np.log(o)), 6), round(rt, 6), round(rp, 6)])
    return out


def _held(points: np.ndarray, lc: float, li: float, lo: float, hold: str | None) -> np.ndarray:
    """The layout's points less what evaluation must not see: the same point ('point') or every point of this request
    shape ('shape')."""
    if hold not in ("point", "shape"):
        return points
    same_shape = (np.abs(points[:, 1] - li) <= SHAPE_TOL) & (np.abs(points[:, 2] - lo) <= SHAPE_TOL)
    drop = same_shape & ((np.abs(points[:, 0] - lc) <= 1e-4) if hold == "point" else True)
    return points[~drop]


def _one(points: np.ndarray, lc: float, li: float, lo: float, hold: str | None) -> tuple[float, float, str]:
    """(log ratio TTFT, log ratio TPOT, level) for one configuration from its layout's anchors."""
    if hold == "layout":
        return 0.0, 0.0, "none"
    points = _held(points, lc, li, lo, hold)
    same_shape = (np.abs(points[:, 1] - li) <= SHAPE_TOL) & (np.abs(points[:, 2] - lo) <= SHAPE_TOL)
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


def _family(members: list[tuple[str, np.ndarray]], own: str, li: float, lo: float) -> tuple[float, float, str]:
    """(log ratio TTFT, 0, level) from the other layouts of the family measured at this shape: the median of their
    points, shrunk by the number of layouts (points of one series move together).  TPOT stays the physics': on
    training rows the family's TPOT ratio made MoE TPOT worse, 11.3 -> 12.7 %."""
    found = [p[(np.abs(p[:, 1] - li) <= SHAPE_TOL) & (np.abs(p[:, 2] - lo) <= SHAPE_TOL), 3]
             for key, p in members if key != own]
    found = [ratios for ratios in found if len(ratios)]
    if not found:
        return 0.0, 0.0, "none"
    return float(np.median(np.concatenate(found)) * len(found) / (len(found) + FAMILY_SHRINK)), 0.0, "family"


def _shapes(points: np.ndarray) -> list[tuple[float, float, np.ndarray, np.ndarray]]:
    """(log isl, log osl, log concurrencies ascending, their log TTFT ratios) for each request shape the points ran
    (shapes within ``SHAPE_TOL`` are one)."""
    out, left = [], points
    while len(left):
        same = (np.abs(left[:, 1] - left[0, 1]) <= SHAPE_TOL) & (np.abs(left[:, 2] - left[0, 2]) <= SHAPE_TOL)
        series = left[same][np.argsort(left[same][:, 0])]
        out.append((float(left[0, 1]), float(left[0, 2]), series[:, 0], series[:, 3]))
        left = left[~same]
    return out


def _at(shapes: list, li: float, lo: float, lc: float) -> float | None:
    """A layout's log TTFT ratio at concurrency lc in its series of request shape (li, lo); None if it never ran it."""
    for si, so, x, y in shapes:
        if abs(si - li) <= SHAPE_TOL and abs(so - lo) <= SHAPE_TOL:
            return float(np.interp(lc, x, y))
    return None


def _shifted(own: np.ndarray, members: list[tuple[str, list]], key: str, lc: float, li: float,
             lo: float) -> float | None:
    """The layout's log TTFT ratio at a shape it never ran (``own``: its points, none at this shape — the layout
    level's premise), from its own series at the shapes it did, each moved by the median shift of the family's other
    layouts between that shape and this one (see ``SHIFT_BLEND``); None when no other layout of the family ran both."""
    others = [(shapes, here) for k, shapes in members if k != key and (here := _at(shapes, li, lo, lc)) is not None]
    values, weights = [], []
    for si, so, x, y in _shapes(own):
        shifts = [here - there for shapes, here in others if (there := _at(shapes, si, so, lc)) is not None]
        if shifts:
            values.append(float(np.interp(lc, x, y)) + float(np.median(shifts)) * len(shifts)
                          / (len(shifts) + FAMILY_SHRINK))
            weights.append(1 / (np.hypot(si - li, so - lo) + SMOOTH))
    return float(np.dot(weights, values) / np.sum(weights)) if values else None


_TABLES: list[tuple[dict, tuple]] = []  # (anchors, their index) for the last few anchor tables seen


def _index(anchors: dict) -> tuple[dict[str, np.ndarray], dict[str, list[tuple[str, np.ndarray]]], dict[str, list]]:
    """The anchors as arrays per layout, grouped by family, and each family's layouts' series by request shape, built
    once per anchor table (a what-if sweep calls ``correct`` often)."""
    for table, index in _TABLES:
        if table is anchors:
            return index
    arrays = {layout: np.asarray(points, dtype=float) for layout, points in anchors.items()}
    families: dict[str, list[tuple[str, np.ndarray]]] = {}
    for layout, points in arrays.items():
        families.setdefault(family_key(layout), []).append((layout, points))
    shapes = {family: [(layout, _shapes(points)) for layout, points in members] for family, members in families.items()}
    _TABLES[:] = [(anchors, (arrays, families, shapes)), *_TABLES[:3]]
    return arrays, families, shapes


def correct(anchors: dict, keys: np.ndarray, conc: np.ndarray, isl: np.ndarray, osl: np.ndarray,
            hold: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per configuration: (TTFT factor, TPOT factor, level), from the anchors of its layout key.

    ``hold`` leaves out what evaluation must not see: 'point' the same concurrency and shape (its repeats),
    'shape' every point of the same shape, 'layout' every point of the layout (its family's other layouts stay).
    """
    n = len(keys)
    r_ttft, r_tpot, level = np.zeros(n), np.zeros(n), np.full(n, "none", dtype=object)
    lc, li, lo = np.log(conc), np.log(isl), np.log(osl)
    arrays, families, shapes = _index(anchors)
    cache: dict[tuple, tuple[float, float, str]] = {}
    kin_cache: dict[tuple, tuple[float, float, str]] = {}  # the family answer does not depend on concurrency
    for i, key in enumerate(map(str, keys)):
        memo = (key, lc[i], li[i], lo[i])
        if memo not in cache:
            points = arrays.get(key)
            found = _one(points, lc[i], li[i], lo[i], hold) if points is not None and len(points) else (0.0, 0.0, "none")
            if found[2] in ("none", "layout"):
                shape = (key, li[i], lo[i])
                if shape not in kin_cache:
                    kin_cache[shape] = _family(families.get(family_key(key), []), key, li[i], lo[i])
                kin = kin_cache[shape]
                if found[2] == "none":
                    found = kin
                elif kin[2] == "family":  # other shapes of this layout and this shape of its family: both speak
                    found = ((1 - FAMILY_BLEND) * found[0] + FAMILY_BLEND * kin[0], found[1], "layout")
                if found[2] == "layout":  # the layout's own series, moved to this shape as its family moved
                    shifted = _shifted(_held(points, lc[i], li[i], lo[i], hold), shapes.get(family_key(key), []),
                                       key, lc[i], li[i], lo[i])
                    if shifted is not None:
                        found = ((1 - SHIFT_BLEND) * found[0] + SHIFT_BLEND * shifted, found[1], "layout")
            cache[memo] = found
        r_ttft[i], r_tpot[i], level[i] = cache[memo]
    return np.exp(r_ttft), np.exp(r_tpot), level.astype(str)

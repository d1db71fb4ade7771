"""Bootstrap of a window's score cells: F1, average precision and ECE with their intervals.

The cells of one window are joint counts ``(4, K)``: true positives, false
negatives, false positives and true negatives per score bin. The statistics
take cells with any leading batch axes, so one call evaluates every bootstrap
draw; :func:`_shared_bootstrap` draws the resamples once for all of them.

Examples
--------
>>> cells = np.array([[8.0], [2.0], [2.0], [88.0]])  # tp, fn, fp, tn in one bin
>>> round(float(_f1(cells)), 3)
0.8
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = ["BOOT_CELLS", "ECE_BINS", "N_BOOT"]

FloatArray = npt.NDArray[np.float64]

#: Bootstrap draws for F1, average precision and ECE intervals.
N_BOOT = 400
#: Coarse bins of the calibration curve and ECE.
ECE_BINS = 10


def _f1(c: FloatArray) -> FloatArray:
    """F1 of joint cells ``(..., 4, K)``: (tp, fn, fp, tn) per score bin."""
    tp, fn, fp = c[..., 0, :].sum(axis=-1), c[..., 1, :].sum(axis=-1), c[..., 2, :].sum(axis=-1)
    den = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / den, np.nan)


def _ap(c: FloatArray) -> FloatArray:
    """Step-wise average precision of joint cells ``(..., 4, K)``, score bins ascending.

    ``AP = sum_k pos_k / P * precision at the threshold that admits bin k``,
    the value of :func:`modelward.stats.average_precision_binned`.
    """
    p = (c[..., 0, :] + c[..., 1, :])[..., ::-1]
    n = (c[..., 2, :] + c[..., 3, :])[..., ::-1]
    ctp = np.cumsum(p, axis=-1)
    cfp = np.cumsum(n, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(ctp + cfp > 0, ctp / (ctp + cfp), 0.0)
        return np.asarray(np.sum(p * prec, axis=-1) / ctp[..., -1], np.float64)


def _ece_stat(mid: FloatArray) -> Callable[[FloatArray], FloatArray]:
    """ECE of joint cells ``(..., 4, K)`` whose score bins have midpoints ``mid``.

    With ``n_k`` rows, ``s_k`` summed scores and ``y_k`` positives in coarse bin
    ``k``, ``n_k |y_k / n_k - s_k / n_k| = |y_k - s_k|``, so
    ``ECE = sum_k |y_k - s_k| / N``, the value of :func:`modelward.stats.ece`.
    """
    coarse = np.minimum((mid * ECE_BINS).astype(np.int64), ECE_BINS - 1)
    onehot = np.zeros((mid.size, ECE_BINS))
    onehot[np.arange(mid.size), coarse] = 1.0

    def stat(c: FloatArray) -> FloatArray:
        pos = c[..., 0, :] + c[..., 1, :]
        tot = pos + c[..., 2, :] + c[..., 3, :]
        gap = np.abs(pos @ onehot - (tot * mid) @ onehot)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(gap.sum(axis=-1) / tot.sum(axis=-1), np.float64)

    return stat


#: Most score cells resampled by the bootstrap (adjacent bins are merged beyond this).
BOOT_CELLS = 100


def _coarsen(cells: FloatArray, mid: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Merge adjacent score bins into at most ~:data:`BOOT_CELLS` of similar counts.

    Merged bins never straddle a calibration (ECE) bin boundary; the merged
    midpoint is the count-weighted mean of the fine midpoints. F1 is
    unchanged by merging; AP and ECE change slightly, which the bootstrap
    removes by shifting (see :func:`_shared_bootstrap`).
    """
    tot = cells.sum(axis=0)
    target = max(tot.sum() / BOOT_CELLS, 1.0)
    dec = np.minimum((mid * ECE_BINS).astype(np.int64), ECE_BINS - 1)
    chunk = np.floor((np.cumsum(tot) - tot) / target).astype(np.int64)
    _, group = np.unique(dec * (BOOT_CELLS + 1) * 10 + chunk, return_inverse=True)
    group = group.reshape(-1)
    k = int(group.max()) + 1 if group.size else 0
    merged = np.asarray(
        np.stack([np.bincount(group, weights=row, minlength=k) for row in cells]), np.float64
    )
    w = np.bincount(group, weights=tot, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mid_c = np.asarray(np.bincount(group, weights=tot * mid, minlength=k) / w, np.float64)
    return merged, mid_c


def _shared_bootstrap(
    cells: FloatArray,
    statistics: dict[str, Callable[[FloatArray], FloatArray]],
    confidence: float,
    rng: np.random.Generator,
) -> dict[str, tuple[float, float]]:
    """Basic-shifted percentile intervals of several statistics from one bootstrap of ``cells``.

    The resampling of :func:`modelward.stats.bootstrap_counts` (rows drawn
    with replacement = a multinomial draw of the counts, total fixed), with
    the :data:`N_BOOT` draws shared by every statistic; nan draws are dropped.
    Returned bounds are ``(q_lo - stat(cells), q_hi - stat(cells))``: offsets
    to add to the exact value of the statistic.
    """
    total = round(float(cells.sum()))
    alpha = 1 - confidence
    out = {k: (math.nan, math.nan) for k in statistics}
    if total == 0:
        return out
    flat = cells.reshape(-1)
    draws = rng.multinomial(total, flat / flat.sum(), size=N_BOOT).astype(np.float64)
    draws = draws.reshape(N_BOOT, *cells.shape)
    for name, stat in statistics.items():
        v = np.asarray(stat(draws), np.float64)
        v = v[np.isfinite(v)]
        centre = float(stat(cells))
        if v.size and math.isfinite(centre):
            lo, hi = np.quantile(v, [alpha / 2, 1 - alpha / 2])
            out[name] = (float(lo) - centre, float(hi) - centre)
    return out


def _shifted(value: float, offsets: tuple[float, float]) -> tuple[float, float]:
    """``value`` plus bootstrap offsets, clipped to [0, 1] (where F1, AP and ECE live).

    Resampling inflates a statistic that is biased upward (ECE is: every bin's
    gap is an absolute value), so its percentile offsets can both be positive;
    the interval is then extended to reach the estimate itself rather than
    exclude it.
    """
    low, high = min(offsets[0], 0.0), max(offsets[1], 0.0)
    return max(value + low, 0.0), min(value + high, 1.0)

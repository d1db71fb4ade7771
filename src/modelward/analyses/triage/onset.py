"""When did a signal change: a weighted step-or-ramp change point after the reference.

Daily series of rates have unequal noise (a day with 50 labelled rows is
noisier than one with 5,000), so the fit is weighted: ``x_t`` with weight
``w_t`` (inverse variance) is explained by a constant level before ``tau``
and either a new level (step, sudden change) or a linear ramp (gradual
change) from ``tau`` on. ``tau`` maximises the weighted SSE reduction; the
interval holds every ``tau`` within ``chi2_1(0.95)`` (in units of the residual
variance) of the best, a likelihood-ratio set.

Examples
--------
>>> x = [0.0, 0.1, -0.1, 0.0, 0.05, 2.0, 2.1, 1.9, 2.0]
>>> o = change_onset(x, [1.0] * 9, start=3)
>>> o.index, o.kind
(5, 'step')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["ChangeOnset", "change_onset"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ChangeOnset:
    """Best change point: index, likelihood interval, shape and strength."""

    index: int
    low: int
    high: int
    kind: str
    gain: float
    """Weighted SSE reduction over the residual variance (a chi-square-like statistic)."""


def _fit(x: FloatArray, w: FloatArray, g: FloatArray) -> float:
    """Weighted SSE reduction of ``x ~ a + b g`` over ``x ~ a``."""
    sw = w.sum()
    gm = (w * g).sum() / sw
    xm = (w * x).sum() / sw
    sgg = (w * (g - gm) ** 2).sum()
    if sgg <= 0:
        return 0.0
    sgx = (w * (g - gm) * (x - xm)).sum()
    return float(sgx * sgx / sgg)


def change_onset(
    series: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    start: int,
    confidence: float = 0.95,
    ramps: bool = True,
) -> ChangeOnset | None:
    """Maximum-likelihood onset of a step or ramp at or after ``start``.

    Parameters
    ----------
    series, weights
        Daily values and their inverse-variance weights (0 = missing day).
    start
        First index the onset may take (the first bucket after the reference).
    confidence
        Level of the likelihood interval.
    ramps
        Also try linear ramps (gradual changes).

    Returns
    -------
    ChangeOnset or None
        None when there is no day with weight after ``start`` or before it.
    """
    x = np.nan_to_num(np.asarray(series, dtype=np.float64))
    w = np.where(np.isfinite(np.asarray(series, dtype=np.float64)), weights, 0.0)
    w = np.clip(np.asarray(w, dtype=np.float64), 0.0, None)
    n = x.size
    if n < 2 or start >= n or w[:start].sum() <= 0 or w[start:].sum() <= 0:
        return None
    t = np.arange(n, dtype=np.float64)
    step = np.zeros(n)
    ramp = np.zeros(n)
    for tau in range(max(start, 1), n):
        step[tau] = _fit(x, w, (t >= tau).astype(np.float64))
        if ramps:
            ramp[tau] = _fit(x, w, np.clip(t - tau + 1, 0.0, None))
    sw = w.sum()
    xm = (w * x).sum() / sw
    total = float((w * (x - xm) ** 2).sum())
    best = max(float(step.max()), float(ramp.max()))
    dof = max(1.0, float((w > 0).sum()) - 3.0)
    var = max((total - best) / dof, 1e-12 * max(total, 1e-300))
    cut = var * float(stats.chi2.ppf(confidence, 1))
    kind = "step" if step.max() + cut >= ramp.max() else "ramp"
    prof = step if kind == "step" else ramp
    j = int(np.argmax(prof))
    inside = np.flatnonzero((prof.max() - prof <= cut) & (t >= start))
    return ChangeOnset(
        index=j,
        low=int(inside.min()) if inside.size else j,
        high=int(inside.max()) if inside.size else j,
        kind=kind,
        gain=float(prof.max() / var),
    )

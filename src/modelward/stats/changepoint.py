"""Change points in a metric's time series: PELT segmentation and CUSUM onset.

Triage uses these on daily series (a metric per bucket) to date when
something changed.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x = np.concatenate([rng.normal(0, 1, 40), rng.normal(4, 1, 30)])
>>> pelt_mean(x).tolist()
[40]
>>> cusum_onset(x, baseline_n=20).onset
40
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats

from modelward._exceptions import ConfigError
from modelward.stats._validation import (
    ArrayLike,
    FloatArray,
    as_float_1d,
    check_probability,
)

__all__ = ["Onset", "cusum_onset", "pelt_mean", "robust_sigma"]


def _series(series: ArrayLike, func: str) -> FloatArray:
    x = as_float_1d(series, name="series", func=func)
    if not np.all(np.isfinite(x)):
        first = int(np.flatnonzero(~np.isfinite(x))[0])
        raise ConfigError(
            f"The 'series' parameter of {func} must be finite. Got {x[first]} at index "
            f"{first} instead."
        )
    return x


def robust_sigma(series: ArrayLike) -> float:
    """Noise level from the MAD of first differences: ``1.4826 MAD(diff(x)) / sqrt(2)``.

    Insensitive to level shifts (they touch one difference each). 0 for a
    series shorter than 3 points or piecewise constant.

    Examples
    --------
    >>> robust_sigma([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    0.0
    >>> round(robust_sigma(np.random.default_rng(0).normal(0, 2, 5000)), 1)
    2.0
    """
    x = _series(series, "robust_sigma")
    if x.size < 3:
        return 0.0
    d = np.diff(x)
    mad = float(np.median(np.abs(d - np.median(d))))
    return float(1.4826 * mad / np.sqrt(2.0))


def pelt_mean(
    series: ArrayLike, *, penalty: float | None = None, min_size: int = 2
) -> npt.NDArray[np.int64]:
    """Optimal segmentation of a series into constant-mean pieces (PELT).

    Minimises ``sum over segments of SSE(segment) + penalty x (number of
    change points)`` exactly, with the pruning of Killick et al. (2012).

    Parameters
    ----------
    series
        1-D finite series.
    penalty
        Cost of one change point, in squared units of the series. Default
        ``3 log(n) sigma^2`` (BIC-like: a changed mean and a location, with a
        margin against spurious splits), ``sigma`` from :func:`robust_sigma`
        (a piecewise-constant series without noise uses a tiny positive
        floor, so its steps are found exactly).
    min_size
        Minimum segment length, >= 1.

    Returns
    -------
    numpy.ndarray of int64
        Sorted indices where a new segment starts (empty: no change).

    Examples
    --------
    >>> pelt_mean([0.0] * 10 + [5.0] * 10 + [1.0] * 10).tolist()
    [10, 20]
    """
    func = "pelt_mean"
    x = _series(series, func)
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 1:
        raise ConfigError(
            f"The 'min_size' parameter of {func} must be an int >= 1. Got {min_size}."
        )
    n = x.size
    if n < 2 * min_size:
        return np.empty(0, dtype=np.int64)
    if penalty is None:
        sigma2 = robust_sigma(x) ** 2
        floor = 1e-8 * max(1.0, float(np.mean(x**2)))
        pen = 3.0 * np.log(n) * max(sigma2, floor)
    else:
        pen = float(penalty)
        if not pen >= 0:
            raise ConfigError(f"The 'penalty' parameter of {func} must be >= 0. Got {penalty}.")
    cs = np.concatenate([[0.0], np.cumsum(x)])
    cs2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def cost(s: npt.NDArray[np.int64], t: int) -> FloatArray:
        length = t - s
        seg = cs[t] - cs[s]
        return np.asarray((cs2[t] - cs2[s]) - seg * seg / length, dtype=np.float64)

    best = np.full(n + 1, np.inf)
    best[0] = -pen
    last = np.zeros(n + 1, dtype=np.int64)
    active = np.array([0], dtype=np.int64)
    for t in range(min_size, n + 1):
        new = t - min_size
        if new >= min_size:
            active = np.append(active, new)
        eligible = active[active <= t - min_size]
        totals = best[eligible] + cost(eligible, t)
        j = int(np.argmin(totals))
        best[t] = totals[j] + pen
        last[t] = eligible[j]
        keep = np.ones(active.size, dtype=bool)
        keep[np.isin(active, eligible)] = totals <= best[t]
        active = active[keep]
    cps: list[int] = []
    t = n
    while t > 0:
        s = int(last[t])
        if s > 0:
            cps.append(s)
        t = s
    return np.array(sorted(cps), dtype=np.int64)


class Onset(NamedTuple):
    """Result of :func:`cusum_onset`. Fields are None when no change was detected."""

    onset: int | None
    """Estimated first index whose mean differs from the baseline."""
    low: int | None
    high: int | None
    """Likelihood interval of the onset (indices, inclusive)."""
    alarm: int | None
    """Index at which the CUSUM crossed its threshold."""
    direction: int
    """+1 upward change, -1 downward, 0 none."""
    kind: Literal["step", "ramp"] | None
    """The better-fitting shape after the onset."""


def _profiles(x: FloatArray, start: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """SSE reduction, vs one constant mean, of a step and of a ramp starting at each tau >= start.

    Each model is ``x_t = a + b g(t)`` fitted by least squares over the whole
    series, with ``g = 1[t >= tau]`` (step) or ``g = (t - tau + 1)_+`` (ramp);
    the reduction is ``cov(g, x)^2 / var(g)`` (in sums). Also returns the
    covariances, whose signs give each fit's direction.
    """
    n = x.size
    t_all = np.arange(n, dtype=np.float64)
    tau = np.arange(start, n)
    m = (n - tau).astype(np.float64)
    xc = x - x.mean()
    rev = np.cumsum(xc[::-1])[::-1][tau]
    rev_t = np.cumsum((xc * t_all)[::-1])[::-1][tau]
    # step: sum g = m, sum g^2 = m
    step_cov = rev
    step_var = m - m * m / n
    # ramp: g = 1..m on the tail
    ramp_cov = rev_t - (tau - 1) * rev
    sg = m * (m + 1) / 2
    sgg = m * (m + 1) * (2 * m + 1) / 6
    ramp_var = sgg - sg * sg / n
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.where(step_var > 0, step_cov**2 / step_var, 0.0)
        ramp = np.where(ramp_var > 0, ramp_cov**2 / ramp_var, 0.0)
    return step, ramp, step_cov, ramp_cov


def cusum_onset(
    series: ArrayLike,
    *,
    baseline_n: int,
    k: float = 0.5,
    h: float = 8.0,
    confidence: float = 0.95,
) -> Onset:
    """Detect a change after a baseline with CUSUM, then date its onset by likelihood.

    1. Baseline mean ``mu0`` and standard deviation ``sigma`` from the first
       ``baseline_n`` points.
    2. Detection: a two-sided CUSUM of ``z = (x - mu0) / sigma`` from
       ``baseline_n`` on, with allowance ``k`` and threshold ``h`` (in
       sigmas), must cross ``h`` somewhere (index ``alarm``). With the
       defaults and ``mu0``, ``sigma`` estimated from 20 points, about 8% of
       pure-noise series of 40 further points raise an alarm (24% with
       ``h = 5``: the baseline's estimation error inflates false alarms).
    3. Dating: the onset ``tau`` in ``[baseline_n, n)`` is the
       maximum-likelihood start of either a step (``x = a + delta`` for
       ``t >= tau``) or a linear ramp (``x = a + beta (t - tau + 1)``),
       fitted by least squares on the whole series (the level ``a`` is
       estimated from every point before ``tau``); the ramp is kept
       (``kind``) only if it beats the step by more than the cut of step 4,
       and ``direction`` is the sign of the fitted shift. (It is not
       restricted to precede the alarm, so an early false alarm does not pull
       the onset early; a series with several changes should be segmented
       with :func:`pelt_mean` first.)
    4. The interval holds every ``tau`` whose profile SSE is within
       ``sigma^2 chi2_1(confidence)`` of the best (a likelihood-ratio set;
       approximate, since change-point likelihoods are not regular).

    On simulated series (60 points, baseline 20, a 3 sigma step) the onset is
    within 1 index of the truth in about 99% of draws (see the tests).

    Parameters
    ----------
    series
        1-D finite series.
    baseline_n
        Number of leading in-control points, >= 2 and < len(series).
    k, h
        CUSUM allowance and threshold, in baseline sigmas.
    confidence
        Level of the onset interval.

    Returns
    -------
    Onset

    Examples
    --------
    >>> x = [0.1, -0.1, 0.0, 0.2, -0.2, 0.1, 0.0, 3.0, 3.1, 2.9, 3.0]
    >>> cusum_onset(x, baseline_n=5)
    Onset(onset=7, low=7, high=7, alarm=7, direction=1, kind='step')
    """
    func = "cusum_onset"
    x = _series(series, func)
    check_probability(confidence, name="confidence", func=func)
    n = x.size
    if (
        isinstance(baseline_n, bool)
        or not isinstance(baseline_n, int | np.integer)
        or not 2 <= baseline_n < n
    ):
        raise ConfigError(
            f"The 'baseline_n' parameter of {func} must be an int in [2, len(series) - 1] "
            f"= [2, {n - 1}]. Got {baseline_n} instead."
        )
    if not (k >= 0 and h > 0):
        raise ConfigError(f"The 'k' and 'h' parameters of {func} must be >= 0 and > 0.")
    base = x[:baseline_n]
    mu0 = float(base.mean())
    sigma = float(base.std(ddof=1))
    sigma = max(sigma, 1e-12 * max(1.0, abs(mu0)))
    z = (x - mu0) / sigma
    up = down = 0.0
    alarm = -1
    for t in range(baseline_n, n):
        up = max(0.0, up + z[t] - k)
        down = max(0.0, down - z[t] - k)
        if up > h or down > h:
            alarm = t
            break
    if alarm < 0:
        return Onset(None, None, None, None, 0, None)
    step, ramp, s, sz = _profiles(x, baseline_n)
    cut = sigma**2 * float(stats.chi2.ppf(confidence, 1))
    # A short ramp mimics a step: the step is kept unless the ramp fits clearly better.
    kind: Literal["step", "ramp"] = "step" if step.max() + cut >= ramp.max() else "ramp"
    prof, sign = (step, s) if kind == "step" else (ramp, sz)
    j = int(np.argmax(prof))
    direction = int(np.sign(sign[j]))
    inside = np.flatnonzero(prof.max() - prof <= cut)
    return Onset(
        onset=baseline_n + j,
        low=baseline_n + int(inside.min()),
        high=baseline_n + int(inside.max()),
        alarm=alarm,
        direction=direction,
        kind=kind,
    )

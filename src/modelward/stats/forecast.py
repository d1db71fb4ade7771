"""When will a metric cross its limit? Pooled local trends with calibrated bootstrap intervals.

The kernel behind the confidence calendar (``docs/forecast.md``). On a daily
series of a metric (one value per bucket, gaps allowed):

1. keep the last ``window`` points;
2. remove a weekly profile when there are at least two full weeks: the median
   residual of each day of the week around a Theil–Sen line, centred to mean
   zero (two passes);
3. model uncertainty: *how local* the trend is is not known (a window that
   starts before a decline flattens the slope), so four fitting windows, from
   ``shortest * window`` to ``window`` points (:func:`fit_lengths`), are pooled;
4. noise: on each window, a Theil–Sen line (:func:`scipy.stats.theilslopes`)
   and a moving-block bootstrap of its residuals (blocks of ``block`` days keep
   the autocorrelation), each draw refitted; every draw gives a slope and a
   level at the last time;
5. the point estimate is the line through the median level with the median
   slope of all draws; the expected crossing is where it meets the limit;
6. the interval: each draw's deviation from the point (slope and level) is
   scaled by ``inflation`` and the draw's crossing time computed (infinite when
   it never reaches the limit); the interval is the central ``confidence``
   quantiles. ``shortest`` and ``inflation`` were calibrated for 80% coverage
   on simulated TUNING scenarios and checked on separate HELD-OUT scenarios
   (``benchmarks/forecast_backtest.py``).

Times are days as floats (e.g. days since 1970-01-01), so ``floor(t) % 7`` is
a fixed day-of-week phase. The crossing is of the *trend* (the
deseasonalised level), not of single noisy days: a noisy day may dip under
the limit earlier.

Examples
--------
>>> t = np.arange(40.0)
>>> y = 0.80 - 0.004 * t + np.random.default_rng(0).normal(0, 0.005, 40)
>>> fc = forecast_crossing(t, y, limit=0.60, direction="below", horizon=60, seed=0)
>>> fc.status, round(fc.crossing)
('will_cross', 51)
>>> bool(fc.low <= fc.crossing <= fc.high)
True
>>> forecast_crossing(t, np.full(40, 0.9), limit=0.7, direction="below", horizon=60).status
'no_crossing'
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
from scipy import stats

from modelward._exceptions import ConfigError
from modelward.stats._validation import ArrayLike, FloatArray, as_float_1d, check_probability

__all__ = [
    "Crossing",
    "Trend",
    "block_bootstrap_indices",
    "crossing_time",
    "fit_lengths",
    "forecast_crossing",
    "theil_sen_batch",
    "weekly_trend",
]

Direction = Literal["below", "above"]
Status = Literal["crossed", "will_cross", "no_crossing", "insufficient_data"]

#: Fewest points a trend is fitted on.
MIN_POINTS = 7
#: Shortest pooled fitting window, as a share of the longest (calibrated, docs/forecast.md).
SHORTEST = 0.25
#: Spread factor on the pooled bootstrap draws (calibrated on the TUNING scenarios of
#: ``benchmarks/forecast_backtest.py`` only; held-out coverage is reported there).
INFLATION = 1.05


class Trend(NamedTuple):
    """A Theil–Sen line on a deseasonalised series.

    ``level(t) = intercept + slope * t``; ``seasonal[p]`` is the weekly effect of
    phase ``p = floor(t) % period`` (all zeros without seasonality).
    """

    slope: float
    intercept: float
    seasonal: FloatArray
    period: int


class Crossing(NamedTuple):
    """The forecast crossing of one series (times in the units of ``t``).

    ``crossing`` is the point estimate (``inf`` when the trend never reaches
    the limit, the last time when it is already past it); ``low`` and
    ``high`` bound it (``inf`` = beyond every draw); ``probability`` is the
    share of bootstrap draws crossing within the horizon.
    """

    status: Status
    crossing: float
    low: float
    high: float
    probability: float
    level: float  # trend level at the last time
    slope: float
    last_time: float
    n_points: int
    trend: Trend | None


def _phase(t: FloatArray, period: int) -> np.ndarray:
    return np.floor(t).astype(np.int64) % period


def weekly_trend(t: ArrayLike, y: ArrayLike, *, period: int | None = 7, passes: int = 2) -> Trend:
    """Theil–Sen trend of ``y`` on ``t`` after removing a robust ``period`` profile.

    The profile is used only with at least two full periods of points; it is
    the median residual per phase around the line, centred to mean zero.

    Parameters
    ----------
    t, y
        Times (floats) and finite values, at least :data:`MIN_POINTS` of them.
    period
        Length of the seasonal cycle in units of ``t`` (``None``: no seasonality).
    passes
        Alternations of profile and line fits.

    Examples
    --------
    >>> t = np.arange(28.0)
    >>> y = 2.0 + 0.5 * t + np.where(np.floor(t) % 7 == 5, 3.0, 0.0)
    >>> tr = weekly_trend(t, y)
    >>> round(tr.slope, 6), round(float(tr.seasonal[5] - tr.seasonal[0]), 6)
    (0.5, 3.0)
    """
    tt = as_float_1d(t, name="t", func="weekly_trend")
    yy = as_float_1d(y, name="y", func="weekly_trend")
    if tt.size != yy.size or tt.size < 2 or not (np.isfinite(tt).all() and np.isfinite(yy).all()):
        raise ConfigError(
            "The 't' and 'y' parameters of weekly_trend must be finite arrays of one length >= 2. "
            f"Got lengths {tt.size} and {yy.size}."
        )
    if np.ptp(tt) == 0:
        raise ConfigError("The 't' parameter of weekly_trend must hold two different times.")
    use = period is not None and period >= 2 and np.ptp(tt) + 1 >= 2 * period
    p = int(period) if use and period is not None else 1
    seasonal = np.zeros(p)
    phase = _phase(tt, p)
    slope, intercept = _theil_sen(tt, yy)
    if use:
        for _ in range(max(1, passes)):
            resid = yy - (intercept + slope * tt)
            prof = np.array(
                [
                    float(np.median(resid[phase == k])) if np.any(phase == k) else 0.0
                    for k in range(p)
                ]
            )
            seasonal = prof - prof.mean()
            slope, intercept = _theil_sen(tt, yy - seasonal[phase])
    return Trend(slope=slope, intercept=intercept, seasonal=seasonal, period=p)


def _theil_sen(t: FloatArray, y: FloatArray) -> tuple[float, float]:
    res = stats.theilslopes(y, t)
    return float(res[0]), float(res[1])


def theil_sen_batch(t: ArrayLike, ys: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Theil–Sen slope and intercept of every row of ``ys`` on the same times ``t``.

    The same estimator as :func:`scipy.stats.theilslopes` (median of pairwise
    slopes over pairs with different times; intercept ``median(y) - slope *
    median(t)``), vectorised over rows for the bootstrap.

    Examples
    --------
    >>> t = np.arange(5.0)
    >>> s, b = theil_sen_batch(t, np.vstack([2 * t + 1, -t]))
    >>> s.tolist(), b.tolist()
    ([2.0, -1.0], [1.0, 0.0])
    """
    tt = as_float_1d(t, name="t", func="theil_sen_batch")
    yy = np.atleast_2d(np.asarray(ys, dtype=np.float64))
    i, j = np.triu_indices(tt.size, k=1)
    dt = tt[j] - tt[i]
    keep = dt != 0
    i, j, dt = i[keep], j[keep], dt[keep]
    if dt.size == 0:
        raise ConfigError("The 't' parameter of theil_sen_batch must hold two different times.")
    slopes = np.median((yy[:, j] - yy[:, i]) / dt, axis=1)
    intercepts = np.median(yy, axis=1) - slopes * float(np.median(tt))
    return slopes, intercepts


def block_bootstrap_indices(
    n: int, *, block: int, draws: int, seed: int | np.random.Generator | None = 0
) -> np.ndarray:
    """Indices of ``draws`` circular moving-block bootstrap resamples of ``0..n-1``.

    Examples
    --------
    >>> idx = block_bootstrap_indices(10, block=3, draws=2, seed=1)
    >>> idx.shape, bool(((idx[:, 1:] - idx[:, :-1]) % 10 == 1).sum() >= 12)
    ((2, 10), True)
    """
    if n < 1 or block < 1 or draws < 1:
        raise ConfigError(
            "The 'n', 'block' and 'draws' parameters of block_bootstrap_indices must be >= 1. "
            f"Got {n}, {block}, {draws} instead."
        )
    rng = np.random.default_rng(seed)
    b = min(block, n)
    k = math.ceil(n / b)
    starts = rng.integers(0, n, size=(draws, k))
    idx = (starts[:, :, None] + np.arange(b)[None, None, :]) % n
    out: np.ndarray = idx.reshape(draws, k * b)[:, :n]
    return out


def crossing_time(
    slope: ArrayLike,
    intercept: ArrayLike,
    *,
    limit: float,
    direction: Direction,
    now: float,
) -> FloatArray:
    """When the line ``intercept + slope * t`` passes ``limit`` (``now`` if already past).

    ``direction="below"``: the metric must stay at or above the limit;
    ``"above"``: at or below. ``inf`` when the line never gets there.

    Examples
    --------
    >>> crossing_time([-0.1, 0.1, -0.1], [1.0, 1.0, 0.2], limit=0.5, direction="below", now=0.0)
    array([ 5., inf,  0.])
    """
    s = np.asarray(slope, dtype=np.float64)
    b = np.asarray(intercept, dtype=np.float64)
    sign = 1.0 if direction == "below" else -1.0  # work with "must stay >= limit"
    s, b, lim = sign * s, sign * b, sign * limit
    at_now = b + s * now
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(s < 0, (lim - b) / s, np.inf)
    out: FloatArray = np.where(at_now < lim, now, np.maximum(t, now)).astype(np.float64)
    return out


def forecast_crossing(
    t: ArrayLike,
    y: ArrayLike,
    *,
    limit: float,
    direction: Direction,
    horizon: float,
    period: int | None = 7,
    window: int = 56,
    confidence: float = 0.8,
    draws: int = 400,
    block: int = 7,
    shortest: float = SHORTEST,
    inflation: float = INFLATION,
    seed: int | np.random.Generator | None = 0,
) -> Crossing:
    """Forecast when the trend of ``y`` crosses ``limit``, with a calibrated interval.

    Parameters
    ----------
    t, y
        Times (days as floats) and values; non-finite values are dropped.
    limit
        The constraint's limit.
    direction
        ``"below"`` for a floor (the metric must stay >= limit), ``"above"`` for a ceiling.
    horizon
        How far past the last time to look (same units as ``t``).
    period
        Seasonal cycle (7 for daily data), ``None`` for none.
    window
        Longest fitting window: the last ``window`` points.
    confidence
        Central coverage of the interval.
    draws, block
        Bootstrap draws (split over the fitting windows) and block length.
    shortest
        Shortest fitting window as a share of ``window`` (at least
        :data:`MIN_POINTS` points); four windows from it to ``window`` are pooled.
    inflation
        Factor on the spread of the pooled draws around the point estimate
        (:data:`INFLATION`, calibrated on simulated scenarios; see ``docs/forecast.md``).
    seed
        Seed of the bootstrap.

    Returns
    -------
    Crossing
        ``status`` is ``"crossed"`` (the trend is already past the limit),
        ``"will_cross"`` (the expected crossing is within the horizon),
        ``"no_crossing"`` or ``"insufficient_data"`` (fewer than
        :data:`MIN_POINTS` finite points).
    """
    tt = as_float_1d(t, name="t", func="forecast_crossing")
    yy = as_float_1d(y, name="y", func="forecast_crossing")
    if tt.size != yy.size:
        raise ConfigError(
            f"The 't' and 'y' parameters of forecast_crossing must have one length. "
            f"Got {tt.size} and {yy.size} instead."
        )
    if direction not in ("below", "above"):
        raise ConfigError(
            "The 'direction' parameter of forecast_crossing must be 'below' or 'above'. "
            f"Got {direction!r} instead."
        )
    if not (horizon > 0 and math.isfinite(limit)):
        raise ConfigError(
            "The 'horizon' parameter of forecast_crossing must be > 0 and 'limit' finite. "
            f"Got {horizon} and {limit} instead."
        )
    if not (0.0 < shortest <= 1.0 and inflation > 0.0 and window >= 1 and draws >= 1):
        raise ConfigError(
            "The 'shortest' parameter of forecast_crossing must be in (0, 1], 'inflation' > 0 "
            f"and 'window', 'draws' >= 1. Got {shortest}, {inflation}, {window}, {draws} instead."
        )
    check_probability(confidence, name="confidence", func="forecast_crossing", open_=True)
    ok = np.isfinite(tt) & np.isfinite(yy)
    order = np.argsort(tt[ok], kind="stable")
    tt, yy = tt[ok][order][-window:], yy[ok][order][-window:]
    last = float(tt[-1]) if tt.size else math.nan
    if tt.size < MIN_POINTS or np.ptp(tt) == 0:
        return Crossing("insufficient_data", math.inf, math.nan, math.nan, math.nan, math.nan,
                        math.nan, last, int(tt.size), None)  # fmt: skip
    full = weekly_trend(tt, yy, period=period)
    z = yy - full.seasonal[_phase(tt, full.period)]  # deseasonalised once, on the whole window
    rng = np.random.default_rng(seed)
    lengths = fit_lengths(tt.size, shortest=shortest)
    per = max(1, math.ceil(draws / len(lengths)))
    slopes, levels = [], []
    for n in lengths:
        ts, zs = tt[-n:], z[-n:]
        if np.ptp(ts) == 0:
            continue
        s0, b0 = _theil_sen(ts, zs)
        fitted = b0 + s0 * ts
        idx = block_bootstrap_indices(n, block=block, draws=per, seed=rng)
        s, b = theil_sen_batch(ts, fitted[None, :] + (zs - fitted)[idx])
        slopes.append(s)
        levels.append(b + s * last)
    s_all, lev_all = np.concatenate(slopes), np.concatenate(levels)
    slope, level = float(np.median(s_all)), float(np.median(lev_all))
    s_inf = slope + inflation * (s_all - slope)
    lev_inf = level + inflation * (lev_all - level)
    times = crossing_time(s_inf, lev_inf - s_inf * last, limit=limit, direction=direction, now=last)
    intercept = level - slope * last
    point = float(crossing_time(slope, intercept, limit=limit, direction=direction, now=last))
    a = (1.0 - confidence) / 2.0
    low, high = (float(v) for v in np.quantile(times, [a, 1.0 - a], method="inverted_cdf"))
    low, high = min(low, point), max(high, point)
    probability = float(np.mean(times <= last + horizon))
    status: Status
    if point <= last:
        status = "crossed"
    elif point <= last + horizon:
        status = "will_cross"
    else:
        status = "no_crossing"
    trend = Trend(slope=slope, intercept=intercept, seasonal=full.seasonal, period=full.period)
    return Crossing(status, point, low, high, probability, level, slope, last, int(tt.size),
                    trend)  # fmt: skip


def fit_lengths(n: int, *, shortest: float = SHORTEST, k: int = 4) -> list[int]:
    """The (up to ``k``) fitting-window lengths pooled for a series of ``n`` points.

    Evenly spaced from ``max(MIN_POINTS, ceil(shortest * n))`` to ``n``.

    Examples
    --------
    >>> fit_lengths(56), fit_lengths(28), fit_lengths(8)
    ([14, 28, 42, 56], [7, 14, 21, 28], [7, 8])
    """
    lo = min(n, max(MIN_POINTS, math.ceil(shortest * n)))
    return sorted(set(np.rint(np.linspace(lo, n, k)).astype(int).tolist()))

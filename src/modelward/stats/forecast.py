"""When will a metric cross its limit? A broken-line trend with AR(1) simulation intervals.

The kernel behind the confidence calendar (``docs/forecast.md``). On a series of
a metric (one value per bucket, times in days, gaps allowed):

1. keep the last ``window`` points;
2. trend: a *continuous broken line* (one slope before a break, another after
   it) plus day-of-week effects (with at least two full weeks), fitted by least
   squares for every candidate break (at least :data:`MIN_BEFORE_BREAK` points
   before it and :data:`MIN_AFTER_BREAK` after it, or no break at all); the
   break with the smallest residual sum of squares wins (:func:`broken_line_fit`).
   A window that starts before a decline no longer flattens the slope: the
   slope is the one after the break;
3. robustness: the fit is a Huber M-estimate (pseudo-observations, constant
   :data:`HUBER_C` = 3 robust SDs, MAD scale re-estimated each step), so a few
   wild days barely move it; the noise is estimated from the residuals
   winsorised at the same bound;
4. noise: AR(1) with coefficient ``phi``. The lag-1 autocorrelation of the
   residuals is biased low (fitting a trend and a break absorbs part of the
   noise), so ``phi`` is the value whose *simulated* residual autocorrelation,
   after refitting, matches the observed one (bisection on common random
   numbers, on the data's noise scale); the marginal variance is the residual
   sum of squares divided by its simulated expectation at that ``phi`` (a
   degrees-of-freedom correction); negative autocorrelation is taken as 0;
5. the expected crossing is where the fitted trend after the break meets the
   limit (the *trend*, not single noisy days);
6. interval: ``draws`` series are simulated from the fitted trend plus AR(1)
   noise (antithetic pairs), each refitted *with its own break*, and each draw's crossing time is
   computed (infinite when it never reaches the limit); the interval is the
   central ``confidence`` quantiles. No constant is tuned to a simulator.

Times are days as floats (e.g. days since 1970-01-01), so ``floor(t) % 7`` is
a fixed day-of-week phase.

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
import numpy.typing as npt

from modelward._exceptions import ConfigError
from modelward.stats._validation import ArrayLike, FloatArray, as_float_1d, check_probability

__all__ = [
    "BrokenLine",
    "Crossing",
    "Trend",
    "broken_line_fit",
    "crossing_time",
    "forecast_crossing",
]

Direction = Literal["below", "above"]
Status = Literal["crossed", "will_cross", "no_crossing", "insufficient_data"]

#: Fewest points a trend is fitted on.
MIN_POINTS = 7
#: Fewest points after a break (the slope that is extrapolated rests on them).
MIN_AFTER_BREAK = 14
#: Fewest points before a break.
MIN_BEFORE_BREAK = 7
#: Huber constant (in robust SDs) of the trend fit and of the residuals the noise is estimated
#: from: the three-sigma rule, so that Gaussian data are fitted as by least squares (the draws
#: are refitted by least squares) while wild days have a bounded pull. The usual 1.345 loses
#: efficiency that least-squares draws do not reflect (2.5 points of coverage on TUNING).
HUBER_C = 3.0
#: Largest AR(1) coefficient considered.
PHI_MAX = 0.98
#: Simulated series used to bias-correct the AR(1) coefficient.
CALIBRATION_DRAWS = 100
_MAX_BLOCK = 2_000_000  # elements of one (breaks x points x series) block of fits


class Trend(NamedTuple):
    """The fitted trend of a series.

    After the break, ``level(t) = intercept + slope * t``; before it the slope is
    ``slope_before`` (the line is continuous at ``onset``; ``onset`` is ``nan``
    when no break was fitted). ``seasonal[p]`` is the effect of phase
    ``p = floor(t) % period`` (centred; all zeros without seasonality).
    """

    slope: float
    intercept: float
    seasonal: FloatArray
    period: int
    onset: float = math.nan
    slope_before: float = math.nan


class Crossing(NamedTuple):
    """The forecast crossing of one series (times in the units of ``t``).

    ``crossing`` is the point estimate (``inf`` when the trend never reaches
    the limit, the last time when it is already past it); ``low`` and
    ``high`` bound it (``inf`` = beyond every draw); ``probability`` is the
    share of simulated draws crossing within the horizon.
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


class BrokenLine(NamedTuple):
    """Least-squares broken-line fits of the columns of ``Y`` (see :func:`broken_line_fit`)."""

    level: FloatArray  # (m,) deseasonalised trend at the last time
    slope: FloatArray  # (m,) slope after the break
    fitted: FloatArray  # (n, m) trend plus seasonal effects
    rss: FloatArray  # (m,)
    which: npt.NDArray[np.intp]  # (m,) index into ``breaks`` (0: no break)
    coef: FloatArray  # (k, m) level, slope, break term, seasonal effects
    breaks: FloatArray  # (J,) candidate break times; breaks[0] = nan (no break)


def _phase(t: FloatArray, period: int) -> npt.NDArray[np.int64]:
    out: npt.NDArray[np.int64] = np.floor(t).astype(np.int64) % period
    return out


def _designs(
    t: FloatArray, *, period: int | None, min_before: int, min_after: int
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    """Stacked designs ``X`` (J, n, k), their pseudo-inverses and the break times."""
    n, last = t.size, float(t[-1])
    cols = [np.ones(n), t - last, np.zeros(n)]
    p = 0
    if period is not None and period >= 2 and np.ptp(t) + 1 >= 2 * period:
        p = int(period)
        ph = _phase(t, p)
        cols += [(ph == j).astype(float) - (ph == p - 1) for j in range(p - 1)]
    base = np.column_stack(cols)
    breaks = [math.nan]
    if n >= min_before + min_after:
        breaks += [float(x) for x in t[min_before : n - min_after + 1]]
    b = np.asarray(breaks)
    x = np.repeat(base[None, :, :], b.size, axis=0)
    x[1:, :, 2] = np.minimum(t[None, :] - b[1:, None], 0.0)
    pinv: FloatArray = np.linalg.pinv(x)
    return x, pinv, b, p


def _fit(x: FloatArray, pinv: FloatArray, breaks: FloatArray, y: FloatArray) -> BrokenLine:
    """Best-break least-squares fit of every column of ``y`` (n, m)."""
    n, m = y.shape
    j_all, k = x.shape[0], x.shape[2]
    chunk = max(1, _MAX_BLOCK // max(1, j_all * n))
    fitted, rss = np.empty((n, m)), np.empty(m)
    coef, which = np.empty((k, m)), np.empty(m, dtype=np.intp)
    for s in range(0, m, chunk):
        ys = y[:, s : s + chunk]
        bb = pinv @ ys  # (J, k, c)
        ff = x @ bb  # (J, n, c)
        r = ((ys[None] - ff) ** 2).sum(axis=1)  # (J, c)
        w = np.argmin(r, axis=0)
        cols = np.arange(ys.shape[1])
        fitted[:, s : s + chunk] = ff[w, :, cols].T
        coef[:, s : s + chunk] = bb[w, :, cols].T
        rss[s : s + chunk] = r[w, cols]
        which[s : s + chunk] = w
    return BrokenLine(coef[0], coef[1], fitted, rss, which, coef, breaks)


def broken_line_fit(
    t: ArrayLike,
    ys: ArrayLike,
    *,
    period: int | None = 7,
    min_before: int = MIN_BEFORE_BREAK,
    min_after: int = MIN_AFTER_BREAK,
) -> BrokenLine:
    """Least-squares continuous broken line (plus day-of-week effects) for each column of ``ys``.

    For every candidate break ``tau`` (an observed time with at least
    ``min_before`` points before it and ``min_after`` from it on) and for "no
    break", the model ``level + slope * (t - last) + delta * min(t - tau, 0) +
    seasonal[floor(t) % period]`` is fitted by least squares; the candidate with
    the smallest residual sum of squares is kept. Day-of-week effects (sum to
    zero) are used with at least two full periods.

    Parameters
    ----------
    t
        Sorted times, shape ``(n,)``.
    ys
        Values, shape ``(n,)`` or ``(n, m)`` (one fit per column).
    period
        Seasonal cycle in units of ``t`` (``None``: none).
    min_before, min_after
        Fewest points before and after a break.

    Returns
    -------
    BrokenLine
        ``level`` (deseasonalised trend at ``t[-1]``), ``slope`` after the break,
        ``fitted``, ``rss``, ``which`` (index into ``breaks``; 0 = no break).

    Examples
    --------
    >>> t = np.arange(40.0)
    >>> y = 1.0 - 0.02 * np.maximum(t - 20, 0)
    >>> f = broken_line_fit(t, y, period=None)
    >>> round(float(f.slope[0]), 9), float(f.breaks[f.which[0]]), round(float(f.level[0]), 9)
    (-0.02, 20.0, 0.62)
    """
    tt = as_float_1d(t, name="t", func="broken_line_fit")
    yy = np.asarray(ys, dtype=np.float64)
    y2 = yy[:, None] if yy.ndim == 1 else yy
    if y2.ndim != 2 or y2.shape[0] != tt.size or tt.size < 2 or np.any(np.diff(tt) < 0):
        raise ConfigError(
            "The 't' and 'ys' parameters of broken_line_fit must be sorted times and values "
            f"with one row per time. Got shapes {tt.shape} and {yy.shape} instead."
        )
    x, pinv, breaks, _ = _designs(tt, period=period, min_before=min_before, min_after=min_after)
    return _fit(x, pinv, breaks, y2)


def _huber(
    x: FloatArray, pinv: FloatArray, breaks: FloatArray, z: FloatArray, iters: int = 30
) -> tuple[BrokenLine, float]:
    """Robust broken line and its MAD scale.

    Huber pseudo-observations (residuals clipped at ``HUBER_C`` MAD-scale units,
    scale re-estimated each step) to convergence: a wild day pulls like a day
    ``HUBER_C`` robust SDs off. (Giving such days no weight at all was tried: it
    cost 3 points of TUNING coverage, as least-squares draws do not reflect it.)
    """
    y = z.copy()
    fit = _fit(x, pinv, breaks, y[:, None])
    scale = 0.0
    for _ in range(iters):
        r = z - fit.fitted[:, 0]
        scale = 1.4826 * float(np.median(np.abs(r)))
        y_new = fit.fitted[:, 0] + np.clip(r, -HUBER_C * scale, HUBER_C * scale)
        if np.max(np.abs(y_new - y)) <= 1e-10 * (scale + np.max(np.abs(z)) + 1e-300):
            break
        y = y_new
        fit = _fit(x, pinv, breaks, y[:, None])
    return fit, scale


def _antithetic(rng: np.random.Generator, n: int, m: int) -> FloatArray:
    """``m`` standard normal columns in pairs ``(e, -e)``: a floor and its mirrored ceiling
    get mirrored draws, and the draws are symmetric about the fitted trend."""
    e = rng.standard_normal((n, (m + 1) // 2))
    out: FloatArray = np.hstack([e, -e])[:, :m]
    return out


def _lag1(r: FloatArray, adjacent: npt.NDArray[np.bool_]) -> FloatArray:
    """Lag-1 autocorrelation of each column of ``r`` over adjacent-bucket pairs."""
    num = (r[1:] * r[:-1])[adjacent].sum(axis=0)
    den = (r**2).sum(axis=0)
    out: FloatArray = num / np.where(den > 0, den, 1.0)
    return out


def _ar1_root(phi: float, dist: FloatArray) -> FloatArray:
    """A square root of the AR(1) correlation matrix ``phi ** dist``."""
    c = phi**dist
    try:
        out: FloatArray = np.asarray(
            np.linalg.cholesky(c + 1e-10 * np.eye(dist.shape[0])), dtype=np.float64
        )
    except np.linalg.LinAlgError:  # e.g. repeated times
        w, v = np.linalg.eigh(c)
        out = np.asarray(v * np.sqrt(np.clip(w, 0.0, None)), dtype=np.float64)
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
    inflation: float = 1.0,
    seed: int | np.random.Generator | None = 0,
) -> Crossing:
    """Forecast when the trend of ``y`` crosses ``limit``, with a simulation interval.

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
        Fitting window: the last ``window`` points.
    confidence
        Central coverage of the interval.
    draws
        Simulated series behind the interval and the probability.
    inflation
        Factor on each draw's deviation (level and slope) from the fitted trend
        before its crossing time is taken. ``1.0`` (default) is the model's own
        spread; larger values widen the interval, e.g. for noise heavier-tailed
        or longer-memory than AR(1). The expected date does not depend on it.
    seed
        Seed of the simulations.

    Returns
    -------
    Crossing
        ``status`` is ``"crossed"`` (the trend is already past the limit),
        ``"will_cross"`` (the expected crossing is within the horizon),
        ``"no_crossing"`` or ``"insufficient_data"`` (fewer than
        :data:`MIN_POINTS` finite points).

    Examples
    --------
    A decline that started at day 30 after a flat month: the slope is the one
    after the break, not one averaged over the flat stretch.

    >>> t = np.arange(56.0)
    >>> y = 0.9 - 0.005 * np.maximum(t - 30, 0) + np.random.default_rng(1).normal(0, 0.004, 56)
    >>> fc = forecast_crossing(t, y, limit=0.7, direction="below", horizon=30, seed=0)
    >>> fc.status, round(fc.trend.onset), round(fc.slope, 3)
    ('will_cross', 30, -0.005)
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
    if not (inflation > 0.0 and window >= 1 and draws >= 1):
        raise ConfigError(
            "The 'inflation' parameter of forecast_crossing must be > 0 and 'window', "
            f"'draws' >= 1. Got {inflation}, {window}, {draws} instead."
        )
    check_probability(confidence, name="confidence", func="forecast_crossing", open_=True)
    ok = np.isfinite(tt) & np.isfinite(yy)
    order = np.argsort(tt[ok], kind="stable")
    tt, z = tt[ok][order][-window:], yy[ok][order][-window:]
    last = float(tt[-1]) if tt.size else math.nan
    if tt.size < MIN_POINTS or np.ptp(tt) == 0:
        return Crossing("insufficient_data", math.inf, math.nan, math.nan, math.nan, math.nan,
                        math.nan, last, int(tt.size), None)  # fmt: skip
    n = tt.size
    x, pinv, breaks, p = _designs(
        tt, period=period, min_before=MIN_BEFORE_BREAK, min_after=MIN_AFTER_BREAK
    )
    fit, scale = _huber(x, pinv, breaks, z)
    base = fit.fitted  # (n, 1)
    resid = np.clip(z - base[:, 0], -HUBER_C * scale, HUBER_C * scale)[:, None]

    # AR(1) on the bucket spacing: lags and distances in units of the smallest step.
    d = np.diff(tt)
    step = float(d[d > 0].min())
    u = (tt - tt[0]) / step
    adjacent = np.isclose(np.diff(u), 1.0)
    dist = np.abs(u[:, None] - u[None, :])
    rng = np.random.default_rng(seed)
    zc = _antithetic(rng, n, CALIBRATION_DRAWS)
    rss_obs = float((resid**2).sum())
    # Calibration noise on the data's scale (break selection depends on signal to noise);
    # the returned RSS is per unit marginal variance.
    s0 = math.sqrt(rss_obs / max(n - x.shape[2], 1))

    def simulate(phi: float) -> tuple[float, float]:
        """Mean residual lag-1 autocorrelation and mean RSS (unit variance) after refitting."""
        yb = base + s0 * (_ar1_root(phi, dist) @ zc)
        f = _fit(x, pinv, breaks, yb)
        return float(np.mean(_lag1(yb - f.fitted, adjacent))), float(np.mean(f.rss)) / s0**2

    stat = float(_lag1(resid, adjacent)[0])
    if rss_obs <= 0.0 or not adjacent.any():
        phi = 0.0
    elif simulate(PHI_MAX)[0] <= stat:
        phi = PHI_MAX
    elif simulate(0.0)[0] >= stat:
        phi = 0.0  # negative autocorrelation: white noise is the conservative model
    else:
        lo, hi = 0.0, PHI_MAX
        for _ in range(14):
            mid = (lo + hi) / 2.0
            lo, hi = (mid, hi) if simulate(mid)[0] < stat else (lo, mid)
        phi = (lo + hi) / 2.0
    sig2 = rss_obs / simulate(phi)[1] if rss_obs > 0.0 else 0.0
    yb = base + math.sqrt(sig2) * (_ar1_root(phi, dist) @ _antithetic(rng, n, draws))
    sim = _fit(x, pinv, breaks, yb)

    level, slope = float(fit.level[0]), float(fit.slope[0])
    lev_d = level + inflation * (sim.level - level)
    s_d = slope + inflation * (sim.slope - slope)
    times = crossing_time(s_d, lev_d - s_d * last, limit=limit, direction=direction, now=last)
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
    trend = _trend(fit, slope, intercept, p)
    return Crossing(status, point, low, high, probability, level, slope, last, n, trend)


def _trend(fit: BrokenLine, slope: float, intercept: float, period: int) -> Trend:
    c = fit.coef[:, 0]
    if period:
        eff = c[3 : 3 + period - 1]
        seasonal = np.append(eff, -eff.sum())
    else:
        seasonal, period = np.zeros(1), 1
    j = int(fit.which[0])
    onset = float(fit.breaks[j])
    before = slope + float(c[2]) if j > 0 else math.nan
    return Trend(slope, intercept, seasonal, period, onset, before)


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

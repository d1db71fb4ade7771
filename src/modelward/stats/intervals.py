"""Confidence intervals from summaries: proportions, means, AUC, and a count bootstrap.

Examples
--------
>>> [round(v, 4) for v in wilson_interval(8, 10)]
[0.4902, 0.9433]
>>> [round(v, 3) for v in mean_interval(4, 10.0, 30.0)]
[0.446, 4.554]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import numpy as np
from scipy import stats

from modelward._exceptions import ConfigError
from modelward.stats._validation import (
    ArrayLike,
    FloatArray,
    as_counts,
    check_probability,
    warn_degenerate,
)
from modelward.stats.classification import roc_auc_binned

__all__ = [
    "BootstrapResult",
    "auc_interval",
    "bootstrap_counts",
    "mean_interval",
    "wilson_interval",
]


def _z(confidence: float, func: str) -> float:
    c = check_probability(confidence, name="confidence", func=func)
    return float(stats.norm.ppf(0.5 + c / 2))


def wilson_interval(successes: float, n: float, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / n``.

    ``(p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``; no
    continuity correction. Equals
    ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.
    ``n = 0`` gives (nan, nan) with a warning.

    Examples
    --------
    >>> wilson_interval(0, 20)[0]
    0.0
    """
    func = "wilson_interval"
    z = _z(confidence, func)
    k, m = float(successes), float(n)
    if not (0 <= k <= m) or np.isnan(k):
        raise ConfigError(
            f"The 'successes' parameter of {func} must be in [0, n]. Got {successes} "
            f"with n={n} instead."
        )
    if m == 0:
        nan = warn_degenerate(func, "n is 0")
        return nan, nan
    p = k / m
    den = 1 + z * z / m
    centre = (p + z * z / (2 * m)) / den
    half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / den
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def mean_interval(
    n: float, sum: float, sum_sq: float, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Student-t interval for a mean from the moments ``n``, ``sum``, ``sum_sq``.

    The sample variance is ``(sum_sq - sum^2 / n) / (n - 1)`` (floored at 0;
    this one-pass form loses precision when the mean is much larger than the
    spread: centre the data first if you can). Needs ``n >= 2``, else
    (nan, nan) with a warning.

    Examples
    --------
    >>> mean_interval(2, 2.0, 2.0)
    (1.0, 1.0)
    """
    func = "mean_interval"
    check_probability(confidence, name="confidence", func=func)
    m = float(n)
    if m < 2:
        nan = warn_degenerate(func, "needs n >= 2")
        return nan, nan
    mean = float(sum) / m
    var = max((float(sum_sq) - float(sum) ** 2 / m) / (m - 1), 0.0)
    half = float(stats.t.ppf(0.5 + confidence / 2, m - 1)) * np.sqrt(var / m)
    return float(mean - half), float(mean + half)


def auc_interval(
    pos: ArrayLike,
    neg: ArrayLike,
    *,
    confidence: float = 0.95,
    method: Literal["delong", "hanley_mcneil"] = "delong",
) -> tuple[float, float]:
    """Confidence interval of the ROC AUC from the binned score counts.

    ``method="delong"``: DeLong's variance from the structural components,
    computed exactly for the binned scores (every positive in bin ``b`` has
    ``V10 = (neg below b + neg_b / 2) / N``, every negative
    ``V01 = (pos above b + pos_b / 2) / P``); ``var = s2(V10) / P +
    s2(V01) / N``. ``method="hanley_mcneil"``: the Hanley-McNeil (1982)
    variance from the AUC and the class sizes alone. Both give a Wald
    interval ``AUC +- z se`` clipped to [0, 1].

    Examples
    --------
    >>> pos = [2, 4, 6, 8]
    >>> neg = [8, 6, 4, 2]
    >>> [round(v, 3) for v in auc_interval(pos, neg)]
    [0.601, 0.899]
    """
    func = "auc_interval"
    z = _z(confidence, func)
    p = as_counts(pos, name="pos", func=func)
    n = as_counts(neg, name="neg", func=func)
    auc = roc_auc_binned(p, n)
    if np.isnan(auc):
        return auc, auc
    n_pos, n_neg = float(p.sum()), float(n.sum())
    if method == "delong":
        if n_pos < 2 or n_neg < 2:
            nan = warn_degenerate(func, "DeLong needs >= 2 positives and >= 2 negatives")
            return nan, nan
        neg_below = np.cumsum(n) - n
        pos_above = p.sum() - np.cumsum(p)
        v10 = (neg_below + n / 2) / n_neg
        v01 = (pos_above + p / 2) / n_pos
        s10 = np.sum(p * (v10 - auc) ** 2) / (n_pos - 1)
        s01 = np.sum(n * (v01 - auc) ** 2) / (n_neg - 1)
        var = s10 / n_pos + s01 / n_neg
    elif method == "hanley_mcneil":
        q1 = auc / (2 - auc)
        q2 = 2 * auc**2 / (1 + auc)
        var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
            n_pos * n_neg
        )
    else:
        raise ConfigError(
            f"The 'method' parameter of {func} must be 'delong' or 'hanley_mcneil'. "
            f"Got {method!r} instead."
        )
    half = z * float(np.sqrt(max(var, 0.0)))
    return max(auc - half, 0.0), min(auc + half, 1.0)


class BootstrapResult(NamedTuple):
    """Result of :func:`bootstrap_counts`."""

    estimate: float
    """The statistic on the observed counts."""
    low: float
    high: float
    """Percentile interval bounds."""
    standard_error: float
    """Standard deviation of the bootstrap distribution."""
    distribution: FloatArray
    """The ``n_boot`` bootstrap values (nan draws dropped)."""


def _resample(
    counts: FloatArray,
    n_boot: int,
    rng: np.random.Generator,
    method: str,
    independent_rows: bool,
) -> FloatArray:
    if method == "poisson":
        return rng.poisson(counts, size=(n_boot, *counts.shape)).astype(np.float64)
    if method != "multinomial":
        raise ConfigError(
            "The 'method' parameter of bootstrap_counts must be 'multinomial' or 'poisson'. "
            f"Got {method!r} instead."
        )
    rows = counts if independent_rows else counts.reshape(1, -1)
    draws = np.empty((n_boot, *rows.shape))
    for i, row in enumerate(rows):
        total = round(float(row.sum()))
        if total == 0:
            draws[:, i, :] = 0.0
            continue
        draws[:, i, :] = rng.multinomial(total, row / row.sum(), size=n_boot)
    return draws.reshape(n_boot, *counts.shape)


def bootstrap_counts(
    counts: ArrayLike,
    statistic: Callable[[FloatArray], float | FloatArray],
    *,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = 0,
    confidence: float = 0.95,
    method: Literal["multinomial", "poisson"] = "multinomial",
    independent_rows: bool = False,
    vectorised: bool = False,
) -> BootstrapResult:
    """Bootstrap a statistic of histogram counts by resampling the counts.

    Resampling rows with replacement and re-binning them is the same as
    drawing new counts from a multinomial with the observed proportions, so
    the bootstrap needs only the summaries.

    Parameters
    ----------
    counts
        A 1-D histogram, or a 2-D table (e.g. ``np.vstack([pos, neg])`` or
        ``np.vstack([ref, cur])``).
    statistic
        Function of an array shaped like ``counts`` returning a float; with
        ``vectorised=True`` it receives all draws at once, shaped
        ``(n_boot, *counts.shape)``, and returns ``n_boot`` values.
    n_boot
        Number of bootstrap draws.
    seed
        Seed or Generator for the draws.
    confidence
        Level of the percentile interval.
    method
        ``"multinomial"`` keeps each total fixed; ``"poisson"`` draws every
        cell as Poisson(count) (the streaming / mergeable bootstrap).
    independent_rows
        For a 2-D table of independent samples (reference vs current), draw
        each row with its own total; otherwise the whole table is one sample
        (e.g. positives vs negatives from one population).
    vectorised
        Whether ``statistic`` handles the stacked draws.

    Returns
    -------
    BootstrapResult
        Draws where the statistic is nan are dropped; if all are nan (or there
        are no counts) the interval is nan, with a warning.

    Examples
    --------
    >>> counts = np.array([30, 50, 20])
    >>> res = bootstrap_counts(counts, lambda c: c[..., 0] / c.sum(axis=-1),
    ...                        n_boot=2000, seed=1, vectorised=True)
    >>> round(res.estimate, 2), 0.2 < res.low < 0.3 < res.high < 0.4
    (0.3, True)
    """
    func = "bootstrap_counts"
    c = np.asarray(counts, dtype=np.float64)
    c = as_counts(c, name="counts", func=func, ndim=c.ndim if c.ndim in (1, 2) else 1)
    alpha = 1 - check_probability(confidence, name="confidence", func=func)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ConfigError(f"The 'n_boot' parameter of {func} must be an int >= 1. Got {n_boot}.")
    nan = float("nan")
    if c.sum() == 0:
        warn_degenerate(func, "no counts")
        return BootstrapResult(nan, nan, nan, nan, np.empty(0))
    rng = np.random.default_rng(seed)
    draws = _resample(c, int(n_boot), rng, method, independent_rows and c.ndim == 2)
    estimate = float(np.asarray(statistic(c)))
    if vectorised:
        values = np.asarray(statistic(draws), dtype=np.float64).reshape(-1)
    else:
        values = np.array([float(np.asarray(statistic(d))) for d in draws])
    values = values[~np.isnan(values)]
    if values.size == 0:
        warn_degenerate(func, "the statistic is nan on every draw")
        return BootstrapResult(estimate, nan, nan, nan, values)
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    se = float(values.std(ddof=1)) if values.size > 1 else nan
    return BootstrapResult(estimate, float(low), float(high), se, values)

"""Quantiles from binned counts: DDSketch-style log bins and plain histograms.

The ``latency`` and ``label_lag`` summaries count values in log-spaced bins
(``docs/summaries.md``): with ``gamma = (1 + a) / (1 - a)`` a value ``x > 0``
goes to bin ``ceil(log(x) / log(gamma))`` and ``x <= 0`` to bin
:data:`NONPOSITIVE_BIN`. Bin ``i`` holds ``gamma^(i-1) < x <= gamma^i``; its
representative value ``2 gamma^i / (gamma + 1)`` is within relative error
``a`` of every value in the bin, so any quantile read from the bins is within
relative error ``a`` of the exact rank value.

Examples
--------
>>> bins = log_bin_index([1.0, 10.0, 100.0], accuracy=0.01)
>>> bins.tolist()
[0, 116, 231]
>>> quantiles_from_log_bins(bins, [1, 1, 1], [0.5], accuracy=0.01).round(2).tolist()
[10.07]
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from modelward._exceptions import ConfigError
from modelward.stats._validation import (
    ArrayLike,
    FloatArray,
    as_counts,
    as_float_1d,
    warn_degenerate,
)

__all__ = [
    "NONPOSITIVE_BIN",
    "log_bin_index",
    "log_bin_value",
    "quantiles_from_hist",
    "quantiles_from_log_bins",
]

#: The log bin of values ``<= 0`` (reported as 0 by quantiles).
NONPOSITIVE_BIN = -32768

QuantileMethod = Literal["inverted_cdf", "lower"]


def _gamma(accuracy: float, func: str) -> float:
    a = float(accuracy)
    if not 0.0 < a < 1.0:
        raise ConfigError(
            f"The 'accuracy' parameter of {func} must be a float in (0, 1). Got {accuracy} instead."
        )
    return (1.0 + a) / (1.0 - a)


def log_bin_index(values: ArrayLike, *, accuracy: float = 0.005) -> npt.NDArray[np.int64]:
    """Log-spaced bin of each value: ``ceil(log(x) / log(gamma))``, the engine's formula.

    Parameters
    ----------
    values
        1-D array of values (latencies in ms, lags in s); must not be nan.
    accuracy
        Relative accuracy ``a`` in (0, 1); ``gamma = (1 + a) / (1 - a)``.

    Returns
    -------
    numpy.ndarray of int64
        The bin of each value; :data:`NONPOSITIVE_BIN` for values ``<= 0``.

    Examples
    --------
    >>> log_bin_index([0.0, 1.0, 1.0001, 2.0], accuracy=0.005).tolist()
    [-32768, 0, 1, 70]
    """
    gamma = _gamma(accuracy, "log_bin_index")
    x = as_float_1d(values, name="values", func="log_bin_index")
    if not np.isfinite(x).all():
        first = int(np.flatnonzero(~np.isfinite(x))[0])
        raise ConfigError(
            f"The 'values' parameter of log_bin_index must be finite. Got {x[first]} at "
            f"index {first} instead."
        )
    out = np.full(x.shape, NONPOSITIVE_BIN, dtype=np.int64)
    pos = x > 0
    out[pos] = np.ceil(np.log(x[pos]) / np.log(gamma)).astype(np.int64)
    return out


def log_bin_value(bins: ArrayLike, *, accuracy: float = 0.005) -> FloatArray:
    """Representative value ``2 gamma^i / (gamma + 1)`` of log bins (0 for the non-positive bin).

    Examples
    --------
    >>> log_bin_value([0, -32768], accuracy=0.01).round(4).tolist()
    [0.99, 0.0]
    """
    gamma = _gamma(accuracy, "log_bin_value")
    b = as_float_1d(bins, name="bins", func="log_bin_value")
    out = 2.0 * np.power(gamma, b) / (gamma + 1.0)
    out[b == NONPOSITIVE_BIN] = 0.0
    return out


def _ranks(qs: ArrayLike, n: int, method: QuantileMethod, func: str) -> npt.NDArray[np.int64]:
    """0-based rank of the order statistic returned for each quantile."""
    q = as_float_1d(np.atleast_1d(np.asarray(qs, dtype=np.float64)), name="qs", func=func)
    if np.any(~(q >= 0) | ~(q <= 1)):
        raise ConfigError(f"The 'qs' parameter of {func} must be in [0, 1]. Got {qs!r} instead.")
    if method == "inverted_cdf":
        r = np.ceil(q * n) - 1
    elif method == "lower":
        r = np.floor(q * (n - 1))
    else:
        raise ConfigError(
            f"The 'method' parameter of {func} must be 'inverted_cdf' or 'lower'. "
            f"Got {method!r} instead."
        )
    return np.asarray(np.clip(r, 0, n - 1), dtype=np.int64)


def quantiles_from_log_bins(
    bins: ArrayLike,
    counts: ArrayLike,
    qs: ArrayLike,
    *,
    accuracy: float = 0.005,
    method: QuantileMethod = "inverted_cdf",
) -> FloatArray:
    """Quantiles from log-bin counts, within relative error ``accuracy`` of the exact value.

    Parameters
    ----------
    bins
        Bin indices (any order, may repeat: counts of equal bins are added),
        as produced by :func:`log_bin_index`.
    counts
        Count of each bin.
    qs
        Quantiles in [0, 1].
    accuracy
        The accuracy the bins were built with.
    method
        The rank definition, as in :func:`numpy.quantile`: ``"inverted_cdf"``
        (the ``ceil(q n)``-th smallest value) or ``"lower"`` (the
        ``floor(q (n - 1))``-th, 0-based).

    Returns
    -------
    numpy.ndarray
        One value per quantile: the representative value of the bin holding
        that rank, so ``|estimate - exact| <= accuracy * exact`` for positive
        values (non-positive values are reported as 0). All nan, with a
        warning, if there are no counts.

    Examples
    --------
    >>> values = [1.0, 2.0, 3.0, 4.0, 100.0]
    >>> b = log_bin_index(values, accuracy=0.01)
    >>> quantiles_from_log_bins(b, [1] * 5, [0.5, 1.0], accuracy=0.01).round(3).tolist()
    [2.974, 100.495]
    """
    func = "quantiles_from_log_bins"
    b = as_float_1d(bins, name="bins", func=func)
    c = as_counts(counts, name="counts", func=func)
    if b.shape != c.shape:
        raise ConfigError(
            f"The 'counts' parameter of {func} must have the length of 'bins' ({b.size}). "
            f"Got {c.size} instead."
        )
    n_q = np.atleast_1d(np.asarray(qs)).size
    n = round(float(c.sum()))
    if n == 0:
        warn_degenerate(func, "no counts")
        return np.full(n_q, np.nan)
    uniq, inverse = np.unique(b, return_inverse=True)
    merged = np.bincount(inverse, weights=c, minlength=uniq.size)
    cum = np.cumsum(merged)
    ranks = _ranks(qs, n, method, func)
    idx = np.searchsorted(cum, ranks + 0.5, side="left")
    return log_bin_value(uniq[idx], accuracy=accuracy)


def quantiles_from_hist(edges: ArrayLike, counts: ArrayLike, qs: ArrayLike) -> FloatArray:
    """Quantiles of a histogram by linear interpolation inside the quantile's bin.

    For ``q`` the target cumulative count is ``t = q n``; the bin ``i`` with
    ``C_{i-1} < t <= C_i`` (``C`` the cumulative counts) holds the exact
    ``numpy.quantile(..., method="inverted_cdf")`` value, and the estimate is
    ``e_{i-1} + (t - C_{i-1}) / c_i * (e_i - e_{i-1})``. Error bound: the
    estimate and the exact value are in the same bin, so they differ by at
    most that bin's width.

    ``edges`` has ``len(counts) + 1`` values (plain bins) or
    ``len(counts) - 1`` (the summaries layout: bin 0 underflow, last bin
    overflow); quantiles falling in the under/overflow bins are clamped to
    ``e_0`` / ``e_m`` (no bound holds there).

    Examples
    --------
    >>> quantiles_from_hist([0.0, 1.0, 2.0], [1, 3], [0.5, 1.0]).tolist()
    [1.3333333333333333, 2.0]
    >>> quantiles_from_hist([0.0, 10.0], [1, 2, 1], [0.5]).tolist()
    [5.0]
    """
    func = "quantiles_from_hist"
    e = as_float_1d(edges, name="edges", func=func)
    c = as_counts(counts, name="counts", func=func)
    if e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) < 0):
        raise ConfigError(
            f"The 'edges' parameter of {func} must be >= 2 finite, non-decreasing values. "
            f"Got {e.tolist()[:6]} instead."
        )
    if e.size == c.size - 1:
        lo = np.concatenate([[e[0]], e[:-1], [e[-1]]])
        hi = np.concatenate([[e[0]], e[1:], [e[-1]]])
    elif e.size == c.size + 1:
        lo, hi = e[:-1], e[1:]
    else:
        raise ConfigError(
            f"The 'edges' parameter of {func} must have len(counts) + 1 or len(counts) - 1 "
            f"values. Got {e.size} for {c.size} counts."
        )
    q = np.atleast_1d(np.asarray(qs, dtype=np.float64))
    if q.ndim != 1 or np.any(~(q >= 0) | ~(q <= 1)):
        raise ConfigError(f"The 'qs' parameter of {func} must be in [0, 1]. Got {qs!r} instead.")
    n = float(c.sum())
    if n == 0:
        warn_degenerate(func, "no counts")
        return np.full(q.size, np.nan)
    cum = np.cumsum(c)
    t = q * n
    idx = np.where(
        t > 0, np.searchsorted(cum, t, side="left"), np.searchsorted(cum, 0.0, side="right")
    )
    idx = np.minimum(idx, c.size - 1)
    before = cum[idx] - c[idx]
    frac = np.clip((t - before) / c[idx], 0.0, 1.0)
    return np.asarray(lo[idx] + frac * (hi[idx] - lo[idx]), dtype=np.float64)

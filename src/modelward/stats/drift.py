"""Drift between two histograms over the same bins.

Every kernel takes ``ref_counts`` and ``cur_counts``: equal-length arrays of
counts over the same bins (the ``numeric_bins`` or ``categorical`` tables of
the summaries). Degenerate input (an all-zero histogram, a single bin) warns
with :class:`modelward.ModelwardWarning` and gives nan.

Examples
--------
>>> ref = [10, 20, 30, 40]
>>> round(psi(ref, [40, 30, 20, 10]), 4)
0.9129
>>> round(jensen_shannon(ref, ref), 4)
0.0
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from scipy import special, stats

from modelward._exceptions import ConfigError
from modelward.stats._validation import (
    ArrayLike,
    FloatArray,
    as_counts,
    as_float_1d,
    warn_degenerate,
)
from modelward.stats.quantiles import quantiles_from_hist

__all__ = [
    "ChiSquareResult",
    "KSResult",
    "chi_square",
    "cramers_v",
    "jensen_shannon",
    "ks_binned",
    "ks_pvalue",
    "psi",
    "wasserstein_binned",
    "wasserstein_normalised",
]


def _pair(
    ref_counts: ArrayLike, cur_counts: ArrayLike, func: str
) -> tuple[FloatArray, FloatArray] | None:
    """Validate two histograms; return None (after warning) if degenerate."""
    ref = as_counts(ref_counts, name="ref_counts", func=func)
    cur = as_counts(cur_counts, name="cur_counts", func=func)
    if ref.shape != cur.shape:
        raise ConfigError(
            f"The 'cur_counts' parameter of {func} must have the length of 'ref_counts' "
            f"({ref.size}). Got {cur.size} instead."
        )
    if ref.size < 2:
        warn_degenerate(func, "a single bin carries no information on shape")
        return None
    if ref.sum() == 0 or cur.sum() == 0:
        warn_degenerate(func, "a histogram has no counts")
        return None
    return ref, cur


def psi(ref_counts: ArrayLike, cur_counts: ArrayLike, *, epsilon: float = 1e-4) -> float:
    """Population stability index of ``cur_counts`` against ``ref_counts``.

    ``PSI = sum_i (q_i - p_i) * ln(q_i / p_i)`` with ``p`` and ``q`` the
    reference and current bin proportions. Empty bins would make the log
    infinite, so each proportion is first floored at ``epsilon``
    (``p_i = max(p_i, epsilon)``, no renormalisation), the common textbook
    smoothing. PSI is >= 0 and 0 for identical proportions; the usual reading
    is < 0.1 stable, 0.1-0.25 moderate, > 0.25 major shift.

    Parameters
    ----------
    ref_counts, cur_counts
        Counts over the same bins.
    epsilon
        Floor for bin proportions, > 0.

    Returns
    -------
    float
        The PSI, or nan (with a warning) for degenerate input.

    Examples
    --------
    >>> round(psi([50, 50], [60, 40]), 4)
    0.0405
    >>> psi([5, 5, 0], [5, 5, 0])
    0.0
    """
    if not epsilon > 0:
        raise ConfigError(f"The 'epsilon' parameter of psi must be > 0. Got {epsilon} instead.")
    pair = _pair(ref_counts, cur_counts, "psi")
    if pair is None:
        return float("nan")
    ref, cur = pair
    p = np.maximum(ref / ref.sum(), epsilon)
    q = np.maximum(cur / cur.sum(), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def jensen_shannon(ref_counts: ArrayLike, cur_counts: ArrayLike) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between two histograms.

    The square root of the Jensen-Shannon divergence
    ``JSD = (KL(p || m) + KL(q || m)) / 2`` with ``m = (p + q) / 2`` and
    logarithms base 2; empty bins need no smoothing. Symmetric, 0 for
    identical proportions, 1 for disjoint supports. Equal to
    ``scipy.spatial.distance.jensenshannon(p, q, base=2)``.

    Examples
    --------
    >>> jensen_shannon([1, 0], [0, 1])
    1.0
    >>> round(jensen_shannon([10, 20, 30], [30, 20, 10]), 4)
    0.3547
    """
    pair = _pair(ref_counts, cur_counts, "jensen_shannon")
    if pair is None:
        return float("nan")
    ref, cur = pair
    p = ref / ref.sum()
    q = cur / cur.sum()
    m = (p + q) / 2
    jsd = (
        np.sum(special.xlogy(p, p) - special.xlogy(p, m))
        + np.sum(special.xlogy(q, q) - special.xlogy(q, m))
    ) / (2 * np.log(2))
    return float(np.sqrt(min(max(jsd, 0.0), 1.0)))


def _midpoints(edges: ArrayLike, n_counts: int, func: str) -> FloatArray:
    """Bin positions for ``n_counts`` bins given ``edges``.

    ``len(edges) == n_counts + 1``: plain bins, positions are midpoints.
    ``len(edges) == n_counts - 1``: the summaries layout with an underflow bin
    (placed at ``e_0``) and an overflow bin (placed at ``e_m``).
    """
    e = as_float_1d(edges, name="edges", func=func)
    if e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
        raise ConfigError(
            f"The 'edges' parameter of {func} must be >= 2 finite, strictly increasing "
            f"values. Got {e.tolist()[:6]} instead."
        )
    mid = (e[:-1] + e[1:]) / 2
    if e.size == n_counts + 1:
        return mid
    if e.size == n_counts - 1:
        return np.concatenate([[e[0]], mid, [e[-1]]])
    raise ConfigError(
        f"The 'edges' parameter of {func} must have len(counts) + 1 values (plain bins) or "
        f"len(counts) - 1 (with under/overflow bins). Got {e.size} for {n_counts} counts."
    )


def wasserstein_binned(ref_counts: ArrayLike, cur_counts: ArrayLike, edges: ArrayLike) -> float:
    """1-D Wasserstein (earth mover's) distance between two binned samples.

    Each bin's mass is placed at its midpoint and
    ``W1 = integral |F(x) - G(x)| dx`` is computed exactly for those point
    masses (the CDF difference times the gap between consecutive midpoints).

    ``edges`` has ``len(counts) + 1`` values for plain bins, or
    ``len(counts) - 1`` for the summaries layout (bin 0 underflow, last bin
    overflow); under/overflow mass is then placed at the outer edges, which
    clamps the data to ``[e_0, e_m]``. Clamping is 1-Lipschitz, so it can only
    shrink the distance.

    Error bound: moving each value to its bin midpoint moves it by at most
    half the bin width, so ``|W_binned - W_exact| <= sum_i (p_i + q_i) w_i / 2
    <= max bin width`` (within the edges; in the under/overflow layout the
    out-of-range mass adds the clamping loss above).

    Examples
    --------
    >>> wasserstein_binned([1, 0, 0], [0, 0, 1], [0.0, 1.0, 2.0, 3.0])
    2.0
    >>> wasserstein_binned([2, 1, 1], [2, 1, 1], [0.0, 1.0, 2.0, 4.0])
    0.0
    """
    pair = _pair(ref_counts, cur_counts, "wasserstein_binned")
    if pair is None:
        return float("nan")
    ref, cur = pair
    x = _midpoints(edges, ref.size, "wasserstein_binned")
    diff = np.cumsum(ref / ref.sum() - cur / cur.sum())[:-1]
    return float(np.sum(np.abs(diff) * np.diff(x)))


def wasserstein_normalised(
    ref_counts: ArrayLike,
    cur_counts: ArrayLike,
    edges: ArrayLike,
    *,
    scale: Literal["iqr", "std"] | float = "iqr",
) -> float:
    """Wasserstein distance divided by a scale of the reference distribution.

    A unit-free drift size: 0.1 means the current distribution moved, on
    average, a tenth of the reference's spread. ``scale="iqr"`` divides by the
    reference interquartile range read from the histogram by
    :func:`quantiles_from_hist` (robust; error within a bin width per
    quartile); ``scale="std"`` by the reference standard deviation of the bin
    positions; a float divides by that number (pass the exact std from
    ``numeric_moments`` when available).

    Examples
    --------
    >>> edges = [0.0, 1.0, 2.0, 3.0, 4.0]
    >>> wasserstein_normalised([1, 1, 1, 1], [0, 1, 1, 2], edges, scale=2.0)
    0.375
    """
    func = "wasserstein_normalised"
    w = wasserstein_binned(ref_counts, cur_counts, edges)
    if np.isnan(w):
        return w
    ref = as_counts(ref_counts, name="ref_counts", func=func)
    if isinstance(scale, str):
        if scale == "iqr":
            q1, q3 = quantiles_from_hist(edges, ref, [0.25, 0.75])
            s = float(q3 - q1)
        elif scale == "std":
            x = _midpoints(edges, ref.size, func)
            p = ref / ref.sum()
            mean = float(np.sum(p * x))
            s = float(np.sqrt(np.sum(p * (x - mean) ** 2)))
        else:
            raise ConfigError(
                f"The 'scale' parameter of {func} must be 'iqr', 'std' or a float > 0. "
                f"Got {scale!r} instead."
            )
    else:
        s = float(scale)
        if not s > 0:
            raise ConfigError(
                f"The 'scale' parameter of {func} must be 'iqr', 'std' or a float > 0. "
                f"Got {scale!r} instead."
            )
    if not s > 0:
        return warn_degenerate(func, "the reference scale is 0")
    return w / s


class KSResult(NamedTuple):
    """Result of :func:`ks_binned`."""

    statistic: float
    """Binned KS statistic: max |F - G| over the bin edges (a lower bound on exact D)."""
    pvalue: float
    """Asymptotic two-sample p-value of ``statistic``."""
    upper_bound: float
    """An upper bound on the exact (unbinned) KS statistic."""


_KSTWO_MAX_N = 10_000


def ks_pvalue(statistic: float, n1: float, n2: float) -> float:
    """Two-sample KS p-value from the distribution of D at ``n = n1 n2 / (n1 + n2)``.

    Uses ``scipy.stats.kstwo`` at the rounded effective sample size, as
    ``scipy.stats.ks_2samp(method="asymp")`` does, up to ``n = 10_000``; above
    that, Kolmogorov's limit ``kstwobign`` at ``D * sqrt(n)`` (``kstwo.sf`` is
    slow at large n, and the two agree to about 1e-3 relative there).

    Examples
    --------
    >>> round(ks_pvalue(0.1, 500, 500), 4)
    0.0125
    """
    en = n1 * n2 / (n1 + n2)
    n = max(round(en), 1)
    if n > _KSTWO_MAX_N:
        return float(np.clip(stats.kstwobign.sf(statistic * np.sqrt(en)), 0.0, 1.0))
    return float(np.clip(stats.kstwo.sf(statistic, n), 0.0, 1.0))


def ks_binned(ref_counts: ArrayLike, cur_counts: ArrayLike) -> KSResult:
    """Two-sample Kolmogorov-Smirnov test from binned counts.

    The statistic is the largest absolute difference between the two
    empirical CDFs at the bin edges, ``D_b = max_i |F_i - G_i|`` with ``F_i``,
    ``G_i`` the cumulative proportions through bin ``i``. The p-value is from
    :func:`ks_pvalue` with the counts' totals.

    Error bound: the edges are points where the exact ECDFs are known, so
    ``D_b <= D_exact``. Inside bin ``i`` (masses ``p_i``, ``q_i``) the ECDFs
    can move by at most their bin mass, so
    ``D_exact <= max_i max(d_i + q_i, p_i - d_i)`` with ``d_i = F_i - G_i``
    (returned as ``upper_bound``), which is ``<= D_b + max_i max(p_i, q_i)``: the binned D
    is off by at most the largest bin mass of either sample.

    Examples
    --------
    >>> res = ks_binned([25, 25, 25, 25], [10, 20, 30, 40])
    >>> round(res.statistic, 3), round(res.upper_bound, 3)
    (0.2, 0.45)
    """
    pair = _pair(ref_counts, cur_counts, "ks_binned")
    nan = float("nan")
    if pair is None:
        return KSResult(nan, nan, nan)
    ref, cur = pair
    p = ref / ref.sum()
    q = cur / cur.sum()
    d = np.cumsum(p) - np.cumsum(q)
    d[-1] = 0.0
    stat = float(np.max(np.abs(d)))
    # Inside bin i, F - G <= F_i - G_{i-1} = d_i + q_i and G - F <= G_i - F_{i-1} = p_i - d_i.
    upper = float(min(np.max(np.maximum(d + q, p - d)), 1.0))
    return KSResult(stat, ks_pvalue(stat, float(ref.sum()), float(cur.sum())), upper)


class ChiSquareResult(NamedTuple):
    """Result of :func:`chi_square`."""

    statistic: float
    pvalue: float
    dof: int


def _table(ref_counts: ArrayLike, cur_counts: ArrayLike, func: str) -> FloatArray | None:
    pair = _pair(ref_counts, cur_counts, func)
    if pair is None:
        return None
    table = np.vstack(pair)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        warn_degenerate(func, "fewer than two non-empty bins")
        return None
    return table


def chi_square(ref_counts: ArrayLike, cur_counts: ArrayLike) -> ChiSquareResult:
    """Chi-square test of homogeneity of two histograms (a 2 x k table).

    Bins empty in both histograms are dropped (they carry no information and
    would make expected counts zero). No Yates continuity correction, so it
    equals ``scipy.stats.chi2_contingency(table, correction=False)``.

    Examples
    --------
    >>> res = chi_square([50, 30, 20, 0], [30, 30, 40, 0])
    >>> round(res.statistic, 3), res.dof
    (11.667, 2)
    """
    table = _table(ref_counts, cur_counts, "chi_square")
    nan = float("nan")
    if table is None:
        return ChiSquareResult(nan, nan, 0)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    return ChiSquareResult(stat, float(stats.chi2.sf(stat, dof)), dof)


def cramers_v(ref_counts: ArrayLike, cur_counts: ArrayLike) -> float:
    """Cramér's V of the 2 x k table: ``sqrt(chi2 / n)``, in [0, 1].

    An effect size to go with :func:`chi_square`: 0 for identical
    proportions, 1 when the two histograms share no non-empty bin.

    Examples
    --------
    >>> cramers_v([10, 0], [0, 10])
    1.0
    >>> cramers_v([10, 10], [20, 20])
    0.0
    """
    table = _table(ref_counts, cur_counts, "cramers_v")
    if table is None:
        return float("nan")
    stat = chi_square(table[0], table[1]).statistic
    return float(np.sqrt(min(stat / table.sum(), 1.0)))

"""Multiple-testing control for many drift tests (features x segments).

Examples
--------
>>> rejected, adjusted = benjamini_hochberg([0.01, 0.04, 0.03, 0.20], alpha=0.05)
>>> rejected.tolist(), adjusted.round(3).tolist()
([True, False, False, False], [0.04, 0.053, 0.053, 0.2])
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from modelward._exceptions import ConfigError
from modelward.stats._validation import ArrayLike, FloatArray, as_float_1d, check_probability

__all__ = ["benjamini_hochberg"]


def benjamini_hochberg(
    pvalues: ArrayLike, *, alpha: float = 0.05
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Benjamini-Hochberg false discovery rate control.

    The adjusted p-value of the ``i``-th smallest of ``m`` p-values is
    ``min_{j >= i} min(1, m p_(j) / j)``; a test is rejected when its adjusted
    p-value is ``<= alpha``, which controls the FDR at ``alpha`` for
    independent (or positively dependent) tests. Equals
    ``scipy.stats.false_discovery_control(p, method="bh")``.

    nan p-values (a degenerate test) are left out: they are not counted in
    ``m``, get a nan adjusted p-value and are never rejected.

    Parameters
    ----------
    pvalues
        1-D array of p-values in [0, 1] (or nan).
    alpha
        Target false discovery rate in (0, 1).

    Returns
    -------
    rejected, adjusted
        Boolean mask and adjusted p-values, in the input order.

    Examples
    --------
    >>> benjamini_hochberg([0.5, float("nan")])[1].tolist()
    [0.5, nan]
    """
    func = "benjamini_hochberg"
    check_probability(alpha, name="alpha", func=func)
    p = as_float_1d(pvalues, name="pvalues", func=func)
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        first = int(np.flatnonzero(ok & ((p < 0) | (p > 1)))[0])
        raise ConfigError(
            f"The 'pvalues' parameter of {func} must be in [0, 1]. Got {p[first]} at index "
            f"{first} instead."
        )
    adjusted = np.full(p.shape, np.nan)
    valid = p[ok]
    m = valid.size
    if m:
        order = np.argsort(valid, kind="stable")
        scaled = valid[order] * m / np.arange(1, m + 1)
        adj_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        adj = np.empty(m)
        adj[order] = adj_sorted
        adjusted[ok] = adj
    rejected = np.zeros(p.shape, dtype=np.bool_)
    rejected[ok] = adjusted[ok] <= alpha
    return rejected, adjusted

"""Input checks and the degenerate-statistic warning shared by the stats kernels.

Examples
--------
>>> as_counts([1, 2, 0], name="ref_counts", func="psi")
array([1., 2., 0.])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from modelward._exceptions import ConfigError, ModelwardWarning

__all__ = [
    "ArrayLike",
    "FloatArray",
    "as_counts",
    "as_float_1d",
    "check_probability",
    "warn_degenerate",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike | Sequence[float]


def _bad(func: str, name: str, need: str, got: Any) -> ConfigError:
    return ConfigError(f"The '{name}' parameter of {func} must be {need}. Got {got} instead.")


def as_float_1d(values: ArrayLike, *, name: str, func: str) -> FloatArray:
    """Return ``values`` as a 1-D float64 array, raising ``ConfigError`` otherwise.

    Examples
    --------
    >>> as_float_1d((1, 2.5), name="x", func="f")
    array([1. , 2.5])
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _bad(func, name, "a 1-D array of numbers", type(values).__name__) from exc
    if arr.ndim != 1:
        raise _bad(func, name, "a 1-D array", f"an array of shape {arr.shape}")
    return arr


def as_counts(values: ArrayLike, *, name: str, func: str, ndim: int = 1) -> FloatArray:
    """Return histogram counts as a float64 array: finite, non-negative, of ``ndim`` dims.

    Examples
    --------
    >>> as_counts([[1, 0], [2, 3]], name="table", func="f", ndim=2).shape
    (2, 2)
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _bad(func, name, "an array of counts", type(values).__name__) from exc
    if arr.ndim != ndim:
        raise _bad(func, name, f"a {ndim}-D array of counts", f"an array of shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        first = int(np.flatnonzero(bad.ravel())[0])
        raise _bad(func, name, "finite and >= 0", f"{arr.ravel()[first]} at flat index {first}")
    return arr


def check_probability(value: float, *, name: str, func: str, open_: bool = True) -> float:
    """Check a confidence level or significance in (0, 1) (or [0, 1] if not ``open_``).

    Examples
    --------
    >>> check_probability(0.95, name="confidence", func="f")
    0.95
    """
    v = float(value)
    ok = (0.0 < v < 1.0) if open_ else (0.0 <= v <= 1.0)
    if not ok:
        need = "a float in (0, 1)" if open_ else "a float in [0, 1]"
        raise _bad(func, name, need, value)
    return v


def warn_degenerate(func: str, why: str) -> float:
    """Warn with ``ModelwardWarning`` that a statistic is undefined and return nan."""
    warnings.warn(f"{func}: {why}; returning nan.", ModelwardWarning, stacklevel=3)
    return float("nan")

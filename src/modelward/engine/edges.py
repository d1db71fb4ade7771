"""Reference bins (quantile edges, category lists) and the log-bin formula.

The log-bin formula of ``docs/summaries.md`` is written here once, as SQL
(:func:`log_bin_sql`) and as numpy (:func:`log_bin_numpy`), and a test checks
they agree.

Examples
--------
>>> log_bin_numpy([1.0, 10.0, 0.0], accuracy=0.01).tolist()
[0, 116, -32768]
>>> float(log_gamma(0.01)) > 0
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import duckdb
import numpy as np
import numpy.typing as npt

from modelward.engine.summaries import Bins

__all__ = [
    "NONPOSITIVE_BIN",
    "OTHER_CATEGORIES_CAP",
    "compute_bins",
    "dedupe_edges",
    "log_bin_numpy",
    "log_bin_sql",
    "log_gamma",
    "quote",
]

#: Bin of values <= 0 in log-spaced bins.
NONPOSITIVE_BIN = -32768
#: Reference values beyond the top categories that are remembered as ``__other__``.
OTHER_CATEGORIES_CAP = 1000


def quote(name: str) -> str:
    """A DuckDB-quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def log_gamma(accuracy: float) -> float:
    """``log(gamma)`` with ``gamma = (1 + a) / (1 - a)``."""
    return math.log((1.0 + accuracy) / (1.0 - accuracy))


def log_bin_sql(expr: str, *, accuracy: float) -> str:
    """SQL for the log bin of ``expr``: ``ceil(ln(x) / ln(gamma))``, or -32768 for x <= 0."""
    lg = repr(log_gamma(accuracy))
    return (
        f"(CASE WHEN ({expr}) > 0 THEN CAST(ceil(ln({expr}) / {lg}) AS INTEGER) "
        f"WHEN ({expr}) <= 0 THEN {NONPOSITIVE_BIN} END)"
    )


def log_bin_numpy(x: npt.ArrayLike, *, accuracy: float) -> npt.NDArray[np.int64]:
    """Numpy twin of :func:`log_bin_sql` (NaN is not allowed)."""
    arr = np.asarray(x, dtype=np.float64)
    out = np.full(arr.shape, NONPOSITIVE_BIN, dtype=np.int64)
    pos = arr > 0
    out[pos] = np.ceil(np.log(arr[pos]) / log_gamma(accuracy)).astype(np.int64)
    return out


def dedupe_edges(values: Sequence[float | None]) -> list[float]:
    """Sorted, finite, distinct edges."""
    vals = sorted({float(v) for v in values if v is not None and math.isfinite(float(v))})
    return vals


def compute_bins(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    numeric_bins: int,
    max_categories: int,
) -> Bins:
    """Bin edges and category lists from the rows of ``relation_sql`` (the reference).

    Numeric edges are the exact reference quantiles at ``0, 1/k, ..., 1``
    (``k = numeric_bins``) of finite values, duplicates removed. Categories are
    the ``max_categories`` most frequent non-null values (ties by value), then up
    to :data:`OTHER_CATEGORIES_CAP` further values remembered as ``__other__``.
    """
    edges: dict[str, list[float]] = {}
    if numeric:
        probs = "[" + ", ".join(repr(i / numeric_bins) for i in range(numeric_bins + 1)) + "]"
        exprs = [
            f"quantile_cont(CASE WHEN isfinite(CAST({quote(c)} AS DOUBLE)) "
            f"THEN CAST({quote(c)} AS DOUBLE) END, {probs})"
            for c in numeric
        ]
        row = con.execute(f"SELECT {', '.join(exprs)} FROM ({relation_sql})").fetchall()[0]
        for c, q in zip(numeric, row, strict=True):
            edges[c] = dedupe_edges(q or [])
    cats: dict[str, list[str]] = {}
    others: dict[str, list[str]] = {}
    cap = max_categories + OTHER_CATEGORIES_CAP
    for c in categorical:
        rows = con.execute(
            f"SELECT CAST({quote(c)} AS VARCHAR) AS v, count(*) AS n FROM ({relation_sql}) "
            f"WHERE {quote(c)} IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {cap}"
        ).fetchall()
        values = [str(r[0]) for r in rows]
        cats[c] = values[:max_categories]
        others[c] = sorted(values[max_categories:])
    return Bins(numeric_edges=edges, categories=cats, other_categories=others)

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
>>> sample_hash_python("p1")
4143455629600780012
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import duckdb
import numpy as np
import numpy.typing as npt

from modelward.engine.summaries import Bins

__all__ = [
    "EDGE_SAMPLE_ROWS",
    "NONPOSITIVE_BIN",
    "OTHER_CATEGORIES_CAP",
    "compute_bins",
    "dedupe_edges",
    "log_bin_numpy",
    "log_bin_sql",
    "log_gamma",
    "quantiles_cont",
    "quote",
    "sample_hash_python",
    "sample_hash_sql",
]

#: Bin of values <= 0 in log-spaced bins.
NONPOSITIVE_BIN = -32768
#: Reference values beyond the top categories that are remembered as ``__other__``.
OTHER_CATEGORIES_CAP = 1000


def quote(name: str) -> str:
    """A DuckDB-quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def sample_hash_sql(expr: str) -> str:
    """DuckDB SQL of the portable sample hash of ``expr`` (an id), a UBIGINT.

    The hash is the first 8 bytes of ``md5(CAST(id AS VARCHAR))`` read as a
    little-endian unsigned 64-bit integer. Both engines use it (DuckDB through
    ``md5_number``, Spark through the hex digits of ``md5``), so the bottom-k
    row sample and the hash-sampled reference edges are the same rows in both.
    """
    return f"(md5_number(CAST({expr} AS VARCHAR)) & {2**64 - 1}::UHUGEINT)::UBIGINT"


def sample_hash_python(value: object) -> int:
    """Python twin of :func:`sample_hash_sql` for an id already rendered as DuckDB would."""
    digest = hashlib.md5(str(value).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


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
    """Numpy twin of :func:`log_bin_sql` (no NaN or infinity: the reader rejects them)."""
    arr = np.asarray(x, dtype=np.float64)
    out = np.full(arr.shape, NONPOSITIVE_BIN, dtype=np.int64)
    pos = arr > 0
    out[pos] = np.ceil(np.log(arr[pos]) / log_gamma(accuracy)).astype(np.int64)
    return out


def dedupe_edges(values: Sequence[float | None]) -> list[float]:
    """Sorted, finite, distinct edges."""
    vals = sorted({float(v) for v in values if v is not None and math.isfinite(float(v))})
    return vals


#: Above this many reference rows, numeric edges come from a deterministic
#: sample of about this many rows (rows whose id hash falls below a threshold).
EDGE_SAMPLE_ROWS = 200_000


def quantiles_cont(
    con: duckdb.DuckDBPyConnection, x: npt.NDArray[np.float64], probs: Sequence[float]
) -> list[float]:
    """DuckDB's ``quantile_cont(x, probs)`` of the non-empty ``x``, bit for bit, without a sort.

    The two order statistics around each rank ``(n - 1) * p`` come from one
    ``numpy.partition``; DuckDB itself interpolates between them (one query of
    two rows for every quantile), as ``_spark_bins`` does for Spark.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> quantiles_cont(con, np.array([3.0, 0.0, 1.0, 10.0]), [0.0, 0.5, 0.9, 1.0])
    [0.0, 2.0, 7.900000000000001, 10.0]
    """
    n = len(x)
    rn = [float(n - 1) * p for p in probs]
    lo_i = [math.floor(r) for r in rn]
    hi_i = [math.ceil(r) for r in rn]
    s = np.partition(x, sorted({*lo_i, *hi_i}))
    out = [float(s[i]) for i in lo_i]
    # DuckDB interpolates equal neighbours too (it can return 20.999999999999996 for 21, 21)
    todo = [j for j, (a, b) in enumerate(zip(lo_i, hi_i, strict=True)) if a != b]
    if todo:
        cols = ", ".join(f"quantile_cont(x{k}, $d{k})" for k in range(len(todo)))
        lists = ", ".join(
            f"unnest([{float(s[lo_i[j]])!r}, {float(s[hi_i[j]])!r}]::DOUBLE[]) AS x{k}"
            for k, j in enumerate(todo)
        )
        params = {f"d{k}": rn[j] - lo_i[j] for k, j in enumerate(todo)}
        row = con.execute(f"SELECT {cols} FROM (SELECT {lists})", params).fetchone()
        assert row is not None
        for k, j in enumerate(todo):
            out[j] = float(row[k])
    return out


def compute_bins(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    numeric_bins: int,
    max_categories: int,
    sample_key: str | None = None,
    sample_rows: int = EDGE_SAMPLE_ROWS,
) -> Bins:
    """Bin edges and category lists from the rows of ``relation_sql`` (the reference).

    Numeric edges are the reference quantiles at ``0, 1/k, ..., 1``
    (``k = numeric_bins``) of finite values, duplicates removed: exact when the
    reference has at most ``sample_rows`` rows or no ``sample_key`` (an id
    column) is given, otherwise exact quantiles of the deterministic sample of
    rows whose portable hash (:func:`sample_hash_sql`) of ``sample_key`` is below
    ``2**64 * sample_rows / n`` (about ``sample_rows`` rows). Edges only have to
    be fixed, not exact: every count over them is exact, and a sample of 200,000
    rows puts each edge within about 0.003 of its nominal quantile. Categories are
    always exact, from one
    GROUPING SETS query over all reference rows: the ``max_categories`` most
    frequent non-null values (ties by value), then up to
    :data:`OTHER_CATEGORIES_CAP` further values remembered as ``__other__``.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> rel = "SELECT range AS id, range * 1.0 AS x, CAST(range % 3 AS VARCHAR) AS c FROM range(10)"
    >>> b = compute_bins(con, rel, numeric=["x"], categorical=["c"], numeric_bins=2,
    ...                  max_categories=1)
    >>> b.numeric_edges["x"], b.categories["c"], b.other_categories["c"]
    ([0.0, 4.5, 9.0], ['0'], ['1', '2'])
    """
    edges: dict[str, list[float]] = {}
    if numeric:
        src = f"({relation_sql})"
        if sample_key is not None:
            n = int(con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0])
            if n > sample_rows:
                thr = min(int(2**64 * sample_rows / n), 2**64 - 1)
                h = sample_hash_sql(quote(sample_key))
                src = f"(SELECT * FROM {src} WHERE {h} < {thr}::UBIGINT)"
        fin = [
            f"CASE WHEN isfinite(CAST({quote(c)} AS DOUBLE)) THEN CAST({quote(c)} AS DOUBLE) END "
            f"AS _x{i}"
            for i, c in enumerate(numeric)
        ]
        tab = con.sql(f"SELECT {', '.join(fin)} FROM {src}").to_arrow_table()
        probs = [i / numeric_bins for i in range(numeric_bins + 1)]
        for c, col in zip(numeric, tab.columns, strict=True):
            x = col.drop_null().to_numpy()
            edges[c] = dedupe_edges(quantiles_cont(con, x, probs)) if len(x) else []
    cats: dict[str, list[str]] = {c: [] for c in categorical}
    others: dict[str, list[str]] = {c: [] for c in categorical}
    if categorical:
        cap = max_categories + OTHER_CATEGORIES_CAP
        vs = [f"CAST({quote(c)} AS VARCHAR) AS _v{i}" for i, c in enumerate(categorical)]
        sets = ", ".join(f"(_v{i})" for i in range(len(categorical)))
        which = " ".join(f"WHEN grouping(_v{i}) = 0 THEN {i}" for i in range(len(categorical)))
        value = "coalesce(" + ", ".join(f"_v{i}" for i in range(len(categorical))) + ")"
        rows = con.execute(
            f"SELECT f, v, n FROM (SELECT CASE {which} END AS f, {value} AS v, count(*) AS n "
            f"FROM (SELECT {', '.join(vs)} FROM ({relation_sql})) GROUP BY GROUPING SETS ({sets})) "
            f"WHERE v IS NOT NULL "
            f"QUALIFY row_number() OVER (PARTITION BY f ORDER BY n DESC, v) <= {cap} "
            f"ORDER BY f, n DESC, v"
        ).fetchall()
        values: dict[int, list[str]] = {}
        for f, v, _n in rows:
            values.setdefault(int(f), []).append(str(v))
        for i, c in enumerate(categorical):
            got = values.get(i, [])
            cats[c] = got[:max_categories]
            others[c] = sorted(got[max_categories:])
    return Bins(numeric_edges=edges, categories=cats, other_categories=others)

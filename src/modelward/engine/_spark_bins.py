"""Reference bins computed in Spark, identical to the DuckDB engine's.

Numeric edges are DuckDB's ``quantile_cont`` at ``0, 1/k, ..., 1`` of the finite
reference values. Spark's exact ``percentile`` interpolates with a different
floating-point formula, and ``percentile_approx`` is approximate, so neither
gives the same edges. Instead: Spark counts the finite values ``n`` of each
feature, then fetches the exact order statistics ``x[floor(RN)]`` and
``x[ceil(RN)]`` (``RN = (n - 1) * p``) with ``percentile_disc`` (no interpolation
there: it returns a value of the data), and DuckDB
itself interpolates between those two values. The edges are therefore
bit-identical to the DuckDB engine's. Categories: the same ``count DESC, value``
order and caps as :func:`modelward.engine.edges.compute_bins`.

``percentile_disc`` keeps a hash map of the distinct values of each feature per
partition: on a very large reference, pass ``bins=`` from a DuckDB pass instead.

Examples
--------
>>> rank_prob(3, 8)
0.4375
>>> import math; math.ceil(rank_prob(5, 7) * 7) - 1
5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb

from modelward.engine.edges import OTHER_CATEGORIES_CAP, dedupe_edges
from modelward.engine.summaries import Bins

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["rank_prob", "spark_bins"]


def rank_prob(rank: int, n: int) -> float:
    """The probability whose ``percentile_disc`` is the 0-based order statistic ``rank``.

    ``percentile_disc(p)`` is the value at 0-based index ``ceil(p * n) - 1``;
    ``p = (rank + 0.5) / n`` puts ``p * n`` half-way between two integers, far
    from any rounding boundary.
    """
    return (rank + 0.5) / n


def _finite(df: DataFrame, column: str) -> Column:
    from pyspark.sql import functions as F

    x = F.col(column).cast("double")
    return F.when(~F.isnan(x) & (F.abs(x) != F.lit(math.inf)), x)


def _expr(column: str) -> str:
    """SQL of the finite values of ``column`` (others null)."""
    x = "CAST(`" + column.replace("`", "``") + "` AS DOUBLE)"
    return f"CASE WHEN NOT isnan({x}) AND abs({x}) != double('inf') THEN {x} END"


def _interpolate(con: duckdb.DuckDBPyConnection, lo: float, hi: float, d: float) -> float:
    """DuckDB's own ``quantile_cont`` interpolation between two order statistics."""
    if d == 0.0 or lo == hi:
        return lo
    row = con.execute(
        "SELECT quantile_cont(x, $d) FROM (SELECT unnest([$lo, $hi]::DOUBLE[]) AS x)",
        {"d": d, "lo": lo, "hi": hi},
    ).fetchone()
    assert row is not None
    return float(row[0])


def spark_bins(
    df: DataFrame,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    numeric_bins: int,
    max_categories: int,
) -> Bins:
    """Bins of the reference rows ``df``, equal to DuckDB's ``compute_bins`` on the same rows."""
    from pyspark.sql import functions as F

    edges: dict[str, list[float]] = {}
    if numeric:
        counts = df.agg(
            *[F.count(_finite(df, c)).alias(f"n{i}") for i, c in enumerate(numeric)]
        ).collect()[0]
        probs = [i / numeric_bins for i in range(numeric_bins + 1)]
        plans: list[tuple[str, int, list[int]]] = []
        aggs = []
        for i, c in enumerate(numeric):
            n = int(counts[f"n{i}"])
            if n == 0:
                edges[c] = []
                continue
            ranks = sorted({r for p in probs for r in _ranks(n, p)})
            plans.append((c, n, ranks))
            ps = ", ".join(repr(rank_prob(r, n)) for r in ranks)
            aggs.append(
                F.expr(f"percentile_disc(array({ps})) WITHIN GROUP (ORDER BY {_expr(c)})").alias(
                    f"q{i}"
                )
            )
        row = df.agg(*aggs).collect()[0] if aggs else None
        con = duckdb.connect()
        try:
            for c, n, ranks in plans:
                i = list(numeric).index(c)
                assert row is not None
                stats = dict(zip(ranks, (float(v) for v in row[f"q{i}"]), strict=True))
                vals: list[float] = []
                for p in probs:
                    rn = float(n - 1) * p
                    f, ce = math.floor(rn), math.ceil(rn)
                    vals.append(_interpolate(con, stats[f], stats[ce], rn - f))
                edges[c] = dedupe_edges(vals)
        finally:
            con.close()
    cats: dict[str, list[str]] = {}
    others: dict[str, list[str]] = {}
    cap = max_categories + OTHER_CATEGORIES_CAP
    for c in categorical:
        v = F.col(c).cast("string")
        rows = (
            df.where(F.col(c).isNotNull())
            .groupBy(v.alias("v"))
            .count()
            .orderBy(F.col("count").desc(), F.col("v").asc())
            .limit(cap)
            .collect()
        )
        values = [str(r["v"]) for r in rows]
        cats[c] = values[:max_categories]
        others[c] = sorted(values[max_categories:])
    return Bins(numeric_edges=edges, categories=cats, other_categories=others)


def _ranks(n: int, p: float) -> tuple[int, int]:
    rn = float(n - 1) * p
    return math.floor(rn), math.ceil(rn)

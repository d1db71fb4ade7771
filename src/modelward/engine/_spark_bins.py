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

Above ``sample_rows`` reference rows, numeric edges come from the rows whose
portable sample hash is below ``2**64 * sample_rows / n``, the same rows as
DuckDB's (:func:`modelward.engine.edges.sample_hash_sql`): Spark compares the
hash as 16 lowercase hex digits (:func:`sample_hash_hex`), whose string order
is the unsigned order, so no signed 64-bit overflow can occur.

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

from modelward.engine.edges import EDGE_SAMPLE_ROWS, OTHER_CATEGORIES_CAP, dedupe_edges
from modelward.engine.summaries import Bins

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["rank_prob", "sample_hash_hex", "spark_bins"]


def sample_hash_hex(id_col: Column) -> Column:
    """The portable sample hash of ``id_col`` as 16 lowercase hex digits (big-endian).

    The first 8 bytes of ``md5(CAST(id AS STRING))`` read little-endian: the
    byte pairs of the first 16 hex digits of ``md5`` in reverse order. String
    order of the result equals the unsigned order of the 64-bit hash;
    ``conv(h, 16, 10)`` is its decimal value.
    """
    from pyspark.sql import functions as F

    h = F.md5(id_col.cast("string"))
    return F.concat(*[F.substring(h, 2 * i + 1, 2) for i in reversed(range(8))])


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
    sample_key: str | None = None,
    sample_rows: int = EDGE_SAMPLE_ROWS,
) -> Bins:
    """Bins of the reference rows ``df``, equal to DuckDB's ``compute_bins`` on the same rows.

    ``sample_key`` (the id column) and ``sample_rows`` as in
    :func:`modelward.engine.edges.compute_bins`.
    """
    from pyspark.sql import functions as F

    edges: dict[str, list[float]] = {}
    if numeric:
        fin = [F.count(_finite(df, c)).alias(f"n{i}") for i, c in enumerate(numeric)]
        counts = df.agg(F.count(F.lit(1)).alias("_rows"), *fin).collect()[0]
        n_rows = int(counts["_rows"])
        ndf = df  # the rows the numeric edges come from
        if sample_key is not None and n_rows > sample_rows:
            thr = min(int(2**64 * sample_rows / n_rows), 2**64 - 1)
            ndf = df.where(sample_hash_hex(F.col(sample_key)) < F.lit(f"{thr:016x}"))
            counts = ndf.agg(*fin).collect()[0]
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
        row = ndf.agg(*aggs).collect()[0] if aggs else None
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
    if categorical:
        from pyspark.sql import Window

        # every categorical feature in one job: (feature index, value) counts, top ``cap`` each
        pairs = F.explode(
            F.array(
                *[
                    F.struct(F.lit(i).alias("f"), F.col(c).cast("string").alias("v"))
                    for i, c in enumerate(categorical)
                ]
            )
        )
        w = Window.partitionBy("f").orderBy(F.col("count").desc(), F.col("v").asc())
        rows = (
            df.select(pairs.alias("e"))
            .select("e.f", "e.v")
            .where(F.col("v").isNotNull())
            .groupBy("f", "v")
            .count()
            .withColumn("_rn", F.row_number().over(w))
            .where(F.col("_rn") <= cap)
            .toArrow()
            .to_pylist()
        )
        got: dict[int, list[tuple[int, str]]] = {}
        for r in rows:
            got.setdefault(int(r["f"]), []).append((-int(r["count"]), str(r["v"])))
        for i, c in enumerate(categorical):
            values = [v for _, v in sorted(got.get(i, []))]
            cats[c] = values[:max_categories]
            others[c] = sorted(values[max_categories:])
    return Bins(numeric_edges=edges, categories=cats, other_categories=others)


def _ranks(n: int, p: float) -> tuple[int, int]:
    rn = float(n - 1) * p
    return math.floor(rn), math.ceil(rn)

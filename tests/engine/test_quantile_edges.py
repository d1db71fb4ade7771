"""Numeric edges from numpy order statistics equal DuckDB's own ``quantile_cont``."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.engine.edges import compute_bins, dedupe_edges, quantiles_cont

_CON = duckdb.connect()


def _duckdb(x: list[float], probs: list[float]) -> list[float]:
    lit = "[" + ", ".join(repr(p) for p in probs) + "]"
    row = _CON.execute(f"SELECT quantile_cont(x, {lit}) FROM unnest(?::DOUBLE[]) t(x)", [x])
    return [float(v) for v in row.fetchall()[0][0]]


@settings(max_examples=150, deadline=None)
@given(
    xs=st.lists(
        st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)
        | st.integers(-5, 5).map(float),
        min_size=1,
        max_size=80,
    ),
    k=st.integers(1, 200),
)
def test_quantiles_equal_duckdb_bit_for_bit(xs: list[float], k: int) -> None:
    probs = [i / k for i in range(k + 1)]
    assert quantiles_cont(_CON, np.asarray(xs), probs) == _duckdb(xs, probs)


@pytest.mark.parametrize(
    ("n", "k", "scale"), [(5000, 20, 1.0), (3001, 37, -1e-200), (999, 7, 1e250)]
)
def test_compute_bins_equals_sql_quantiles(n: int, k: int, scale: float) -> None:
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * scale
    x[:5] = [np.inf, -np.inf, np.nan, 0.0, 0.0]
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM unnest(?::DOUBLE[]) u(x)", [x.tolist()])
    con.execute("ALTER TABLE t ADD COLUMN id VARCHAR DEFAULT 'a'")
    got = compute_bins(
        con, "SELECT * FROM t", numeric=["x"], categorical=[], numeric_bins=k, max_categories=5
    )
    probs = "[" + ", ".join(repr(i / k) for i in range(k + 1)) + "]"
    want = con.execute(
        f"SELECT quantile_cont(CASE WHEN isfinite(x) THEN x END, {probs}) FROM t"
    ).fetchall()[0][0]
    assert got.numeric_edges["x"] == dedupe_edges(want)
    assert len(got.numeric_edges["x"]) > 2

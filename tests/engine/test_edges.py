"""The SQL log-bin formula equals its numpy twin."""

from __future__ import annotations

import duckdb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.engine.edges import (
    log_bin_numpy,
    log_bin_sql,
    sample_hash_python,
    sample_hash_sql,
)

_CON = duckdb.connect()


@settings(max_examples=50, deadline=None)
@given(
    xs=st.lists(st.floats(-1e3, 1e9, allow_nan=False), min_size=1, max_size=50),
    a=st.sampled_from([0.001, 0.005, 0.01, 0.05]),
)
def test_sql_formula_equals_numpy(xs: list[float], a: float) -> None:
    con = duckdb.connect()
    got = [
        r[0]
        for r in con.execute(
            f"SELECT {log_bin_sql('x', accuracy=a)} FROM unnest(?::DOUBLE[]) t(x)", [xs]
        ).fetchall()
    ]
    assert got == log_bin_numpy(xs, accuracy=a).tolist()


def test_log_bins_bound_relative_error() -> None:
    a = 0.01
    x = np.random.default_rng(0).lognormal(3, 2, 1000)
    i = log_bin_numpy(x, accuracy=a)
    g = (1 + a) / (1 - a)
    est = 2 * g**i / (g + 1)
    assert np.all(np.abs(est - x) <= a * x * (1 + 1e-12))


@settings(max_examples=30, deadline=None)
@given(ids=st.lists(st.text(max_size=12) | st.integers(-(2**62), 2**62), min_size=1, max_size=20))
def test_sample_hash_sql_equals_python(ids: list[str | int]) -> None:
    vals = [str(v) for v in ids]
    got = [
        r[0]
        for r in _CON.execute(
            f"SELECT {sample_hash_sql('x')} FROM unnest(?::VARCHAR[]) t(x)", [vals]
        ).fetchall()
    ]
    assert got == [sample_hash_python(v) for v in vals]

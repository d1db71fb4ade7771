"""Kernels of the batch accumulator: bin codes, and moments that skip non-finite values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.engine import get_engine
from modelward.engine._batch import bin_codes
from tests.engine.engine_logs import make_log, make_table


def _reference_codes(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The rule of docs/summaries.md, one value at a time."""
    m = len(edges)
    out = []
    for v in x:
        if np.isnan(v):
            out.append(m + 1)
        elif m and v == edges[-1]:
            out.append(m - 1)
        else:
            out.append(int(np.sum(edges <= v)))
    return np.asarray(out)


@settings(max_examples=60, deadline=None)
@given(
    edges=st.lists(st.floats(-50, 50), min_size=0, max_size=130, unique=True),
    extra=st.lists(
        st.one_of(st.floats(-60, 60), st.sampled_from([np.nan, np.inf, -np.inf])), max_size=40
    ),
)
def test_bin_codes_follow_the_documented_rule(edges: list[float], extra: list[float]) -> None:
    e = np.sort(np.asarray(edges, np.float64))
    # every edge itself, and the values either side of it, plus arbitrary values
    x = np.r_[e, np.nextafter(e, -np.inf), np.nextafter(e, np.inf), np.asarray(extra, float)]
    got = bin_codes(x, e)
    np.testing.assert_array_equal(got.astype(np.int64), _reference_codes(x, e))


def test_moments_skip_infinities_and_all_nan_groups() -> None:
    t = make_table(3000, seed=5, days=4)
    x = np.asarray(t["x"].to_numpy(zero_copy_only=False), np.float64).copy()
    x[:40:3] = np.inf
    x[1:40:3] = -np.inf
    country = np.asarray(t["country"].to_pylist(), dtype=object)
    one = np.flatnonzero(country == country[0])
    x[one] = np.nan  # one segment value without any finite x ...
    x[one[::50]] = np.inf  # ... but a few infinities
    t = t.set_column(t.column_names.index("x"), "x", pa.array(x, mask=np.isnan(x)))
    s = get_engine().summarise(make_log(t), reference_end="2026-01-02", sample_size=0)
    mom = s.table("numeric_moments").to_pandas()
    got = mom[(mom.feature == "x") & (mom.segment == "country")]
    df = t.to_pandas()
    df["day"] = df["timestamp"].dt.floor("D")
    df["country"] = df["country"].fillna("__null__")
    for row in got.itertuples():
        sel = df[(df.day == row.bucket) & (df.country == row.segment_value)]
        v = sel["x"].to_numpy(np.float64)
        fin = v[np.isfinite(v)]
        assert row.count == len(fin)
        assert row.nulls == int(np.isnan(v).sum())
        assert np.isclose(row.sum, fin.sum(), rtol=1e-12)
        assert np.isclose(row.sum_sq, (fin * fin).sum(), rtol=1e-12)
        if len(fin):
            assert (row.min, row.max) == (fin.min(), fin.max())
        else:  # no finite value: min and max are null
            assert pd.isna(row.min)
            assert pd.isna(row.max)
    assert (got["count"] == 0).any()
    assert (got["count"] > 0).any()
    assert not pd.isna(got["sum"]).any()

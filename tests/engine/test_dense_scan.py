"""The dense streaming scan: batch-size invariance, the score grid rule, log bins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.engine import duckdb_engine, get_engine, log_bin_numpy
from modelward.stats import log_bin_index
from tests.engine.engine_logs import make_log, make_table


def test_tables_do_not_depend_on_batch_size(monkeypatch: pytest.MonkeyPatch) -> None:
    t = make_table(1500, seed=11, days=6)
    # segment values first appear in later batches: accumulators must grow
    country = t["country"].to_pylist()
    country[1200:] = ["NZ"] * 300
    t = t.set_column(t.column_names.index("country"), "country", pa.array(country, pa.string()))
    colour = t["colour"].to_pylist()
    late = t["timestamp"].to_numpy() >= np.datetime64("2026-01-04")
    for i in np.flatnonzero(late)[-100:]:
        colour[i] = f"new{i % 7}"
    t = t.set_column(t.column_names.index("colour"), "colour", pa.array(colour, pa.string()))
    whole = get_engine().summarise(make_log(t), reference_end="2026-01-02", sample_size=5)
    monkeypatch.setattr(duckdb_engine, "BATCH_ROWS", 97)
    small = get_engine().summarise(make_log(t), reference_end="2026-01-02", sample_size=5)
    for name, tab in whole.tables.items():
        other = small.tables[name]
        assert tab.schema == other.schema, name
        a, b = tab.to_pandas(), other.to_pandas()
        if name == "sample":
            a, b = a.sort_values("_hash"), b.sort_values("_hash")
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b.reset_index(drop=True), rtol=1e-9, obj=name
        )
    un = whole.table("unseen").to_pandas()
    assert set(un["value"]) == {f"new{i}" for i in range(7)}
    assert "NZ" in set(whole.table("volume").to_pandas()["segment_value"])


def test_on_grid_scores_fall_in_their_own_bin() -> None:
    t = make_table(200, seed=2)
    B = 50
    grid = np.array([0.58, 0.28, 0.56, 0.06, 0.14, 1.0, 0.0])
    assert np.floor(0.58 * B) == 28  # the floating-point trap this guards against
    score = np.resize(grid, t.num_rows)
    t = t.set_column(t.column_names.index("score"), "score", pa.array(score))
    s = get_engine().summarise(make_log(t), score_bins=B, sample_size=0)
    d = s.table("score").to_pandas()
    got = d[d["segment"] == ""].groupby("score_bin")["count"].sum()
    exp = pd.Series(np.minimum(np.rint(score * B), B - 1).astype(int)).value_counts()
    assert got.sort_index().to_dict() == exp.sort_index().to_dict()
    assert got[29] == int((score == 0.58).sum())  # floor(0.58 * 50) would say 28


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(
        st.one_of(
            st.floats(-1e3, 1e12, allow_nan=False),
            st.sampled_from([0.0, -0.0, 1.0, 5e-324, 1e-300, 1e308]),
        ),
        min_size=1,
        max_size=60,
    ),
    a=st.sampled_from([0.001, 0.005, 0.01, 0.05, 0.2]),
)
def test_engine_log_bins_equal_stats_log_bin_index(xs: list[float], a: float) -> None:
    x = np.asarray(xs)
    np.testing.assert_array_equal(log_bin_numpy(x, accuracy=a), log_bin_index(x, accuracy=a))


def test_engine_log_bins_equal_stats_on_random_data() -> None:
    x = np.random.default_rng(0).lognormal(2, 3, 20_000)
    x[:5] = [0.0, 1.0, 1e308, 1e-310, 7.0]
    for a in (0.005, 0.01):
        np.testing.assert_array_equal(log_bin_numpy(x, accuracy=a), log_bin_index(x, accuracy=a))

"""Forecast kernel: exact Theil-Sen against scipy, known crossings, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from modelward.stats.forecast import crossing_time, forecast_crossing, theil_sen_batch, weekly_trend


def test_batch_matches_scipy_theilslopes() -> None:
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 50, 40))
    ys = rng.normal(size=(5, 40)) + 0.1 * t
    s, b = theil_sen_batch(t, ys)
    for k in range(5):
        ref = stats.theilslopes(ys[k], t)
        assert s[k] == pytest.approx(ref[0], abs=1e-12)
        assert b[k] == pytest.approx(ref[1], abs=1e-12)


def test_weekly_profile_is_removed() -> None:
    t = np.arange(56.0)
    y = 1.0 - 0.01 * t + np.array([0, 0, 0, 0, 0, -0.2, -0.2])[np.floor(t).astype(int) % 7]
    tr = weekly_trend(t, y)
    assert tr.slope == pytest.approx(-0.01, abs=1e-9)
    assert tr.seasonal[5] - tr.seasonal[0] == pytest.approx(-0.2, abs=1e-9)


def test_known_crossing_is_covered() -> None:
    hits = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        t = np.arange(42.0)
        y = 0.9 - 0.005 * t + rng.normal(0, 0.01, t.size)  # crosses 0.7 at t = 40 + ...
        fc = forecast_crossing(t, y, limit=0.65, direction="below", horizon=60, seed=seed,
                               draws=200)  # fmt: skip
        assert fc.status == "will_cross"
        hits += fc.low <= 50.0 <= fc.high
    assert hits >= 28  # nominal 80% of 40


def test_directions_and_statuses() -> None:
    t = np.arange(30.0)
    assert forecast_crossing(t, 100 + 2 * t, limit=200, direction="above", horizon=30).status == (
        "will_cross"
    )
    assert forecast_crossing(t, 100 + 2 * t, limit=120, direction="above", horizon=30).status == (
        "crossed"
    )
    assert forecast_crossing(t[:5], t[:5], limit=1, direction="above", horizon=3).status == (
        "insufficient_data"
    )
    assert list(crossing_time([1.0], [0.0], limit=5, direction="above", now=0)) == [5.0]


@settings(max_examples=30, deadline=None)
@given(st.floats(-0.05, 0.05), st.floats(0.5, 1.0), st.integers(0, 1000))
def test_interval_contains_point(slope: float, level: float, seed: int) -> None:
    t = np.arange(35.0)
    y = level + slope * t + np.random.default_rng(seed).normal(0, 0.01, 35)
    fc = forecast_crossing(t, y, limit=0.4, direction="below", horizon=30, seed=seed, draws=100)
    if fc.status in ("will_cross", "crossed"):
        assert fc.low <= fc.crossing <= fc.high
    assert 0.0 <= fc.probability <= 1.0

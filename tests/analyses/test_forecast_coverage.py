"""Coverage of the confidence calendar's crossing-date interval on seeded synthetic series.

Each series is a linear decline plus a weekly pattern plus AR(1) noise, with the slope,
noise level, autocorrelation, starting level and cut-off drawn at random per seed (no
parameter of the benchmark's families is reused), so the true crossing of the noiseless
trend is known. A nominal 80% interval must cover it in 80% +- a binomial tolerance of the
series, and the misses must not all fall on one side (a biased date, not only a narrow
interval). With 100 series the binomial SD at 80% is 4 points: the band below is three SDs.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest

from modelward.stats.forecast import forecast_crossing

N_SERIES = 100
NOMINAL = 0.8


def _ar1(rng: np.random.Generator, n: int, sd: float, phi: float) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.normal(0.0, sd / np.sqrt(1.0 - phi**2))  # stationary start
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0.0, sd)
    return e


def _coverage(seed0: int, direction: Literal["below", "above"]) -> tuple[float, float, float]:
    """Share covered, share with the truth before the interval, share after it."""
    covered = early = late = 0
    for k in range(N_SERIES):
        rng = np.random.default_rng(seed0 + k)
        n = int(rng.integers(21, 43))
        sd = rng.uniform(0.004, 0.02)
        phi = rng.uniform(0.0, 0.6)
        level = rng.uniform(0.7, 0.95)
        gap = rng.uniform(0.1, 0.3)
        ahead = rng.uniform(3.0, 25.0)  # days from the cut-off to the true crossing
        slope = -gap / (n - 1 + ahead)
        t = np.arange(n, dtype=float)
        week = rng.normal(0.0, sd, 7)
        y = level + slope * t + week[t.astype(int) % 7] + _ar1(rng, n, sd, phi)
        limit = level - gap
        truth = n - 1 + ahead
        sign = 1.0 if direction == "below" else -1.0
        fc = forecast_crossing(
            t, sign * y, limit=sign * limit, direction=direction, horizon=60.0, window=n,
            draws=200, seed=k,
        )  # fmt: skip
        covered += fc.low <= truth <= fc.high
        early += truth < fc.low
        late += truth > fc.high
    return covered / N_SERIES, early / N_SERIES, late / N_SERIES


@pytest.mark.parametrize(("seed0", "direction"), [(31_000, "below"), (47_000, "above")])
def test_interval_covers_near_nominal(seed0: int, direction: Literal["below", "above"]) -> None:
    cover, early, late = _coverage(seed0, direction)
    assert NOMINAL - 0.12 <= cover <= NOMINAL + 0.12, (cover, early, late)
    assert max(early, late) <= 0.2, (early, late)  # nominal: 10% on each side

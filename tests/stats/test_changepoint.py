"""Change points on simulated series with known truth."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from modelward import ConfigError
from modelward.stats import cusum_onset, pelt_mean, robust_sigma


def _step(rng: np.random.Generator, n: int, at: int, size: float) -> np.ndarray:
    x = rng.normal(0, 1, n)
    x[at:] += size
    return x


def test_cusum_onset_sudden_3_sigma_within_one_index_in_95_percent() -> None:
    rng = np.random.default_rng(20260101)
    trials, hits, covered = 500, 0, 0
    for _ in range(trials):
        at = int(rng.integers(25, 55))
        res = cusum_onset(_step(rng, 60, at, 3.0 * rng.choice([-1, 1])), baseline_n=20)
        assert res.onset is not None
        hits += abs(res.onset - at) <= 1
        covered += res.low is not None and res.high is not None and res.low <= at <= res.high
    assert hits / trials >= 0.95
    assert covered / trials >= 0.85


@given(
    at=st.integers(22, 55),
    size=st.floats(3.0, 8.0),
    sign=st.sampled_from([-1, 1]),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None, derandomize=True)
def test_cusum_onset_randomised_positions_and_sizes(
    at: int, size: float, sign: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    res = cusum_onset(_step(rng, 60, at, sign * size), baseline_n=20)
    assert res.onset is not None
    assert res.direction == sign
    assert abs(res.onset - at) <= 2


def test_cusum_onset_gradual_ramp() -> None:
    rng = np.random.default_rng(7)
    errors = []
    for _ in range(200):
        at = int(rng.integers(30, 60))
        slope = rng.uniform(0.2, 0.5)
        x = rng.normal(0, 1, 90)
        x[at:] += slope * np.arange(1, 90 - at + 1)
        res = cusum_onset(x, baseline_n=25)
        assert res.onset is not None
        errors.append(res.onset - at)
    err = np.abs(np.array(errors))
    assert np.mean(err <= 4) >= 0.9
    assert np.median(err) <= 2


def test_cusum_no_change_no_alarm_mostly() -> None:
    rng = np.random.default_rng(3)
    alarms = sum(
        cusum_onset(rng.normal(size=60), baseline_n=20).onset is not None for _ in range(300)
    )
    assert alarms / 300 <= 0.1


@given(
    cps=st.lists(st.integers(3, 97), min_size=0, max_size=5, unique=True),
    levels=st.lists(st.floats(-50, 50), min_size=6, max_size=6),
)
@example(cps=[3, 80, 5, 78], levels=[0.0, 1.0, 9.0, 0.0, 0.001953125, 0.0])
@settings(max_examples=60, deadline=None)
def test_pelt_exact_on_noise_free_steps(cps: list[int], levels: list[float]) -> None:
    cps = sorted(cps)
    if any(b - a < 2 for a, b in itertools.pairwise(cps)):
        return
    x = np.zeros(100)
    bounds = [0, *cps, 100]
    for i in range(len(bounds) - 1):
        x[bounds[i] : bounds[i + 1]] = levels[i]
    # A noise-free series gets the penalty floor 3 log(n) 1e-8 mean(x^2); a
    # step of d between segments of length >= 2 gains at least d^2, so only
    # steps above that floor are findable: sqrt(3 log(100) 1e-8) < 4e-4 of
    # the largest level. A hundredth of it is well clear of the floor.
    scale = max(1.0, max(abs(v) for v in levels))
    truth = [c for i, c in enumerate(cps) if abs(levels[i + 1] - levels[i]) > 1e-2 * scale]
    if len(truth) != len(cps):
        return
    assert pelt_mean(x).tolist() == truth


@given(
    at=st.integers(10, 90),
    size=st.floats(4.0, 10.0),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=40, deadline=None, derandomize=True)
def test_pelt_finds_single_shift_in_noise(at: int, size: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cps = pelt_mean(_step(rng, 100, at, size))
    assert 1 <= len(cps) <= 2  # a rare spurious split is allowed; its rate is tested below
    assert np.min(np.abs(cps - at)) <= 1


def test_pelt_false_positive_rate_on_noise() -> None:
    rng = np.random.default_rng(9)
    found = sum(len(pelt_mean(rng.normal(size=100))) > 0 for _ in range(200))
    assert found / 200 <= 0.1


def test_robust_sigma_ignores_level_shifts() -> None:
    rng = np.random.default_rng(1)
    x = _step(rng, 4000, 2000, 50.0) * 2
    assert robust_sigma(x) == pytest.approx(2.0, rel=0.05)


def test_bad_changepoint_input() -> None:
    with pytest.raises(ConfigError, match="baseline_n"):
        cusum_onset([1.0, 2.0, 3.0], baseline_n=3)
    with pytest.raises(ConfigError, match="index 1"):
        pelt_mean([1.0, np.nan])

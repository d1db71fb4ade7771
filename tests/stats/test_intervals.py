"""Confidence intervals vs scipy, and AUC interval coverage by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from modelward import ModelwardWarning
from modelward.stats import (
    auc_interval,
    bootstrap_counts,
    jensen_shannon,
    mean_interval,
    wilson_interval,
)


@given(n=st.integers(1, 5000), frac=st.floats(0, 1), conf=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=60, deadline=None)
def test_wilson_matches_scipy(n: int, frac: float, conf: float) -> None:
    k = round(frac * n)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    assert wilson_interval(k, n, confidence=conf) == pytest.approx((ci.low, ci.high), abs=1e-12)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 500))
@settings(max_examples=40, deadline=None)
def test_mean_interval_matches_scipy_t(seed: int, n: int) -> None:
    x = np.random.default_rng(seed).normal(3.0, 2.0, n)
    low, high = mean_interval(n, x.sum(), (x**2).sum(), confidence=0.9)
    ref = stats.t.interval(0.9, n - 1, loc=x.mean(), scale=stats.sem(x))
    assert (low, high) == pytest.approx(ref, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("method", ["delong", "hanley_mcneil"])
def test_auc_interval_coverage(method: str) -> None:
    rng = np.random.default_rng(123)
    d, n_pos, n_neg, b = 1.0, 150, 250, 1000
    true_auc = stats.norm.cdf(d / np.sqrt(2))
    trials, covered = 400, 0
    for _ in range(trials):
        sp = stats.norm.cdf(rng.normal(d, 1, n_pos) - d / 2)
        sn = stats.norm.cdf(rng.normal(0, 1, n_neg) - d / 2)
        pos = np.bincount(np.minimum((sp * b).astype(int), b - 1), minlength=b)
        neg = np.bincount(np.minimum((sn * b).astype(int), b - 1), minlength=b)
        low, high = auc_interval(pos, neg, confidence=0.95, method=method)  # type: ignore[arg-type]
        covered += low <= true_auc <= high
    assert 0.92 <= covered / trials <= 0.98


def test_bootstrap_proportion_matches_wilson_width_and_is_seeded() -> None:
    counts = np.array([300, 700])
    stat = lambda c: c[..., 0] / c.sum(axis=-1)  # noqa: E731
    res = bootstrap_counts(counts, stat, n_boot=4000, seed=5, vectorised=True)
    again = bootstrap_counts(counts, stat, n_boot=4000, seed=5, vectorised=True)
    np.testing.assert_array_equal(res.distribution, again.distribution)
    low, high = wilson_interval(300, 1000)
    assert res.low == pytest.approx(low, abs=0.006)
    assert res.high == pytest.approx(high, abs=0.006)
    assert res.standard_error == pytest.approx(np.sqrt(0.3 * 0.7 / 1000), rel=0.05)
    loop = bootstrap_counts(counts, stat, n_boot=200, seed=5, method="poisson")
    assert loop.distribution.shape == (200,)


def test_bootstrap_independent_rows_keeps_each_total() -> None:
    table = np.array([[50, 30, 20], [10, 30, 60]])
    seen: list[np.ndarray] = []

    def stat(c: np.ndarray) -> float:
        seen.append(c.sum(axis=1))
        return jensen_shannon(c[0], c[1])

    res = bootstrap_counts(table, stat, n_boot=50, seed=0, independent_rows=True)
    assert all(s.tolist() == [100, 100] for s in seen)
    assert res.low < res.estimate < res.high


def test_degenerate_intervals_warn() -> None:
    with pytest.warns(ModelwardWarning):
        assert np.isnan(wilson_interval(0, 0)[0])
    with pytest.warns(ModelwardWarning):
        assert np.isnan(mean_interval(1, 1.0, 1.0)[0])
    with pytest.warns(ModelwardWarning):
        assert np.isnan(auc_interval([0, 0], [1, 1])[0])
    with pytest.warns(ModelwardWarning):
        assert np.isnan(bootstrap_counts([0, 0], lambda c: float(c[0])).low)

"""Quantiles from log bins and histograms vs numpy.quantile on the raw data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward import ConfigError, ModelwardWarning
from modelward.stats import (
    NONPOSITIVE_BIN,
    log_bin_index,
    log_bin_value,
    quantiles_from_hist,
    quantiles_from_log_bins,
)


def test_log_bin_index_follows_the_summaries_formula() -> None:
    a = 0.005
    gamma = (1 + a) / (1 - a)
    x = np.array([0.001, 0.5, 1.0, 3.7, 250.0, 1e6])
    expected = np.ceil(np.log(x) / np.log(gamma))
    np.testing.assert_array_equal(log_bin_index(x, accuracy=a), expected)
    assert log_bin_index([0.0, -3.0], accuracy=a).tolist() == [NONPOSITIVE_BIN] * 2
    # every value lies in (gamma^(i-1), gamma^i]
    i = log_bin_index(x, accuracy=a)
    assert np.all(gamma ** (i - 1) < x * (1 + 1e-12))
    assert np.all(x <= gamma**i * (1 + 1e-12))


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3000),
    accuracy=st.sampled_from([0.001, 0.005, 0.01, 0.05]),
    sigma=st.floats(0.1, 3.0),
    method=st.sampled_from(["inverted_cdf", "lower"]),
)
@settings(max_examples=80, deadline=None)
def test_log_bin_quantiles_within_relative_accuracy(
    seed: int, n: int, accuracy: float, sigma: float, method: str
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(3.0, sigma, n)
    qs = np.concatenate([[0.0, 0.5, 0.9, 0.99, 1.0], rng.uniform(0, 1, 5)])
    bins = log_bin_index(x, accuracy=accuracy)
    uniq, counts = np.unique(bins, return_counts=True)
    est = quantiles_from_log_bins(uniq, counts, qs, accuracy=accuracy, method=method)  # type: ignore[arg-type]
    exact = np.quantile(x, qs, method=method)  # type: ignore[call-overload]
    assert np.all(np.abs(est - exact) <= accuracy * exact * (1 + 1e-9))


def test_log_bins_accept_unsorted_repeated_bins_and_zeros() -> None:
    x = np.array([0.0, 0.0, 5.0, 1.0, 5.0, 100.0])
    bins = log_bin_index(x, accuracy=0.01)
    est = quantiles_from_log_bins(bins[::-1], np.ones(6)[::-1], [0.0, 0.5, 1.0], accuracy=0.01)
    assert est[0] == 0.0
    assert est[1] == pytest.approx(1.0, rel=0.01)
    assert est[2] == pytest.approx(100.0, rel=0.01)
    np.testing.assert_allclose(log_bin_value([0], accuracy=0.01), [2 / (1 + 1.01 / 0.99)])


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 2000), k=st.integers(2, 40))
@settings(max_examples=60, deadline=None)
def test_hist_quantiles_within_bin_width(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 3.0, n)
    edges = np.linspace(0, x.max() * 1.01, k + 1)
    counts = np.histogram(x, edges)[0]
    qs = np.concatenate([[0.0, 0.25, 0.5, 0.75, 1.0], rng.uniform(0, 1, 5)])
    est = quantiles_from_hist(edges, counts, qs)
    exact = np.quantile(x, qs, method="inverted_cdf")
    width = edges[1] - edges[0]
    assert np.all(np.abs(est - exact) <= width * (1 + 1e-9))


def test_hist_quantiles_with_under_overflow_layout() -> None:
    edges = [0.0, 1.0, 2.0]
    # 1 below, 2 in [0,1), 1 in [1,2], 0 above
    assert quantiles_from_hist(edges, [1, 2, 1, 0], [0.0, 0.5, 1.0]).tolist() == [0.0, 0.5, 2.0]


def test_degenerate_and_bad_quantile_input() -> None:
    with pytest.warns(ModelwardWarning):
        assert np.isnan(quantiles_from_log_bins([1, 2], [0, 0], [0.5])).all()
    with pytest.warns(ModelwardWarning):
        assert np.isnan(quantiles_from_hist([0.0, 1.0], [0], [0.5])).all()
    with pytest.raises(ConfigError, match="qs"):
        quantiles_from_hist([0.0, 1.0], [3], [1.5])
    with pytest.raises(ConfigError, match="accuracy"):
        log_bin_index([1.0], accuracy=1.0)
    with pytest.raises(ConfigError, match=r"finite\. Got nan at index 1"):
        log_bin_index([1.0, float("nan")])
    with pytest.raises(ConfigError, match=r"finite\. Got inf at index 2"):
        log_bin_index([1.0, 2.0, float("inf")])

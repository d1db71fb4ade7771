"""Drift kernels vs exact scipy references, error bounds and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from scipy.spatial.distance import jensenshannon

from modelward import ConfigError, ModelwardWarning
from modelward.stats import (
    chi_square,
    cramers_v,
    jensen_shannon,
    ks_binned,
    ks_pvalue,
    psi,
    wasserstein_binned,
    wasserstein_normalised,
)

counts_strategy = arrays(np.int64, st.integers(2, 30), elements=st.integers(0, 1000))


def _quantile_edges(ref: np.ndarray, k: int) -> np.ndarray:
    return np.unique(np.quantile(ref, np.linspace(0, 1, k + 1), method="inverted_cdf"))


def _bin(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The summaries layout: underflow, [e_{i-1}, e_i) with e_m in bin m, overflow."""
    idx = np.searchsorted(edges, x, side="right")
    idx[x == edges[-1]] = edges.size - 1
    return np.bincount(idx, minlength=edges.size + 1)


def test_bin_helper_matches_summaries_layout() -> None:
    edges = np.array([0.0, 1.0, 2.0])
    assert _bin(np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0]), edges).tolist() == [1, 2, 2, 1]


def test_psi_textbook_formula() -> None:
    rng = np.random.default_rng(3)
    ref, cur = rng.integers(0, 50, 12), rng.integers(0, 50, 12)
    ref[2] = 0
    eps = 1e-4
    p = np.maximum(ref / ref.sum(), eps)
    q = np.maximum(cur / cur.sum(), eps)
    expected = np.sum((q - p) * np.log(q / p))
    assert psi(ref, cur, epsilon=eps) == pytest.approx(expected, rel=1e-12)


@given(counts_strategy)
def test_identical_histograms_have_zero_drift(c: np.ndarray) -> None:
    if c.sum() == 0:
        return
    assert psi(c, c) == pytest.approx(0.0, abs=1e-12)
    assert jensen_shannon(c, c) == pytest.approx(0.0, abs=1e-6)
    assert ks_binned(c, c).statistic == pytest.approx(0.0, abs=1e-12)
    assert psi(c, 3 * c) == pytest.approx(0.0, abs=1e-12)


@given(counts_strategy, st.data())
@settings(max_examples=60)
def test_psi_nonnegative_js_symmetric_and_matches_scipy(c: np.ndarray, data: st.DataObject) -> None:
    d = data.draw(arrays(np.int64, c.size, elements=st.integers(0, 1000)))
    if c.sum() == 0 or d.sum() == 0:
        return
    assert psi(c, d) >= -1e-12
    js = jensen_shannon(c, d)
    assert 0.0 <= js <= 1.0
    assert js == pytest.approx(jensen_shannon(d, c), abs=1e-12)
    assert js == pytest.approx(jensenshannon(c / c.sum(), d / d.sum(), base=2), abs=1e-7)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=40)
def test_merging_counts_equals_binning_concatenated_data(seed: int) -> None:
    """Adding histograms of two chunks == histogram of the concatenated chunks."""
    rng = np.random.default_rng(seed)
    edges = np.linspace(-2, 2, 9)
    a, b = rng.normal(size=200), rng.normal(0.3, 1, 150)
    merged = _bin(a, edges) + _bin(b, edges)
    direct = _bin(np.concatenate([a, b]), edges)
    np.testing.assert_array_equal(merged, direct)
    ref = _bin(rng.normal(size=300), edges)
    assert psi(ref, merged) == psi(ref, direct)
    assert ks_binned(ref, merged) == ks_binned(ref, direct)


@pytest.mark.parametrize("seed", range(20))
def test_ks_binned_bounds_exact_ks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = rng.normal(0, 1, rng.integers(200, 2000))
    cur = rng.normal(rng.uniform(-0.3, 0.3), rng.uniform(0.8, 1.3), rng.integers(200, 2000))
    edges = _quantile_edges(ref, int(rng.integers(5, 40)))
    r, c = _bin(ref, edges), _bin(cur, edges)
    res = ks_binned(r, c)
    exact = stats.ks_2samp(ref, cur).statistic
    max_mass = max(np.max(r / r.sum()), np.max(c / c.sum()))
    assert res.statistic <= exact + 1e-12
    assert exact <= res.upper_bound + 1e-12
    assert res.upper_bound <= res.statistic + max_mass + 1e-12


def test_ks_pvalue_matches_scipy_asymptotic() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=300), rng.normal(0.2, 1, 450)
    ref = stats.ks_2samp(a, b, method="asymp")
    assert ks_pvalue(ref.statistic, 300, 450) == pytest.approx(ref.pvalue, rel=1e-9)


def test_ks_binned_pvalue_detects_shift_and_not_noise() -> None:
    rng = np.random.default_rng(11)
    ref = rng.normal(size=5000)
    edges = _quantile_edges(ref, 20)
    same = ks_binned(_bin(ref, edges), _bin(rng.normal(size=5000), edges))
    moved = ks_binned(_bin(ref, edges), _bin(rng.normal(0.2, 1, 5000), edges))
    assert same.pvalue > 0.01
    assert moved.pvalue < 1e-6


@pytest.mark.parametrize("seed", range(10))
def test_wasserstein_binned_within_max_bin_width(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = rng.uniform(0, 10, 1000)
    cur = np.clip(rng.normal(5 + rng.uniform(-2, 2), 2, 800), 0, 10)
    edges = np.sort(rng.uniform(0, 10, 15))
    edges = np.concatenate([[0.0], edges, [10.0]])
    r = np.histogram(ref, edges)[0]
    c = np.histogram(cur, edges)[0]
    w = wasserstein_binned(r, c, edges)
    exact = stats.wasserstein_distance(ref, cur)
    widths = np.diff(edges)
    mass_bound = np.sum((r / r.sum() + c / c.sum()) * widths) / 2
    assert abs(w - exact) <= mass_bound + 1e-9
    assert mass_bound <= widths.max() + 1e-12


def test_wasserstein_under_overflow_layout_clamps() -> None:
    edges = [0.0, 1.0, 2.0]
    # underflow mass at e_0 = 0, overflow mass at e_m = 2.
    assert wasserstein_binned([1, 0, 0, 0], [0, 0, 0, 1], edges) == pytest.approx(2.0)


def test_wasserstein_normalised_scales() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 1, 20000)
    cur = rng.normal(0.5, 1, 20000)
    edges = np.linspace(-5, 5.5, 106)
    r, c = np.histogram(ref, edges)[0], np.histogram(cur, edges)[0]
    w = wasserstein_binned(r, c, edges)
    assert w == pytest.approx(0.5, abs=0.03)
    assert wasserstein_normalised(r, c, edges, scale="std") == pytest.approx(0.5, abs=0.03)
    assert wasserstein_normalised(r, c, edges, scale="iqr") == pytest.approx(0.5 / 1.349, abs=0.03)
    assert wasserstein_normalised(r, c, edges, scale=2.0) == pytest.approx(w / 2)
    with pytest.raises(ConfigError):
        wasserstein_normalised(r, c, edges, scale="mad")  # type: ignore[arg-type]


def test_chi_square_and_cramers_v_match_scipy() -> None:
    rng = np.random.default_rng(5)
    ref = rng.integers(0, 100, 8)
    cur = rng.integers(0, 100, 8)
    ref[3] = cur[3] = 0  # an all-zero column is dropped
    res = chi_square(ref, cur)
    table = np.vstack([ref, cur])[:, [0, 1, 2, 4, 5, 6, 7]]
    exp = stats.chi2_contingency(table, correction=False)
    assert res.statistic == pytest.approx(exp.statistic, rel=1e-12)
    assert res.pvalue == pytest.approx(exp.pvalue, rel=1e-9)
    assert res.dof == exp.dof
    v = stats.contingency.association(table, method="cramer")
    assert cramers_v(ref, cur) == pytest.approx(v, rel=1e-12)


@pytest.mark.parametrize(
    "fn", [psi, jensen_shannon, cramers_v, lambda a, b: ks_binned(a, b).statistic]
)
def test_degenerate_inputs_warn_and_return_nan(fn) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(ModelwardWarning):
        assert np.isnan(fn([0, 0, 0], [1, 2, 3]))
    with pytest.warns(ModelwardWarning):
        assert np.isnan(fn([5], [3]))


def test_chi_square_single_nonempty_bin_warns() -> None:
    with pytest.warns(ModelwardWarning):
        assert np.isnan(chi_square([5, 0], [3, 0]).statistic)


def test_bad_input_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="must be finite and >= 0"):
        psi([1, -1], [1, 1])
    with pytest.raises(ConfigError, match="length"):
        psi([1, 1], [1, 1, 1])
    with pytest.raises(ConfigError, match="edges"):
        wasserstein_binned([1, 1], [1, 1], [0.0, 1.0])

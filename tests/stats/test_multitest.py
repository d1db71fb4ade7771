"""Benjamini-Hochberg vs scipy.stats.false_discovery_control."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from modelward import ConfigError
from modelward.stats import benjamini_hochberg


@given(
    arrays(np.float64, st.integers(1, 200), elements=st.floats(0, 1)),
    st.sampled_from([0.01, 0.05, 0.1]),
)
@settings(max_examples=80)
def test_bh_matches_scipy(p: np.ndarray, alpha: float) -> None:
    rejected, adjusted = benjamini_hochberg(p, alpha=alpha)
    expected = stats.false_discovery_control(p, method="bh")
    np.testing.assert_allclose(adjusted, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(rejected, expected <= alpha)


def test_bh_ignores_nan_and_controls_fdr_in_simulation() -> None:
    rng = np.random.default_rng(0)
    fdps = []
    for _ in range(200):
        null = rng.uniform(size=80)
        alt = stats.norm.sf(rng.normal(3, 1, 20))
        rejected, _ = benjamini_hochberg(np.concatenate([null, alt]), alpha=0.1)
        fdps.append(rejected[:80].sum() / max(rejected.sum(), 1))
    assert np.mean(fdps) <= 0.1 + 0.02
    rej, adj = benjamini_hochberg([0.01, np.nan, 0.02])
    assert rej.tolist() == [True, False, True]
    assert np.isnan(adj[1])
    with pytest.raises(ConfigError, match="index 1"):
        benjamini_hochberg([0.5, 1.5])

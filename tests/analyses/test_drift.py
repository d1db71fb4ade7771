"""Drift analysis on simulated and hand-made logs with known truth."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from modelward._exceptions import ConfigError
from modelward.analyses.drift import analyse_drift, bin_labels
from modelward.stats import benjamini_hochberg


def _drifted(res, segment=""):  # type: ignore[no-untyped-def]
    return {f.feature for f in res.features if f.drifted and f.segment == segment}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hand_made_shift_flags_exactly_the_shifted_feature(log_factory, summarise, seed):  # type: ignore[no-untyped-def]
    s = summarise(log_factory(seed=seed, shift_from=18, shift={"b": 0.6}), "2026-01-10")
    res = analyse_drift(s, multivariate=False)
    assert _drifted(res) == {"b"}
    assert all(f.feature == "b" for f in res.features if f.drifted)


@pytest.mark.parametrize("seed", [0, 1])
def test_simulated_covariate_drift_top_feature_is_the_truth(summarise_sim, seed):  # type: ignore[no-untyped-def]
    s, truth = summarise_sim(domain="churn", fault="covariate_drift", magnitude=0.6, seed=seed)
    res = analyse_drift(s, multivariate=False)
    overall = [f for f in res.features if f.segment == "" and f.kind == "numeric"]
    top = max(overall, key=lambda f: f.effect or 0)
    assert top.feature in truth["features"]
    assert top.drifted


@pytest.mark.parametrize(
    ("domain", "seed"), [("fraud", 0), ("churn", 1), ("loan_default", 2), ("content_moderation", 3)]
)
def test_healthy_logs_flag_nothing(summarise_sim, domain, seed):  # type: ignore[no-untyped-def]
    s, _ = summarise_sim(domain=domain, seed=seed)
    res = analyse_drift(s)
    assert [f.feature for f in res.features + res.score if f.drifted] == []
    assert not any(c.drifted for c in res.heatmap)


def test_segment_drift_is_localised(summarise_sim):  # type: ignore[no-untyped-def]
    s, truth = summarise_sim(
        domain="churn", fault="covariate_drift", magnitude=1.0, segment="plan=premium", seed=4
    )
    res = analyse_drift(s, multivariate=False)
    hits = {
        (f.segment, f.segment_value)
        for f in res.features
        if f.drifted and f.feature in truth["features"] and f.segment == "plan"
    }
    assert hits == {("plan", "premium")}


def test_bh_matches_scipy(summarise_sim):  # type: ignore[no-untyped-def]
    s, _ = summarise_sim(domain="fraud", fault="covariate_drift", seed=2)
    res = analyse_drift(s, multivariate=False)
    every = res.features + res.score
    p = np.array([f.p_value for f in every if f.p_value is not None])
    adj = np.array([f.p_adjusted for f in every if f.p_value is not None])
    np.testing.assert_allclose(adj, scipy.stats.false_discovery_control(p, method="bh"))
    np.testing.assert_allclose(adj, benjamini_hochberg(p)[1])


def test_outputs_shape(summarise_sim):  # type: ignore[no-untyped-def]
    s, _ = summarise_sim(domain="fraud", fault="none", days=60, rows_per_day=200, seed=5)
    res = analyse_drift(s)
    dist = {d.feature: d for d in res.distributions}
    assert len(dist["score"].bins) == 20
    assert dist["prediction"].bins == ["0", "1"]
    for d in res.distributions:
        assert len(d.bins) == len(d.reference) == len(d.current)
        assert abs(sum(d.reference) - 1) < 1e-9
    assert len(res.multivariate) == 40
    assert "Benjamini-Hochberg" in res.rule


def test_bad_parameters():  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="alpha"):
        analyse_drift(None, alpha=2.0)  # type: ignore[arg-type]


def test_bin_labels():
    assert bin_labels([1.0, 2.0]) == ["< 1", "[1, 2]", "> 2"]

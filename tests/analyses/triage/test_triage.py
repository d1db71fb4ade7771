"""Triage on simulated incidents with known truth, and its kernels against references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from modelward._api import summarise
from modelward.analyses.triage import run_triage
from modelward.analyses.triage.evidence import binomial_z, g_homogeneity, g_to_z
from modelward.analyses.triage.onset import change_onset
from modelward.io.events import parse_event_time
from modelward.simulate import simulate


def _triage(fault: str, *, seed: int = 3, **kw: object):  # type: ignore[no-untyped-def]
    sim = simulate(
        domain=kw.pop("domain", "churn"),
        fault=fault,
        days=30,  # type: ignore[arg-type]
        rows_per_day=800,
        seed=seed,
        **kw,
    )  # type: ignore[arg-type]
    s = summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
    res = run_triage(s, events=sim.events, as_of=parse_event_time(str(sim.truth["as_of"])))
    return sim.truth, res


def test_g_homogeneity_matches_scipy() -> None:
    ref, cur = np.array([30.0, 50, 20]), np.array([10.0, 60, 40])
    g, df, _ = g_homogeneity(ref, cur)
    expected = stats.chi2_contingency(np.stack([ref, cur]), lambda_="log-likelihood")
    assert df == expected.dof
    assert math.isclose(g, expected.statistic, rel_tol=1e-9)


def test_g_to_z_matches_chi2_quantile() -> None:
    for df in (3, 10, 50):
        g = stats.chi2.ppf(stats.norm.cdf(3.0), df)
        assert abs(g_to_z(g, df) - 3.0) < 0.1


def test_binomial_z_sign_and_scale() -> None:
    assert binomial_z(50, 100, 0.5) == 0.0
    assert math.isclose(binomial_z(60, 100, 0.5), 2.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(5, 25), st.floats(2.0, 10.0))
def test_onset_recovers_a_step(tau: int, size: float) -> None:
    rng = np.random.default_rng(tau)
    x = rng.normal(0, 1, 40)
    x[tau:] += size
    on = change_onset(x, np.ones(40), start=3)
    assert on is not None
    assert on.low <= on.index <= on.high
    if size >= 4:
        assert abs(on.index - tau) <= 1
    else:
        assert on.low - 1 <= tau <= on.high + 1


def test_healthy_system_gives_no_finding() -> None:
    _, res = _triage("none")
    assert res.findings == []
    assert {r.cause for r in res.ruled_out} >= {"data_gap", "schema_change"}


def test_latency_regression_is_found_with_onset() -> None:
    truth, res = _triage("latency_regression", magnitude=0.5)
    top = res.findings[0]
    assert top.cause == "latency_regression"
    assert top.onset == truth["onset"]
    assert 0 < top.confidence <= 1


def test_data_gap_names_the_segment() -> None:
    truth, res = _triage("data_gap", magnitude=0.9, segment="plan=premium")
    top = res.findings[0]
    assert top.cause == "data_gap"
    assert top.segment == truth["segment"]


def test_schema_change_null_flood_beats_covariate_drift() -> None:
    truth, res = _triage("schema_change", magnitude=0.4, variant="null_flood", seed=5)
    top = res.findings[0]
    assert top.cause == "schema_change"
    assert top.features == truth["features"]


def test_contract_json_shape() -> None:
    _, res = _triage("latency_regression", magnitude=0.5)
    out = res.to_contract_json()
    f = out["findings"][0]
    assert set(f) >= {"cause", "confidence", "onset", "segment", "features", "evidence"}
    assert f["onset"].endswith("Z")


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday"])
def test_event_time_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_event_time(bad)

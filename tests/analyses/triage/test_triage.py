"""Triage on simulated incidents with known truth, and its kernels against references."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import minimize_scalar

from modelward._api import summarise
from modelward.analyses.triage import TriageResult, run_triage
from modelward.analyses.triage.evidence import binomial_z, g_homogeneity, g_to_z
from modelward.analyses.triage.label_models import (
    FeatureCube,
    _dev,
    _logit,
    _region_shifts,
    _sig,
    region_score_shift,
)
from modelward.analyses.triage.label_source import calibration_z, welch_z
from modelward.analyses.triage.localise import Z_OUT, _calibration_change, explains
from modelward.analyses.triage.onset import change_onset
from modelward.io.events import parse_event_time
from modelward.simulate import simulate


@cache
def _triage(
    fault: str, seed: int = 3, extra: tuple[tuple[str, object], ...] = ()
) -> tuple[dict[str, object], TriageResult]:
    """One small simulated incident, triaged once per module run (shared by the tests)."""
    kw = dict(extra)
    sim = simulate(
        domain=str(kw.pop("domain", "churn")),
        fault=fault,
        days=int(kw.pop("days", 24)),  # type: ignore[call-overload]
        rows_per_day=int(kw.pop("rows_per_day", 500)),  # type: ignore[call-overload]
        seed=seed,
        **kw,  # type: ignore[arg-type]
    )
    s = summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
    res = run_triage(
        s, events=sim.events, as_of=parse_event_time(str(sim.truth["as_of"])), estimate=False
    )
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


def test_welch_z_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 40), rng.normal(0.5, 2, 60)
    ref = stats.ttest_ind(b, a, equal_var=False).statistic
    assert math.isclose(welch_z(a, b), float(ref), rel_tol=1e-9)


def test_region_shift_newton_matches_bounded_search() -> None:
    rng = np.random.default_rng(1)
    n = rng.integers(50, 500, 8).astype(np.float64)
    r = rng.uniform(0.05, 0.9, 8)
    o = rng.binomial(n.astype(int), np.clip(r * 1.5, 0, 0.99)).astype(np.float64)
    lr = _logit(r)
    masks = np.zeros((2, 8), dtype=bool)
    masks[0, :] = True
    masks[1, 5:] = True
    deltas, devs = _region_shifts(o, n, lr, masks)
    for j in range(2):
        m = masks[j]
        ref = minimize_scalar(
            lambda d, m=m: _dev(o, n, _sig(lr + d * m)),
            bounds=(-6, 6),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert abs(deltas[j] - ref.x) < 1e-5
        assert math.isclose(devs[j], ref.fun, rel_tol=1e-6, abs_tol=1e-6)


def test_calibration_change_sums_per_bin_g_tests() -> None:
    pos = np.array([[5.0, 30, 60], [9.0, 20, 70]])
    lab = np.array([[100.0, 80, 90], [110.0, 90, 95]])
    fc = FeatureCube("score", True, lab, lab, pos, pos * 0, [0, 1, 2])
    ref, post = np.array([True, False]), np.array([False, True])
    g = sum(
        stats.chi2_contingency(
            [[pos[0, b], lab[0, b] - pos[0, b]], [pos[1, b], lab[1, b] - pos[1, b]]],
            lambda_="log-likelihood",
            correction=False,
        ).statistic
        for b in range(3)
    )
    assert math.isclose(_calibration_change(fc, ref, post), g_to_z(g, 3), rel_tol=1e-9)


def test_region_score_shift_is_zero_when_scores_stay() -> None:
    lab = np.array([[100.0, 100], [200.0, 200]])
    ssum = lab * np.array([0.2, 0.6])
    fc = FeatureCube("x", True, lab, lab, lab * 0, ssum, [0, 1])
    z, m0, m1 = region_score_shift(fc, np.array([True, False]), np.array([False, True]), [1])
    assert z == 0.0
    assert math.isclose(m0, 0.6)
    assert math.isclose(m1, 0.6)


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 50), st.floats(1, 1e5), st.floats(-5, 20), st.floats(1, 1e5))
def test_explains_never_names_a_segment_when_the_rest_changed(
    z_in: float, n_in: float, z_out: float, n_out: float
) -> None:
    named = explains(z_in=z_in, n_in=n_in, z_out=z_out, n_out=n_out)
    if z_in < 4 or z_out >= max(Z_OUT, 0.05 * z_in * math.sqrt(n_out / n_in)):
        assert not named


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
    truth, res = _triage("latency_regression", extra=(("magnitude", 0.5),))
    top = res.findings[0]
    assert top.cause == "latency_regression"
    assert top.onset == truth["onset"]
    assert 0 < top.confidence <= 1


def test_data_gap_names_the_segment() -> None:
    truth, res = _triage("data_gap", extra=(("magnitude", 0.9), ("segment", "plan=premium")))
    top = res.findings[0]
    assert top.cause == "data_gap"
    assert top.segment == truth["segment"]


def test_schema_change_unit_jump_beats_covariate_drift() -> None:
    truth, res = _triage(
        "schema_change", seed=5, extra=(("magnitude", 0.4), ("variant", "unit_x100"))
    )
    top = res.findings[0]
    assert top.cause == "schema_change"
    assert top.features == truth["features"]
    assert "x100" in top.evidence


def test_contract_json_shape() -> None:
    _, res = _triage("latency_regression", extra=(("magnitude", 0.5),))
    out = res.to_contract_json()
    f = out["findings"][0]
    assert set(f) >= {"cause", "confidence", "onset", "segment", "features", "evidence"}
    assert f["onset"].endswith("Z")


@pytest.mark.slow
def test_prior_shift_inside_one_segment_is_not_concept_drift() -> None:
    truth, res = _triage(
        "prior_shift",
        extra=(
            ("magnitude", 0.7),
            ("segment", "plan=premium"),
            ("days", 28),
            ("rows_per_day", 700),
        ),
    )
    top = res.findings[0]
    assert top.cause == "prior_shift"
    assert top.segment == truth["segment"]


@pytest.mark.slow
def test_label_noise_in_one_label_source_names_the_source() -> None:
    _, res = _triage(
        "label_noise",
        extra=(
            ("magnitude", 0.8),
            ("variant", "source"),
            ("label_source", "user_report"),
            ("days", 28),
            ("rows_per_day", 700),
        ),
    )
    top = res.findings[0]
    assert top.cause == "label_noise"
    assert top.segment == {"label_source": "user_report"}
    assert "user_report" in top.evidence


def test_calibration_z_sees_flips_in_either_direction() -> None:
    rng = np.random.default_rng(2)
    group = rng.integers(0, 5, 4000)
    before = np.arange(4000) < 2000
    y = (rng.random(4000) < 0.1 + 0.15 * group).astype(np.float64)
    assert calibration_z(y, group, before) < 3
    flipped = np.where(~before & (rng.random(4000) < 0.4), 1 - y, y)
    assert calibration_z(flipped, group, before) > 10


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday"])
def test_event_time_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError, match=r"isoformat|must be"):
        parse_event_time(bad)

"""Confidence-based performance estimation: exact kernels, calibrated logs, simulated drift."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

from modelward._exceptions import ConfigError
from modelward.analyses.estimate import (
    EstimateResult,
    calibration_map,
    estimate_performance,
    estimation_gap,
    expected_auc,
    expected_confusion,
)
from modelward.analyses.metrics import CostModel
from modelward.engine.summaries import Summaries
from tests.analyses.conftest import SimFn, summarise_table

T0 = dt.datetime(2026, 1, 1)

# ------------------------------------------------------------------ kernels


def test_calibration_map_matches_sklearn_isotonic() -> None:
    rng = np.random.default_rng(3)
    bins = 50
    n = rng.integers(0, 40, bins).astype(float)
    true = np.linspace(0.05, 0.9, bins)
    pos = rng.binomial(n.astype(int), true).astype(float)
    neg = n - pos
    keep = n > 0
    mid = (np.arange(bins) + 0.5) / bins
    iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip")
    iso.fit(mid[keep], pos[keep] / n[keep], sample_weight=n[keep])
    np.testing.assert_allclose(calibration_map(pos, neg), iso.predict(mid), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=2, max_size=30))
def test_calibration_map_is_monotone_probability(cells: list[tuple[int, int]]) -> None:
    pos = np.array([c[0] for c in cells], float)
    neg = np.array([c[1] for c in cells], float)
    if pos.sum() + neg.sum() == 0:
        with pytest.raises(ConfigError):
            calibration_map(pos, neg)
        return
    p = calibration_map(pos, neg)
    assert np.all(np.diff(p) >= -1e-12)
    assert np.all((p >= 0) & (p <= 1))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50), st.floats(0, 1)), min_size=1, max_size=20
    )
)
def test_expected_confusion_keeps_totals(cells: list[tuple[int, int, float]]) -> None:
    n1, n0, p = (np.array(c, float) for c in zip(*cells, strict=True))
    c = expected_confusion(n1, n0, p)
    assert c["tp"] + c["fp"] == pytest.approx(n1.sum())
    assert c["fn"] + c["tn"] == pytest.approx(n0.sum())
    assert c["tp"] + c["fn"] == pytest.approx(float(p @ (n1 + n0)))


def test_expected_auc_is_mean_sklearn_auc_of_bernoulli_labels() -> None:
    rng = np.random.default_rng(0)
    bins = 40
    counts = rng.integers(0, 30, bins)
    p = np.sort(rng.beta(2, 3, bins))
    score = np.repeat((np.arange(bins) + 0.5) / bins, counts)
    prob = np.repeat(p, counts)
    aucs = [roc_auc_score(rng.random(score.size) < prob, score) for _ in range(400)]
    assert expected_auc(counts, p) == pytest.approx(float(np.mean(aucs)), abs=0.004)


# ---------------------------------------------------------- calibrated log


def _calibrated_log(*, days: int, rows: int, seed: int, shift_from: int) -> pa.Table:
    """Scores with labels ~ Bernoulli(score); the score distribution shifts from a day on."""
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(days), rows)
    late = day >= shift_from
    score = np.round(np.where(late, rng.beta(3, 3, day.size), rng.beta(2, 4, day.size)), 6)
    y = (rng.random(day.size) < score).astype(np.int64)
    return pa.table(
        {
            "prediction_id": [f"p{i}" for i in range(day.size)],
            "timestamp": pa.array(
                [
                    T0 + dt.timedelta(days=int(d), seconds=int(i % 86_000))
                    for i, d in enumerate(day)
                ],
                pa.timestamp("us"),
            ),
            "score": score,
            "prediction": (score >= 0.4).astype(np.int64),
            "label": y,
        }
    )


@pytest.fixture(scope="module")
def calibrated() -> tuple[Summaries, EstimateResult]:
    summ = summarise_table(_calibrated_log(days=34, rows=500, seed=1, shift_from=14), "2026-01-04")
    res = estimate_performance(summ, seed=2)
    assert res is not None
    return summ, res


def test_calibrated_scores_realised_inside_interval(calibrated: Any) -> None:
    _, res = calibrated
    cur = [w for w in res.by_bucket if w.window == "current"]
    assert len(cur) == 30
    for name in ("accuracy", "precision", "recall", "roc_auc", "f1"):
        inside = [
            m.labelled_low <= m.realised <= m.labelled_high
            for m in (w.metrics[name] for w in cur)
            if m.realised is not None and m.labelled_low is not None and m.labelled_high is not None
        ]
        assert len(inside) == 30
        assert np.mean(inside) >= 0.83, name  # ~95 % expected; 25 of 30 is far in the tail
    # the covariate shift moves the estimate, and the estimate follows realised
    before = [w.metrics["accuracy"] for w in cur if w.bucket and w.bucket < T0.replace(day=15)]
    after = [w.metrics["accuracy"] for w in cur if w.bucket and w.bucket >= T0.replace(day=15)]
    mean_b = np.mean([m.value for m in before])
    mean_a = np.mean([m.value for m in after])
    assert abs(mean_a - mean_b) > 0.05
    assert np.mean([m.realised for m in after]) == pytest.approx(mean_a, abs=0.015)
    assert not [g for g in estimation_gap(res) if g.significant]


def test_calibrated_whole_window_and_costs(calibrated: Any) -> None:
    summ, res = calibrated
    m = res.current.metrics["roc_auc"]
    assert m.low is not None
    assert m.high is not None
    assert m.realised is not None
    assert m.low <= m.realised <= m.high
    assert res.current.label_coverage == 1.0
    costed = estimate_performance(summ, costs=CostModel(fp=1, fn=10), seed=2)
    assert costed is not None
    c = costed.current.metrics["expected_cost"]
    assert c.value is not None
    assert c.low is not None
    assert c.high is not None
    assert c.realised is not None
    assert c.low <= c.realised <= c.high
    # same seed, same result
    assert estimate_performance(summ, seed=2) == res


def test_no_labels_still_estimates_and_bad_input() -> None:
    t = _calibrated_log(days=8, rows=200, seed=4, shift_from=99)
    late = pa.array([d >= T0 + dt.timedelta(days=4) for d in t["timestamp"].to_pylist()])
    label = pa.array(
        [None if lt else v for lt, v in zip(late.to_pylist(), t["label"].to_pylist(), strict=True)],
        pa.int64(),
    )
    summ = summarise_table(t.set_column(4, "label", label), "2026-01-04")
    res = estimate_performance(summ)
    assert res is not None
    cur = [w for w in res.by_bucket if w.window == "current"]
    assert cur
    assert all(w.n_labelled == 0 for w in cur)
    assert all(w.metrics["accuracy"].value is not None for w in cur)
    assert all(w.metrics["accuracy"].realised is None for w in cur)
    assert estimation_gap(res) == []
    with pytest.raises(ConfigError, match="confidence"):
        estimate_performance(summ, confidence=1.5)
    with pytest.raises(ConfigError, match="alpha"):
        estimation_gap(res, alpha=0)


# ------------------------------------------------------------ simulated drift

_SIM = {"days": 20, "rows_per_day": 800, "seed": 2, "onset_day": 9, "magnitude": 0.8}


def test_covariate_drift_is_tracked(summarise_sim: SimFn) -> None:
    summ, truth = summarise_sim(domain="content_moderation", fault="covariate_drift", **_SIM)
    res = estimate_performance(summ, seed=0)
    assert res is not None
    onset = dt.datetime.fromisoformat(str(truth["onset"]).replace("Z", ""))
    cur = [w for w in res.by_bucket if w.window == "current" and w.mature and w.n_labelled >= 100]
    assert len(cur) >= 8
    for name in ("roc_auc", "accuracy"):
        ms = [w.metrics[name] for w in cur]
        inside = [
            m.labelled_low <= m.realised <= m.labelled_high
            for m in ms
            if m.realised is not None and m.labelled_low is not None and m.labelled_high is not None
        ]
        assert np.mean(inside) >= 0.8, name
    # the drift moves the estimated AUC (label-free) and realised follows it
    pre = [w.metrics["roc_auc"] for w in cur if w.bucket and w.bucket < onset]
    post = [w.metrics["roc_auc"] for w in cur if w.bucket and w.bucket >= onset]
    est_drop = np.mean([m.value for m in pre]) - np.mean([m.value for m in post])
    real_drop = np.mean([m.realised for m in pre]) - np.mean([m.realised for m in post])
    assert est_drop > 0.05
    assert real_drop == pytest.approx(est_drop, abs=0.05)
    significant = [g for g in estimation_gap(res) if g.significant and g.metric == "roc_auc"]
    assert len(significant) <= 1


def test_concept_drift_opens_a_gap_after_onset(summarise_sim: SimFn) -> None:
    summ, truth = summarise_sim(domain="content_moderation", fault="concept_drift", **_SIM)
    res = estimate_performance(summ, seed=0)
    assert res is not None
    onset = dt.datetime.fromisoformat(str(truth["onset"]).replace("Z", ""))
    gaps = [g for g in estimation_gap(res) if g.significant and g.metric == "roc_auc"]
    assert gaps
    assert all(g.bucket is not None and g.bucket >= onset for g in gaps)
    assert all(g.direction == "worse" and g.z < 0 for g in gaps)
    post = {
        w.bucket
        for w in res.by_bucket
        if w.window == "current" and w.mature and w.n_labelled >= 30 and w.bucket
        if w.bucket >= onset
    }
    assert len({g.bucket for g in gaps}) >= 0.6 * len(post)


def test_regression_task_gives_none(summarise_sim: SimFn) -> None:
    summ, _ = summarise_sim(domain="content_moderation", fault="none", **_SIM)
    meta = summ.meta
    other = Summaries(meta=type(meta)(**{**meta.__dict__, "task": "regression"}), tables={})
    assert estimate_performance(other) is None

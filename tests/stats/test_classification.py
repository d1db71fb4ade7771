"""Score-grid metrics vs scikit-learn on the raw scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics
from sklearn.calibration import calibration_curve

from modelward import ModelwardWarning
from modelward.stats import (
    ap_binned_error_bound,
    auc_binned_error_bound,
    average_precision_binned,
    calibration_binned,
    confusion_at_threshold,
    ece,
    metrics_from_confusion,
    pr_curve_binned,
    precision_recall_f1,
    roc_auc_binned,
    roc_curve_binned,
)


def _grid(scores: np.ndarray, labels: np.ndarray, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin as the summaries do: floor(score * B) clipped to B - 1."""
    idx = np.minimum(np.floor(scores * b).astype(np.int64), b - 1)
    pos = np.bincount(idx[labels == 1], minlength=b)
    neg = np.bincount(idx[labels == 0], minlength=b)
    return pos, neg


def _data(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < rng.uniform(0.05, 0.5)).astype(int)
    logit = rng.normal(0, 1, n) + y * rng.uniform(0.2, 3.0)
    return 1 / (1 + np.exp(-logit)), y


@pytest.mark.parametrize("seed", range(15))
def test_auc_within_tied_pair_bound_of_sklearn(seed: int) -> None:
    s, y = _data(seed)
    pos, neg = _grid(s, y, 1000)
    auc = roc_auc_binned(pos, neg)
    bound = auc_binned_error_bound(pos, neg)
    assert abs(auc - metrics.roc_auc_score(y, s)) <= bound + 1e-12
    assert bound < 2e-3


def test_auc_exact_on_coarse_grid_with_scores_on_bin_midpoints() -> None:
    rng = np.random.default_rng(1)
    b = 20
    s = (rng.integers(0, b, 500) + 0.5) / b
    y = (rng.uniform(size=500) < s).astype(int)
    pos, neg = _grid(s, y, b)
    assert roc_auc_binned(pos, neg) == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)


@given(seed=st.integers(0, 2**32 - 1), power=st.floats(0.2, 5.0))
@settings(max_examples=20, deadline=None)
def test_auc_invariant_to_monotone_transform(seed: int, power: float) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    y = rng.integers(0, 2, n)
    if y.min() == y.max():
        return
    s = np.clip(rng.beta(2, 2, n) + 0.2 * y, 0, 1 - 1e-9)
    b = 100_000  # fine grid: no ties among 400 scores in practice
    a1 = roc_auc_binned(*_grid(s, y, b))
    a2 = roc_auc_binned(*_grid(s**power, y, b))
    tol = auc_binned_error_bound(*_grid(s, y, b)) + auc_binned_error_bound(*_grid(s**power, y, b))
    assert abs(a1 - a2) <= tol + 1e-12


def test_roc_curve_matches_sklearn_at_grid_thresholds() -> None:
    rng = np.random.default_rng(2)
    b = 50
    s = (rng.integers(0, b, 1000) + 0.5) / b  # one score value per bin: no loss
    y = (rng.uniform(size=1000) < s).astype(int)
    pos, neg = _grid(s, y, b)
    fpr, tpr, thr = roc_curve_binned(pos, neg)
    sk_fpr, sk_tpr, sk_thr = metrics.roc_curve(y, s, drop_intermediate=False)
    for f, t, th in zip(sk_fpr, sk_tpr, sk_thr, strict=True):
        grid_t = np.inf if np.isinf(th) else np.floor(th * b) / b
        j = int(np.flatnonzero(thr == grid_t)[0])
        assert (fpr[j], tpr[j]) == pytest.approx((f, t))
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc_binned(pos, neg))


@pytest.mark.parametrize("seed", range(10))
def test_average_precision_close_to_sklearn(seed: int) -> None:
    s, y = _data(seed)
    pos, neg = _grid(s, y, 1000)
    assert average_precision_binned(pos, neg) == pytest.approx(
        metrics.average_precision_score(y, s), abs=3e-3
    )


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(20, 600),
    b=st.sampled_from([10, 40, 1000]),
)
@settings(max_examples=60, deadline=None)
def test_average_precision_within_its_in_bin_order_bound(seed: int, n: int, b: int) -> None:
    """Against scikit-learn on the raw scores, coarse grids and few rows included."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < rng.uniform(0.05, 0.6)).astype(int)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    s = 1 / (1 + np.exp(-(rng.normal(0, 1, n) + y * rng.uniform(0.0, 2.5))))
    pos, neg = _grid(s, y, b)
    gap = abs(average_precision_binned(pos, neg) - metrics.average_precision_score(y, s))
    assert gap <= ap_binned_error_bound(pos, neg) + 1e-12


def test_average_precision_bound_is_zero_without_ties_and_tight_for_one() -> None:
    assert ap_binned_error_bound([0, 1, 0, 1], [1, 0, 1, 0]) == 0.0
    # one positive and one negative tied: exact AP is 1 (positive first) or 1/2
    assert ap_binned_error_bound([1], [1]) == pytest.approx(0.5)


def test_pr_curve_exact_when_scores_on_grid() -> None:
    rng = np.random.default_rng(4)
    b = 40
    s = (rng.integers(0, b, 800) + 0.5) / b
    y = (rng.uniform(size=800) < s).astype(int)
    prec, rec, thr = pr_curve_binned(*_grid(s, y, b))
    sk_p, sk_r, sk_t = metrics.precision_recall_curve(y, s)
    np.testing.assert_allclose(thr, np.floor(sk_t * b) / b)
    np.testing.assert_allclose(prec, sk_p)
    np.testing.assert_allclose(rec, sk_r)
    assert average_precision_binned(*_grid(s, y, b)) == pytest.approx(
        metrics.average_precision_score(y, s), abs=1e-12
    )


@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 100))
@settings(max_examples=40, deadline=None)
def test_confusion_exact_on_grid_threshold(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.uniform(size=500)
    y = rng.integers(0, 2, 500)
    b = 100
    t = k / b
    conf = confusion_at_threshold(*_grid(s, y, b), threshold=t)
    pred = s >= t
    tn, fp, fn, tp = metrics.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    assert conf == (tp, fp, fn, tn)


def test_metrics_from_confusion_match_sklearn() -> None:
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 300)
    p = np.where(rng.uniform(size=300) < 0.8, y, 1 - y)
    tn, fp, fn, tp = metrics.confusion_matrix(y, p).ravel()
    m = metrics_from_confusion(tp, fp, fn, tn)
    assert m["precision"] == pytest.approx(metrics.precision_score(y, p))
    assert m["recall"] == pytest.approx(metrics.recall_score(y, p))
    assert m["f1"] == pytest.approx(metrics.f1_score(y, p))
    assert m["accuracy"] == pytest.approx(metrics.accuracy_score(y, p))
    assert m["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(y, p))
    assert m["mcc"] == pytest.approx(metrics.matthews_corrcoef(y, p))
    assert precision_recall_f1(tp, fp, fn) == pytest.approx((m["precision"], m["recall"], m["f1"]))


def test_calibration_and_ece_match_raw_computation() -> None:
    rng = np.random.default_rng(8)
    s = rng.uniform(size=5000)
    y = (rng.uniform(size=5000) < s**1.3).astype(int)
    b, n_bins = 1000, 10
    pos, neg = _grid(s, y, b)
    res = calibration_binned(pos, neg, n_bins=n_bins)
    coarse = np.minimum((s * n_bins).astype(int), n_bins - 1)
    raw_pred = np.array([s[coarse == i].mean() for i in range(n_bins)])
    raw_obs = np.array([y[coarse == i].mean() for i in range(n_bins)])
    raw_n = np.bincount(coarse, minlength=n_bins)
    np.testing.assert_allclose(res.observed, raw_obs)
    np.testing.assert_array_equal(res.counts, raw_n)
    assert np.all(np.abs(res.mean_predicted - raw_pred) <= 0.5 / b + 1e-12)
    raw_ece = np.sum(raw_n * np.abs(raw_obs - raw_pred)) / raw_n.sum()
    assert abs(ece(pos, neg, n_bins=n_bins) - raw_ece) <= 0.5 / b + 1e-12
    # sklearn's reliability curve agrees on the observed frequencies
    frac, _ = calibration_curve(y, s, n_bins=n_bins)
    np.testing.assert_allclose(frac, raw_obs, atol=1e-12)


def test_degenerate_classification_inputs_warn() -> None:
    with pytest.warns(ModelwardWarning):
        assert np.isnan(roc_auc_binned([0, 0], [1, 2]))
    with pytest.warns(ModelwardWarning):
        assert np.isnan(average_precision_binned([0, 0], [1, 2]))
    with pytest.warns(ModelwardWarning):
        assert np.isnan(precision_recall_f1(0, 0, 0)[0])
    with pytest.warns(ModelwardWarning):
        assert np.isnan(ece([0, 0], [0, 0]))

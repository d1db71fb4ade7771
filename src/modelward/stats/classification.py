"""Binary classification metrics from the score grid.

The ``score`` summary counts predictions per score bin (``B`` equal bins on
[0, 1], bin ``b = floor(score * B)`` clipped to ``B - 1``) and label. Every
kernel here takes ``pos[B]`` and ``neg[B]``: the counts of labelled positives
and negatives per bin. A score ``s`` is predicted positive at threshold ``t``
when ``s >= t``; on the grid ``t = k / B`` that is exactly bins ``b >= k``.

Examples
--------
>>> pos = [0, 1, 3, 6]
>>> neg = [5, 3, 1, 1]
>>> round(roc_auc_binned(pos, neg), 4)
0.89
>>> confusion_at_threshold(pos, neg, threshold=0.5)
Confusion(tp=9.0, fp=2.0, fn=1.0, tn=8.0)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from modelward._exceptions import ConfigError
from modelward.stats._validation import ArrayLike, FloatArray, as_counts, warn_degenerate

__all__ = [
    "CalibrationResult",
    "Confusion",
    "ap_binned_error_bound",
    "auc_binned_error_bound",
    "average_precision_binned",
    "calibration_binned",
    "confusion_at_threshold",
    "ece",
    "metrics_from_confusion",
    "pr_curve_binned",
    "precision_recall_f1",
    "roc_auc_binned",
    "roc_curve_binned",
]


def _grid(pos: ArrayLike, neg: ArrayLike, func: str) -> tuple[FloatArray, FloatArray]:
    p = as_counts(pos, name="pos", func=func)
    n = as_counts(neg, name="neg", func=func)
    if p.shape != n.shape:
        raise ConfigError(
            f"The 'neg' parameter of {func} must have the length of 'pos' ({p.size}). "
            f"Got {n.size} instead."
        )
    if p.size < 1:
        raise ConfigError(f"The 'pos' parameter of {func} must have >= 1 bin. Got 0 instead.")
    return p, n


def _both_classes(p: FloatArray, n: FloatArray, func: str) -> bool:
    if p.sum() == 0 or n.sum() == 0:
        warn_degenerate(func, "needs both positives and negatives")
        return False
    return True


def roc_auc_binned(pos: ArrayLike, neg: ArrayLike) -> float:
    """ROC AUC from binned scores (Mann-Whitney, pairs tied in a bin count 1/2).

    ``AUC = (sum_b pos_b * (neg below b) + pos_b * neg_b / 2) / (P N)``.

    Error bound: the binned AUC differs from the exact AUC on the raw scores
    only through pairs (one positive, one negative) in the same bin, each
    counted 1/2 instead of 0, 1/2 or 1, so
    ``|AUC_binned - AUC_exact| <= sum_b pos_b neg_b / (2 P N)`` (see
    :func:`auc_binned_error_bound`), half the tied-pair fraction.

    Examples
    --------
    >>> roc_auc_binned([0, 0, 5], [5, 0, 0])
    1.0
    >>> roc_auc_binned([1, 1], [1, 1])
    0.5
    """
    p, n = _grid(pos, neg, "roc_auc_binned")
    if not _both_classes(p, n, "roc_auc_binned"):
        return float("nan")
    neg_below = np.cumsum(n) - n
    return float(np.sum(p * (neg_below + n / 2)) / (p.sum() * n.sum()))


def auc_binned_error_bound(pos: ArrayLike, neg: ArrayLike) -> float:
    """Largest possible ``|roc_auc_binned - exact AUC|``: ``sum_b pos_b neg_b / (2 P N)``.

    Examples
    --------
    >>> auc_binned_error_bound([1, 1], [1, 1])
    0.25
    """
    p, n = _grid(pos, neg, "auc_binned_error_bound")
    if not _both_classes(p, n, "auc_binned_error_bound"):
        return float("nan")
    return float(np.sum(p * n) / (2 * p.sum() * n.sum()))


def roc_curve_binned(pos: ArrayLike, neg: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ROC curve at every grid threshold.

    Returns
    -------
    fpr, tpr, thresholds
        Arrays of length ``B + 1``, thresholds decreasing: ``inf`` (nothing
        predicted positive), then ``(B - 1) / B, ..., 1 / B, 0``. At
        threshold ``k / B`` the bins ``b >= k`` are predicted positive, as in
        ``sklearn.metrics.roc_curve``. All nan (with a warning) without both
        classes.

    Examples
    --------
    >>> fpr, tpr, thr = roc_curve_binned([0, 2], [2, 0])
    >>> fpr.tolist(), tpr.tolist(), thr.tolist()
    ([0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [inf, 0.5, 0.0])
    """
    p, n = _grid(pos, neg, "roc_curve_binned")
    b = p.size
    thresholds = np.concatenate([[np.inf], np.arange(b - 1, -1, -1) / b])
    if not _both_classes(p, n, "roc_curve_binned"):
        nan = np.full(b + 1, np.nan)
        return nan, nan.copy(), thresholds
    tp = np.concatenate([[0.0], np.cumsum(p[::-1])])
    fp = np.concatenate([[0.0], np.cumsum(n[::-1])])
    return fp / n.sum(), tp / p.sum(), thresholds


def pr_curve_binned(pos: ArrayLike, neg: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Precision-recall curve at the grid thresholds, ordered as scikit-learn orders it.

    Returns
    -------
    precision, recall, thresholds
        ``thresholds`` increasing over the grid points ``k / B`` where at
        least one prediction is positive; ``precision`` and ``recall`` have one
        more element, the final point ``(1, 0)``, as in
        ``sklearn.metrics.precision_recall_curve``. All nan (with a warning)
        without any positive label.

    Examples
    --------
    >>> prec, rec, thr = pr_curve_binned([0, 1, 1], [1, 1, 0])
    >>> prec.tolist(), rec.tolist(), [round(t, 3) for t in thr.tolist()]
    ([0.5, 0.6666666666666666, 1.0, 1.0], [1.0, 1.0, 0.5, 0.0], [0.0, 0.333, 0.667])
    """
    p, n = _grid(pos, neg, "pr_curve_binned")
    b = p.size
    thresholds = np.arange(b) / b
    if p.sum() == 0:
        warn_degenerate("pr_curve_binned", "no positive labels")
        nan = np.full(b + 1, np.nan)
        return nan, nan.copy(), thresholds
    tp = np.cumsum(p[::-1])[::-1]
    fp = np.cumsum(n[::-1])[::-1]
    keep = (tp + fp) > 0
    precision = tp[keep] / (tp[keep] + fp[keep])
    recall = tp[keep] / p.sum()
    return (
        np.concatenate([precision, [1.0]]),
        np.concatenate([recall, [0.0]]),
        thresholds[keep],
    )


def average_precision_binned(pos: ArrayLike, neg: ArrayLike) -> float:
    """Average precision ``sum_k (R_k - R_{k+1}) P_k`` over the grid thresholds.

    The step-wise (no interpolation) definition of
    ``sklearn.metrics.average_precision_score``, with all scores of one bin
    tied. Against scikit-learn on the raw scores the difference comes only from
    the ordering inside bins; on a fine grid (B = 1000) it is typically below
    1e-3, and never above :func:`ap_binned_error_bound` (with few labelled rows
    it can reach 1e-2).

    Examples
    --------
    >>> round(average_precision_binned([0, 1, 1], [1, 1, 0]), 4)
    0.8333
    """
    prec, rec, _ = pr_curve_binned(pos, neg)
    if np.isnan(prec).all():
        return float("nan")
    return float(np.sum(-np.diff(rec) * prec[:-1]))


def ap_binned_error_bound(pos: ArrayLike, neg: ArrayLike) -> float:
    """Largest possible ``|average_precision_binned - exact AP|`` from the order inside bins.

    A positive of bin ``b`` (with ``D`` rows and ``T`` positives ranked above
    the bin) has, whatever the order inside the bin, a precision between
    ``(T + 1) / (D + 1 + n_b)`` (behind all the bin's negatives) and
    ``(T + p_b) / (D + p_b)`` (ahead of them, last of its positives); the
    binned value, the bin-end precision, lies in the same interval. So the two
    APs differ by at most ``sum_b p_b / P * (hi_b - lo_b)``.

    Examples
    --------
    >>> ap_binned_error_bound([1, 0], [0, 1])  # no bin holds two rows: exact
    0.0
    >>> round(ap_binned_error_bound([1], [1]), 3)  # one tied pair: AP 1 or 0.5
    0.5
    """
    p, n = _grid(pos, neg, "ap_binned_error_bound")
    if not _both_classes(p, n, "ap_binned_error_bound"):
        return float("nan")
    # rank bins from the highest score down
    p, n = p[::-1], n[::-1]
    t_above = np.concatenate([[0.0], np.cumsum(p)[:-1]])
    d_above = t_above + np.concatenate([[0.0], np.cumsum(n)[:-1]])
    has = p > 0
    lo = (t_above[has] + 1) / (d_above[has] + 1 + n[has])
    hi = (t_above[has] + p[has]) / (d_above[has] + p[has])
    return float(np.sum(p[has] / p.sum() * (hi - lo)))


class Confusion(NamedTuple):
    """Confusion matrix counts."""

    tp: float
    fp: float
    fn: float
    tn: float


def confusion_at_threshold(pos: ArrayLike, neg: ArrayLike, threshold: float) -> Confusion:
    """Confusion matrix when scores ``>= threshold`` are predicted positive.

    Exact when ``threshold`` is on the grid (``k / B``); otherwise it is
    rounded up to the next grid point (scores in the bin containing it count
    as negative). Values within 1e-9 of a grid point are treated as on it.

    Examples
    --------
    >>> confusion_at_threshold([1, 2, 3, 4], [4, 3, 2, 1], threshold=0.75)
    Confusion(tp=4.0, fp=1.0, fn=6.0, tn=9.0)
    """
    p, n = _grid(pos, neg, "confusion_at_threshold")
    t = float(threshold)
    if np.isnan(t):
        raise ConfigError(
            "The 'threshold' parameter of confusion_at_threshold must be a number. Got nan instead."
        )
    b = p.size
    k = int(np.clip(np.ceil(np.round(t * b, 9)), 0, b))
    tp, fp = float(p[k:].sum()), float(n[k:].sum())
    return Confusion(tp=tp, fp=fp, fn=float(p.sum()) - tp, tn=float(n.sum()) - fp)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def precision_recall_f1(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts; an undefined value (0/0) is nan with a warning.

    Examples
    --------
    >>> precision_recall_f1(8, 2, 8)
    (0.8, 0.5, 0.6153846153846154)
    """
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    undefined = [
        name
        for name, v in (("precision", precision), ("recall", recall), ("f1", f1))
        if np.isnan(v)
    ]
    if undefined:
        warn_degenerate("precision_recall_f1", f"{', '.join(undefined)} undefined (0/0)")
    return precision, recall, f1


def metrics_from_confusion(tp: float, fp: float, fn: float, tn: float) -> dict[str, float]:
    """The usual metrics of a confusion matrix, as a dict (nan where undefined, with a warning).

    Keys: ``n``, ``prevalence``, ``accuracy``, ``precision``, ``recall``
    (true positive rate), ``specificity``, ``fpr``, ``fnr``, ``f1``,
    ``balanced_accuracy``, ``mcc`` (Matthews correlation),
    ``predicted_positive_rate``.

    Examples
    --------
    >>> m = metrics_from_confusion(8, 2, 8, 82)
    >>> m["precision"], m["recall"], round(m["mcc"], 4)
    (0.8, 0.5, 0.5819)
    """
    n = tp + fp + fn + tn
    p_true, p_pred = tp + fn, tp + fp
    n_true = fp + tn
    recall = _ratio(tp, p_true)
    specificity = _ratio(tn, n_true)
    mcc_den = float(np.sqrt(p_true * n_true * p_pred * (fn + tn)))
    out = {
        "n": float(n),
        "prevalence": _ratio(p_true, n),
        "accuracy": _ratio(tp + tn, n),
        "precision": _ratio(tp, p_pred),
        "recall": recall,
        "specificity": specificity,
        "fpr": _ratio(fp, n_true),
        "fnr": _ratio(fn, p_true),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "balanced_accuracy": (recall + specificity) / 2,
        "mcc": _ratio(tp * tn - fp * fn, mcc_den),
        "predicted_positive_rate": _ratio(p_pred, n),
    }
    undefined = sorted(k for k, v in out.items() if np.isnan(v))
    if undefined:
        warn_degenerate("metrics_from_confusion", f"{', '.join(undefined)} undefined (0/0)")
    return out


class CalibrationResult(NamedTuple):
    """Reliability diagram data of :func:`calibration_binned` (one entry per coarse bin)."""

    mean_predicted: FloatArray
    observed: FloatArray
    counts: FloatArray


def calibration_binned(pos: ArrayLike, neg: ArrayLike, *, n_bins: int = 10) -> CalibrationResult:
    """Reliability diagram: mean predicted score vs observed positive rate per coarse bin.

    The ``B`` fine bins are grouped into ``n_bins`` equal-width bins on [0, 1]
    by their midpoints; the mean predicted score of a coarse bin is the
    count-weighted mean of its fine-bin midpoints (within ``1 / (2 B)`` of the
    mean of the raw scores), the observed frequency is positives / labelled.
    Empty coarse bins are nan.

    Examples
    --------
    >>> res = calibration_binned([0, 1, 2, 3], [3, 2, 1, 0], n_bins=2)
    >>> res.mean_predicted.tolist(), res.observed.tolist(), res.counts.tolist()
    ([0.25, 0.75], [0.16666666666666666, 0.8333333333333334], [6.0, 6.0])
    """
    func = "calibration_binned"
    p, n = _grid(pos, neg, func)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ConfigError(f"The 'n_bins' parameter of {func} must be an int >= 1. Got {n_bins}.")
    b = p.size
    mid = (np.arange(b) + 0.5) / b
    coarse = np.minimum((mid * n_bins).astype(np.int64), n_bins - 1)
    total = p + n
    counts = np.bincount(coarse, weights=total, minlength=n_bins)
    score_sum = np.bincount(coarse, weights=total * mid, minlength=n_bins)
    pos_sum = np.bincount(coarse, weights=p, minlength=n_bins)
    if counts.sum() == 0:
        warn_degenerate(func, "no labelled predictions")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pred = np.where(counts > 0, score_sum / counts, np.nan)
        observed = np.where(counts > 0, pos_sum / counts, np.nan)
    return CalibrationResult(mean_pred, observed, counts.astype(np.float64))


def ece(pos: ArrayLike, neg: ArrayLike, *, n_bins: int = 10) -> float:
    """Expected calibration error ``sum_k (n_k / N) |observed_k - mean_predicted_k|``.

    With ``B`` a multiple of ``n_bins`` the coarse bins align with the score
    grid, and the result is within ``1 / (2 B)`` of the ECE on the raw scores
    with the same equal-width bins.

    Examples
    --------
    >>> round(ece([0, 1, 2, 3], [3, 2, 1, 0], n_bins=2), 4)
    0.0833
    """
    res = calibration_binned(pos, neg, n_bins=n_bins)
    total = res.counts.sum()
    if total == 0:
        return float("nan")
    ok = res.counts > 0
    gap = np.abs(res.observed[ok] - res.mean_predicted[ok])
    return float(np.sum(res.counts[ok] * gap) / total)

"""ROC, precision-recall and calibration curves of a window, and the serving threshold.

All are read from the counts per score bin of labelled positives and
negatives (and, for the threshold, of rows served as 1 and 0); curves are
downsampled to at most :data:`MAX_CURVE_POINTS` points.

Examples
--------
>>> roc, pr, cal = _curves(np.array([0.0, 1.0, 3.0]), np.array([3.0, 1.0, 0.0]),
...                        {"roc_auc": MetricValue(value=0.9, interval=None, n=8),
...                         "pr_auc": MetricValue(value=0.9, interval=None, n=8),
...                         "ece": MetricValue(value=0.1, interval=None, n=8)})
>>> roc.x[0], roc.x[-1], roc.area
(0.0, 1.0, 0.9)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from modelward.analyses.performance_bootstrap import ECE_BINS
from modelward.analyses.results import CalibrationCurve, CurvePoints, MetricValue
from modelward.stats import calibration_binned, pr_curve_binned, roc_curve_binned

__all__ = ["MAX_CURVE_POINTS", "estimate_threshold"]

FloatArray = npt.NDArray[np.float64]

#: Most points kept in a ROC or PR curve.
MAX_CURVE_POINTS = 200


def estimate_threshold(pred1: FloatArray, pred0: FloatArray) -> float | None:
    """The serving threshold ``k / B`` that best separates served predictions on the score grid.

    ``pred1[b]`` and ``pred0[b]`` count rows in score bin ``b`` served as 1
    and 0. The estimate is the smallest ``k`` minimising the rows it would
    misplace (served 1 below ``k`` plus served 0 at or above ``k``): the
    smallest score bin from which predictions are mostly 1. ``None`` if no
    row was served as 1 or no row has a score.

    Examples
    --------
    >>> estimate_threshold(np.array([0, 0, 3, 5]), np.array([4, 3, 1, 0]))
    0.5
    """
    p1 = np.asarray(pred1, np.float64)
    p0 = np.asarray(pred0, np.float64)
    if p1.sum() == 0 or (p1.sum() + p0.sum()) == 0:
        return None
    below1 = np.concatenate([[0.0], np.cumsum(p1)])
    above0 = np.concatenate([np.cumsum(p0[::-1])[::-1], [0.0]])
    return float(int(np.argmin(below1 + above0)) / p1.size)


def _downsample(x: FloatArray, y: FloatArray, thr: FloatArray) -> CurvePoints:
    keep = np.ones(x.size, bool)
    keep[1:] = (np.diff(x) != 0) | (np.diff(y) != 0)
    keep[-1] = True
    x, y, thr = x[keep], y[keep], thr[keep]
    if x.size > MAX_CURVE_POINTS:
        idx = np.unique(np.linspace(0, x.size - 1, MAX_CURVE_POINTS).round().astype(np.int64))
        x, y, thr = x[idx], y[idx], thr[idx]
    return CurvePoints(x=x.tolist(), y=y.tolist(), thresholds=thr.tolist(), area=None)


def _curves(
    pos: FloatArray, neg: FloatArray, metrics: dict[str, MetricValue]
) -> tuple[CurvePoints | None, CurvePoints | None, CalibrationCurve | None]:
    roc = pr = cal = None
    if pos.sum() > 0 and neg.sum() > 0:
        fpr, tpr, thr = roc_curve_binned(pos, neg)
        thr = np.where(np.isinf(thr), 1.0, thr)
        roc = _downsample(fpr, tpr, thr).model_copy(update={"area": metrics["roc_auc"].value})
    if pos.sum() > 0:
        prec, rec, thr = pr_curve_binned(pos, neg)
        # scikit-learn order (recall decreasing); the last point (1, 0) has no threshold
        thr = np.concatenate([thr, [1.0]])
        pr = _downsample(rec[::-1], prec[::-1], thr[::-1])
        pr = pr.model_copy(update={"area": metrics["pr_auc"].value})
    if pos.sum() + neg.sum() > 0:
        res = calibration_binned(pos, neg, n_bins=ECE_BINS)
        ok = res.counts > 0
        cal = CalibrationCurve(
            predicted=res.mean_predicted[ok].tolist(),
            observed=res.observed[ok].tolist(),
            count=[round(c) for c in res.counts[ok]],
            ece=metrics["ece"].value,
        )
    return roc, pr, cal

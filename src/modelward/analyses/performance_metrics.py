"""Metrics of one window with their intervals, from its score grid and volume sums.

:func:`_binary_metrics` reads the counts per score bin of labelled positives
and negatives and of those predicted positive; :func:`_regression_metrics`
reads the error sums of the ``volume`` table. :func:`_cluster_widen` widens
the intervals of mean losses when buckets differ more than rows do.

Examples
--------
>>> mv = _prop(30, 100, 0.95)
>>> mv.value, mv.n, mv.interval.method
(0.3, 100, 'wilson')
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from modelward.analyses.performance_bootstrap import (
    ECE_BINS,
    N_BOOT,
    _ap,
    _coarsen,
    _ece_stat,
    _f1,
    _shared_bootstrap,
    _shifted,
)
from modelward.analyses.results import Interval, MetricValue
from modelward.stats import (
    auc_interval,
    average_precision_binned,
    ece,
    mean_interval,
    roc_auc_binned,
    wilson_interval,
)

__all__: list[str] = []

FloatArray = npt.NDArray[np.float64]


def _z(confidence: float) -> float:
    return float(sps.norm.ppf(0.5 + confidence / 2))


def _mv(
    value: float, low: float, high: float, n: float, confidence: float, method: str
) -> MetricValue:
    ok = math.isfinite(value)
    ivl = None
    if ok and math.isfinite(low) and math.isfinite(high):
        ivl = Interval(low=low, high=high, confidence=confidence, method=method)
    return MetricValue(value=value if ok else None, interval=ivl, n=round(n))


def _none(n: float = 0) -> MetricValue:
    return MetricValue(value=None, interval=None, n=round(n))


def _prop(k: float, n: float, confidence: float) -> MetricValue:
    if n <= 0:
        return _none()
    lo, hi = wilson_interval(k, n, confidence=confidence)
    return _mv(k / n, lo, hi, n, confidence, "wilson")


def _grid_mean(
    exact_sum: float,
    n: float,
    per_pos: FloatArray,
    per_neg: FloatArray,
    pos: FloatArray,
    neg: FloatArray,
    confidence: float,
) -> MetricValue:
    """Exact mean with a t-interval whose variance comes from the score grid."""
    if n < 2:
        return _mv(exact_sum / n, math.nan, math.nan, n, confidence, "") if n else _none()
    s = float(np.sum(pos * per_pos + neg * per_neg))
    s2 = float(np.sum(pos * per_pos**2 + neg * per_neg**2))
    lo, hi = mean_interval(n, s, s2, confidence=confidence)
    shift = exact_sum / n - s / n
    return _mv(exact_sum / n, lo + shift, hi + shift, n, confidence, "t (grid variance)")


def _binary_metrics(
    pos: FloatArray,
    neg: FloatArray,
    tp_bin: FloatArray,
    fp_bin: FloatArray,
    vol: dict[str, float],
    confidence: float,
    rng: np.random.Generator,
) -> tuple[dict[str, int], dict[str, MetricValue]]:
    """Metrics of one window from its score grid; ``tp_bin``/``fp_bin``: predicted positives."""
    n_pos, n_neg = float(pos.sum()), float(neg.sum())
    tp, fp = float(tp_bin.sum()), float(fp_bin.sum())
    fn, tn = n_pos - tp, n_neg - fp
    n_lab = n_pos + n_neg
    m = _confusion_metrics(tp, fp, fn, tn, vol, confidence)
    keep = (pos + neg) > 0
    p, q = pos[keep], neg[keep]
    cells = np.stack([tp_bin[keep], p - tp_bin[keep], fp_bin[keep], q - fp_bin[keep]])
    mid = ((np.arange(pos.size) + 0.5) / pos.size)[keep]
    coarse, mid_c = _coarsen(cells, mid)
    boot = _shared_bootstrap(
        coarse, {"f1": _f1, "pr_auc": _ap, "ece": _ece_stat(mid_c)}, confidence, rng
    )
    method = f"bootstrap ({N_BOOT} multinomial draws)"
    f1 = float(_f1(cells)) if 2 * tp + fp + fn > 0 else math.nan
    m["f1"] = _mv(f1, *_shifted(f1, boot["f1"]), n_lab, confidence, method)
    if n_pos > 0 and n_neg > 0:
        auc = roc_auc_binned(p, q)
        lo, hi = (
            auc_interval(p, q, confidence=confidence)
            if n_pos >= 2 and n_neg >= 2
            else (math.nan, math.nan)
        )
        m["roc_auc"] = _mv(auc, lo, hi, n_lab, confidence, "delong")
    else:
        m["roc_auc"] = _none(n_lab)
    if n_pos > 0:
        ap = average_precision_binned(p, q)
        m["pr_auc"] = _mv(ap, *_shifted(ap, boot["pr_auc"]), n_lab, confidence, method)
    else:
        m["pr_auc"] = _none(n_lab)
    if n_lab > 0:
        ece_value = ece(pos, neg, n_bins=ECE_BINS)
        m["ece"] = _mv(ece_value, *_shifted(ece_value, boot["ece"]), n_lab, confidence, method)
        mc = np.clip(mid, 1e-15, 1 - 1e-15)
        m["log_loss"] = _grid_mean(
            vol.get("logloss_sum", math.nan), n_lab, -np.log(mc), -np.log1p(-mc), p, q, confidence
        )
        m["brier"] = _grid_mean(
            vol.get("brier_sum", math.nan), n_lab, (1 - mid) ** 2, mid**2, p, q, confidence
        )
    else:
        for k in ("ece", "log_loss", "brier"):
            m[k] = _none()
    confusion = {"tp": round(tp), "fp": round(fp), "fn": round(fn), "tn": round(tn)}
    return confusion, dict(sorted(m.items()))


def _confusion_metrics(
    tp: float, fp: float, fn: float, tn: float, vol: dict[str, float], confidence: float
) -> dict[str, MetricValue]:
    """Proportions of one window's confusion, with their intervals."""
    n_lab = tp + fp + fn + tn
    return {
        "precision": _prop(tp, tp + fp, confidence),
        "recall": _prop(tp, tp + fn, confidence),
        "accuracy": _prop(tp + tn, n_lab, confidence),
        "fpr": _prop(fp, fp + tn, confidence),
        "positive_rate": _prop(tp + fn, n_lab, confidence),
        "predicted_positive_rate": _prop(
            vol.get("n_predicted_positive", 0.0), vol.get("n", 0.0), confidence
        ),
    }


def _served_metrics(
    vol: dict[str, float], confidence: float, rng: np.random.Generator
) -> tuple[dict[str, int], dict[str, MetricValue]]:
    """Confusion-based metrics of one window of a binary log with no score column.

    Without a score there is no score grid, but the served confusion is still
    exact: over labelled rows ``abs_err_sum = FP + FN`` and ``err_sum = FP - FN``
    (predictions and labels are 0/1), ``label_sum`` counts the positives.
    Score-based metrics (ROC-AUC, PR-AUC, ECE, log loss, Brier) are unknown.

    Parameters
    ----------
    vol
        The window's ``volume`` sums.
    confidence
        Level of every interval.
    rng
        Generator of the F1 bootstrap.

    Returns
    -------
    tuple of dict and dict
        The confusion counts and the metrics, as :func:`_binary_metrics` gives.

    Examples
    --------
    >>> vol = {"n": 10, "n_labelled": 10, "label_sum": 4, "n_predicted_positive": 5,
    ...        "abs_err_sum": 3, "err_sum": 1}
    >>> conf, m = _served_metrics(vol, 0.95, np.random.default_rng(0))
    >>> conf, m["precision"].value, m["roc_auc"].value
    ({'tp': 3, 'fp': 2, 'fn': 1, 'tn': 4}, 0.6, None)
    """
    n_lab = vol.get("n_labelled", 0.0)
    n_pos = vol.get("label_sum", 0.0)
    n_neg = n_lab - n_pos
    wrong, signed = vol.get("abs_err_sum", 0.0), vol.get("err_sum", 0.0)
    fp, fn = (wrong + signed) / 2, (wrong - signed) / 2
    tp, tn = n_pos - fn, n_neg - fp
    m = _confusion_metrics(tp, fp, fn, tn, vol, confidence)
    # one "score bin": the joint (tp, fn, fp, tn) cells the F1 bootstrap resamples
    cells = np.array([[tp], [fn], [fp], [tn]], np.float64)
    f1 = float(_f1(cells)) if 2 * tp + fp + fn > 0 else math.nan
    boot = _shared_bootstrap(cells, {"f1": _f1}, confidence, rng)
    method = f"bootstrap ({N_BOOT} multinomial draws)"
    m["f1"] = _mv(f1, *_shifted(f1, boot["f1"]), n_lab, confidence, method)
    for k in ("roc_auc", "pr_auc", "ece", "log_loss", "brier"):
        m[k] = _none(n_lab)
    confusion = {"tp": round(tp), "fp": round(fp), "fn": round(fn), "tn": round(tn)}
    return confusion, dict(sorted(m.items()))


def _regression_metrics(vol: dict[str, float], confidence: float) -> dict[str, MetricValue]:
    n = vol.get("n_labelled", 0.0)
    if n <= 0:
        return {"bias": _none(), "mae": _none(), "rmse": _none()}
    abs_s, sq_s, err_s = vol["abs_err_sum"], vol["sq_err_sum"], vol["err_sum"]
    mse = sq_s / n
    if n >= 2:
        mae_lo, mae_hi = mean_interval(n, abs_s, sq_s, confidence=confidence)
        b_lo, b_hi = mean_interval(n, err_s, sq_s, confidence=confidence)
        alpha = 1 - confidence
        r_lo = math.sqrt(sq_s / float(sps.chi2.ppf(1 - alpha / 2, n)))
        r_hi = math.sqrt(sq_s / float(sps.chi2.ppf(alpha / 2, n)))
    else:
        mae_lo = mae_hi = b_lo = b_hi = r_lo = r_hi = math.nan
    return {
        "bias": _mv(err_s / n, b_lo, b_hi, n, confidence, "t"),
        "mae": _mv(abs_s / n, mae_lo, mae_hi, n, confidence, "t"),
        "rmse": _mv(math.sqrt(mse), r_lo, r_hi, n, confidence, "chi2 (normal errors)"),
    }


# ------------------------------------------------------------------- windows


#: Volume sums behind the means whose intervals are widened for between-bucket variation.
_CLUSTER_SUMS = {
    "log_loss": "logloss_sum",
    "brier": "brier_sum",
    "mae": "abs_err_sum",
    "bias": "err_sum",
}


def _cluster_widen(
    metrics: dict[str, MetricValue], clusters: list[dict[str, float]], confidence: float
) -> dict[str, MetricValue]:
    """Widen mean-loss intervals to the cluster-robust (bucket = cluster) interval if wider.

    Rows of one bucket share its conditions (traffic mix, prevalence bursts),
    so the row-level interval of a window's mean loss is too narrow when
    buckets differ. The linearised variance of the ratio mean
    ``m = sum_b L_b / sum_b n_b`` over ``B`` buckets is
    ``B / (B - 1) * sum_b (L_b - m n_b)^2 / (sum_b n_b)^2``; the interval
    kept is the union of the row-level and this one.
    """
    out = dict(metrics)
    if len(clusters) < 2:
        return out
    z = _z(confidence)
    n_b = np.array([c.get("n_labelled", 0.0) for c in clusters])
    total = n_b.sum()
    nb = int(np.count_nonzero(n_b))
    if total <= 0 or nb < 2:
        return out
    for name, col in _CLUSTER_SUMS.items():
        mv = out.get(name)
        if mv is None or mv.value is None or mv.interval is None:
            continue
        sums = np.array([c.get(col, 0.0) for c in clusters])
        mean = sums.sum() / total
        var = nb / (nb - 1) * float(np.sum((sums - mean * n_b) ** 2)) / total**2
        half = z * math.sqrt(var)
        lo, hi = mv.interval.low, mv.interval.high
        if lo is None or hi is None or (mean - half >= lo and mean + half <= hi):
            continue
        ivl = Interval(
            low=min(lo, mean - half),
            high=max(hi, mean + half),
            confidence=confidence,
            method=f"{mv.interval.method}, widened to bucket-cluster",
        )
        out[name] = mv.model_copy(update={"interval": ivl})
    return out

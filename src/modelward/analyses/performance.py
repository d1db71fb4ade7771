"""Model performance on labelled rows, from the summaries only, with confidence intervals.

Binary tasks read the ``score`` table (counts per score bin x label x served
prediction) and the ``volume`` table; regression tasks read ``volume`` alone.

What is exact and what is approximate (``B = meta.score_bins``):

- confusion, precision, recall, F1, accuracy, FPR, positive and predicted
  positive rates: **exact** (the served ``prediction`` column is counted, so the
  serving threshold need not be known);
- log loss and Brier: **exact** means (``volume.logloss_sum`` / ``brier_sum``);
- ROC-AUC: within :func:`modelward.stats.auc_binned_error_bound` (half the
  fraction of positive-negative pairs sharing a score bin) of the exact value;
- average precision (PR-AUC): scores in one bin are tied; typically < 1e-3
  from scikit-learn on a 1000-bin grid;
- ECE: within ``1 / (2 B)`` of the ECE of the raw scores on 10 equal bins;
- regression MAE, RMSE, bias: exact.

Intervals (``confidence``, default 95 %): Wilson for proportions; DeLong
(computed on the bins) for ROC-AUC; a multinomial bootstrap of the counts
(:func:`modelward.stats.bootstrap_counts`) for F1, average precision and ECE;
Student-t for log loss and Brier (exact mean, variance from the score grid's
bin midpoints) and for MAE and bias (exact moments); for RMSE the chi-square
interval of a normal error model.

A metric is **degraded** when the interval of ``current - reference`` lies
entirely on the bad side of 0 and the change exceeds the metric's floor
(:data:`DEGRADE_FLOORS`). Both windows are independent samples, so the
difference interval is built from the two intervals by MOVER (Newcombe 1998,
Zou & Donner 2008): for a higher-is-better metric the upper end of the
difference is ``d + sqrt((hi_cur - cur)^2 + (ref - lo_ref)^2)``.

Examples
--------
>>> import datetime as dt, numpy as np, pyarrow as pa
>>> from modelward.io import read_log
>>> from modelward.engine.duckdb_engine import DuckDBEngine
>>> rng = np.random.default_rng(0)
>>> n = 600
>>> y = rng.integers(0, 2, n)
>>> s = np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1)
>>> t = pa.table({"prediction_id": [str(i) for i in range(n)],
...               "timestamp": [dt.datetime(2026, 1, 1 + i % 6) for i in range(n)],
...               "score": s, "prediction": (s >= 0.5).astype(int), "label": y})
>>> summ = DuckDBEngine().summarise(read_log(t), reference_end="2026-01-03")
>>> res = analyse_performance(summ)
>>> res.task, res.current.n_labelled, res.degraded
('binary', 300, [])
>>> 0.8 < res.current.metrics["roc_auc"].value <= 1.0
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats as sps

from modelward._exceptions import ConfigError
from modelward.analyses._cubes import MATURITY, ScoreCube, group_index, mature_current
from modelward.analyses.results import (
    CalibrationCurve,
    CurvePoints,
    Interval,
    MetricValue,
    PerformanceResult,
    PerformanceWindow,
)
from modelward.engine.summaries import Summaries
from modelward.stats import (
    auc_interval,
    average_precision_binned,
    calibration_binned,
    ece,
    mean_interval,
    pr_curve_binned,
    roc_auc_binned,
    roc_curve_binned,
    wilson_interval,
)

__all__ = [
    "DEGRADE_FLOORS",
    "ECE_BINS",
    "MATURITY",
    "MAX_CURVE_POINTS",
    "N_BOOT",
    "analyse_performance",
    "degraded_metrics",
    "estimate_threshold",
    "mature_current",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Bootstrap draws for F1, average precision and ECE intervals.
N_BOOT = 400
#: Coarse bins of the calibration curve and ECE.
ECE_BINS = 10
#: Most points kept in a ROC or PR curve.
MAX_CURVE_POINTS = 200

#: metric -> (direction, absolute floor, relative floor). ``direction`` is
#: ``"up"`` (higher is better), ``"down"`` (lower is better) or ``"abs"``
#: (closer to 0 is better). A change counts only if larger than
#: ``max(absolute, relative * |reference|)``.
DEGRADE_FLOORS: dict[str, tuple[str, float, float]] = {
    "roc_auc": ("up", 0.02, 0.0),
    "pr_auc": ("up", 0.02, 0.0),
    "precision": ("up", 0.02, 0.0),
    "recall": ("up", 0.02, 0.0),
    "f1": ("up", 0.02, 0.0),
    "accuracy": ("up", 0.01, 0.0),
    "fpr": ("down", 0.01, 0.0),
    "log_loss": ("down", 0.0, 0.1),
    "brier": ("down", 0.0, 0.1),
    "ece": ("down", 0.02, 0.0),
    "mae": ("down", 0.0, 0.1),
    "rmse": ("down", 0.0, 0.1),
    "bias": ("abs", 0.0, 0.1),
}

_VOLUME_SUMS = (
    "n", "n_labelled", "label_sum", "n_predicted_positive", "logloss_sum", "brier_sum",
    "abs_err_sum", "sq_err_sum", "err_sum",
)  # fmt: skip


# ----------------------------------------------------------------- grouping


def _subset(tab: pa.Table, all_traffic: bool) -> pa.Table:
    mask = pc.equal(tab["segment"], "")
    return tab.filter(mask if all_traffic else pc.invert(mask))


def _volume_sums(tab: pa.Table, cols: Sequence[str]) -> dict[tuple[Any, ...], dict[str, float]]:
    gid, keys = group_index(tab, cols)
    out: dict[tuple[Any, ...], dict[str, float]] = {k: {} for k in keys}
    for name in _VOLUME_SUMS:
        if name not in tab.column_names:
            continue
        v = np.nan_to_num(np.asarray(tab[name].to_numpy(zero_copy_only=False), np.float64))
        sums = np.bincount(gid, weights=v, minlength=len(keys))
        for k, s in zip(keys, sums, strict=True):
            out[k][name] = float(s)
    return out


# ------------------------------------------------------------------ metrics


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


def _f1(c: FloatArray) -> FloatArray:
    """F1 of joint cells ``(..., 4, K)``: (tp, fn, fp, tn) per score bin."""
    tp, fn, fp = c[..., 0, :].sum(axis=-1), c[..., 1, :].sum(axis=-1), c[..., 2, :].sum(axis=-1)
    den = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / den, np.nan)


def _ap(c: FloatArray) -> FloatArray:
    """Step-wise average precision of joint cells ``(..., 4, K)``, score bins ascending.

    ``AP = sum_k pos_k / P * precision at the threshold that admits bin k``,
    the value of :func:`modelward.stats.average_precision_binned`.
    """
    p = (c[..., 0, :] + c[..., 1, :])[..., ::-1]
    n = (c[..., 2, :] + c[..., 3, :])[..., ::-1]
    ctp = np.cumsum(p, axis=-1)
    cfp = np.cumsum(n, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(ctp + cfp > 0, ctp / (ctp + cfp), 0.0)
        return np.asarray(np.sum(p * prec, axis=-1) / ctp[..., -1], np.float64)


def _ece_stat(mid: FloatArray) -> Callable[[FloatArray], FloatArray]:
    """ECE of joint cells ``(..., 4, K)`` whose score bins have midpoints ``mid``.

    With ``n_k`` rows, ``s_k`` summed scores and ``y_k`` positives in coarse bin
    ``k``, ``n_k |y_k / n_k - s_k / n_k| = |y_k - s_k|``, so
    ``ECE = sum_k |y_k - s_k| / N``, the value of :func:`modelward.stats.ece`.
    """
    coarse = np.minimum((mid * ECE_BINS).astype(np.int64), ECE_BINS - 1)
    onehot = np.zeros((mid.size, ECE_BINS))
    onehot[np.arange(mid.size), coarse] = 1.0

    def stat(c: FloatArray) -> FloatArray:
        pos = c[..., 0, :] + c[..., 1, :]
        tot = pos + c[..., 2, :] + c[..., 3, :]
        gap = np.abs(pos @ onehot - (tot * mid) @ onehot)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(gap.sum(axis=-1) / tot.sum(axis=-1), np.float64)

    return stat


#: Most score cells resampled by the bootstrap (adjacent bins are merged beyond this).
BOOT_CELLS = 100


def _coarsen(cells: FloatArray, mid: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Merge adjacent score bins into at most ~:data:`BOOT_CELLS` of similar counts.

    Merged bins never straddle a calibration (ECE) bin boundary; the merged
    midpoint is the count-weighted mean of the fine midpoints. F1 is
    unchanged by merging; AP and ECE change slightly, which the bootstrap
    removes by shifting (see :func:`_shared_bootstrap`).
    """
    tot = cells.sum(axis=0)
    target = max(tot.sum() / BOOT_CELLS, 1.0)
    dec = np.minimum((mid * ECE_BINS).astype(np.int64), ECE_BINS - 1)
    chunk = np.floor((np.cumsum(tot) - tot) / target).astype(np.int64)
    _, group = np.unique(dec * (BOOT_CELLS + 1) * 10 + chunk, return_inverse=True)
    group = group.reshape(-1)
    k = int(group.max()) + 1 if group.size else 0
    merged = np.asarray(
        np.stack([np.bincount(group, weights=row, minlength=k) for row in cells]), np.float64
    )
    w = np.bincount(group, weights=tot, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mid_c = np.asarray(np.bincount(group, weights=tot * mid, minlength=k) / w, np.float64)
    return merged, mid_c


def _shared_bootstrap(
    cells: FloatArray,
    statistics: dict[str, Callable[[FloatArray], FloatArray]],
    confidence: float,
    rng: np.random.Generator,
) -> dict[str, tuple[float, float]]:
    """Basic-shifted percentile intervals of several statistics from one bootstrap of ``cells``.

    The resampling of :func:`modelward.stats.bootstrap_counts` (rows drawn
    with replacement = a multinomial draw of the counts, total fixed), with
    the :data:`N_BOOT` draws shared by every statistic; nan draws are dropped.
    Returned bounds are ``(q_lo - stat(cells), q_hi - stat(cells))``: offsets
    to add to the exact value of the statistic.
    """
    total = round(float(cells.sum()))
    alpha = 1 - confidence
    out = {k: (math.nan, math.nan) for k in statistics}
    if total == 0:
        return out
    flat = cells.reshape(-1)
    draws = rng.multinomial(total, flat / flat.sum(), size=N_BOOT).astype(np.float64)
    draws = draws.reshape(N_BOOT, *cells.shape)
    for name, stat in statistics.items():
        v = np.asarray(stat(draws), np.float64)
        v = v[np.isfinite(v)]
        centre = float(stat(cells))
        if v.size and math.isfinite(centre):
            lo, hi = np.quantile(v, [alpha / 2, 1 - alpha / 2])
            out[name] = (float(lo) - centre, float(hi) - centre)
    return out


def _shifted(value: float, offsets: tuple[float, float]) -> tuple[float, float]:
    """``value`` plus bootstrap offsets, clipped to [0, 1] (where F1, AP and ECE live).

    Resampling inflates a statistic that is biased upward (ECE is: every bin's
    gap is an absolute value), so its percentile offsets can both be positive;
    the interval is then extended to reach the estimate itself rather than
    exclude it.
    """
    low, high = min(offsets[0], 0.0), max(offsets[1], 0.0)
    return max(value + low, 0.0), min(value + high, 1.0)


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
    m: dict[str, MetricValue] = {
        "precision": _prop(tp, tp + fp, confidence),
        "recall": _prop(tp, tp + fn, confidence),
        "accuracy": _prop(tp + tn, n_lab, confidence),
        "fpr": _prop(fp, fp + tn, confidence),
        "positive_rate": _prop(n_pos, n_lab, confidence),
        "predicted_positive_rate": _prop(
            vol.get("n_predicted_positive", 0.0), vol.get("n", 0.0), confidence
        ),
    }
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


class _Builder:
    """Builds :class:`PerformanceWindow` objects for the groups of one task."""

    def __init__(
        self, summaries: Summaries, *, confidence: float, threshold: float | None, seed: int
    ) -> None:
        self.task = summaries.meta.task
        self.bins = summaries.meta.score_bins
        self.confidence = confidence
        self.threshold = threshold
        self.rng = np.random.default_rng(seed)
        self.volume = summaries.table("volume")
        self.score = summaries.table("score")
        self.binary = self.task == "binary" and self.score.num_rows > 0

    def windows(
        self, cols: Sequence[str], all_traffic: bool, kind: str | None = None
    ) -> list[tuple[tuple[Any, ...], PerformanceWindow]]:
        vol = _volume_sums(_subset(self.volume, all_traffic), cols)
        per_bucket = (
            _volume_sums(_subset(self.volume, all_traffic), (*cols, "bucket"))
            if "bucket" not in cols
            else {}
        )
        cube = ScoreCube(_subset(self.score, all_traffic), cols, self.bins) if self.binary else None
        out = []
        for key, v in vol.items():
            rec = dict(zip(cols, key, strict=True))
            window = kind or str(rec["window"])
            confusion: dict[str, int] | None = None
            if self.task == "binary":
                if cube is not None and key in cube.index:
                    i = cube.index[key]
                    pos, neg = cube.pos[i], cube.neg[i]
                    tp_bin, fp_bin = self._predicted(pos, neg, cube.tp[i], cube.fp[i])
                else:
                    pos = neg = tp_bin = fp_bin = np.zeros(self.bins)
                confusion, metrics = _binary_metrics(
                    pos, neg, tp_bin, fp_bin, v, self.confidence, self.rng
                )
            else:
                metrics = _regression_metrics(v, self.confidence)
            if per_bucket:
                clusters = [pb for k, pb in per_bucket.items() if k[:-1] == key]
                metrics = _cluster_widen(metrics, clusters, self.confidence)
            bucket = rec.get("bucket")
            out.append(
                (
                    key,
                    PerformanceWindow(
                        window=window,
                        bucket=bucket if isinstance(bucket, datetime) else None,
                        segment=str(rec.get("segment", "")),
                        segment_value=str(rec.get("segment_value", "")),
                        n_rows=round(v.get("n", 0.0)),
                        n_labelled=round(v.get("n_labelled", 0.0)),
                        confusion=confusion,
                        metrics=metrics,
                    ),
                )
            )
        return out

    def _predicted(
        self, pos: FloatArray, neg: FloatArray, tp: FloatArray, fp: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Labelled positives / negatives predicted positive per bin: served, or at ``threshold``.

        A threshold predicts positive the bins ``b >= ceil(t B)``, as
        :func:`modelward.stats.confusion_at_threshold` does.
        """
        if self.threshold is None:
            return tp, fp
        k = int(np.clip(np.ceil(np.round(self.threshold * self.bins, 9)), 0, self.bins))
        above = np.arange(self.bins) >= k
        return pos * above, neg * above


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


# ---------------------------------------------------------------- degraded


def _floor(metric: str, reference: float) -> float:
    _, absolute, relative = DEGRADE_FLOORS[metric]
    return max(absolute, relative * abs(reference))


def degraded_metrics(reference: PerformanceWindow, current: PerformanceWindow) -> list[str]:
    """Metrics significantly worse in ``current`` than in ``reference``, by more than a floor.

    For each metric of :data:`DEGRADE_FLOORS` present in both windows with an
    interval, the MOVER interval of ``current - reference`` (from the two
    independent intervals) must exclude 0 on the bad side, and the change must
    exceed ``max(absolute floor, relative floor x |reference|)``. For
    ``bias`` the magnitude ``|bias|`` is compared (interval of
    ``|current| - |reference|`` folded from the signed intervals).

    Examples
    --------
    >>> def w(v, lo, hi):
    ...     return PerformanceWindow(window="current", n_rows=100, n_labelled=100,
    ...         metrics={"recall": MetricValue(value=v, interval=Interval(low=lo, high=hi), n=100)})
    >>> degraded_metrics(w(0.8, 0.75, 0.85), w(0.6, 0.55, 0.65))
    ['recall']
    >>> degraded_metrics(w(0.8, 0.7, 0.9), w(0.75, 0.65, 0.85))
    []
    """
    out = []
    for name, (direction, _, _) in DEGRADE_FLOORS.items():
        r, c = reference.metrics.get(name), current.metrics.get(name)
        if r is None or c is None or r.value is None or c.value is None:
            continue
        if r.interval is None or c.interval is None:
            continue
        rv, cv = r.value, c.value
        rlo, rhi = r.interval.low, r.interval.high
        clo, chi = c.interval.low, c.interval.high
        if rlo is None or rhi is None or clo is None or chi is None:
            continue
        if direction == "abs":  # worse = |current| larger; flip signs so both are >= 0
            rlo, rhi = sorted((abs(rlo), abs(rhi))) if rlo * rhi > 0 else (0.0, max(-rlo, rhi))
            clo, chi = sorted((abs(clo), abs(chi))) if clo * chi > 0 else (0.0, max(-clo, chi))
            rv, cv, direction = abs(rv), abs(cv), "down"
        d = cv - rv
        if direction == "up":  # worse = lower: the upper end of d must be below 0
            bound = d + math.hypot(chi - cv, rv - rlo)
            worse = bound < 0 and -d > _floor(name, rv)
        else:  # worse = higher: the lower end of d must be above 0
            bound = d - math.hypot(cv - clo, rhi - rv)
            worse = bound > 0 and d > _floor(name, rv)
        if worse:
            out.append(name)
    return out


# ------------------------------------------------------------------- entry


def _has_labels(summaries: Summaries) -> bool:
    if summaries.meta.roles.get("label") is None:
        return False
    vol = summaries.table("volume")
    if vol.num_rows == 0:
        return False
    lab = pc.sum(vol.filter(pc.equal(vol["segment"], ""))["n_labelled"]).as_py()
    return bool(lab)


def analyse_performance(
    summaries: Summaries,
    *,
    confidence: float = 0.95,
    threshold: float | None = None,
    seed: int = 0,
) -> PerformanceResult | None:
    """Performance of the model on labelled rows, per window, bucket and segment.

    Parameters
    ----------
    summaries
        Summaries of a log (``modelward.engine``).
    confidence
        Level of every interval.
    threshold
        For binary tasks: score threshold of the confusion-based metrics.
        ``None`` (default) counts the served ``prediction`` column (exact, no
        threshold needed) and reports the estimated serving threshold
        (:func:`estimate_threshold`); a value uses the score grid, exact when
        it is a multiple of ``1 / meta.score_bins``.
    seed
        Seed of the bootstrap draws.

    Returns
    -------
    PerformanceResult or None
        ``None`` when the log has no labels. ``reference`` is ``None`` without
        a reference window. ``by_bucket`` holds every bucket (both windows,
        all traffic, ``window="bucket"``); ``by_segment`` holds, per segment
        value, the reference and the current window. ROC, PR and calibration
        curves are those of the current window (binary tasks with a score).

    Raises
    ------
    ConfigError
        On a ``confidence`` or ``threshold`` outside (0, 1) / [0, 1].
    """
    if not 0.0 < float(confidence) < 1.0:
        raise ConfigError(
            "The 'confidence' parameter of analyse_performance must be in (0, 1). "
            f"Got {confidence!r} instead."
        )
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise ConfigError(
            "The 'threshold' parameter of analyse_performance must be in [0, 1]. "
            f"Got {threshold!r} instead."
        )
    if not _has_labels(summaries):
        return None
    task = "regression" if summaries.meta.task == "regression" else "binary"
    mature, _ = mature_current(summaries)
    b = _Builder(mature, confidence=confidence, threshold=threshold, seed=seed)
    whole = dict(b.windows(("window",), all_traffic=True))
    current = whole.get(("current",))
    if current is None:
        current = PerformanceWindow(window="current", n_rows=0, n_labelled=0, metrics={})
    reference = whole.get(("reference",))
    every = _Builder(summaries, confidence=confidence, threshold=threshold, seed=seed)
    by_bucket = sorted(
        (w for _, w in every.windows(("window", "bucket"), all_traffic=True, kind="bucket")),
        key=lambda w: w.bucket or datetime.min,
    )
    by_segment = [
        w for _, w in b.windows(("segment", "segment_value", "window"), all_traffic=False)
    ]
    roc = pr = cal = None
    shown = threshold
    if b.binary:
        cube = ScoreCube(_subset(b.score, True), ("window",), b.bins)
        if threshold is None:
            shown = estimate_threshold(cube.pred1.sum(axis=0), cube.pred0.sum(axis=0))
        if ("current",) in cube.index:
            i = cube.index[("current",)]
            roc, pr, cal = _curves(cube.pos[i], cube.neg[i], current.metrics)
    degraded = degraded_metrics(reference, current) if reference is not None else []
    return PerformanceResult(
        task=task,
        threshold=shown,
        reference=reference,
        current=current,
        by_bucket=by_bucket,
        by_segment=by_segment,
        roc=roc,
        pr=pr,
        calibration=cal,
        degraded=degraded,
    )

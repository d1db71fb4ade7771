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

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from modelward._exceptions import ConfigError
from modelward.analyses._cubes import MATURITY, ScoreCube, group_index, mature_current
from modelward.analyses.performance_bootstrap import BOOT_CELLS as BOOT_CELLS
from modelward.analyses.performance_bootstrap import ECE_BINS, N_BOOT
from modelward.analyses.performance_bootstrap import _ap as _ap
from modelward.analyses.performance_bootstrap import _ece_stat as _ece_stat
from modelward.analyses.performance_curves import MAX_CURVE_POINTS, _curves, estimate_threshold
from modelward.analyses.performance_degraded import DEGRADE_FLOORS, degraded_metrics
from modelward.analyses.performance_metrics import _binary_metrics as _binary_metrics
from modelward.analyses.performance_metrics import (
    _cluster_widen,
    _regression_metrics,
    _served_metrics,
)
from modelward.analyses.results import PerformanceResult, PerformanceWindow
from modelward.engine.summaries import Summaries

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


# ------------------------------------------------------------------- windows


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
        # A binary log with no score column has no score grid; its served
        # confusion comes from the volume sums instead (hard 0/1 classifiers).
        self.scoreless = self.task == "binary" and summaries.meta.roles.get("score") is None

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
            if self.scoreless:
                confusion, metrics = _served_metrics(v, self.confidence, self.rng)
            elif self.task == "binary":
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
        it is a multiple of ``1 / meta.score_bins``. A binary log with no
        score column always counts the served predictions, and its score-based
        metrics (ROC-AUC, PR-AUC, ECE, log loss, Brier) are ``None``.
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

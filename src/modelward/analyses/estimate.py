"""Performance before labels arrive: confidence-based performance estimation (CBPE).

The idea of NannyML's CBPE, computed from the score-grid summaries alone.

Method
------
1. **Calibrate on the reference.** From the reference window's labelled rows,
   per score bin ``b`` (``meta.score_bins`` bins on [0, 1]), fit
   ``p_b = P(y = 1 | score in bin b)`` by weighted isotonic regression
   (scikit-learn ``isotonic_regression``, weight = labelled rows of the bin),
   interpolated over empty bins (:func:`calibration_map`).
2. **Expected confusion of a window.** Every row of the window, labelled or
   not, counts: with ``n1_b`` / ``n0_b`` rows served as 1 / 0 in bin ``b``,
   ``E[TP] = sum_b n1_b p_b``, ``E[FP] = sum_b n1_b (1 - p_b)``,
   ``E[FN] = sum_b n0_b p_b``, ``E[TN] = sum_b n0_b (1 - p_b)``; accuracy,
   precision, recall, F1 and expected cost per 1,000 decisions follow
   (:func:`expected_confusion`).
3. **Expected ROC-AUC**: the AUC between the expected positive and negative
   score distributions, ``pos_b = n_b p_b``, ``neg_b = n_b (1 - p_b)``
   (:func:`expected_auc`, :func:`modelward.stats.roc_auc_binned`).
4. **Interval**: a *predictive* interval for the value the labels will give
   on this window's rows. Each of :data:`N_BOOT` seeded draws refits the
   calibration on a multinomial resample of the reference's labelled counts
   (:func:`modelward.stats.bootstrap_counts` resampling), then draws the labels
   of the window's rows, ``Binomial(n1_b, p*_b)`` and ``Binomial(n0_b, p*_b)``,
   and computes the metric; the interval is the percentile interval of the
   draws. The window's own counts are held fixed: the realised value is that
   of these very rows, so resampling them would answer another question (the
   metric of the population the window came from).
5. **Realised beside estimated.** Where labels exist, the realised metric of
   the labelled rows is shown, and a second estimate is made on the labelled
   rows only (``labelled_*`` fields): it is the fair comparator, since labels
   often arrive for a non-random part of the traffic. :func:`estimation_gap`
   lists windows whose realised value falls outside that interval, with a
   z-score, a p-value (normal approximation of the predictive draws) and a
   Benjamini-Hochberg q-value over all the windows and metrics tested.

Assumption: no concept drift
----------------------------
CBPE assumes ``P(y | score)`` stays what it was in the reference, and that
the scores are calibratable there (enough labelled reference rows, monotone
relation between score and positive rate). Under pure covariate drift (``P(x)``
changes, ``P(y | x)`` does not) the estimate tracks the realised performance:
that is what it is for. Under concept drift (``P(y | x)`` changes) the estimate
is wrong by construction, and the gap between estimated and realised is the
evidence: a gap after an onset, with the score distribution stable or not,
points to concept drift (or label corruption) rather than covariate drift.
Under prior (label) shift ``P(y | score)`` changes too, but mostly through
the base rate: AUC estimates stay close (ranking is preserved), precision
and accuracy estimates drift with the prevalence. Buckets whose labels are
still arriving (:func:`modelward.analyses.performance.mature_current`) are
shown but never used as gap evidence: their labelled rows are a biased sample.

Examples
--------
>>> import datetime as dt, numpy as np, pyarrow as pa
>>> from modelward.io import read_log
>>> from modelward.engine import get_engine
>>> rng = np.random.default_rng(0)
>>> n = 6000
>>> s = np.round(rng.beta(2, 3, n), 6)
>>> y = (rng.random(n) < s).astype(int)
>>> t = pa.table({"prediction_id": [str(i) for i in range(n)],
...               "timestamp": [dt.datetime(2026, 1, 1 + i % 6) for i in range(n)],
...               "score": s, "prediction": (s >= 0.5).astype(int), "label": y})
>>> summ = get_engine().summarise(read_log(t), reference_end="2026-01-03")
>>> res = estimate_performance(summ)
>>> auc = res.current.metrics["roc_auc"]
>>> auc.low < auc.realised < auc.high
True
>>> [g for g in estimation_gap(res) if g.significant]
[]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy import stats as sps
from sklearn.isotonic import isotonic_regression

from modelward._exceptions import ConfigError
from modelward.analyses._cubes import ScoreCube, mature_current
from modelward.analyses.metrics import CostModel, CostSpec
from modelward.engine.summaries import Summaries
from modelward.stats import benjamini_hochberg, roc_auc_binned

__all__ = [
    "ASSUMPTION",
    "METRICS",
    "N_BOOT",
    "EstimateResult",
    "EstimateWindow",
    "EstimatedMetric",
    "EstimationGap",
    "calibration_map",
    "estimate_performance",
    "estimation_gap",
    "expected_auc",
    "expected_confusion",
]

FloatArray = npt.NDArray[np.float64]

#: Draws behind every interval (calibration refit + label draws).
N_BOOT = 200
#: Metrics estimated (``expected_cost`` too when costs are given).
METRICS = ("roc_auc", "accuracy", "precision", "recall", "f1")
#: Metrics where a higher realised value than estimated is good news.
_LOWER_IS_BETTER = frozenset({"expected_cost"})
#: The assumption, as shown in reports.
ASSUMPTION = (
    "No concept drift: P(label | score) is as in the reference window, where the scores "
    "were calibrated. Covariate drift is tracked; concept drift shows as a gap between "
    "estimated and realised performance."
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EstimatedMetric(_Model):
    """One metric of one window: estimated from the scores, realised from the labels."""

    value: float | None
    low: float | None
    high: float | None
    realised: float | None = None
    labelled_value: float | None = None
    labelled_low: float | None = None
    labelled_high: float | None = None
    z: float | None = None
    p_value: float | None = None


class EstimateWindow(_Model):
    """Estimated (and realised) metrics of one bucket, or of the whole current window."""

    window: Literal["reference", "current"]
    bucket: datetime | None
    n_rows: int
    n_labelled: int
    label_coverage: float | None
    mature: bool
    metrics: dict[str, EstimatedMetric]


class EstimateResult(_Model):
    """Confidence-based performance estimation per bucket and for the current window."""

    segment: str
    segment_value: str
    confidence: float
    method: str
    assumption: str
    n_calibration: int
    metrics: list[str]
    current: EstimateWindow
    by_bucket: list[EstimateWindow]


class EstimationGap(_Model):
    """A window whose realised metric falls outside the estimate's interval."""

    bucket: datetime | None
    metric: str
    estimated: float
    low: float
    high: float
    realised: float
    gap: float
    z: float
    p_value: float
    q_value: float
    significant: bool
    direction: Literal["worse", "better"]
    n_labelled: int


# -------------------------------------------------------------------- kernels


def calibration_map(pos: npt.ArrayLike, neg: npt.ArrayLike) -> FloatArray:
    """``P(y = 1 | score bin)`` per bin: weighted isotonic regression on binned counts.

    Bins are placed at their midpoints ``(b + 0.5) / B``; empty bins are
    interpolated (and clipped beyond the first and last non-empty bin).

    Examples
    --------
    >>> calibration_map([0, 1, 3, 0, 4], [4, 3, 1, 0, 0]).round(3).tolist()
    [0.0, 0.25, 0.75, 0.875, 1.0]
    """
    p = np.asarray(pos, np.float64)
    q = np.asarray(neg, np.float64)
    w = p + q
    mid = (np.arange(p.size) + 0.5) / p.size
    keep = w > 0
    if not keep.any():
        raise ConfigError("calibration_map needs at least one labelled row.")
    fitted = isotonic_regression(p[keep] / w[keep], sample_weight=w[keep], y_min=0.0, y_max=1.0)
    return np.asarray(np.interp(mid, mid[keep], fitted), np.float64)


def expected_confusion(
    pred1: npt.ArrayLike, pred0: npt.ArrayLike, p: npt.ArrayLike
) -> dict[str, float]:
    """Expected ``tp, fp, fn, tn`` of rows served 1 / 0 per score bin with positive rate ``p``.

    Examples
    --------
    >>> {k: round(v, 9) for k, v in expected_confusion([0, 10], [10, 0], [0.2, 0.9]).items()}
    {'tp': 9.0, 'fp': 1.0, 'fn': 2.0, 'tn': 8.0}
    """
    n1 = np.asarray(pred1, np.float64)
    n0 = np.asarray(pred0, np.float64)
    pp = np.asarray(p, np.float64)
    return {
        "tp": float(n1 @ pp),
        "fp": float(n1 @ (1 - pp)),
        "fn": float(n0 @ pp),
        "tn": float(n0 @ (1 - pp)),
    }


def expected_auc(counts: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """AUC between the expected positive (``n_b p_b``) and negative score distributions.

    Examples
    --------
    >>> expected_auc([10, 10], [0.0, 1.0])
    1.0
    >>> expected_auc([10, 10], [0.5, 0.5])
    0.5
    """
    n = np.asarray(counts, np.float64)
    pp = np.asarray(p, np.float64)
    return roc_auc_binned(n * pp, n * (1 - pp))


def _ratio(a: FloatArray, b: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan), np.float64)


def _metrics(
    tp: FloatArray,
    fp: FloatArray,
    fn: FloatArray,
    tn: FloatArray,
    auc: FloatArray,
    cost: CostSpec | None,
) -> dict[str, FloatArray]:
    """Vectorised metrics of (draws of) confusion cells."""
    n = tp + fp + fn + tn
    out = {
        "roc_auc": auc,
        "accuracy": _ratio(tp + tn, n),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }
    if cost is not None:
        out["expected_cost"] = _ratio(1000.0 * (cost.fp * fp + cost.fn * fn - cost.tp * tp), n)
    return out


def _auc_rows(pos: FloatArray, neg: FloatArray) -> FloatArray:
    """Binned AUC of every row of ``pos`` / ``neg`` (bins ascending along the last axis)."""
    below = np.cumsum(neg, axis=-1) - neg
    return _ratio(np.sum(pos * (below + neg / 2), axis=-1), pos.sum(axis=-1) * neg.sum(axis=-1))


class _Estimator:
    """Point estimates and predictive draws for windows, sharing the calibration draws."""

    def __init__(
        self, pos: FloatArray, neg: FloatArray, *, cost: CostSpec | None, seed: int
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.cost = cost
        self.p = calibration_map(pos, neg)
        cells = np.concatenate([pos, neg])
        total = round(float(cells.sum()))
        draws = self.rng.multinomial(total, cells / cells.sum(), size=N_BOOT).astype(np.float64)
        b = pos.size
        self.p_draws = np.stack([calibration_map(d[:b], d[b:]) for d in draws])

    def point(self, n1: FloatArray, n0: FloatArray) -> dict[str, float]:
        c = expected_confusion(n1, n0, self.p)
        n = n1 + n0
        auc = np.array(_auc_rows(n * self.p, n * (1 - self.p)))
        arr = {k: np.array(v) for k, v in c.items()}
        m = _metrics(arr["tp"], arr["fp"], arr["fn"], arr["tn"], auc, self.cost)
        return {k: float(v) for k, v in m.items()}

    def draws(self, n1: FloatArray, n0: FloatArray) -> dict[str, FloatArray]:
        nz = np.flatnonzero(n1 + n0)
        p = self.p_draws[:, nz]
        c1, c0 = n1[nz].astype(np.int64), n0[nz].astype(np.int64)
        y1 = self.rng.binomial(c1, p).astype(np.float64)
        y0 = self.rng.binomial(c0, p).astype(np.float64)
        tp, fn = y1.sum(axis=1), y0.sum(axis=1)
        fp, tn = c1.sum() - tp, c0.sum() - fn
        pos = y1 + y0
        auc = _auc_rows(pos, (c1 + c0) - pos)
        return _metrics(tp, fp, fn, tn, auc, self.cost)


def _realised(
    pos: FloatArray, neg: FloatArray, tp_bin: FloatArray, fp_bin: FloatArray, cost: CostSpec | None
) -> dict[str, float]:
    tp, fp = float(tp_bin.sum()), float(fp_bin.sum())
    fn, tn = float(pos.sum()) - tp, float(neg.sum()) - fp
    auc = np.array(_auc_rows(pos, neg))
    m = _metrics(np.array(tp), np.array(fp), np.array(fn), np.array(tn), auc, cost)
    return {k: float(v) for k, v in m.items()}


def _fin(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _band(draws: FloatArray, confidence: float) -> tuple[float | None, float | None, float, float]:
    """Percentile interval, mean and standard deviation of the finite draws."""
    v = draws[np.isfinite(draws)]
    if v.size < 10:
        return None, None, math.nan, math.nan
    a = 1 - confidence
    lo, hi = np.quantile(v, [a / 2, 1 - a / 2])
    return float(lo), float(hi), float(v.mean()), float(v.std(ddof=1))


# ---------------------------------------------------------------------- entry


def _window(
    est: _Estimator,
    cube: ScoreCube,
    i: int,
    *,
    window: str,
    bucket: datetime | None,
    mature: bool,
    confidence: float,
) -> EstimateWindow:
    n1, n0 = cube.pred1[i], cube.pred0[i]
    pos, neg, tp_bin, fp_bin = cube.pos[i], cube.neg[i], cube.tp[i], cube.fp[i]
    n_rows, n_lab = float(n1.sum() + n0.sum()), float(pos.sum() + neg.sum())
    point, draws = est.point(n1, n0), est.draws(n1, n0)
    labelled = n_lab > 0
    if labelled:
        l1 = tp_bin + fp_bin
        l0 = pos + neg - l1
        real = _realised(pos, neg, tp_bin, fp_bin, est.cost)
        l_point, l_draws = est.point(l1, l0), est.draws(l1, l0)
    metrics: dict[str, EstimatedMetric] = {}
    for name, value in point.items():
        lo, hi, _, _ = _band(draws[name], confidence)
        fields: dict[str, Any] = {"value": _fin(value), "low": lo, "high": hi}
        if labelled:
            r = real[name]
            llo, lhi, _, sd = _band(l_draws[name], confidence)
            fields |= {
                "realised": _fin(r),
                "labelled_value": _fin(l_point[name]),
                "labelled_low": llo,
                "labelled_high": lhi,
            }
            if math.isfinite(r) and math.isfinite(l_point[name]) and sd > 0:
                z = (r - l_point[name]) / sd
                fields |= {"z": z, "p_value": float(2 * sps.norm.sf(abs(z)))}
        metrics[name] = EstimatedMetric(**fields)
    return EstimateWindow(
        window="reference" if window == "reference" else "current",
        bucket=bucket,
        n_rows=round(n_rows),
        n_labelled=round(n_lab),
        label_coverage=n_lab / n_rows if n_rows > 0 else None,
        mature=mature,
        metrics=metrics,
    )


def estimate_performance(
    summaries: Summaries,
    *,
    costs: CostModel | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    segment: tuple[str, str] = ("", ""),
) -> EstimateResult | None:
    """Estimate performance from the score distribution, per bucket and for the current window.

    Parameters
    ----------
    summaries
        Summaries of a binary task with a score and a reference window with labels.
    costs
        FP/FN costs: adds ``expected_cost`` (per 1,000 decisions). With costs per
        segment, the costs of ``segment``'s value apply when ``segment`` is that
        column, the defaults otherwise.
    confidence
        Level of the predictive intervals.
    seed
        Seed of the calibration resampling and label draws.
    segment
        ``(column, value)``; ``("", "")`` for all traffic. Calibration uses the
        reference rows of the same segment.

    Returns
    -------
    EstimateResult or None
        ``None`` when not computable: not a binary task with a score, or no
        labelled reference row.

    Raises
    ------
    ConfigError
        On a ``confidence`` outside (0, 1).
    """
    if not 0.0 < float(confidence) < 1.0:
        raise ConfigError(
            "The 'confidence' parameter of estimate_performance must be in (0, 1). "
            f"Got {confidence!r} instead."
        )
    if summaries.meta.task != "binary" or summaries.meta.roles.get("score") is None:
        return None
    col, val = segment
    part = summaries.filter(segment=(col, val))
    score = part.table("score")
    if score.num_rows == 0:
        return None
    bins = summaries.meta.score_bins
    whole = ScoreCube(score, ("window",), bins)
    if ("reference",) not in whole.index:
        return None
    r = whole.index[("reference",)]
    if whole.pos[r].sum() + whole.neg[r].sum() <= 0:
        return None
    spec = None
    if costs is not None:
        spec = costs.for_value(val if col and col == costs.segment else None)
    est = _Estimator(whole.pos[r], whole.neg[r], cost=spec, seed=seed)
    _, immature = mature_current(part)
    late = set(immature)
    cube = ScoreCube(score, ("window", "bucket"), bins)
    by_bucket = [
        _window(
            est,
            cube,
            i,
            window=str(key[0]),
            bucket=key[1],
            mature=key[1] not in late,
            confidence=confidence,
        )
        for i, key in sorted(enumerate(cube.keys), key=lambda t: (t[1][1], t[1][0]))
    ]
    if ("current",) in whole.index:
        current = _window(
            est,
            whole,
            whole.index[("current",)],
            window="current",
            bucket=None,
            mature=not late,
            confidence=confidence,
        )
    else:
        current = EstimateWindow(
            window="current",
            bucket=None,
            n_rows=0,
            n_labelled=0,
            label_coverage=None,
            mature=True,
            metrics={},
        )
    return EstimateResult(
        segment=col,
        segment_value=val,
        confidence=confidence,
        method=(
            "CBPE: isotonic calibration on the reference's labelled score bins; "
            f"predictive interval from {N_BOOT} draws (calibration bootstrap + label draws)"
        ),
        assumption=ASSUMPTION,
        n_calibration=round(float(whole.pos[r].sum() + whole.neg[r].sum())),
        metrics=list(est.point(whole.pred1[r], whole.pred0[r])),
        current=current,
        by_bucket=by_bucket,
    )


def estimation_gap(
    result: EstimateResult,
    *,
    metrics: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_labelled: int = 30,
) -> list[EstimationGap]:
    """Current buckets whose realised metric falls outside the estimate's interval.

    The comparison uses the estimate on the labelled rows (the rows the
    realised value is computed on). Only mature current buckets with at least
    ``min_labelled`` labelled rows are tested; the q-value is the
    Benjamini-Hochberg adjustment over every (bucket, metric) tested, and
    ``significant`` is ``q_value <= alpha``. Ordered by bucket, then metric.

    Evidence for triage: gaps that start at an onset and persist point to
    concept drift (``P(y | score)`` changed); an estimate that moves while
    realised follows it (no gap) points to covariate drift.

    Examples
    --------
    >>> m = EstimatedMetric(value=0.9, low=0.88, high=0.92, realised=0.7,
    ...                     labelled_value=0.9, labelled_low=0.88, labelled_high=0.92,
    ...                     z=-20.0, p_value=1e-80)
    >>> w = EstimateWindow(window="current", bucket=None, n_rows=500, n_labelled=500,
    ...                    label_coverage=1.0, mature=True, metrics={"roc_auc": m})
    >>> r = EstimateResult(segment="", segment_value="", confidence=0.95, method="",
    ...                    assumption="", n_calibration=1000, metrics=["roc_auc"],
    ...                    current=w, by_bucket=[w])
    >>> [(g.metric, g.direction, g.significant) for g in estimation_gap(r)]
    [('roc_auc', 'worse', True)]
    """
    if not 0.0 < float(alpha) < 1.0:
        raise ConfigError(
            f"The 'alpha' parameter of estimation_gap must be in (0, 1). Got {alpha!r} instead."
        )
    names = list(metrics) if metrics is not None else list(result.metrics)
    tested: list[tuple[EstimateWindow, str, EstimatedMetric]] = []
    for w in result.by_bucket:
        if w.window != "current" or not w.mature or w.n_labelled < min_labelled:
            continue
        for name in names:
            m = w.metrics.get(name)
            if m is None or m.p_value is None or m.realised is None:
                continue
            if m.labelled_value is None or m.labelled_low is None or m.labelled_high is None:
                continue
            tested.append((w, name, m))
    if not tested:
        return []
    _, q = benjamini_hochberg(np.array([m.p_value for _, _, m in tested]), alpha=alpha)
    out = []
    for (w, name, m), qv in zip(tested, q, strict=True):
        lo, hi, r, v = m.labelled_low, m.labelled_high, m.realised, m.labelled_value
        if lo is None or hi is None or r is None or v is None or m.z is None:
            continue
        if m.p_value is None or lo <= r <= hi:
            continue
        lower = r < lo
        worse = lower != (name in _LOWER_IS_BETTER)
        out.append(
            EstimationGap(
                bucket=w.bucket,
                metric=name,
                estimated=v,
                low=lo,
                high=hi,
                realised=r,
                gap=r - v,
                z=m.z,
                p_value=m.p_value,
                q_value=float(qv),
                significant=bool(qv <= alpha),
                direction="worse" if worse else "better",
                n_labelled=w.n_labelled,
            )
        )
    return out

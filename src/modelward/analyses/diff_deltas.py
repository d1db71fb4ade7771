"""Metric deltas between two model versions, each with its interval.

``candidate - baseline`` of accuracy, recall, precision, F1, FPR, ROC-AUC and
the positive-prediction rate, from the count cubes of
:mod:`modelward.analyses.diff` (shapes described there):

- :func:`_independent_metrics`: two independent samples (MOVER with Wilson
  intervals, DeLong variances summed, a bootstrap with each log resampled
  alone);
- :func:`_paired_metrics`: the same rows scored by both versions (Newcombe's
  method 10 with McNemar's exact p-value, DeLong for correlated AUCs, a paired
  bootstrap), each delta carrying its independent counterpart.

Examples
--------
>>> d = _delta("recall", ("", ""), (0.8, 0.7, -0.1), _interval(-0.15, -0.05, 0.95, "x"), (50, 50))
>>> d.significant, d.worse
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from modelward.analyses.diff_results import MetricDelta, _f, _interval
from modelward.analyses.results import Interval
from modelward.stats import bootstrap_counts
from modelward.stats.paired import (
    auc_delong_variance,
    confusion_cells,
    independent_proportion_diff,
    mcnemar_exact,
    paired_auc_diff,
    paired_proportion_diff,
    precision_f1_counts,
    z_value,
)

__all__ = ["DIRECTION", "N_BOOT"]

FloatArray = npt.NDArray[np.float64]

#: Bootstrap draws for precision and F1 deltas.
N_BOOT = 1000
#: metric -> direction: "up" higher is better, "down" lower is better, "" neither.
DIRECTION: dict[str, str] = {
    "accuracy": "up",
    "recall": "up",
    "precision": "up",
    "f1": "up",
    "fpr": "down",
    "roc_auc": "up",
    "positive_rate": "",
}


def _delta(
    metric: str,
    seg: tuple[str, str],
    values: tuple[float, float, float],
    interval: Interval | None,
    n: tuple[int, int],
    *,
    independent: Interval | None = None,
    p_value: float | None = None,
) -> MetricDelta:
    b, c, d = values
    sig = interval is not None and (
        (interval.low or 0.0) > 0 or (interval.high if interval.high is not None else 0.0) < 0
    )
    direction = DIRECTION.get(metric, "")
    worse = bool(
        sig
        and math.isfinite(d)
        and ((direction == "up" and d < 0) or (direction == "down" and d > 0))
    )
    return MetricDelta(
        metric=metric,
        segment=seg[0],
        segment_value=seg[1],
        baseline=_f(b),
        candidate=_f(c),
        delta=_f(d),
        interval=interval,
        independent_interval=independent,
        p_value=_f(p_value) if p_value is not None else None,
        n_baseline=n[0],
        n_candidate=n[1],
        significant=bool(sig),
        worse=worse,
    )


def _bootstrap(
    counts: FloatArray,
    stat: Callable[[FloatArray], FloatArray],
    *,
    independent_rows: bool,
    confidence: float,
    seed: int,
) -> tuple[float, float]:
    if counts.sum() == 0 or (independent_rows and (counts.sum(axis=-1) == 0).any()):
        return math.nan, math.nan
    value = float(stat(counts))
    if not math.isfinite(value):
        return math.nan, math.nan
    res = bootstrap_counts(
        counts,
        stat,
        n_boot=N_BOOT,
        seed=seed,
        confidence=confidence,
        independent_rows=independent_rows,
        vectorised=True,
    )
    return res.low, res.high


def _independent_metrics(
    mb: FloatArray,
    mc: FloatArray,
    seg: tuple[str, str],
    *,
    confidence: float,
    seed: int,
    has_score: bool,
) -> dict[str, MetricDelta]:
    """Metric deltas of two independent samples from their marginal cubes."""
    method = "MOVER-Wilson (independent)"
    out: dict[str, MetricDelta] = {}
    # positive prediction rate on every row with a prediction
    kb, nb = mb[:, 2, :].sum(), mb[:, 1:, :].sum()
    kc, nc = mc[:, 2, :].sum(), mc[:, 1:, :].sum()
    d, lo, hi = independent_proportion_diff(kb, nb, kc, nc, confidence=confidence)
    out["positive_rate"] = _delta(
        "positive_rate",
        seg,
        (_ratio(kb, nb), _ratio(kc, nc), d),
        _interval(lo, hi, confidence, method),
        (int(nb), int(nc)),
    )
    # labelled rows: (pred 0/1, label 0/1)
    pb, pc = mb[:, 1:, 1:].sum(axis=0), mc[:, 1:, 1:].sum(axis=0)
    if pb.sum() == 0 or pc.sum() == 0:
        return out
    # (pred, label) table -> (events, rows) of each proportion metric
    events: dict[str, Callable[[FloatArray], tuple[float, float]]] = {
        "accuracy": lambda t: (float(t[0, 0] + t[1, 1]), float(t.sum())),
        "recall": lambda t: (float(t[1, 1]), float(t[:, 1].sum())),
        "fpr": lambda t: (float(t[1, 0]), float(t[:, 0].sum())),
    }
    for metric, count in events.items():
        (k1, n1), (k2, n2) = count(pb), count(pc)
        if n1 == 0 or n2 == 0:
            continue
        d, lo, hi = independent_proportion_diff(k1, n1, k2, n2, confidence=confidence)
        out[metric] = _delta(
            metric,
            seg,
            (k1 / n1, k2 / n2, d),
            _interval(lo, hi, confidence, method),
            (int(n1), int(n2)),
        )
    table = np.stack([confusion_cells(pb), confusion_cells(pc)])  # (2, 4)
    for i, metric in enumerate(("precision", "f1")):
        values = precision_f1_counts(table)[i]

        def stat(c: FloatArray, i: int = i) -> FloatArray:
            v = precision_f1_counts(c)[i]
            return np.asarray(v[..., 1] - v[..., 0], dtype=np.float64)

        lo, hi = _bootstrap(table, stat, independent_rows=True, confidence=confidence, seed=seed)
        out[metric] = _delta(
            metric,
            seg,
            (float(values[0]), float(values[1]), float(values[1] - values[0])),
            _interval(lo, hi, confidence, "bootstrap (independent)"),
            (int(pb.sum()), int(pc.sum())),
        )
    if has_score:
        posb, negb = mb[1:, 1:, 2].sum(axis=1), mb[1:, 1:, 1].sum(axis=1)
        posc, negc = mc[1:, 1:, 2].sum(axis=1), mc[1:, 1:, 1].sum(axis=1)
        ab, vb = auc_delong_variance(posb, negb)
        ac, vc = auc_delong_variance(posc, negc)
        if math.isfinite(ab) and math.isfinite(ac):
            half = z_value(confidence) * math.sqrt(vb + vc)
            out["roc_auc"] = _delta(
                "roc_auc",
                seg,
                (ab, ac, ac - ab),
                _interval(ac - ab - half, ac - ab + half, confidence, "DeLong (independent)"),
                (int(posb.sum() + negb.sum()), int(posc.sum() + negc.sum())),
            )
    return out


def _ratio(k: float, n: float) -> float:
    return k / n if n > 0 else math.nan


_ORDER = ("accuracy", "recall", "precision", "f1", "fpr", "roc_auc", "positive_rate")


def _paired_metrics(
    cube: FloatArray, seg: tuple[str, str], *, confidence: float, seed: int, has_score: bool
) -> list[MetricDelta]:
    """Paired metric deltas from a paired cube, each with its independent counterpart."""
    mb = cube.sum(axis=(1, 3))  # (b_bin, b_pred, label)
    mc = cube.sum(axis=(0, 2))  # (c_bin, c_pred, label)
    indep = _independent_metrics(mb, mc, seg, confidence=confidence, seed=seed, has_score=has_score)
    method = "Newcombe paired (method 10)"
    preds = cube.sum(axis=(0, 1))[1:, 1:, :]  # (b_pred 0/1, c_pred 0/1, label state)
    out: dict[str, MetricDelta] = {}

    def paired(metric: str, event_b: FloatArray, event_c: FloatArray, rows: FloatArray) -> None:
        """``rows``: counts over (b_pred, c_pred) of the rows in the denominator."""
        a = float((rows * event_b * event_c).sum())
        b = float((rows * event_b * (1 - event_c)).sum())
        c = float((rows * (1 - event_b) * event_c).sum())
        d = float((rows * (1 - event_b) * (1 - event_c)).sum())
        n = a + b + c + d
        if n == 0:
            return
        delta, lo, hi = paired_proportion_diff(a, b, c, d, confidence=confidence)
        ind = indep.get(metric)
        out[metric] = _delta(
            metric,
            seg,
            ((a + b) / n, (a + c) / n, delta),
            _interval(lo, hi, confidence, method),
            (int(n), int(n)),
            independent=ind.interval if ind else None,
            p_value=mcnemar_exact(b, c),
        )

    pb = np.array([[0.0, 0.0], [1.0, 1.0]])  # baseline predicts 1, indexed [b_pred, c_pred]
    pcand = pb.T
    paired("positive_rate", pb, pcand, preds.sum(axis=2))
    lab0, lab1 = preds[:, :, 1], preds[:, :, 2]
    if lab0.sum() + lab1.sum() > 0:
        # accuracy over all labelled rows: correct = (pred == label)
        a = b = c = d = 0.0
        for t, lab in ((1.0, lab1), (0.0, lab0)):
            eb = pb if t == 1.0 else 1 - pb
            ec = pcand if t == 1.0 else 1 - pcand
            a += float((lab * eb * ec).sum())
            b += float((lab * eb * (1 - ec)).sum())
            c += float((lab * (1 - eb) * ec).sum())
            d += float((lab * (1 - eb) * (1 - ec)).sum())
        n = a + b + c + d
        delta, lo, hi = paired_proportion_diff(a, b, c, d, confidence=confidence)
        ind = indep.get("accuracy")
        out["accuracy"] = _delta(
            "accuracy",
            seg,
            ((a + b) / n, (a + c) / n, delta),
            _interval(lo, hi, confidence, method),
            (int(n), int(n)),
            independent=ind.interval if ind else None,
            p_value=mcnemar_exact(b, c),
        )
        if lab1.sum() > 0:
            paired("recall", pb, pcand, lab1)
        if lab0.sum() > 0:
            paired("fpr", pb, pcand, lab0)
        # precision / F1: bootstrap of the 8 (b_pred, c_pred, label) cells, rows kept paired
        cells = np.stack([lab0, lab1], axis=-1).reshape(-1)  # index: b_pred*4 + c_pred*2 + y

        for metric, i in (("precision", 0), ("f1", 1)):

            def stat(c: FloatArray, i: int = i) -> FloatArray:
                t = c.reshape(*c.shape[:-1], 2, 2, 2)
                vb = precision_f1_counts(confusion_cells(t.sum(axis=-2)))[i]
                vc = precision_f1_counts(confusion_cells(t.sum(axis=-3)))[i]
                return np.asarray(vc - vb, dtype=np.float64)

            ind = indep.get(metric)
            if ind is None or ind.delta is None:
                continue
            lo, hi = _bootstrap(
                cells, stat, independent_rows=False, confidence=confidence, seed=seed
            )
            out[metric] = _delta(
                metric,
                seg,
                (ind.baseline or math.nan, ind.candidate or math.nan, ind.delta),
                _interval(lo, hi, confidence, "paired bootstrap"),
                (int(cells.sum()), int(cells.sum())),
                independent=ind.interval,
            )
        if has_score:
            lab_scores = cube[1:, 1:, 1:, 1:, :].sum(axis=(2, 3))  # (b_bin, c_bin, label state)
            ab, ac, d, lo, hi, ih = paired_auc_diff(
                lab_scores[:, :, 2], lab_scores[:, :, 1], confidence=confidence
            )
            if math.isfinite(ab):
                n_lab = int(lab_scores[:, :, 1:].sum())
                out["roc_auc"] = _delta(
                    "roc_auc",
                    seg,
                    (ab, ac, d),
                    _interval(lo, hi, confidence, "DeLong paired"),
                    (n_lab, n_lab),
                    independent=_interval(d - ih, d + ih, confidence, "DeLong (independent)"),
                )
    return [out[m] for m in _ORDER if m in out]

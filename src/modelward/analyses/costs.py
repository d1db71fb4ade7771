"""What errors cost: cost curves, the cost-optimal threshold, and latency vs quality.

Everything comes from the ``score`` table's grid (``B = meta.score_bins``
bins, default 1000): a threshold ``t = k / B`` predicts positive every score
bin ``b >= k``, so for every ``k``

``FP(k) = sum_{b >= k} neg_b``, ``FN(k) = sum_{b < k} pos_b``,
``TP(k) = sum_{b >= k} pos_b``, and
``cost(k) = c_fp FP + c_fn FN - v_tp TP`` (per 1,000 labelled decisions).

This is exact for thresholds on the grid (a brute-force search over raw rows
at the same thresholds gives the same costs; ``tests/analyses/test_costs.py``
checks it). The cost-optimal threshold is the smallest ``k`` of least cost; its
interval is the percentile interval of the optimum over a multinomial
bootstrap of the (positive, negative) x bin counts. Expected cost *now* is the
cost of the served predictions (exact counts), so no serving threshold need be
known; the serving threshold shown is estimated from the served predictions.

Latency vs quality: per model version, p99 latency against ROC-AUC and
against expected cost. A version is *dominated* when another is at least as
good on both axes and strictly better on one (p99 and cost lower is better,
AUC higher is better), comparing point estimates.

Examples
--------
>>> pos = np.array([0., 1, 2, 7]); neg = np.array([50., 30, 8, 2])
>>> thr, cost = cost_curve(pos, neg, CostSpec(fp=1, fn=10))
>>> thr.tolist(), cost.tolist()
([0.0, 0.25, 0.5, 0.75, 1.0], [900.0, 400.0, 200.0, 320.0, 1000.0])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from modelward._exceptions import ConfigError
from modelward.analyses.metrics import (
    CostModel,
    CostSpec,
    MetricEstimate,
    metric_value,
    score_slice,
)
from modelward.analyses.performance import estimate_threshold
from modelward.engine.summaries import Summaries
from modelward.stats import bootstrap_counts

__all__ = [
    "CostEvaluation",
    "Estimate",
    "SegmentCosts",
    "TradeoffRow",
    "VersionPoint",
    "cost_curve",
    "evaluate_costs",
    "latency_quality",
    "mark_dominated",
    "optimal_threshold",
]

FloatArray = npt.NDArray[np.float64]

#: Thresholds of the precision-recall trade-off table.
TRADEOFF_THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
#: Bootstrap draws for the optimal threshold's interval.
N_BOOT = 500
#: Most points kept in a stored cost curve.
MAX_CURVE_POINTS = 201


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Estimate(_Model):
    """A value with its two-sided interval."""

    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, est: MetricEstimate) -> Estimate:
        """From a :class:`MetricEstimate` (nan -> ``None``)."""
        return cls(value=_num(est.value), low=_num(est.low), high=_num(est.high))


class TradeoffRow(_Model):
    """Precision, recall and cost at one threshold."""

    threshold: float
    precision: float | None
    recall: float | None
    fpr: float | None
    cost_per_1000: float | None


class SegmentCosts(_Model):
    """Costs of one segment value (``""`` for all traffic)."""

    segment: str
    segment_value: str
    n_labelled: int
    costs: CostSpec
    confusion: dict[str, int]  # at the serving threshold (served predictions)
    precision: Estimate
    recall: Estimate
    f1: Estimate
    serving_threshold: float | None
    cost_now_per_1000: Estimate
    optimal_threshold: Estimate
    cost_optimal_per_1000: float | None
    saving_per_1000: float | None
    curve_thresholds: list[float]
    curve_cost_per_1000: list[float]
    tradeoff: list[TradeoffRow]


class VersionPoint(_Model):
    """One model version on the latency-quality plane."""

    version: str
    n: int
    p99_ms: Estimate
    roc_auc: Estimate
    cost_per_1000: Estimate | None
    dominated_auc: bool = False
    dominated_cost: bool = False


class CostEvaluation(_Model):
    """Everything ``modelward evaluate`` reports."""

    source: str
    confidence: float
    cost_model: CostModel
    segments: list[SegmentCosts]  # all traffic first
    versions: list[VersionPoint]


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


# ------------------------------------------------------------------ kernels


def _costs_at(pos: FloatArray, neg: FloatArray, spec: CostSpec) -> FloatArray:
    """Total cost at every k = 0..B along the last axis (broadcasts over draws)."""
    zeros = np.zeros((*pos.shape[:-1], 1))
    fn = np.concatenate([zeros, np.cumsum(pos, axis=-1)], axis=-1)
    tp = pos.sum(axis=-1, keepdims=True) - fn
    fp = np.concatenate([np.cumsum(neg[..., ::-1], axis=-1)[..., ::-1], zeros], axis=-1)
    return spec.fp * fp + spec.fn * fn - spec.tp * tp  # type: ignore[no-any-return]


def cost_curve(
    pos: npt.ArrayLike, neg: npt.ArrayLike, spec: CostSpec
) -> tuple[FloatArray, FloatArray]:
    """Thresholds ``k / B`` (k = 0..B) and the cost per 1,000 labelled decisions at each.

    ``pos[b]`` and ``neg[b]`` count labelled positives and negatives in score
    bin ``b``; scores ``>= k / B`` are predicted positive.
    """
    p = np.asarray(pos, np.float64)
    q = np.asarray(neg, np.float64)
    n = p.sum() + q.sum()
    if n <= 0:
        raise ConfigError("cost_curve needs at least one labelled row.")
    thr = np.arange(p.size + 1) / p.size
    return thr, 1000.0 * _costs_at(p, q, spec) / n


def optimal_threshold(
    pos: npt.ArrayLike,
    neg: npt.ArrayLike,
    spec: CostSpec,
    *,
    confidence: float = 0.95,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """The cost-optimal threshold, its bootstrap interval, and its cost per 1,000.

    Returns ``(threshold, low, high, cost_per_1000)``; the threshold is the
    smallest grid point of least cost.

    Examples
    --------
    >>> t, lo, hi, c = optimal_threshold([0, 1, 2, 7], [50, 30, 8, 2], CostSpec(fp=1, fn=10))
    >>> t, c
    (0.5, 200.0)
    """
    p = np.asarray(pos, np.float64)
    q = np.asarray(neg, np.float64)
    thr, cost = cost_curve(p, q, spec)
    k = int(np.argmin(cost))
    bins = p.size

    def stat(draws: FloatArray) -> FloatArray:
        c = _costs_at(draws[..., 0, :], draws[..., 1, :], spec)
        return np.argmin(c, axis=-1) / bins  # type: ignore[no-any-return]

    boot = bootstrap_counts(
        np.vstack([p, q]), stat, n_boot=n_boot, seed=seed, confidence=confidence, vectorised=True
    )
    return float(thr[k]), float(boot.low), float(boot.high), float(cost[k])


def mark_dominated(points: Sequence[VersionPoint]) -> list[VersionPoint]:
    """Flag versions dominated on (p99, AUC) and on (p99, cost); ``None`` values never dominate.

    Examples
    --------
    >>> e = lambda v: Estimate(value=v, low=v, high=v)
    >>> pts = [VersionPoint(version="a", n=1, p99_ms=e(100), roc_auc=e(0.9), cost_per_1000=e(5)),
    ...        VersionPoint(version="b", n=1, p99_ms=e(150), roc_auc=e(0.8), cost_per_1000=e(4))]
    >>> [(p.version, p.dominated_auc, p.dominated_cost) for p in mark_dominated(pts)]
    [('a', False, False), ('b', True, False)]
    """

    def dom(a: tuple[float | None, float | None], b: tuple[float | None, float | None]) -> bool:
        # does b dominate a? both coordinates "lower is better"
        if None in a or None in b:
            return False
        a0, a1 = float(a[0]), float(a[1])  # type: ignore[arg-type]
        b0, b1 = float(b[0]), float(b[1])  # type: ignore[arg-type]
        return b0 <= a0 and b1 <= a1 and (b0 < a0 or b1 < a1)

    def auc_key(p: VersionPoint) -> tuple[float | None, float | None]:
        auc = p.roc_auc.value
        return p.p99_ms.value, None if auc is None else -auc

    def cost_key(p: VersionPoint) -> tuple[float | None, float | None]:
        return p.p99_ms.value, None if p.cost_per_1000 is None else p.cost_per_1000.value

    out = []
    for p in points:
        d_auc = any(dom(auc_key(p), auc_key(o)) for o in points if o is not p)
        d_cost = any(dom(cost_key(p), cost_key(o)) for o in points if o is not p)
        out.append(p.model_copy(update={"dominated_auc": d_auc, "dominated_cost": d_cost}))
    return out


# ------------------------------------------------------------------ analyses


def _downsample(
    thr: FloatArray, cost: FloatArray, keep: Sequence[int]
) -> tuple[list[float], list[float]]:
    idx = set(np.linspace(0, thr.size - 1, min(MAX_CURVE_POINTS, thr.size)).round().astype(int))
    idx.update(int(k) for k in keep)
    order = sorted(idx)
    return [float(thr[i]) for i in order], [float(cost[i]) for i in order]


def _tradeoff(
    pos: FloatArray, neg: FloatArray, spec: CostSpec, extra: Sequence[float]
) -> list[TradeoffRow]:
    bins = pos.size
    _, cost = cost_curve(pos, neg, spec)
    rows = []
    for t in sorted({*TRADEOFF_THRESHOLDS, *(round(x, 6) for x in extra)}):
        k = int(np.clip(math.ceil(round(t * bins, 9)), 0, bins))
        tp, fp = float(pos[k:].sum()), float(neg[k:].sum())
        fn, tn = float(pos[:k].sum()), float(neg[:k].sum())
        rows.append(
            TradeoffRow(
                threshold=k / bins,
                precision=tp / (tp + fp) if tp + fp > 0 else None,
                recall=tp / (tp + fn) if tp + fn > 0 else None,
                fpr=fp / (fp + tn) if fp + tn > 0 else None,
                cost_per_1000=float(cost[k]),
            )
        )
    return rows


def _segment_costs(
    summaries: Summaries,
    segment: tuple[str, str],
    costs: CostModel,
    *,
    window: str,
    confidence: float,
    seed: int,
) -> SegmentCosts | None:
    part = summaries.filter(window=window, segment=segment)
    s = score_slice(part)
    n_lab = float(s.pos.sum() + s.neg.sum())
    if n_lab <= 0:
        return None
    col, val = segment
    spec = costs.for_value(val if col and col == costs.segment else None)
    conf = s.confusion
    tab = part.table("score")
    pred = np.asarray(tab["prediction"].to_numpy(zero_copy_only=False)) if tab.num_rows else None
    serving = None
    if pred is not None:
        b = np.clip(
            np.asarray(tab["score_bin"].to_numpy(zero_copy_only=False), np.int64), 0, s.pos.size - 1
        )
        cnt = np.asarray(tab["count"].to_numpy(zero_copy_only=False), np.float64)
        p1 = np.bincount(b, weights=cnt * (pred == 1), minlength=s.pos.size)
        p0 = np.bincount(b, weights=cnt * (pred != 1), minlength=s.pos.size)
        serving = estimate_threshold(p1.astype(np.float64), p0.astype(np.float64))

    def mv(metric: str) -> MetricEstimate:
        return metric_value(
            summaries,
            metric,
            window=window,
            segment=segment,
            confidence=confidence,
            costs=costs,
            seed=seed,
        )

    now = mv("expected_cost")
    thr, cost = cost_curve(s.pos, s.neg, spec)
    t_opt, lo, hi, c_opt = optimal_threshold(s.pos, s.neg, spec, confidence=confidence, seed=seed)
    k_opt = round(t_opt * s.pos.size)
    k_srv = [] if serving is None else [round(serving * s.pos.size)]
    curve_t, curve_c = _downsample(thr, cost, [k_opt, *k_srv])
    extra = [t_opt] if serving is None else [t_opt, serving]
    return SegmentCosts(
        segment=col,
        segment_value=val,
        n_labelled=round(n_lab),
        costs=spec,
        confusion={k: round(v) for k, v in conf.items()},
        precision=Estimate.of(mv("precision")),
        recall=Estimate.of(mv("recall")),
        f1=Estimate.of(mv("f1")),
        serving_threshold=serving,
        cost_now_per_1000=Estimate.of(now),
        optimal_threshold=Estimate(value=t_opt, low=_num(lo), high=_num(hi)),
        cost_optimal_per_1000=c_opt,
        saving_per_1000=_num(now.value - c_opt),
        curve_thresholds=curve_t,
        curve_cost_per_1000=curve_c,
        tradeoff=_tradeoff(s.pos, s.neg, spec, extra),
    )


def _segment_values(summaries: Summaries, column: str) -> list[str]:
    tab = summaries.table("score")
    if tab.num_rows == 0:
        return []
    seg = tab["segment"].to_pylist()
    val = tab["segment_value"].to_pylist()
    return sorted({v for s, v in zip(seg, val, strict=True) if s == column})


def latency_quality(
    versions: Mapping[str, tuple[Summaries, tuple[str, str]]],
    *,
    costs: CostModel | None = None,
    confidence: float = 0.95,
    window: str = "current",
    seed: int = 0,
) -> list[VersionPoint]:
    """p99 latency, ROC-AUC and expected cost per model version, dominated ones flagged.

    ``versions`` maps a version name to its summaries and the segment that
    selects it (``("model_version", name)`` inside one log, or ``("", "")``
    for a whole log of one version).
    """
    points = []
    for name, (summ, seg) in versions.items():
        p99 = metric_value(summ, "latency_p99", window=window, segment=seg, confidence=confidence)
        auc = metric_value(summ, "roc_auc", window=window, segment=seg, confidence=confidence)
        vol = summ.filter(window=window, segment=seg).table("volume")
        n = int(sum(vol["n"].to_pylist())) if vol.num_rows else 0
        cost = None
        if costs is not None:
            cost = Estimate.of(
                metric_value(
                    summ,
                    "expected_cost",
                    window=window,
                    segment=seg,
                    confidence=confidence,
                    costs=costs,
                    seed=seed,
                )
            )
        points.append(
            VersionPoint(
                version=name,
                n=n,
                p99_ms=Estimate.of(p99),
                roc_auc=Estimate.of(auc),
                cost_per_1000=cost,
            )
        )
    return mark_dominated(points)


def evaluate_costs(
    summaries: Summaries,
    costs: CostModel,
    *,
    segment: str | None = None,
    versions: Mapping[str, tuple[Summaries, tuple[str, str]]] | None = None,
    confidence: float = 0.95,
    window: str = "current",
    seed: int = 0,
) -> CostEvaluation:
    """Costs at the serving threshold and at the cost-optimal one, all traffic and per segment.

    Parameters
    ----------
    summaries
        Summaries of a binary log with scores and labels.
    costs
        The cost model (per segment when ``costs.segment`` is set).
    segment
        A segment column to break down by (default: ``costs.segment``, if any).
    versions
        For the latency-vs-quality table (see :func:`latency_quality`); default:
        every value of the ``model_version`` segment, if it has more than one.
    confidence, window, seed
        Interval level, the window evaluated, and the bootstrap seed.

    Raises
    ------
    ConfigError
        If the log has no labelled scored rows, or ``segment`` is not a segment.
    """
    source, roles = summaries.meta.source, summaries.meta.roles
    # Name what is missing: a user with an unfamiliar log needs to know which
    # column to add or remap, not only that evaluation is impossible.
    if summaries.meta.task != "binary":
        raise ConfigError(
            f"{source}: column {roles.get('prediction')!r}: cost evaluation needs a binary "
            "task (0/1 predictions with a score); this log's predictions are a regression."
        )
    for role in ("score", "label"):
        if roles.get(role) is None:
            raise ConfigError(
                f"{source}: no {role} column: cost evaluation needs the {role} of each "
                f"prediction; if the log has one under another name, remap it with "
                f"--col {role}=NAME."
            )
    column = segment or costs.segment
    if column and column not in summaries.meta.segments:
        raise ConfigError(
            f"{column!r} is not a segment column of {summaries.meta.source}. "
            f"Segments: {', '.join(summaries.meta.segments) or 'none'}."
        )
    rows = []
    whole = _segment_costs(
        summaries, ("", ""), costs, window=window, confidence=confidence, seed=seed
    )
    if whole is None:
        raise ConfigError(f"{source}: no labelled rows with a score to evaluate.")
    rows.append(whole)
    if column:
        for v in _segment_values(summaries.filter(window=window), column):
            r = _segment_costs(
                summaries, (column, v), costs, window=window, confidence=confidence, seed=seed
            )
            if r is not None:
                rows.append(r)
    if versions is None:
        mv = summaries.meta.roles.get("model_version")
        versions = {}
        if mv and mv in summaries.meta.segments:
            names = _segment_values(summaries.filter(window=window), mv)
            if len(names) > 1:
                versions = {n: (summaries, (mv, n)) for n in names}
    points = (
        latency_quality(versions, costs=costs, confidence=confidence, window=window, seed=seed)
        if versions
        else []
    )
    return CostEvaluation(
        source=summaries.meta.source,
        confidence=confidence,
        cost_model=costs,
        segments=rows,
        versions=points,
    )

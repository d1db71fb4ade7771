"""Release gates: every constraint of a policy, with an interval and one of three outcomes.

The candidate is the ``current`` window of the summaries; the baseline is
the ``reference`` window (``summarise(candidate, reference=baseline)``, or a
date range of one log for live checks). For each constraint (and each
segment value with ``for_each``):

- **inconclusive** when fewer than ``min_samples`` rows are behind the value
  (labelled rows for performance metrics) or the interval straddles the limit;
- **fail** only when the interval at ``confidence`` excludes the limit on the
  bad side (a floor above the interval, a ceiling below it);
- **pass** when the interval lies entirely on the good side.

``for_each`` tests every segment value at Bonferroni-adjusted confidence
``1 - (1 - confidence) / m`` (m values), so a policy over ten countries does
not fail ten times as often by chance. ``gap_between`` compares every pair of
segment values (those with ``min_samples``): the gap is the largest point
difference; its interval is ``[max_ij low_ij, max_ij high_ij]`` over the MOVER
intervals of the pairwise differences at Bonferroni confidence over the pairs.

Baseline limits (``max_drop``, ``max_rise``) use the interval of
``candidate - baseline``:

- **paired** when both logs score the same rows: the engine's row sample is a
  bottom-k by a hash of ``prediction_id`` per bucket, so when the candidate and
  the baseline score the same ids at the same times their samples hold the
  same ids. The pairs (label, candidate prediction, baseline prediction, cost
  segment) are counted into a small table and resampled together (paired
  multinomial bootstrap), for the metrics at the serving threshold
  (precision, recall, accuracy, fpr, fnr, positive_rate, f1, expected_cost).
  Chosen over a DuckDB join of the two logs because analyses never read files
  and the sample is already in the summaries; the price is that the pairs are
  the bounded sample (``meta.sample_size`` rows per bucket), not every row.
- **independent** otherwise: MOVER (Newcombe 1998) from the two windows'
  intervals.

Examples
--------
>>> decide("min", 0.7, 0.8, 0.75, 0.85, n=100, min_samples=30)
('pass', 'interval above the floor')
>>> decide("min", 0.7, 0.72, 0.6, 0.8, n=100, min_samples=30)[0]
'inconclusive'
>>> decide("max", 200, 250, 230, 270, n=100, min_samples=30)[0]
'fail'
"""

from __future__ import annotations

import math
from datetime import datetime

import pyarrow.compute as pc

from modelward._exceptions import ConfigError
from modelward.analyses.gates_paired import N_BOOT as N_BOOT
from modelward.analyses.gates_paired import (
    PAIRED_METRICS,
    PairedSample,
    _paired_difference,
    paired_sample,
)
from modelward.analyses.gates_paired import PAIRED_MIN_SHARE as PAIRED_MIN_SHARE
from modelward.analyses.gates_results import (
    ConstraintResult,
    ConstraintRow,
    GateResult,
    Outcome,
    _combine,
    _num,
    decide,
)
from modelward.analyses.gates_results import mover_difference as mover_difference
from modelward.analyses.metrics import COUNT_METRICS, CostModel, metric_value, parse_metric
from modelward.analyses.policy import Constraint, Policy
from modelward.engine.summaries import Summaries

__all__ = [
    "PAIRED_METRICS",
    "ConstraintResult",
    "ConstraintRow",
    "GateResult",
    "Outcome",
    "PairedSample",
    "decide",
    "evaluate_constraint",
    "evaluate_gate",
    "paired_sample",
]

#: Metrics whose ``n`` counts labelled rows (min_samples applies to those).
_LABEL_KINDS = frozenset(
    {
        *COUNT_METRICS,
        "f1",
        "roc_auc",
        "pr_auc",
        "log_loss",
        "brier",
        "expected_cost",
        "mae",
        "rmse",
        "bias",
    }
)


# ------------------------------------------------------------------ evaluation


def _segment_values(summaries: Summaries, column: str, window: str) -> list[str]:
    vol = summaries.table("volume")
    if column not in summaries.meta.segments:
        raise ConfigError(
            f"{column!r} is not a segment column of {summaries.meta.source}. "
            f"Segments: {', '.join(summaries.meta.segments) or 'none'}."
        )
    vol = vol.filter(pc.and_(pc.equal(vol["segment"], column), pc.equal(vol["window"], window)))
    return sorted({str(v) for v in vol["segment_value"].to_pylist()})


def _has_window(summaries: Summaries, window: str) -> bool:
    vol = summaries.table("volume")
    return vol.num_rows > 0 and bool(pc.any(pc.equal(vol["window"], window)).as_py())


def _row(
    c: Constraint,
    summaries: Summaries,
    segment: tuple[str, str],
    *,
    window: str,
    buckets: tuple[datetime | None, datetime | None] | None,
    confidence: float,
    costs: CostModel | None,
    pairs: PairedSample | None,
    seed: int,
) -> ConstraintRow:
    kind, limit = c.limit
    est = metric_value(
        summaries,
        c.metric,
        window=window,
        segment=segment,
        buckets=buckets,
        confidence=confidence,
        costs=costs,
        seed=seed,
    )
    n = est.n
    # volume is the count itself: a segment that collapses must fail, not be inconclusive
    min_samples = 0 if c.metric == "volume" else c.min_samples
    if not c.relative:
        outcome, reason = decide(
            kind, limit, est.value, est.low, est.high, n=n, min_samples=min_samples
        )
        return ConstraintRow(
            segment=segment[0],
            segment_value=segment[1],
            compared="value",
            value=_num(est.value),
            estimate=_num(est.value),
            low=_num(est.low),
            high=_num(est.high),
            confidence=confidence,
            limit=limit,
            n=n,
            outcome=outcome,
            reason=reason,
            method=est.method,
        )
    base = metric_value(
        summaries,
        c.metric,
        window="reference",
        segment=segment,
        confidence=confidence,
        costs=costs,
        seed=seed,
    )
    paired = None
    if pairs is not None and buckets is None and c.metric in PAIRED_METRICS:
        paired = _paired_difference(pairs, c.metric, segment, costs, confidence, seed)
    if paired is not None:
        d, lo, hi, n_pairs = paired
        method = f"paired bootstrap ({n_pairs} sampled pairs)"
        n = min(n, n_pairs)
    else:
        d, lo, hi = mover_difference(est, base)
        method = "MOVER (independent windows)"
        n = min(n, base.n)
    floor_kind, bound = ("min", -limit) if kind == "max_drop" else ("max", limit)
    outcome, reason = decide(floor_kind, bound, d, lo, hi, n=n, min_samples=c.min_samples)
    reason = reason.replace("floor", "allowed drop").replace("ceiling", "allowed rise")
    return ConstraintRow(
        segment=segment[0],
        segment_value=segment[1],
        compared="difference",
        value=_num(est.value),
        baseline=_num(base.value),
        estimate=_num(d),
        low=_num(lo),
        high=_num(hi),
        confidence=confidence,
        limit=limit,
        n=n,
        outcome=outcome,
        reason=reason,
        method=method,
    )


def _gap_row(
    c: Constraint,
    summaries: Summaries,
    *,
    window: str,
    buckets: tuple[datetime | None, datetime | None] | None,
    confidence: float,
    costs: CostModel | None,
    seed: int,
) -> ConstraintRow:
    column = str(c.gap_between)
    values = _segment_values(summaries, column, window)
    m = max(len(values) * (len(values) - 1) // 2, 1)
    conf_pair = 1 - (1 - confidence) / m
    ests = {}
    for v in values:
        e = metric_value(
            summaries,
            c.metric,
            window=window,
            segment=(column, v),
            buckets=buckets,
            confidence=conf_pair,
            costs=costs,
            seed=seed,
        )
        if e.n >= c.min_samples and math.isfinite(e.low) and math.isfinite(e.high):
            ests[v] = e
    limit = c.limit[1]
    if len(ests) < 2:
        return ConstraintRow(
            segment=column,
            compared="gap",
            value=None,
            estimate=None,
            low=None,
            high=None,
            confidence=confidence,
            limit=limit,
            n=len(ests),
            outcome="inconclusive",
            reason=f"fewer than 2 values of {column} with min_samples {c.min_samples}",
        )
    gap, lows, highs, worst = -math.inf, [], [], ("", "")
    for a in ests:
        for b in ests:
            if a >= b:
                continue
            hi_v, lo_v = (a, b) if ests[a].value >= ests[b].value else (b, a)
            d, lo, hi = mover_difference(ests[hi_v], ests[lo_v])
            lows.append(lo)
            highs.append(hi)
            if d > gap:
                gap, worst = d, (hi_v, lo_v)
    low, high = max(lows), max(highs)
    outcome, reason = decide(
        "max", limit, gap, low, high, n=min(e.n for e in ests.values()), min_samples=0
    )
    return ConstraintRow(
        segment=column,
        segment_value=f"{worst[0]} vs {worst[1]}",
        compared="gap",
        value=gap,
        estimate=gap,
        low=low,
        high=high,
        confidence=confidence,
        limit=limit,
        n=sum(e.n for e in ests.values()),
        outcome=outcome,
        reason=reason.replace("ceiling", "largest allowed gap"),
        method=f"MOVER over {len(ests)} values, Bonferroni over {m} pairs",
    )


def evaluate_constraint(
    summaries: Summaries,
    constraint: Constraint,
    *,
    costs: CostModel | None = None,
    window: str = "current",
    buckets: tuple[datetime | None, datetime | None] | None = None,
    confidence: float | None = None,
    adjust: bool = True,
    pairs: PairedSample | None = None,
    seed: int = 0,
) -> ConstraintResult:
    """Evaluate one constraint on one window (and bucket range) of the summaries.

    ``confidence`` overrides the constraint's own; ``adjust=False`` turns off
    the Bonferroni adjustment across ``for_each`` values (rollback triggers
    apply their own correction).
    """
    c = constraint
    conf = c.confidence if confidence is None else confidence
    kind, limit = c.limit
    parse_metric(c.metric)
    if (c.relative or c.metric.startswith(("psi:", "js:"))) and not _has_window(
        summaries, "reference"
    ):
        raise ConfigError(
            f"The constraint {c.label!r} compares with a baseline: give a baseline log "
            "(--baseline) or a reference window."
        )
    rows: list[ConstraintRow]
    if c.gap_between:
        rows = [
            _gap_row(
                c,
                summaries,
                window=window,
                buckets=buckets,
                confidence=conf,
                costs=costs,
                seed=seed,
            )
        ]
    elif c.for_each:
        values = _segment_values(summaries, c.for_each, window)
        each = 1 - (1 - conf) / max(len(values), 1) if adjust else conf
        rows = [
            _row(
                c,
                summaries,
                (c.for_each, v),
                window=window,
                buckets=buckets,
                confidence=each,
                costs=costs,
                pairs=pairs,
                seed=seed,
            )
            for v in values
        ]
    else:
        rows = [
            _row(
                c,
                summaries,
                ("", ""),
                window=window,
                buckets=buckets,
                confidence=conf,
                costs=costs,
                pairs=pairs,
                seed=seed,
            )
        ]
    return ConstraintResult(
        name=c.label,
        metric=c.metric,
        severity=c.severity,
        limit_kind=kind,
        limit=limit,
        confidence=conf,
        outcome=_combine([r.outcome for r in rows]),
        rows=rows,
    )


def evaluate_gate(
    summaries: Summaries,
    policy: Policy,
    *,
    policy_source: str | None = None,
    baseline: str | None = None,
    seed: int = 0,
) -> GateResult:
    """The release gate: the candidate is the ``current`` window, the baseline the ``reference``.

    Exit code: 0 when every blocking constraint passes, 1 when one fails, 3
    when none fails but one is inconclusive (``warn`` constraints never set it).
    """
    pairs = paired_sample(summaries)
    results = [
        evaluate_constraint(summaries, c, costs=policy.costs, pairs=pairs, seed=seed)
        for c in policy.constraints
    ]
    blocking = [r.outcome for r in results if r.severity == "block"]
    outcome: Outcome = "pass" if not blocking else _combine(blocking)
    code = {"pass": 0, "fail": 1, "inconclusive": 3}[outcome]
    return GateResult(
        policy=policy_source or policy.name,
        candidate=summaries.meta.source,
        baseline=baseline,
        outcome=outcome,
        exit_code=code,
        constraints=results,
    )

"""The confidence calendar: when each constrained metric is expected to cross its limit.

For every constraint of a policy and every segment it covers (``for_each``),
the metric's daily series is taken from a check (performance per bucket,
latency per bucket, the drift heat map, label coverage, volume) or, for
segments and metrics a check does not hold per bucket, from the summaries
(confusion counts per bucket; :func:`~modelward.analyses.metrics.metric_value`
per bucket for the rest, over the fitting window only). Each series goes to
:func:`modelward.stats.forecast.forecast_crossing` (a broken-line trend
with day-of-week effects, and intervals from AR(1) simulations refitted with
their own break). Buckets with fewer labelled rows
than the constraint's ``min_samples`` are left out of the series. When a
quality constraint (a performance metric) is forecast to fail, the result
recommends retraining before the earliest plausible crossing (the interval's
lower end). Method and limits: ``docs/forecast.md``.

Examples
--------
>>> import modelward
>>> from modelward.analyses.check import run_check
>>> from modelward.analyses.policy import parse_policy
>>> sim = modelward.simulate(domain="fraud", fault="none", days=30, rows_per_day=300, seed=1)
>>> s = modelward.summarise(sim.log, reference_end=sim.truth["reference_end"])
>>> policy = parse_policy("constraints:\\n  - metric: latency_p99\\n    max: 100000\\n")
>>> fc = forecast_policy(run_check(s), policy, summaries=s, horizon_days=30)
>>> [(r.metric, r.status) for r in fc.rows]
[('latency_p99', 'no_crossing')]
>>> fc.retrain_before is None
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from modelward._exceptions import ConfigError
from modelward.analyses.metrics import (
    BINARY_METRICS,
    COUNT_METRICS,
    REGRESSION_METRICS,
    metric_value,
    parse_metric,
)
from modelward.analyses.policy import Constraint, Policy
from modelward.analyses.results import CheckResult
from modelward.engine.summaries import Summaries
from modelward.stats.forecast import forecast_crossing

__all__ = ["ForecastResult", "ForecastRow", "forecast_policy", "metric_series"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
METHOD = (
    "a continuous broken-line trend (a slope before a break, another after it, break by "
    "least squares) with day-of-week effects, Huber-robust, on the last {window} buckets; "
    "interval from {draws} simulated series with bias-corrected AR(1) noise, each refitted "
    "with its own break (docs/forecast.md); the crossing is of the trend, not of single days."
)
QUALITY_METRICS = frozenset((*BINARY_METRICS, *REGRESSION_METRICS))

Basis = Literal["realised", "latency", "drift", "coverage", "volume", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ForecastRow(_Model):
    """The forecast of one constraint on one segment (times UTC)."""

    constraint: str
    metric: str
    segment: str = ""
    segment_value: str = ""
    basis: Basis
    quality: bool  # a performance metric: a forecast failure calls for retraining
    direction: Literal["below", "above"]  # "below": fails when the metric falls under the limit
    limit: float
    last_value: float | None
    level: float | None  # the trend's value at the last point
    slope_per_day: float | None
    n_points: int
    status: Literal["crossed", "will_cross", "no_crossing", "insufficient_data"]
    expected: datetime | None  # the expected crossing (None: not within the horizon)
    low: datetime | None
    high: datetime | None  # None: beyond the horizon
    probability: float | None  # share of bootstrap draws crossing within the horizon
    note: str = ""


class ForecastResult(_Model):
    """The confidence calendar of one log under one policy."""

    created_at: datetime
    source: str
    as_of: datetime | None  # start of the last bucket
    horizon_days: float
    confidence: float
    method: str
    rows: list[ForecastRow]
    retrain_before: datetime | None
    recommendation: str


def _days(ts: datetime) -> float:
    aware = ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
    return (aware - _EPOCH).total_seconds() / 86400.0


def _date(days: float) -> datetime:
    return _EPOCH + timedelta(days=days)


def _fin(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


# ------------------------------------------------------------------ series


Series = tuple[list[datetime], list[float], Basis]


def _from_check(result: CheckResult, metric: str, min_samples: int) -> Series | None:
    kind, arg = parse_metric(metric)
    if metric in QUALITY_METRICS and result.performance is not None:
        pts = [
            (w.bucket, w.metrics[metric].value)
            for w in result.performance.by_bucket
            if w.bucket is not None
            and w.segment == ""
            and metric in w.metrics
            and w.metrics[metric].n >= min_samples
        ]
        if any(v is not None for _, v in pts):
            return _clean(pts, "realised")
    if kind == "latency" and result.latency is not None and isinstance(arg, float):
        name = {0.5: "p50", 0.95: "p95", 0.99: "p99"}.get(round(arg, 4))
        if name is not None:
            pts = [
                (p.bucket, getattr(p, name))
                for p in result.latency.by_bucket
                if p.bucket is not None and p.segment == "" and p.n >= min_samples
            ]
            return _clean(pts, "latency")
    if kind == "psi" and isinstance(arg, str):
        cells = [(c.bucket, c.psi) for c in result.drift.heatmap if c.feature == arg]
        if cells:
            return _clean(cells, "drift")
    if metric == "label_coverage":
        return _clean([(p.bucket, p.coverage) for p in result.health.labels], "coverage")
    if metric == "volume":
        pts = [(v.bucket, float(v.n)) for v in result.health.volume if v.segment == ""]
        return _clean(pts, "volume")
    return None


def _clean(points: Sequence[tuple[datetime | None, float | None]], basis: Basis) -> Series:
    keep = sorted(
        (b, float(v)) for b, v in points if b is not None and v is not None and math.isfinite(v)
    )
    return [b for b, _ in keep], [v for _, v in keep], basis


def _buckets(summaries: Summaries) -> list[datetime]:
    vol = summaries.table("volume")
    if vol.num_rows == 0:
        return []
    return sorted(set(vol.column("bucket").to_pylist()))


def _count_series(
    summaries: Summaries, metric: str, segment: tuple[str, str], min_samples: int
) -> Series:
    """Per-bucket proportions at the serving threshold from the labelled score counts."""
    tab = summaries.table("score")
    mask = pc.and_(
        pc.and_(pc.equal(tab["segment"], segment[0]), pc.equal(tab["segment_value"], segment[1])),
        pc.greater_equal(tab["label"], 0),
    )
    grouped = (
        tab.filter(mask)
        .group_by(["bucket", "label", "prediction"])
        .aggregate([("count", "sum")])
        .to_pylist()
    )
    cells: dict[datetime, dict[str, float]] = {}
    names = {(1, 1): "tp", (0, 1): "fp", (1, 0): "fn", (0, 0): "tn"}
    for row in grouped:
        cell = names.get((int(row["label"]), int(row["prediction"])))
        if cell is not None:
            d = cells.setdefault(row["bucket"], {"tp": 0.0, "fp": 0.0, "fn": 0.0, "tn": 0.0})
            d[cell] += float(row["count_sum"])
    num, den = COUNT_METRICS[metric]
    pts: list[tuple[datetime | None, float | None]] = []
    for b, d in cells.items():
        n = sum(d[c] for c in den)
        if n >= max(min_samples, 1):
            pts.append((b, sum(d[c] for c in num) / n))
    return _clean(pts, "realised")


def metric_series(
    metric: str,
    *,
    result: CheckResult | None = None,
    summaries: Summaries | None = None,
    segment: tuple[str, str] = ("", ""),
    min_samples: int = 1,
    last: int = 56,
    seed: int = 0,
) -> Series:
    """The per-bucket series of ``metric`` on ``segment``: (bucket starts, values, basis).

    All-traffic series come from the check where it holds them; otherwise from
    the summaries (the last ``last`` buckets). Buckets with fewer than
    ``min_samples`` rows behind the value are left out.

    Raises
    ------
    ConfigError
        If neither source can give the series.
    """
    if segment == ("", "") and result is not None:
        found = _from_check(result, metric, min_samples)
        if found is not None:
            return found
    if summaries is None:
        raise ConfigError(
            f"The series of {metric!r} on {segment[0] or 'all traffic'}"
            f"{'=' + segment[1] if segment[0] else ''} needs the summaries, not only a check."
        )
    if metric in COUNT_METRICS:
        return _count_series(summaries, metric, segment, min_samples)
    kind, _ = parse_metric(metric)
    basis: Basis = {"latency": "latency", "psi": "drift", "js": "drift"}.get(kind, "other")  # type: ignore[assignment]
    if metric in QUALITY_METRICS:
        basis = "realised"
    pts: list[tuple[datetime | None, float | None]] = []
    for b in _buckets(summaries)[-last:]:
        est = metric_value(
            summaries, metric, segment=segment, buckets=(b, b + timedelta(days=1)), seed=seed
        )
        if est.n >= max(min_samples, 1):
            pts.append((b, est.value))
    return _clean(pts, basis)


# ---------------------------------------------------------------- forecast


def _segments_of(summaries: Summaries | None, column: str) -> list[str]:
    if summaries is None:
        return []
    vol = summaries.table("volume")
    vals = vol.filter(pc.equal(vol["segment"], column)).column("segment_value")
    return sorted(str(v) for v in pc.unique(vals).to_pylist() if v is not None)


def _reference(
    c: Constraint, result: CheckResult, summaries: Summaries | None, segment: tuple[str, str]
) -> float | None:
    if summaries is not None:
        est = metric_value(summaries, c.metric, window="reference", segment=segment)
        return _fin(est.value)
    perf = result.performance
    if segment == ("", "") and perf is not None and perf.reference is not None:
        mv = perf.reference.metrics.get(c.metric)
        return None if mv is None else _fin(mv.value)
    return None


def _limit(
    c: Constraint, result: CheckResult, summaries: Summaries | None, segment: tuple[str, str]
) -> tuple[float | None, Literal["below", "above"]]:
    kind, value = c.limit
    direction: Literal["below", "above"] = "below" if kind in ("min", "max_drop") else "above"
    if kind in ("min", "max"):
        return value, direction
    ref = _reference(c, result, summaries, segment)
    if ref is None:
        return None, direction
    return (ref - value if kind == "max_drop" else ref + value), direction


def _gap_series(
    c: Constraint, result: CheckResult, summaries: Summaries | None, seed: int
) -> Series:
    column = c.gap_between or ""
    per: dict[datetime, list[float]] = {}
    basis: Basis = "other"
    for v in _segments_of(summaries, column):
        times, values, basis = metric_series(
            c.metric, result=result, summaries=summaries, segment=(column, v),
            min_samples=c.min_samples, seed=seed,
        )  # fmt: skip
        for t, y in zip(times, values, strict=True):
            per.setdefault(t, []).append(y)
    pts: list[tuple[datetime | None, float | None]] = [
        (t, max(ys) - min(ys)) for t, ys in per.items() if len(ys) >= 2
    ]
    return _clean(pts, basis)


def forecast_policy(
    result: CheckResult,
    policy: Policy | Sequence[Constraint],
    *,
    summaries: Summaries | None = None,
    horizon_days: float = 30.0,
    confidence: float = 0.8,
    window: int = 56,
    draws: int = 400,
    seed: int = 0,
) -> ForecastResult:
    """Forecast, for each constraint and segment, when the metric crosses its limit.

    Parameters
    ----------
    result
        A check of the log (the all-traffic series).
    policy
        The policy, or its constraints.
    summaries
        The summaries of the same log: needed for segments (``for_each``,
        ``gap_between``), relative limits and metrics a check does not hold
        per bucket. Without them those rows are ``insufficient_data``.
    horizon_days
        How far past the last bucket to look.
    confidence
        Coverage of the crossing-date interval.
    window, draws, seed
        Buckets the trend is fitted on, bootstrap draws, seed.

    Returns
    -------
    ForecastResult
        One row per constraint and segment value, and the retraining recommendation.
    """
    if not horizon_days > 0:
        raise ConfigError(
            "The 'horizon_days' parameter of forecast_policy must be > 0. "
            f"Got {horizon_days} instead."
        )
    constraints = list(policy.constraints if isinstance(policy, Policy) else policy)
    bucket_times = [p.bucket for p in result.health.volume] or (
        _buckets(summaries) if summaries is not None else []
    )
    as_of = max(bucket_times) if bucket_times else None
    end = _days(as_of) + horizon_days if as_of is not None else math.nan
    period = 7 if result.bucket == "day" else None
    rows: list[ForecastRow] = []
    for c in constraints:
        if c.gap_between:
            targets: list[tuple[str, str]] = [(c.gap_between, "")]
        elif c.for_each:
            targets = [(c.for_each, v) for v in _segments_of(summaries, c.for_each)]
            if not targets:
                targets = [(c.for_each, "")]
        else:
            targets = [("", "")]
        for seg in targets:
            rows.append(
                _row(c, seg, result, summaries, end=end, period=period, confidence=confidence,
                     window=window, draws=draws, seed=seed)
            )  # fmt: skip
    retrain, text = _recommend(rows, confidence)
    return ForecastResult(
        created_at=datetime.now(UTC),
        source=result.source,
        as_of=as_of,
        horizon_days=float(horizon_days),
        confidence=confidence,
        method=METHOD.format(window=window, draws=draws),
        rows=rows,
        retrain_before=retrain,
        recommendation=text,
    )


def _row(
    c: Constraint,
    seg: tuple[str, str],
    result: CheckResult,
    summaries: Summaries | None,
    *,
    end: float,
    period: int | None,
    confidence: float,
    window: int,
    draws: int,
    seed: int,
) -> ForecastRow:
    quality = c.metric in QUALITY_METRICS
    base = {"constraint": c.label, "metric": c.metric, "segment": seg[0], "segment_value": seg[1],
            "quality": quality}  # fmt: skip

    floor = c.limit[0] in ("min", "max_drop") and not c.gap_between

    def empty(note: str, basis: Basis = "other", limit: float = math.nan) -> ForecastRow:
        return ForecastRow(
            **base, basis=basis, direction="below" if floor else "above",
            limit=limit if math.isfinite(limit) else c.limit[1], last_value=None, level=None,
            slope_per_day=None, n_points=0, status="insufficient_data", expected=None, low=None,
            high=None, probability=None, note=note,
        )  # fmt: skip

    if seg[0] and not seg[1] and not c.gap_between:
        return empty(f"no value of segment {seg[0]!r} in the summaries")
    try:
        if c.gap_between:
            times, values, basis = _gap_series(c, result, summaries, seed)
            limit: float | None
            direction: Literal["below", "above"]
            limit, direction = c.limit[1], "above"
        else:
            times, values, basis = metric_series(
                c.metric, result=result, summaries=summaries, segment=seg,
                min_samples=c.min_samples, last=window, seed=seed,
            )  # fmt: skip
            limit, direction = _limit(c, result, summaries, seg)
    except ConfigError as exc:
        return empty(str(exc))
    if limit is None:
        return empty("the relative limit needs the reference value, which is not available", basis)
    if not times or not math.isfinite(end):
        return empty("no bucket with enough data", basis, limit)
    t = np.array([_days(b) for b in times])
    fc = forecast_crossing(
        t, np.asarray(values), limit=limit, direction=direction,
        horizon=max(end - float(t[-1]), 1e-9), period=period, window=window,
        confidence=confidence, draws=draws, seed=seed,
    )  # fmt: skip

    def when(x: float) -> datetime | None:
        return _date(x) if math.isfinite(x) and x <= end else None

    note = ""
    if fc.status == "insufficient_data":
        note = f"{fc.n_points} bucket(s) with enough data; a trend needs 7"
    return ForecastRow(
        **base, basis=basis, direction=direction, limit=limit, last_value=values[-1],
        level=_fin(fc.level), slope_per_day=_fin(fc.slope), n_points=fc.n_points,
        status=fc.status, expected=when(fc.crossing) if fc.status != "no_crossing" else None,
        low=when(fc.low) if fc.status != "insufficient_data" else None,
        high=when(fc.high) if fc.status != "insufficient_data" else None,
        probability=_fin(fc.probability), note=note,
    )  # fmt: skip


def _where(r: ForecastRow) -> str:
    return f" on {r.segment}={r.segment_value}" if r.segment and r.segment_value else ""


def _recommend(rows: Sequence[ForecastRow], confidence: float) -> tuple[datetime | None, str]:
    failing = [r for r in rows if r.quality and r.status in ("crossed", "will_cross")]
    if not failing:
        return None, "No quality constraint is forecast to fail within the horizon."
    crossed = [r for r in failing if r.status == "crossed"]
    if crossed:
        r = crossed[0]
        when = r.expected or r.low
        return when, (
            f"Retrain now: {r.constraint}{_where(r)} is already past its limit "
            f"(trend {r.level:.4g} vs {r.limit:.4g})."
        )
    first = min(failing, key=lambda r: r.low or r.expected or datetime.max.replace(tzinfo=UTC))
    date = first.low or first.expected
    assert date is not None
    assert first.expected is not None
    return date, (
        f"Retrain before {date:%Y-%m-%d}: {first.constraint}{_where(first)} is forecast to "
        f"cross {first.limit:.4g} on {first.expected:%Y-%m-%d} "
        f"({confidence:.0%} interval from {date:%Y-%m-%d})."
    )

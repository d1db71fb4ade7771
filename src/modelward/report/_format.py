"""Formatting shared by the renderers: numbers, intervals, times, segments, ordering.

Presentation only: nothing here computes a statistic; it orders and prints the
values held by the result models.

Examples
--------
>>> fmt_num(0.84213), fmt_num(None), fmt_num(1234.5), fmt_num(3.2e-06)
('0.842', '—', '1,234', '3.2e-06')
>>> segment_label("country", "US"), segment_label("", "")
('country=US', 'all')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from modelward._exceptions import StoreError
from modelward.analyses.results import (
    CheckSummaryItem,
    FeatureDrift,
    HealthIssue,
    Interval,
    MetricValue,
    PerformanceResult,
    Severity,
)

__all__ = [
    "MISSING",
    "SEVERITY_ORDER",
    "by_severity",
    "fmt_count",
    "fmt_duration",
    "fmt_interval",
    "fmt_metric",
    "fmt_num",
    "fmt_pct",
    "fmt_time",
    "issues_by_severity",
    "metric_names",
    "segment_label",
    "top_drift",
    "write_report_file",
]

#: What a value that could not be computed prints as.
MISSING = "—"

#: Rank of each severity, most severe first.
SEVERITY_ORDER: dict[Severity, int] = {"critical": 0, "warning": 1, "info": 2, "ok": 3}


def fmt_num(x: float | int | None) -> str:
    """Print a number compactly; ``None`` and nan print as :data:`MISSING`.

    Examples
    --------
    >>> [fmt_num(v) for v in (0, 12.345, 0.05, float("nan"), 7)]
    ['0', '12.3', '0.050', '—', '7']
    """
    if x is None:
        return MISSING
    if isinstance(x, int):
        return f"{x:,}"
    if not math.isfinite(x):
        return MISSING if math.isnan(x) else ("∞" if x > 0 else "-∞")
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 0.001:
        return f"{x:.3f}"
    return f"{x:.1e}"


def fmt_count(n: int | None) -> str:
    """Print a count with thousands separators.

    Examples
    --------
    >>> fmt_count(1234567)
    '1,234,567'
    """
    return MISSING if n is None else f"{n:,}"


def fmt_pct(x: float | None) -> str:
    """Print a fraction in [0, 1] as a percentage.

    Examples
    --------
    >>> fmt_pct(0.4567), fmt_pct(None)
    ('45.7%', '—')
    """
    if x is None or math.isnan(x):
        return MISSING
    return f"{100.0 * x:.1f}%"


def fmt_interval(interval: Interval | None) -> str:
    """Print an interval as ``[low, high]``; empty when there is none.

    Examples
    --------
    >>> fmt_interval(Interval(low=0.71, high=0.8))
    '[0.710, 0.800]'
    """
    if interval is None or (interval.low is None and interval.high is None):
        return ""
    return f"[{fmt_num(interval.low)}, {fmt_num(interval.high)}]"


def fmt_metric(metric: MetricValue | None) -> str:
    """Print a metric value followed by its interval.

    Examples
    --------
    >>> fmt_metric(MetricValue(value=0.75, interval=Interval(low=0.7, high=0.8), n=120))
    '0.750 [0.700, 0.800]'
    """
    if metric is None:
        return MISSING
    interval = fmt_interval(metric.interval)
    value = fmt_num(metric.value)
    return f"{value} {interval}" if interval and metric.value is not None else value


def fmt_time(t: datetime | None) -> str:
    """Print a time: the date alone at midnight, else date, hour and minute.

    Examples
    --------
    >>> fmt_time(datetime(2026, 1, 3)), fmt_time(datetime(2026, 1, 3, 14, 5))
    ('2026-01-03', '2026-01-03 14:05')
    """
    if t is None:
        return MISSING
    if (t.hour, t.minute, t.second, t.microsecond) == (0, 0, 0, 0):
        return t.strftime("%Y-%m-%d")
    return t.strftime("%Y-%m-%d %H:%M")


def fmt_duration(seconds: float | None) -> str:
    """Print a duration in seconds in the largest sensible unit.

    Examples
    --------
    >>> fmt_duration(42.0), fmt_duration(5400.0), fmt_duration(9000.0), fmt_duration(3 * 86400.0)
    ('42 s', '90 min', '2.5 h', '3.0 d')
    """
    if seconds is None or math.isnan(seconds):
        return MISSING
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def segment_label(segment: str, value: str) -> str:
    """Name a segment: ``column=value``, or ``all`` for all traffic."""
    return "all" if segment == "" else f"{segment}={value}"


def by_severity(items: Iterable[CheckSummaryItem]) -> list[CheckSummaryItem]:
    """Summary items ordered most severe first, keeping the analyses' order within a level."""
    return sorted(items, key=lambda item: SEVERITY_ORDER[item.severity])


def issues_by_severity(issues: Iterable[HealthIssue]) -> list[HealthIssue]:
    """Health issues ordered most severe first, keeping the analyses' order within a level."""
    return sorted(issues, key=lambda issue: SEVERITY_ORDER[issue.severity])


def top_drift(features: Iterable[FeatureDrift], *, limit: int | None = None) -> list[FeatureDrift]:
    """Drift rows ordered for reading: drifted first, then by effect (largest first).

    ``None`` effects go last. Ties keep the analyses' order.
    """

    def key(f: FeatureDrift) -> tuple[int, float]:
        effect = f.effect if f.effect is not None and not math.isnan(f.effect) else -math.inf
        return (0 if f.drifted else 1, -effect)

    ordered = sorted(features, key=key)
    return ordered if limit is None else ordered[:limit]


def metric_names(performance: PerformanceResult) -> list[str]:
    """Metric names of a performance result: degraded first, then in first-seen order."""
    seen: dict[str, None] = {}
    windows = [performance.reference, performance.current]
    windows += performance.by_segment + performance.by_bucket
    for window in windows:
        if window is not None:
            for name in window.metrics:
                seen.setdefault(name, None)
    degraded = [m for m in performance.degraded if m in seen]
    return degraded + [m for m in seen if m not in degraded]


def write_report_file(path: str | Path, text: str) -> Path:
    """Write a rendered report; a failure is one ``StoreError`` naming the file."""
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"{target}: cannot write the report: {exc.strerror or exc}") from exc
    return target

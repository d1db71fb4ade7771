"""The morning check in a terminal: one screen, most severe first.

A header line, the verdict (one line per finding with its key number, critical
first), then three compact tables: top drifted features, performance current vs
reference with intervals, latency percentiles vs reference.

Examples
--------
>>> import io
>>> from datetime import datetime, timezone
>>> from rich.console import Console
>>> from modelward.analyses.results import CheckResult, DriftResult, HealthResult
>>> result = CheckResult(
...     created_at=datetime(2026, 2, 1, tzinfo=timezone.utc), source="log.parquet",
...     reference="2026-01-01 .. 2026-01-14", bucket="day", n_rows=0, n_reference_rows=0,
...     n_current_rows=0, features=[], segments=[], summary=[],
...     health=HealthResult(issues=[], volume=[], day_of_week=[], labels=[]),
...     drift=DriftResult(rule="", alpha=0.05, features=[], score=[], heatmap=[],
...                       distributions=[], multivariate=[]),
...     performance=None, latency=None)
>>> console = Console(file=io.StringIO(), record=True, width=100)
>>> render_terminal(result, console)
>>> "No findings" in console.export_text()
True
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from modelward.analyses.results import (
    CheckResult,
    DriftResult,
    LatencyResult,
    PerformanceResult,
    Severity,
)
from modelward.report._format import (
    by_severity,
    fmt_count,
    fmt_metric,
    fmt_num,
    metric_names,
    segment_label,
    top_drift,
)

__all__ = ["render_terminal"]

_STYLE: dict[Severity, tuple[str, str]] = {
    "critical": ("✖ CRITICAL", "bold red"),
    "warning": ("▲ WARNING ", "bold yellow"),
    "info": ("● INFO    ", "cyan"),
    "ok": ("✔ OK      ", "green"),
}


def _verdict(result: CheckResult, console: Console) -> None:
    items = by_severity(result.summary)
    if not items:
        console.print(Text("✔ No findings.", style="green"))
        return
    for item in items:
        label, style = _STYLE[item.severity]
        line = Text()
        line.append(label, style=style)
        line.append(f" {item.area:<11} ", style="dim")
        line.append(item.message)
        console.print(line, overflow="ellipsis", no_wrap=True)


def _drift_table(drift: DriftResult, *, limit: int) -> Table | None:
    rows = [f for f in top_drift(drift.features + drift.score) if f.drifted][:limit]
    if not rows:
        return None
    table = Table(title="Top drifted columns", title_justify="left", box=None, pad_edge=False)
    for name in ("column", "segment", "method", "statistic", "p adj", "effect", "floor"):
        table.add_column(
            name, justify="left" if name in ("column", "segment", "method") else "right"
        )
    for f in rows:
        table.add_row(
            escape(f.feature),
            escape(segment_label(f.segment, f.segment_value)),
            escape(f.method),
            fmt_num(f.statistic),
            fmt_num(f.p_adjusted),
            fmt_num(f.effect),
            fmt_num(f.effect_floor),
        )
    return table


def _performance_table(perf: PerformanceResult, *, limit: int) -> Table:
    current, reference = perf.current, perf.reference
    title = f"Performance (labelled rows: {fmt_count(current.n_labelled)} current" + (
        f", {fmt_count(reference.n_labelled)} reference)" if reference else ")"
    )
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column("metric")
    table.add_column("current", justify="right")
    table.add_column("reference", justify="right")
    table.add_column("")
    for name in metric_names(perf)[:limit]:
        degraded = name in perf.degraded
        table.add_row(
            escape(name),
            fmt_metric(current.metrics.get(name)),
            fmt_metric(reference.metrics.get(name)) if reference else "",
            Text("degraded", style="bold red") if degraded else "",
            style="red" if degraded else None,
        )
    return table


def _latency_table(lat: LatencyResult) -> Table:
    title = "Latency (ms)" + (" — regressed" if lat.regressed else "")
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for name in ("window", "rows", "p50", "p95", "p99"):
        table.add_column(name, justify="left" if name == "window" else "right")
    for point in (lat.current, lat.reference):
        if point is not None:
            table.add_row(
                point.window,
                fmt_count(point.n),
                fmt_num(point.p50),
                fmt_num(point.p95),
                fmt_num(point.p99),
                style="red" if lat.regressed and point.window == "current" else None,
            )
    return table


def render_terminal(result: CheckResult, console: Console, *, top: int = 5) -> None:
    """Print the concise morning summary of a check to a Rich console.

    Parameters
    ----------
    result
        The check result.
    console
        Where to print (``Console(record=True)`` to capture it).
    top
        At most this many rows in the drift and performance tables.
    """
    header = Text()
    header.append("modelward check ", style="bold")
    header.append(result.source)
    header.append(
        f"  ·  reference {result.reference}  ·  {fmt_count(result.n_current_rows)} current rows"
        f" / {fmt_count(result.n_reference_rows)} reference  ·  bucket {result.bucket}",
        style="dim",
    )
    console.print(header, overflow="fold")
    console.print()
    _verdict(result, console)
    drift = _drift_table(result.drift, limit=top)
    if drift is not None:
        console.print()
        console.print(drift)
    if result.performance is not None:
        console.print()
        console.print(_performance_table(result.performance, limit=top))
    else:
        console.print()
        console.print(Text("Performance: not computed (no labelled rows).", style="dim"))
    if result.latency is not None:
        console.print()
        console.print(_latency_table(result.latency))

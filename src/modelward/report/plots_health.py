"""Figures of traffic and service health: volume, day of week, latency, label arrival.

Examples
--------
>>> from datetime import datetime
>>> from modelward.analyses.results import LabelPoint
>>> fig = labels_figure([LabelPoint(bucket=datetime(2026, 1, 1), coverage=0.9,
...                                 median_lag_seconds=3600.0, p90_lag_seconds=7200.0)])
>>> [trace.name for trace in fig.data]
['coverage', 'median lag (h)', 'p90 lag (h)']
>>> volume_figure([]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from modelward.analyses.results import DayOfWeekVolume, LabelPoint, LatencyResult, VolumePoint
from modelward.report._format import segment_label
from modelward.report.plots_style import (
    ALERT_COLOR,
    CURRENT_COLOR,
    PALETTE,
    REFERENCE_COLOR,
    _dropdown,
    _hline,
    _layout,
    _t,
)

__all__ = ["day_of_week_figure", "labels_figure", "latency_figure", "volume_figure"]

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


# ---------------------------------------------------------------------- volume


def volume_figure(volume: Sequence[VolumePoint]) -> go.Figure | None:
    """Rows per bucket, stacked by segment value; a menu switches the segment column.

    The labelled rows of all traffic are drawn as a line when the series has them.
    """
    if not volume:
        return None
    columns = list(dict.fromkeys(p.segment for p in volume if p.segment))
    groups: list[tuple[str, list[tuple[str, list[VolumePoint]]]]] = []
    for column in columns or [""]:
        by_value: dict[str, list[VolumePoint]] = {}
        for p in volume:
            if p.segment == column:
                by_value.setdefault(p.segment_value, []).append(p)
        groups.append((column, list(by_value.items())))
    fig = go.Figure()
    owner: list[int] = []
    for g, (column, values) in enumerate(groups):
        for i, (value, points) in enumerate(values):
            fig.add_trace(
                go.Bar(
                    x=[p.bucket for p in points],
                    y=[p.n for p in points],
                    name=_t(segment_label(column, value)),
                    marker_color=PALETTE[i % len(PALETTE)],
                    visible=g == 0,
                )
            )
            owner.append(g)
    total = sorted((p for p in volume if p.segment == ""), key=lambda p: p.bucket)
    if total and any(p.n_labelled for p in total):
        fig.add_trace(
            go.Scatter(
                x=[p.bucket for p in total],
                y=[p.n_labelled for p in total],
                mode="lines+markers",
                name="labelled rows (all)",
                line={"color": "#24292f", "width": 2},
            )
        )
        owner.append(-1)
    _layout(fig, barmode="stack", yaxis_title="rows")
    if len(groups) > 1:
        vis = [[o in (g, -1) for o in owner] for g in range(len(groups))]
        fig.update_layout(updatemenus=[_dropdown([_t(c) for c, _ in groups], vis)])
    return fig


def day_of_week_figure(day_of_week: Sequence[DayOfWeekVolume]) -> go.Figure | None:
    """Mean rows per bucket by day of week, reference vs current, for all traffic."""
    points = sorted((p for p in day_of_week if p.segment == ""), key=lambda p: p.day_of_week)
    if not points:
        return None
    x = [_DAYS[p.day_of_week % 7] for p in points]
    fig = go.Figure(
        [
            go.Bar(x=x, y=[p.reference_mean for p in points], name="reference",
                   marker_color=REFERENCE_COLOR),
            go.Bar(x=x, y=[p.current_mean for p in points], name="current",
                   marker_color=CURRENT_COLOR),
        ]
    )  # fmt: skip
    return _layout(fig, height=260, barmode="group", yaxis_title="mean rows per bucket")


# ---------------------------------------------------------- latency and labels


def latency_figure(lat: LatencyResult) -> go.Figure | None:
    """p50, p95 and p99 latency per bucket (all traffic), reference values dashed."""
    points = sorted(
        (p for p in lat.by_bucket if p.segment == "" and p.bucket is not None),
        key=lambda p: p.bucket or datetime.min,
    )
    if not points:
        return None
    x = [p.bucket for p in points]
    fig = go.Figure()
    colors = {"p50": PALETTE[1], "p95": PALETTE[2], "p99": ALERT_COLOR}
    for q, color in colors.items():
        fig.add_trace(
            go.Scatter(x=x, y=[getattr(p, q) for p in points], mode="lines+markers", name=q,
                       line={"color": color})
        )  # fmt: skip
        if lat.reference is not None and getattr(lat.reference, q) is not None:
            ref = _hline(x, getattr(lat.reference, q), f"reference {q}", color)
            ref.line.width = 1
            fig.add_trace(ref)
    return _layout(fig, height=320, yaxis_title="ms")


def labels_figure(labels: Sequence[LabelPoint]) -> go.Figure | None:
    """Label coverage (left axis) and median / p90 label lag in hours (right axis)."""
    if not labels:
        return None
    x = [p.bucket for p in labels]

    def hours(v: float | None) -> float | None:
        return None if v is None else v / 3600.0

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(x=x, y=[p.coverage for p in labels], name="coverage",
               marker_color="rgba(31,111,235,0.35)", hovertemplate="%{y:.1%}"),
        secondary_y=False,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=x, y=[hours(p.median_lag_seconds) for p in labels], name="median lag (h)",
                   mode="lines+markers", line={"color": PALETTE[2]}),
        secondary_y=True,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=x, y=[hours(p.p90_lag_seconds) for p in labels], name="p90 lag (h)",
                   mode="lines", line={"color": PALETTE[6], "dash": "dot"}),
        secondary_y=True,
    )  # fmt: skip
    _layout(fig, height=320)
    fig.update_yaxes(title_text="coverage", tickformat=".0%", range=[0, 1.05], secondary_y=False)
    fig.update_yaxes(title_text="lag (hours)", secondary_y=True, rangemode="tozero")
    return fig

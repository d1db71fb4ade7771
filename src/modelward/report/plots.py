"""Plotly figures of a check, built only from the series the result models hold.

Each function takes one part of a :class:`~modelward.analyses.results.CheckResult`
and returns a ``plotly.graph_objects.Figure``, or ``None`` when the part holds
nothing to plot. Text from the data is HTML-escaped before it reaches Plotly
(Plotly renders a subset of HTML in labels and decodes entities back for display).

Examples
--------
>>> from datetime import datetime
>>> from modelward.analyses.results import LabelPoint
>>> fig = labels_figure([LabelPoint(bucket=datetime(2026, 1, 1), coverage=0.9,
...                                 median_lag_seconds=3600.0, p90_lag_seconds=7200.0)])
>>> [trace.name for trace in fig.data]
['coverage', 'median lag (h)', 'p90 lag (h)']
>>> labels_figure([]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from modelward.analyses.results import (
    CalibrationCurve,
    DayOfWeekVolume,
    Distribution,
    DriftCell,
    FeatureDrift,
    LabelPoint,
    LatencyResult,
    MultivariatePoint,
    PerformanceResult,
    VolumePoint,
)
from modelward.report._format import metric_names, segment_label, top_drift

__all__ = [
    "calibration_figure",
    "confusion_figure",
    "day_of_week_figure",
    "distribution_figure",
    "drift_heatmap_figure",
    "labels_figure",
    "latency_figure",
    "multivariate_figure",
    "performance_figure",
    "roc_pr_figure",
    "score_figure",
    "volume_figure",
]

REFERENCE_COLOR = "#8b949e"
CURRENT_COLOR = "#1f6feb"
ALERT_COLOR = "#cf222e"
PALETTE = ["#1f6feb", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#bc4c00", "#57606a"]
_FONT = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _t(text: str) -> str:
    """Escape text from the data for Plotly labels."""
    return escape(text, quote=False)


def _layout(fig: Any, *, height: int = 340, **extra: Any) -> Any:
    settings: dict[str, Any] = {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "font": {"family": _FONT, "size": 12},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "hovermode": "x unified",
    }
    fig.update_layout(**(settings | extra))
    return fig


def _dropdown(
    labels: Sequence[str],
    visibility: Sequence[Sequence[bool]],
    titles: Sequence[str] | None = None,
) -> dict[str, Any]:
    buttons = []
    for i, (label, vis) in enumerate(zip(labels, visibility, strict=True)):
        args: list[dict[str, Any]] = [{"visible": list(vis)}]
        if titles is not None:
            args.append({"title.text": titles[i]})
        buttons.append({"label": label, "method": "update", "args": args})
    return {
        "buttons": buttons,
        "direction": "down",
        "x": 1.0,
        "xanchor": "right",
        "y": 1.18,
        "yanchor": "top",
        "showactive": True,
    }


def _hline(x: Sequence[datetime | None], y: float | None, name: str, color: str) -> go.Scatter:
    return go.Scatter(
        x=[x[0], x[-1]],
        y=[y, y],
        mode="lines",
        name=name,
        line={"color": color, "dash": "dash", "width": 1.5},
        hoverinfo="skip",
    )


def _band(
    x: Sequence[datetime | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    color: str,
    name: str,
) -> list[go.Scatter]:
    return [
        go.Scatter(
            x=list(x), y=list(high), mode="lines", line={"width": 0}, hoverinfo="skip",
            showlegend=False, legendgroup=name,
        ),
        go.Scatter(
            x=list(x), y=list(low), mode="lines", line={"width": 0}, fill="tonexty",
            fillcolor=color, name=name, hoverinfo="skip", legendgroup=name,
        ),
    ]  # fmt: skip


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


# ----------------------------------------------------------------------- drift


def drift_heatmap_figure(
    heatmap: Sequence[DriftCell], features: Sequence[FeatureDrift] = ()
) -> go.Figure | None:
    """PSI per feature (rows) and bucket (columns); drifted cells are marked with a dot.

    Rows follow the drift ranking of ``features`` (drifted first) when given.
    """
    if not heatmap:
        return None
    ranked = [f.feature for f in top_drift(f for f in features if f.segment == "")]
    names = list(dict.fromkeys([n for n in ranked if any(c.feature == n for c in heatmap)]))
    names += [n for n in dict.fromkeys(c.feature for c in heatmap) if n not in names]
    buckets = sorted({c.bucket for c in heatmap})
    row = {n: i for i, n in enumerate(names)}
    col = {b: j for j, b in enumerate(buckets)}
    z: list[list[float | None]] = [[None] * len(buckets) for _ in names]
    mark: list[list[str]] = [[""] * len(buckets) for _ in names]
    for c in heatmap:
        z[row[c.feature]][col[c.bucket]] = c.psi
        mark[row[c.feature]][col[c.bucket]] = "●" if c.drifted else ""
    finite = [v for r in z for v in r if v is not None]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=buckets,
            y=[_t(n) for n in names],
            text=mark,
            texttemplate="%{text}",
            textfont={"color": "#ffffff", "size": 10},
            colorscale="YlOrRd",
            zmin=0.0,
            zmax=max([0.25, *finite]),
            colorbar={"title": {"text": "PSI"}},
            hovertemplate="%{y}<br>%{x|%Y-%m-%d %H:%M}<br>PSI %{z:.3f}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    _layout(fig, height=120 + 26 * len(names), hovermode="closest")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def _distribution_traces(d: Distribution, *, visible: bool) -> list[go.Bar]:
    bins = [_t(b) for b in d.bins]
    return [
        go.Bar(x=bins, y=d.reference, name="reference", marker_color=REFERENCE_COLOR,
               visible=visible, hovertemplate="%{x}: %{y:.1%}<extra>reference</extra>"),
        go.Bar(x=bins, y=d.current, name="current", marker_color=CURRENT_COLOR,
               visible=visible, hovertemplate="%{x}: %{y:.1%}<extra>current</extra>"),
    ]  # fmt: skip


def distribution_figure(
    distributions: Sequence[Distribution], features: Sequence[FeatureDrift] = ()
) -> go.Figure | None:
    """Reference vs current proportions of every feature; a menu picks the feature.

    Features come in the drift ranking of ``features`` (drifted first) when given.
    Score and prediction distributions are left to :func:`score_figure`.
    """
    dists = [d for d in distributions if d.kind in ("numeric", "categorical")]
    if not dists:
        return None
    rank = {f.feature: i for i, f in enumerate(top_drift(f for f in features if f.segment == ""))}
    dists.sort(key=lambda d: rank.get(d.feature, len(rank)))
    fig = go.Figure()
    for i, d in enumerate(dists):
        fig.add_traces(_distribution_traces(d, visible=i == 0))
    _layout(fig, barmode="group", yaxis_tickformat=".0%", hovermode="closest")
    fig.update_xaxes(type="category")
    labels = [_t(d.feature) for d in dists]
    fig.update_layout(title={"text": labels[0], "x": 0.0, "font": {"size": 13}})
    if len(dists) > 1:
        vis = [[j // 2 == i for j in range(2 * len(dists))] for i in range(len(dists))]
        fig.update_layout(updatemenus=[_dropdown(labels, vis, titles=labels)])
    return fig


def score_figure(distributions: Sequence[Distribution]) -> go.Figure | None:
    """Reference vs current distribution of the score (or, failing that, the prediction)."""
    for kind in ("score", "prediction"):
        found = [d for d in distributions if d.kind == kind]
        if found:
            fig = go.Figure(_distribution_traces(found[0], visible=True))
            _layout(fig, barmode="group", yaxis_tickformat=".0%", hovermode="closest")
            fig.update_xaxes(type="category", title_text=_t(found[0].feature))
            return fig
    return None


def multivariate_figure(points: Sequence[MultivariatePoint]) -> go.Figure | None:
    """Domain-classifier AUC per bucket with its interval; 0.5 means no detectable drift."""
    if not points:
        return None
    x = [p.bucket for p in points]
    fig = go.Figure(
        _band(
            x,
            [p.interval.low if p.interval else None for p in points],
            [p.interval.high if p.interval else None for p in points],
            "rgba(31,111,235,0.15)",
            "95% interval",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[p.auc for p in points],
            mode="lines+markers",
            name="AUC",
            line={"color": CURRENT_COLOR},
            marker={
                "color": [ALERT_COLOR if p.drifted else CURRENT_COLOR for p in points],
                "size": [9 if p.drifted else 6 for p in points],
            },
        )
    )
    fig.add_trace(_hline(x, 0.5, "no drift (0.5)", REFERENCE_COLOR))
    return _layout(fig, height=300, yaxis_title="domain classifier AUC")


# ----------------------------------------------------------------- performance


def confusion_figure(perf: PerformanceResult) -> go.Figure | None:
    """Confusion matrix at the serving threshold: current, and reference beside it."""
    windows = [
        (w.window, w.confusion)
        for w in (perf.current, perf.reference)
        if w is not None and w.confusion is not None
    ]
    if not windows:
        return None
    fig = make_subplots(rows=1, cols=len(windows), subplot_titles=[n for n, _ in windows])
    for k, (_, c) in enumerate(windows, start=1):
        counts = [[c.get("tn", 0), c.get("fp", 0)], [c.get("fn", 0), c.get("tp", 0)]]
        names = [["TN", "FP"], ["FN", "TP"]]
        fig.add_trace(
            go.Heatmap(
                z=counts,
                x=["predicted 0", "predicted 1"],
                y=["actual 0", "actual 1"],
                text=[[f"{n}<br>{v:,}" for n, v in zip(nr, vr, strict=True)]
                      for nr, vr in zip(names, counts, strict=True)],
                texttemplate="%{text}",
                colorscale="Blues",
                showscale=False,
                zmin=0,
                hovertemplate="%{y}, %{x}: %{z:,}<extra></extra>",
            ),
            row=1,
            col=k,
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    title = f"threshold {perf.threshold:g}" if perf.threshold is not None else ""
    return _layout(fig, height=300, hovermode="closest", title={"text": title, "x": 0.0})


def roc_pr_figure(perf: PerformanceResult) -> go.Figure | None:
    """ROC and precision-recall curves of the current window, with their areas."""
    if perf.roc is None and perf.pr is None:
        return None

    def title(name: str, area: float | None) -> str:
        return name if area is None else f"{name} (area {area:.3f})"

    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[
            title("ROC", perf.roc.area if perf.roc else None),
            title("Precision-recall", perf.pr.area if perf.pr else None),
        ],
    )
    if perf.roc is not None:
        fig.add_trace(
            go.Scatter(x=perf.roc.x, y=perf.roc.y, mode="lines", name="ROC",
                       customdata=perf.roc.thresholds, line={"color": CURRENT_COLOR},
                       hovertemplate="FPR %{x:.3f}, TPR %{y:.3f}, threshold %{customdata:.3f}"
                       "<extra></extra>"),
            row=1, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", hoverinfo="skip",
                       line={"color": REFERENCE_COLOR, "dash": "dash"}),
            row=1, col=1,
        )  # fmt: skip
    if perf.pr is not None:
        fig.add_trace(
            go.Scatter(x=perf.pr.x, y=perf.pr.y, mode="lines", name="PR",
                       customdata=perf.pr.thresholds, line={"color": PALETTE[1]},
                       hovertemplate="recall %{x:.3f}, precision %{y:.3f},"
                       " threshold %{customdata:.3f}<extra></extra>"),
            row=1, col=2,
        )  # fmt: skip
    fig.update_xaxes(title_text="false positive rate", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="true positive rate", range=[0, 1.02], row=1, col=1)
    fig.update_xaxes(title_text="recall", range=[0, 1], row=1, col=2)
    fig.update_yaxes(title_text="precision", range=[0, 1.02], row=1, col=2)
    return _layout(fig, height=380, hovermode="closest")


def calibration_figure(calibration: CalibrationCurve | None) -> go.Figure | None:
    """Observed positive rate vs mean predicted score per bin, with the diagonal."""
    if calibration is None or not calibration.predicted:
        return None
    biggest = max(calibration.count) if calibration.count else 1
    fig = go.Figure(
        [
            go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                       line={"color": REFERENCE_COLOR, "dash": "dash"}, hoverinfo="skip"),
            go.Scatter(
                x=calibration.predicted, y=calibration.observed, mode="lines+markers",
                name="model", line={"color": CURRENT_COLOR}, customdata=calibration.count,
                marker={"size": [6 + 14 * (c / biggest) ** 0.5 for c in calibration.count]},
                hovertemplate="predicted %{x:.3f}, observed %{y:.3f}, %{customdata:,} rows"
                "<extra></extra>",
            ),
        ]
    )  # fmt: skip
    title = "" if calibration.ece is None else f"ECE {calibration.ece:.3f}"
    _layout(fig, height=360, hovermode="closest", title={"text": title, "x": 0.0})
    fig.update_xaxes(title_text="mean predicted score", range=[0, 1])
    fig.update_yaxes(title_text="observed positive rate", range=[0, 1])
    return fig


def performance_figure(perf: PerformanceResult) -> go.Figure | None:
    """Each metric per bucket (all traffic) with its interval band and the reference value.

    A menu picks the metric; degraded metrics come first.
    """
    points = sorted(
        (w for w in perf.by_bucket if w.segment == "" and w.bucket is not None),
        key=lambda w: w.bucket or datetime.min,
    )
    names = [m for m in metric_names(perf) if any(m in w.metrics for w in points)]
    if not points or not names:
        return None
    x = [w.bucket for w in points]
    fig = go.Figure()
    per_metric: list[int] = []
    for i, name in enumerate(names):
        values = [w.metrics.get(name) for w in points]
        traces = _band(
            x,
            [v.interval.low if v and v.interval else None for v in values],
            [v.interval.high if v and v.interval else None for v in values],
            "rgba(31,111,235,0.15)",
            "95% interval",
        )
        traces.append(
            go.Scatter(
                x=x,
                y=[v.value if v else None for v in values],
                customdata=[v.n if v else 0 for v in values],
                mode="lines+markers",
                name=_t(name),
                line={"color": ALERT_COLOR if name in perf.degraded else CURRENT_COLOR},
                hovertemplate="%{y:.3f} (n=%{customdata:,})",
            )
        )
        ref = perf.reference.metrics.get(name) if perf.reference else None
        if ref is not None and ref.value is not None:
            traces.append(_hline(x, ref.value, "reference", REFERENCE_COLOR))
        for trace in traces:
            trace.visible = i == 0
        fig.add_traces(traces)
        per_metric += [i] * len(traces)
    _layout(fig, height=340)
    if len(names) > 1:
        vis = [[o == i for o in per_metric] for i in range(len(names))]
        fig.update_layout(updatemenus=[_dropdown([_t(n) for n in names], vis)])
    return fig


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

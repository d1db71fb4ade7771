"""Figures of model performance: confusion matrices, ROC and PR curves, calibration, metrics.

Examples
--------
>>> from modelward.analyses.results import CalibrationCurve
>>> cal = CalibrationCurve(predicted=[0.2, 0.8], observed=[0.25, 0.7], count=[50, 50], ece=0.05)
>>> calibration_figure(cal).layout.title.text
'ECE 0.050'
>>> calibration_figure(None) is None
True
"""

from __future__ import annotations

from datetime import datetime

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from modelward.analyses.results import CalibrationCurve, PerformanceResult
from modelward.report._format import metric_names
from modelward.report.plots_style import (
    ALERT_COLOR,
    CURRENT_COLOR,
    PALETTE,
    REFERENCE_COLOR,
    _band,
    _dropdown,
    _hline,
    _layout,
    _t,
)

__all__ = ["calibration_figure", "confusion_figure", "performance_figure", "roc_pr_figure"]

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

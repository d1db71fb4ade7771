"""Plotly figure of label-free performance estimation: estimated (with band) vs realised.

Examples
--------
>>> from datetime import datetime
>>> from modelward.analyses.estimate import EstimateResult, EstimateWindow, EstimatedMetric
>>> m = EstimatedMetric(value=0.8, low=0.75, high=0.85, realised=0.78)
>>> w = EstimateWindow(window="current", bucket=datetime(2026, 1, 2), n_rows=100,
...                    n_labelled=100, label_coverage=1.0, mature=True,
...                    metrics={"roc_auc": m, "accuracy": m})
>>> r = EstimateResult(segment="", segment_value="", confidence=0.95, method="", assumption="",
...                    n_calibration=500, metrics=["roc_auc", "accuracy"], current=w,
...                    by_bucket=[w])
>>> [t.name for t in estimate_figure(r).data if t.name]
['95% interval', 'estimated', 'realised', '95% interval', 'estimated', 'realised']
>>> estimate_figure(r.model_copy(update={"by_bucket": []})) is None
True
"""

from __future__ import annotations

from datetime import datetime

import plotly.graph_objects as go

from modelward.analyses.estimate import EstimateResult
from modelward.report.plots import ALERT_COLOR, CURRENT_COLOR, _band, _dropdown, _layout, _t

__all__ = ["ESTIMATE_FIGURE_METRICS", "estimate_figure"]

#: Metrics the figure offers (in menu order), when present.
ESTIMATE_FIGURE_METRICS = ("roc_auc", "accuracy")


def estimate_figure(result: EstimateResult) -> go.Figure | None:
    """Estimated metric per bucket with its predictive band, and realised where labels exist.

    A menu switches between ROC-AUC and accuracy. Realised points of buckets
    whose labels are still arriving (immature) are drawn hollow.
    """
    points = sorted(
        (w for w in result.by_bucket if w.bucket is not None),
        key=lambda w: w.bucket or datetime.min,
    )
    names = [m for m in ESTIMATE_FIGURE_METRICS if any(m in w.metrics for w in points)]
    if not points or not names:
        return None
    x = [w.bucket for w in points]
    fig = go.Figure()
    owner: list[int] = []
    for i, name in enumerate(names):
        ms = [w.metrics.get(name) for w in points]
        label = f"{round(result.confidence * 100)}% interval"
        traces = _band(
            x,
            [m.low if m else None for m in ms],
            [m.high if m else None for m in ms],
            "rgba(31,111,235,0.15)",
            label,
        )
        traces.append(
            go.Scatter(
                x=x,
                y=[m.value if m else None for m in ms],
                mode="lines",
                name="estimated",
                line={"color": CURRENT_COLOR, "dash": "dash"},
                hovertemplate="estimated %{y:.3f}",
            )
        )
        traces.append(
            go.Scatter(
                x=x,
                y=[m.realised if m else None for m in ms],
                customdata=[w.n_labelled for w in points],
                mode="markers",
                name="realised",
                marker={
                    "color": ALERT_COLOR,
                    "symbol": ["circle" if w.mature else "circle-open" for w in points],
                },
                hovertemplate="realised %{y:.3f} (labelled %{customdata:,})",
            )
        )
        for trace in traces:
            trace.visible = i == 0
        fig.add_traces(traces)
        owner += [i] * len(traces)
    _layout(fig, height=340, title={"text": _t(names[0]), "x": 0})
    if len(names) > 1:
        vis = [[o == i for o in owner] for i in range(len(names))]
        fig.update_layout(updatemenus=[_dropdown([_t(n) for n in names], vis, names)])
    return fig

"""Figures of drift: PSI heatmap, feature and score distributions, multivariate AUC.

Examples
--------
>>> from modelward.analyses.results import Distribution
>>> d = Distribution(feature="score", kind="score", bins=["[0, 0.5)", "[0.5, 1]"],
...                  reference=[0.6, 0.4], current=[0.5, 0.5])
>>> [trace.name for trace in score_figure([d]).data]
['reference', 'current']
>>> drift_heatmap_figure([]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from modelward.analyses.results import Distribution, DriftCell, FeatureDrift, MultivariatePoint
from modelward.report._format import top_drift
from modelward.report.plots_style import (
    ALERT_COLOR,
    CURRENT_COLOR,
    REFERENCE_COLOR,
    _band,
    _dropdown,
    _hline,
    _layout,
    _t,
)

__all__ = [
    "distribution_figure",
    "drift_heatmap_figure",
    "multivariate_figure",
    "score_figure",
]

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

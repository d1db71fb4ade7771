"""Cost evaluation rendering: cost-curve and Pareto plots, Markdown and HTML fragments.

Examples
--------
>>> from modelward.analyses.costs import Estimate, VersionPoint
>>> e = lambda v: Estimate(value=v, low=v, high=v)
>>> fig = pareto_figure([VersionPoint(version="a", n=1, p99_ms=e(90), roc_auc=e(0.9),
...                                   cost_per_1000=e(4))])
>>> len(fig.data) >= 1
True
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from modelward.analyses.costs import CostEvaluation, Estimate, SegmentCosts, VersionPoint

__all__ = [
    "cost_curve_figure",
    "pareto_figure",
    "render_costs_html",
    "render_costs_markdown",
    "write_costs_reports",
]

_COLORS = ["#1f6feb", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#bc4c00"]


def _f(x: float | None, fmt: str = ".4g") -> str:
    return "—" if x is None else format(x, fmt)


def _ci(e: Estimate) -> str:
    return f"{_f(e.value)} [{_f(e.low)}, {_f(e.high)}]"


def _name(s: SegmentCosts) -> str:
    return "all traffic" if not s.segment else f"{s.segment}={s.segment_value}"


def cost_curve_figure(evaluation: CostEvaluation) -> go.Figure:
    """Cost per 1,000 decisions against the threshold, one line per segment, optimum marked."""
    fig = go.Figure()
    for i, s in enumerate(evaluation.segments):
        color = _COLORS[i % len(_COLORS)]
        fig.add_trace(
            go.Scatter(
                x=s.curve_thresholds,
                y=s.curve_cost_per_1000,
                name=_name(s),
                line={"color": color},
                visible=True if i == 0 else "legendonly",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[s.optimal_threshold.value],
                y=[s.cost_optimal_per_1000],
                mode="markers",
                marker={"color": color, "symbol": "star", "size": 11},
                name=f"optimum ({_name(s)})",
                showlegend=False,
            )
        )
    fig.update_layout(
        xaxis_title="threshold",
        yaxis_title="expected cost per 1,000 decisions",
        height=380,
        margin={"t": 30},
    )
    return fig


def pareto_figure(points: list[VersionPoint]) -> go.Figure:
    """p99 latency against AUC and against expected cost; dominated versions hollow."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("p99 vs ROC-AUC", "p99 vs cost / 1,000"))
    for col, (attr, flag) in enumerate(
        (("roc_auc", "dominated_auc"), ("cost_per_1000", "dominated_cost")), start=1
    ):
        for p in points:
            y = getattr(p, attr)
            if y is None or y.value is None:
                continue
            dom = bool(getattr(p, flag))
            fig.add_trace(
                go.Scatter(
                    x=[p.p99_ms.value],
                    y=[y.value],
                    mode="markers+text",
                    text=[p.version],
                    textposition="top center",
                    showlegend=False,
                    marker={
                        "size": 12,
                        "symbol": "circle-open" if dom else "circle",
                        "color": "#8b949e" if dom else "#1f6feb",
                    },
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": [(y.high or y.value) - y.value],
                        "arrayminus": [y.value - (y.low or y.value)],
                    },
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="p99 latency (ms)")
    fig.update_layout(height=380, margin={"t": 40})
    return fig


def render_costs_markdown(evaluation: CostEvaluation) -> str:
    """The evaluation as Markdown tables."""
    c = evaluation.cost_model
    out = [
        f"# Costs of {evaluation.source}",
        "",
        f"Costs: FP {c.fp:g}, FN {c.fn:g}, TP value {c.tp:g}"
        + (f", per {c.segment}" if c.segment else "")
        + f"; intervals at {evaluation.confidence:.0%}.",
        "",
        "| segment | n | TP | FP | FN | TN | precision | recall | F1 | serving thr | "
        "cost/1000 now | optimal thr | cost/1000 optimal | saving/1000 |",
        "|---" * 14 + "|",
    ]
    for s in evaluation.segments:
        m = s.confusion
        out.append(
            f"| {_name(s)} | {s.n_labelled} | {m['tp']} | {m['fp']} | {m['fn']} | {m['tn']} | "
            f"{_ci(s.precision)} | {_ci(s.recall)} | {_ci(s.f1)} | {_f(s.serving_threshold)} | "
            f"{_ci(s.cost_now_per_1000)} | {_ci(s.optimal_threshold)} | "
            f"{_f(s.cost_optimal_per_1000)} | {_f(s.saving_per_1000)} |"
        )
    for s in evaluation.segments:
        out += [
            "",
            f"## Precision-recall trade-off: {_name(s)}",
            "",
            "| threshold | precision | recall | FPR | cost/1000 |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| {r.threshold:.3f} | {_f(r.precision)} | {_f(r.recall)} | {_f(r.fpr)} | "
            f"{_f(r.cost_per_1000)} |"
            for r in s.tradeoff
        ]
    if evaluation.versions:
        out += [
            "",
            "## Latency vs quality",
            "",
            "| version | n | p99 ms | ROC-AUC | cost/1000 | dominated (AUC) | dominated (cost) |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in evaluation.versions:
            cost = _ci(p.cost_per_1000) if p.cost_per_1000 else "—"
            out.append(
                f"| {p.version} | {p.n} | {_ci(p.p99_ms)} | {_ci(p.roc_auc)} | {cost} | "
                f"{'yes' if p.dominated_auc else 'no'} | "
                f"{'yes' if p.dominated_cost else 'no'} |"
            )
    return "\n".join(out) + "\n"


def _fig_html(fig: Any, fid: str) -> str:
    spec = pio.to_json(fig, validate=False, pretty=False).replace("<", "\\u003c")
    return (
        f'<div id="{fid}"></div><script>(function(){{var f={spec};'
        f'Plotly.newPlot("{fid}",f.data,f.layout,{{responsive:true}});}})();</script>'
    )


def render_costs_html(evaluation: CostEvaluation) -> str:
    """A self-contained HTML page: tables (from the Markdown) and the plots, Plotly inlined."""
    rows = "".join(
        f"<tr><td>{escape(_name(s))}</td><td>{s.n_labelled}</td>"
        f"<td>{escape(_ci(s.precision))}</td><td>{escape(_ci(s.recall))}</td>"
        f"<td>{escape(_ci(s.cost_now_per_1000))}</td><td>{escape(_ci(s.optimal_threshold))}</td>"
        f"<td>{_f(s.cost_optimal_per_1000)}</td><td>{_f(s.saving_per_1000)}</td></tr>"
        for s in evaluation.segments
    )
    table = (
        "<table><tr><th>segment</th><th>n</th><th>precision</th><th>recall</th>"
        "<th>cost/1000 now</th><th>optimal threshold</th><th>cost/1000 optimal</th>"
        f"<th>saving/1000</th></tr>{rows}</table>"
    )
    body = [
        f"<h1>Costs of {escape(evaluation.source)}</h1>",
        table,
        "<h2>Cost curve</h2>",
        _fig_html(cost_curve_figure(evaluation), "cost-curve"),
    ]
    if evaluation.versions:
        body += [
            "<h2>Latency vs quality</h2>",
            _fig_html(pareto_figure(evaluation.versions), "pareto"),
        ]
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>modelward costs</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:"
        "collapse}td,th{border:1px solid #d0d7de;padding:4px 8px}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>{''.join(body)}</body></html>"
    )


def write_costs_reports(evaluation: CostEvaluation, out: str | Path) -> list[Path]:
    """Write costs.json, costs.md and costs.html into ``out``."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    paths = [d / "costs.json", d / "costs.md", d / "costs.html"]
    paths[0].write_text(evaluation.model_dump_json(indent=2), encoding="utf-8")
    paths[1].write_text(render_costs_markdown(evaluation), encoding="utf-8")
    paths[2].write_text(render_costs_html(evaluation), encoding="utf-8")
    return paths

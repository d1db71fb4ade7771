"""Incident report of a triage: Markdown and a self-contained HTML page (Plotly inlined).

Timeline with the onset and the events, the evidence plot of the top finding,
the hypotheses ruled out, the affected segment and features, a suggested
containment and the monitoring to add. Reuses the Plotly-inlining helpers of
:mod:`modelward.report.html` (no CDN).
"""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go

from modelward._exceptions import StoreError
from modelward.analyses.triage import Finding, TriageResult
from modelward.report.html import CSS, _e, _Page, _plotly_js

__all__ = [
    "CONTAINMENT",
    "MONITORING",
    "render_incident_html",
    "render_incident_md",
    "write_incident_report",
]

#: Suggested containment per cause.
CONTAINMENT: dict[str, str] = {
    "covariate_drift": "check whether the new traffic is legitimate; if the model degrades on it, "
    "raise the threshold for the affected segment and schedule a retrain on recent data",
    "prior_shift": "re-tune the decision threshold to the new base rate (cost-optimal threshold) "
    "and recalibrate the scores; the ranking is still valid",
    "concept_drift": "pause automatic retraining on the affected labels until the labeling "
    "change is understood; roll back to the previous model version if quality fell",
    "label_noise": "pause retraining on contaminated labels; quarantine the noisy label source",
    "schema_change": "roll back the upstream change or map the new representation back; "
    "fall back to the previous model version for the affected features",
    "data_gap": "restore the missing segment's pipeline; do not retrain on the gap",
    "label_delay": "extend the label-maturity window before computing metrics; "
    "rely on label-free performance estimates meanwhile",
    "latency_regression": "roll back the last deploy or scale the serving replicas",
}
#: Monitoring to add so the cause is caught earlier next time.
MONITORING: dict[str, str] = {
    "covariate_drift": "per-feature drift (PSI / JS) on the named features, per segment, daily",
    "prior_shift": "predicted-positive rate and the score-mixture weight, daily",
    "concept_drift": (
        "calibration per feature region on matured labels; events for labeling-policy changes"
    ),
    "label_noise": "error rate on confidently scored rows, per label source",
    "schema_change": "null rate, out-of-range share and unseen categories per feature, hourly",
    "data_gap": "volume share per segment value against its reference share, hourly",
    "label_delay": "label coverage at fixed ages (1, 3, 7 days) against the reference",
    "latency_regression": "p50 / p99 latency per model version with a latency budget gate",
}


def _timeline(result: TriageResult, top: Finding | None) -> go.Figure | None:
    if top is None or not result.days or not top.series:
        return None  # no daily series behind this finding: no plot rather than an empty one
    fig = go.Figure()
    x = [d.replace("Z", "") for d in result.days]
    for name, ys in top.series.items():
        fig.add_trace(go.Scatter(x=x[: len(ys)], y=ys, mode="lines+markers", name=name))
    if top.onset:
        fig.add_vline(x=top.onset.replace("Z", ""), line_dash="dash", line_color="#c0392b")
    for e in result.events:
        fig.add_vline(x=e.timestamp.replace("Z", ""), line_dash="dot", line_color="#7f8c8d")
        fig.add_annotation(
            x=e.timestamp.replace("Z", ""),
            y=1,
            yref="paper",
            text=e.kind,
            showarrow=False,
            textangle=-90,
            font={"size": 9},
        )
    fig.update_layout(
        height=340,
        title=f"{top.cause}: evidence over time (dashed: onset)",
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
    )
    return fig


def render_incident_md(result: TriageResult) -> str:
    """The incident report as Markdown."""
    top = result.top
    lines = ["# Incident report", ""]
    if top is None:
        lines += ["No cause found: the system looks healthy (cause `none`).", ""]
    else:
        seg = ", ".join(f"{k}={v}" for k, v in (top.segment or {}).items()) or "all traffic"
        lines += [
            f"**Most likely cause:** `{top.cause}` (confidence {top.confidence:.2f})",
            f"**Onset:** {top.onset}"
            + (
                f" (interval {top.onset_interval[0]} .. {top.onset_interval[1]})"
                if top.onset_interval
                else ""
            ),
            f"**Affected segment:** {seg}",
            f"**Features:** {', '.join(top.features) or '-'}",
            "",
            f"**Evidence:** {top.evidence}",
            "",
            f"**Suggested containment:** {CONTAINMENT[top.cause]}",
            "",
            f"**Monitoring to add:** {MONITORING[top.cause]}",
            "",
        ]
        if len(result.findings) > 1:
            lines += ["## Other findings", ""]
            lines += [
                f"- `{f.cause}` ({f.confidence:.2f}): {f.evidence}" for f in result.findings[1:]
            ]
            lines.append("")
    lines += ["## Timeline", ""]
    lines += [f"- {e.timestamp} {e.kind}: {e.description}" for e in result.events]
    if top is not None and top.onset:
        lines.append(f"- {top.onset} **onset of {top.cause}**")
    lines += ["", "## Hypotheses ruled out", ""]
    lines += [f"- `{r.cause}`: {r.evidence}" for r in result.ruled_out]
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    """Escaped text with the Markdown this report uses (``**bold**``, ``code``) as HTML."""
    out = _e(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def render_incident_html(result: TriageResult) -> str:
    """The incident report as one self-contained HTML page (Plotly JS inlined)."""
    page = _Page()
    top = result.top
    fig = page.figure(_timeline(result, top), "no evidence series to plot")
    body_md = render_incident_md(result)
    parts: list[str] = []
    in_list = False
    for line in body_md.splitlines():
        is_item = line.startswith("- ")
        if in_list and not is_item:
            parts.append("</ul>")
            in_list = False
        if line.startswith("## "):
            parts.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            parts.append(f"<h1>{_inline(line[2:])}</h1>")
        elif is_item:
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{_inline(line[2:])}</li>")
        elif line.strip():
            parts.append(f"<p>{_inline(line)}</p>")
    if in_list:
        parts.append("</ul>")
    paras = "".join(parts)
    script = (
        "document.querySelectorAll('script[data-figure]').forEach(function(s){"
        "var spec=JSON.parse(s.textContent);"
        "Plotly.newPlot(document.getElementById(s.getAttribute('data-figure')),"
        "spec.data,spec.layout,{responsive:true,displaylogo:false});});"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Incident report</title>"
        f"<script>{_plotly_js()}</script><style>{CSS}</style></head><body><main>"
        f"{paras}{fig}</main><script>{script}</script></body></html>"
    )


def write_incident_report(result: TriageResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``incident.md`` and ``incident.html`` into ``out_dir``."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        md = out / "incident.md"
        html = out / "incident.html"
        md.write_text(render_incident_md(result), encoding="utf-8")
        html.write_text(render_incident_html(result), encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"{out}: cannot write the incident report: {exc.strerror}") from exc
    return {"md": md, "html": html}

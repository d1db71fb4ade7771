"""Renderers of a retraining diff: "what changed since the last version".

Markdown, plain text (for the terminal), JSON, and one self-contained HTML
page built with the helpers of :mod:`modelward.report.html` (Plotly inlined
from the installed package, figures as escaped JSON, all data text escaped).

HTML sections (their ``id``): ``header``, ``changes``, ``flips``, ``flip-bands``,
``metrics``, ``segments``, ``score``, ``drift``. A section with nothing to show
says why.

Examples
--------
>>> from modelward.analyses.diff import DiffResult
>>> r = DiffResult(mode="independent", baseline_source="a.parquet", candidate_source="b.parquet",
...                n_baseline=10, n_candidate=12, n_shared=0, confidence=0.95, bins=50)
>>> page = render_diff_html(r)
>>> page.startswith("<!DOCTYPE html>"), 'id="changes"' in page, "<script src=" in page
(True, True, False)
>>> render_diff_markdown(r).splitlines()[0]
'# modelward diff: a.parquet -> b.parquet'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from modelward._exceptions import StoreError
from modelward.analyses.diff import DiffResult, FlipRate, MetricDelta
from modelward.report._format import MISSING, fmt_count, fmt_interval, fmt_num, fmt_pct
from modelward.report.html import CSS, LOADER, Page, escape, html_table, plotly_js
from modelward.report.markdown import escape_md
from modelward.report.plots import CURRENT_COLOR, REFERENCE_COLOR, _layout, _t

__all__ = [
    "DIFF_SECTIONS",
    "flip_bands_figure",
    "flip_figure",
    "metric_delta_figure",
    "render_diff_html",
    "render_diff_markdown",
    "render_diff_text",
    "score_shift_figure",
    "write_diff_report",
]

#: Section ids and titles of the HTML page, in order.
DIFF_SECTIONS: tuple[tuple[str, str], ...] = (
    ("header", "Diff"),
    ("changes", "What changed since the last version"),
    ("flips", "Prediction flips by segment"),
    ("flip-bands", "Flips by baseline score band"),
    ("metrics", "Metric deltas"),
    ("segments", "Metric deltas by segment"),
    ("score", "Score distribution"),
    ("drift", "Input data drift"),
)

_METRIC_HEADER = ("metric", "baseline", "candidate", "delta", "interval", "independent", "n")


def _versions(v: Sequence[str]) -> str:
    return ", ".join(v) if v else MISSING


def _seg(segment: str, value: str) -> str:
    return "all traffic" if not segment else f"{segment}={value}"


def _md_seg(segment: str, value: str) -> str:
    return escape_md(_seg(segment, value))


def _delta_cells(m: MetricDelta) -> list[str]:
    d = MISSING if m.delta is None else f"{m.delta:+.4f}"
    flag = (
        " (worse)"
        if m.worse
        else (" (better)" if m.significant and m.metric != "positive_rate" else "")
    )
    return [
        m.metric,
        fmt_num(m.baseline),
        fmt_num(m.candidate),
        d + flag,
        fmt_interval(m.interval),
        fmt_interval(m.independent_interval),
        fmt_count(m.n_baseline),
    ]


def _flip_cells(f: FlipRate) -> list[str]:
    return [
        _seg(f.segment, f.segment_value),
        fmt_count(f.n),
        fmt_count(f.n_flipped),
        fmt_pct(f.rate),
        fmt_interval(f.interval),
        fmt_count(f.n_up),
        fmt_count(f.n_down),
    ]


_FLIP_HEADER = ("segment", "rows", "flipped", "flip rate", "interval", "0→1", "1→0")


def _header_line(r: DiffResult) -> str:
    return (
        f"Mode **{r.mode}** · baseline {fmt_count(r.n_baseline)} rows (versions "
        f"{_versions(r.baseline_versions)}) · candidate {fmt_count(r.n_candidate)} rows "
        f"(versions {_versions(r.candidate_versions)}) · shared ids {fmt_count(r.n_shared)} · "
        f"{r.confidence:.0%} intervals"
    )


# ---------------------------------------------------------------- figures


def flip_figure(r: DiffResult) -> go.Figure | None:
    """Flip rate per segment value with its Wilson interval (paired mode)."""
    rows = [
        f for f in ([r.flip] if r.flip else []) + list(r.flips_by_segment) if f.rate is not None
    ]
    if not rows:
        return None
    x = [_t(_seg(f.segment, f.segment_value)) for f in rows]
    y = [f.rate for f in rows]
    hi = [(f.interval.high or 0) - (f.rate or 0) if f.interval else 0 for f in rows]
    lo = [(f.rate or 0) - (f.interval.low or 0) if f.interval else 0 for f in rows]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=y,
            marker_color=CURRENT_COLOR,
            name="flip rate",
            error_y={"type": "data", "array": hi, "arrayminus": lo},
            hovertemplate="%{x}: %{y:.2%}<extra></extra>",
        )
    )
    _layout(fig, yaxis_tickformat=".1%", hovermode="closest")
    fig.update_xaxes(type="category")
    return fig


def flip_bands_figure(r: DiffResult) -> go.Figure | None:
    """Flips of all traffic per band of the baseline score, split by direction."""
    bands = [b for b in r.flip_bands if not b.segment]
    if not bands:
        return None
    x = [b.band for b in bands]
    fig = go.Figure(
        [
            go.Bar(x=x, y=[b.n_up for b in bands], name="0→1", marker_color=CURRENT_COLOR),
            go.Bar(x=x, y=[b.n_down for b in bands], name="1→0", marker_color="#cf222e"),
        ]
    )
    _layout(fig, barmode="stack", hovermode="x unified")
    fig.update_xaxes(type="category", title_text="baseline score band")
    fig.update_yaxes(title_text="flipped rows")
    return fig


def metric_delta_figure(r: DiffResult) -> go.Figure | None:
    """Delta of every metric (all traffic) with its interval, and the independent one."""
    rows = [m for m in r.metrics if not m.segment and m.delta is not None and m.interval]
    if not rows:
        return None
    fig = go.Figure()
    for name, independent, color, dy in (
        ("paired" if r.mode == "paired" else "interval", False, CURRENT_COLOR, 0),
        ("independent", True, REFERENCE_COLOR, 1),
    ):
        ivs = [(m, m.independent_interval if independent else m.interval) for m in rows]
        pts = [(m, iv) for m, iv in ivs if iv is not None and iv.low is not None]
        if not pts:
            continue
        fig.add_trace(
            go.Scatter(
                x=[m.delta for m, _ in pts],
                y=[f"{m.metric}{' ' * dy}" for m, _ in pts],
                mode="markers",
                name=name,
                marker={"color": color, "size": 9},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(iv.high or 0.0) - (m.delta or 0.0) for m, iv in pts],
                    "arrayminus": [(m.delta or 0.0) - (iv.low or 0.0) for m, iv in pts],
                },
            )
        )
    fig.add_vline(x=0, line_dash="dot", line_color="#57606a")
    _layout(fig, height=80 + 40 * len(rows), hovermode="closest")
    fig.update_xaxes(title_text="candidate − baseline")
    return fig


def score_shift_figure(r: DiffResult) -> go.Figure | None:
    """Baseline vs candidate score distribution over 10 bands."""
    s = r.score_shift
    if s is None:
        return None
    fig = go.Figure(
        [
            go.Bar(x=s.bands, y=s.baseline, name="baseline", marker_color=REFERENCE_COLOR),
            go.Bar(x=s.bands, y=s.candidate, name="candidate", marker_color=CURRENT_COLOR),
        ]
    )
    _layout(fig, barmode="group", yaxis_tickformat=".0%", hovermode="closest")
    fig.update_xaxes(type="category", title_text="score")
    return fig


# ---------------------------------------------------------------- markdown / text


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def render_diff_markdown(r: DiffResult) -> str:
    """Render a diff as Markdown: what changed, flips, metric deltas, score shift, drift."""
    lines = [
        f"# modelward diff: {escape_md(r.baseline_source)} -> {escape_md(r.candidate_source)}",
        "",
        _header_line(r),
        "",
        "## What changed since the last version",
        "",
    ]
    lines += [f"- {escape_md(s)}" for s in r.summary] or ["- Nothing to report."]
    lines += [f"- _{escape_md(n)}_" for n in r.notes]
    if r.mode == "paired":
        lines += ["", "## Prediction flips", ""]
        flips = ([r.flip] if r.flip else []) + list(r.flips_by_segment)
        lines += _md_table(
            _FLIP_HEADER,
            [[_md_seg(f.segment, f.segment_value), *_flip_cells(f)[1:]] for f in flips],
        )
        bands = [b for b in r.flip_bands if not b.segment and b.n_flipped]
        if bands:
            lines += ["", "Flipped rows by baseline score band (all traffic):", ""]
            lines += _md_table(
                ("band", "rows", "flipped", "0→1", "1→0"),
                [
                    [
                        b.band,
                        fmt_count(b.n),
                        fmt_count(b.n_flipped),
                        fmt_count(b.n_up),
                        fmt_count(b.n_down),
                    ]
                    for b in bands
                ],
            )
    lines += ["", "## Metric deltas (candidate − baseline)", ""]
    overall = [m for m in r.metrics if not m.segment]
    if overall:
        lines += _md_table(_METRIC_HEADER, [_delta_cells(m) for m in overall])
        methods = sorted({m.interval.method for m in overall if m.interval})
        lines += ["", f"Intervals: {escape_md('; '.join(methods))}."]
    else:
        lines.append("No metric could be compared (no labels or predictions in common).")
    seg = [m for m in r.metrics if m.segment and m.significant]
    if seg:
        lines += ["", "### Significant changes by segment", ""]
        lines += _md_table(
            ("segment", *_METRIC_HEADER),
            [[_md_seg(m.segment, m.segment_value), *_delta_cells(m)] for m in seg],
        )
    lines += ["", "## Score distribution", ""]
    s = r.score_shift
    lines.append(
        "No score column in both logs."
        if s is None
        else f"PSI {fmt_num(s.psi)} · KS {fmt_num(s.ks)} (p {fmt_num(s.ks_p_value)})"
    )
    if r.mode == "independent":
        lines += ["", "## Input data drift", ""]
        drifted = [d for d in r.feature_drift if d.drifted]
        if drifted:
            lines += _md_table(
                ("feature", "segment", "method", "effect", "p adjusted"),
                [
                    [
                        escape_md(d.feature),
                        _md_seg(d.segment, d.segment_value),
                        escape_md(d.method),
                        fmt_num(d.effect),
                        fmt_num(d.p_adjusted),
                    ]
                    for d in drifted
                ],
            )
        else:
            lines.append(
                "No feature drifted." if r.feature_drift else "Feature drift was not computed."
            )
    return "\n".join(lines).rstrip() + "\n"


def render_diff_text(r: DiffResult) -> str:
    """A short plain-text view for the terminal: header, changes, overall deltas."""
    lines = [
        f"modelward diff: {r.baseline_source} -> {r.candidate_source}",
        _header_line(r).replace("**", ""),
        "",
        "What changed since the last version:",
    ]
    lines += [f"  - {s}" for s in r.summary] or ["  - Nothing to report."]
    lines += [f"  note: {n}" for n in r.notes]
    overall = [m for m in r.metrics if not m.segment]
    if overall:
        lines += ["", "  " + "  ".join(f"{h:>12}" for h in _METRIC_HEADER[:5])]
        lines += ["  " + "  ".join(f"{c:>12}" for c in _delta_cells(m)[:5]) for m in overall]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- html


def _html_metrics(rows: Sequence[MetricDelta], with_segment: bool) -> str:
    head = (("segment",) if with_segment else ()) + _METRIC_HEADER
    cells = [
        [
            escape(c)
            for c in ([_seg(m.segment, m.segment_value)] if with_segment else []) + _delta_cells(m)
        ]
        for m in rows
    ]
    off = 1 if with_segment else 0
    bad = {i for i, m in enumerate(rows) if m.worse}
    return html_table(head, cells, numeric={off + 1, off + 2, off + 3, off + 6}, bad=bad)


def _sections(r: DiffResult, page: Page) -> dict[str, str]:
    out: dict[str, str] = {}
    out["header"] = (
        f"<h1>modelward diff: {escape(r.baseline_source)} → {escape(r.candidate_source)}</h1>"
        f'<p class="meta">{escape(_header_line(r).replace("**", ""))}</p>'
    )
    items = "".join(f"<li>{escape(s)}</li>" for s in r.summary) or "<li>Nothing to report.</li>"
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in r.notes)
    out["changes"] = f'<ul class="verdict">{items}</ul>{notes}'
    if r.mode == "paired":
        flips = ([r.flip] if r.flip else []) + list(r.flips_by_segment)
        out["flips"] = page.figure(flip_figure(r), "No predictions to compare.") + html_table(
            _FLIP_HEADER,
            [[escape(c) for c in _flip_cells(f)] for f in flips],
            numeric={1, 2, 3, 5, 6},
        )
        out["flip-bands"] = page.figure(flip_bands_figure(r), "No score column in both logs.")
    else:
        why = "The logs share too few ids to compare predictions row by row."
        out["flips"] = out["flip-bands"] = f'<p class="note">{escape(why)}</p>'
    overall = [m for m in r.metrics if not m.segment]
    out["metrics"] = page.figure(metric_delta_figure(r), "No metric could be compared.") + (
        _html_metrics(overall, False) if overall else ""
    )
    seg = [m for m in r.metrics if m.segment]
    out["segments"] = (
        _html_metrics(seg, True) if seg else '<p class="note">No segment in both logs.</p>'
    )
    s = r.score_shift
    out["score"] = page.figure(score_shift_figure(r), "No score column in both logs.") + (
        ""
        if s is None
        else f'<p class="meta">PSI <b>{fmt_num(s.psi)}</b> · KS <b>{fmt_num(s.ks)}</b> '
        f"(p {fmt_num(s.ks_p_value)})</p>"
    )
    if r.mode == "paired":
        out["drift"] = '<p class="note">Paired mode: both versions saw the same inputs.</p>'
    elif not r.feature_drift:
        out["drift"] = '<p class="note">Feature drift was not computed.</p>'
    else:
        rows = sorted(r.feature_drift, key=lambda d: (not d.drifted, d.segment, -(d.effect or 0)))
        out["drift"] = html_table(
            ("feature", "segment", "method", "effect", "p adjusted", "drifted"),
            [
                [
                    escape(d.feature),
                    escape(_seg(d.segment, d.segment_value)),
                    escape(d.method),
                    fmt_num(d.effect),
                    fmt_num(d.p_adjusted),
                    "yes" if d.drifted else "no",
                ]
                for d in rows[:50]
            ],
            numeric={3, 4},
            bad={i for i, d in enumerate(rows[:50]) if d.drifted},
        )
    return out


def render_diff_html(r: DiffResult) -> str:
    """Render a diff as one self-contained HTML page (Plotly inlined once, no external file)."""
    page = Page()
    content = _sections(r, page)
    nav = "".join(f'<a href="#{sid}">{title}</a>' for sid, title in DIFF_SECTIONS[1:])
    body = []
    for sid, title in DIFF_SECTIONS:
        heading = "" if sid == "header" else f"<h2>{title}</h2>"
        body.append(f'<section id="{sid}">{heading}{content[sid]}</section>')
    title = f"modelward diff: {escape(r.baseline_source)} → {escape(r.candidate_source)}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        f"<style>{CSS}</style>\n"
        f'<script type="text/javascript">{plotly_js()}</script>\n'
        "</head>\n<body>\n"
        f"<nav>{nav}</nav>\n<main>\n" + "\n".join(body) + "\n</main>\n"
        f"<script>{LOADER}</script>\n</body>\n</html>\n"
    )


def write_diff_report(r: DiffResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``diff.json``, ``diff.md`` and ``diff.html`` into ``out_dir`` (created).

    Raises
    ------
    StoreError
        If a file cannot be written.
    """
    out = Path(out_dir)
    files: dict[str, tuple[str, Any]] = {
        "json": ("diff.json", lambda: r.model_dump_json(indent=2) + "\n"),
        "md": ("diff.md", lambda: render_diff_markdown(r)),
        "html": ("diff.html", lambda: render_diff_html(r)),
    }
    written: dict[str, Path] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for key, (name, make) in files.items():
            path = out / name
            path.write_text(make(), encoding="utf-8")
            written[key] = path
    except OSError as exc:
        raise StoreError(f"{out}: cannot write the diff report: {exc.strerror or exc}") from exc
    return written

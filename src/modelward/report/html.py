"""One self-contained HTML report of a check: opens offline, no CDN, no external fonts.

The Plotly library is inlined once, from the installed ``plotly`` package, in a
``<script>`` in ``<head>``. Each figure is embedded as JSON in a
``<script type="application/json">`` block (with ``<``, ``>`` and ``&`` written as
JSON unicode escapes, so no data can close the block) and drawn by one small
loader with ``Plotly.newPlot``. All text from the data is HTML-escaped.

Sections (their ``id``): ``header``, ``verdict``, ``volume``, ``drift-heatmap``,
``drift-features``, ``score``, ``confusion``, ``roc-pr``, ``calibration``,
``performance``, ``latency``, ``labels``, ``health``, ``multivariate``. A
section with nothing to show says why.

Examples
--------
>>> from datetime import datetime, timezone
>>> from modelward.analyses.results import CheckResult, DriftResult, HealthResult
>>> result = CheckResult(
...     created_at=datetime(2026, 2, 1, tzinfo=timezone.utc), source="log.parquet",
...     reference="2026-01-01 .. 2026-01-14", bucket="day", n_rows=0, n_reference_rows=0,
...     n_current_rows=0, features=[], segments=[], summary=[],
...     health=HealthResult(issues=[], volume=[], day_of_week=[], labels=[]),
...     drift=DriftResult(rule="", alpha=0.05, features=[], score=[], heatmap=[],
...                       distributions=[], multivariate=[]),
...     performance=None, latency=None)
>>> page = render_html(result)
>>> page.startswith("<!DOCTYPE html>"), 'id="verdict"' in page, "<script src=" in page
(True, True, False)
"""

from __future__ import annotations

import html as _html
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

from modelward.analyses.results import (
    CheckResult,
    FeatureDrift,
    LatencyPoint,
    PerformanceResult,
    PerformanceWindow,
)
from modelward.report import plots
from modelward.report._format import (
    MISSING,
    by_severity,
    fmt_count,
    fmt_metric,
    fmt_num,
    fmt_pct,
    fmt_time,
    issues_by_severity,
    metric_names,
    segment_label,
    top_drift,
    write_report_file,
)
from modelward.report.estimate import estimate_figure

__all__ = [
    "CSS",
    "LOADER",
    "SECTIONS",
    "Page",
    "escape",
    "html_table",
    "json_for_script",
    "plotly_js",
    "render_html",
    "report_sections",
    "write_html",
]

#: Section ids and titles, in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("header", "Check"),
    ("verdict", "Verdict"),
    ("volume", "Volume by segment"),
    ("drift-heatmap", "Feature drift over time"),
    ("drift-features", "Drifted features"),
    ("score", "Score distribution"),
    ("confusion", "Confusion matrix"),
    ("roc-pr", "ROC and precision-recall"),
    ("calibration", "Calibration"),
    ("performance", "Performance over time"),
    ("estimate", "Estimated performance (no labels needed)"),
    ("triggers", "Rollback triggers"),
    ("latency", "Latency"),
    ("labels", "Label coverage and lag"),
    ("health", "Health issues"),
    ("multivariate", "Multivariate drift"),
)

CSS = """
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#ffffff; --panel:#f6f8fa;
  --crit:#cf222e; --warn:#9a6700; --info:#0969da; --ok:#1a7f37; }
* { box-sizing: border-box; }
body { margin:0; color:var(--fg); background:var(--bg); font:14px/1.45 system-ui,-apple-system,
  "Segoe UI",Helvetica,Arial,sans-serif; }
nav { position:sticky; top:0; z-index:10; background:var(--panel); border-bottom:1px solid
  var(--line); padding:6px 24px; font-size:12px; }
nav a { color:var(--info); text-decoration:none; margin-right:12px; white-space:nowrap; }
main { max-width:1200px; margin:0 auto; padding:8px 24px 48px; }
section { border-bottom:1px solid var(--line); padding:12px 0 20px; }
h1 { font-size:22px; margin:12px 0 4px; word-break:break-all; }
h2 { font-size:17px; margin:8px 0; }
.meta { color:var(--muted); margin:0; }
.meta b { color:var(--fg); font-weight:600; }
.note { color:var(--muted); font-style:italic; }
table { border-collapse:collapse; margin:8px 0; font-size:13px; }
th, td { border-bottom:1px solid var(--line); padding:3px 10px 3px 0; text-align:left;
  vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
tr.bad td { color:var(--crit); }
ul.verdict { list-style:none; padding:0; margin:4px 0; }
ul.verdict li { padding:3px 0; }
.sev { display:inline-block; min-width:72px; font-size:11px; font-weight:700; text-transform:
  uppercase; border-radius:10px; padding:1px 8px; margin-right:8px; color:#fff; text-align:center; }
.sev-critical { background:var(--crit); } .sev-warning { background:var(--warn); }
.sev-info { background:var(--info); } .sev-ok { background:var(--ok); }
.area { color:var(--muted); margin-right:6px; }
.plot { width:100%; }
"""

LOADER = """
document.querySelectorAll('script[type="application/json"][data-figure]').forEach(function (s) {
  var spec = JSON.parse(s.textContent);
  var target = document.getElementById(s.getAttribute('data-figure'));
  Plotly.newPlot(target, spec.data, spec.layout, {responsive: true, displaylogo: false});
});
"""


@cache
def plotly_js() -> str:
    js: str = get_plotlyjs()
    return js


def escape(text: object) -> str:
    return _html.escape(str(text), quote=True)


def json_for_script(text: str) -> str:
    """Make JSON safe inside a ``<script>`` block (still the same JSON value)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Page:
    def __init__(self) -> None:
        self.n_figures = 0

    def figure(self, fig: Any, note: str) -> str:
        if fig is None:
            return f'<p class="note">{escape(note)}</p>'
        self.n_figures += 1
        fid = f"fig-{self.n_figures}"
        raw: str = pio.to_json(fig, validate=False, pretty=False)
        spec = json_for_script(raw)
        return (
            f'<div class="plot" id="{fid}"></div>\n'
            f'<script type="application/json" data-figure="{fid}">{spec}</script>'
        )


def html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: set[int],
    bad: set[int] | None = None,
) -> str:
    """An HTML table of already-escaped cells; rows whose index is in ``bad`` are marked."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for r, row in enumerate(rows):
        cls = ' class="bad"' if bad and r in bad else ""
        tds = "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _header(result: CheckResult) -> str:
    segments = ", ".join(escape(s) for s in result.segments) or MISSING
    return (
        f"<h1>modelward check: {escape(result.source)}</h1>"
        f'<p class="meta">reference <b>{escape(result.reference)}</b> · bucket'
        f" <b>{escape(result.bucket)}</b> · <b>{fmt_count(result.n_rows)}</b> rows"
        f" ({fmt_count(result.n_reference_rows)} reference, {fmt_count(result.n_current_rows)}"
        f" current) · {len(result.features)} features · segments: {segments}</p>"
        f'<p class="meta">run {escape(result.created_at.isoformat())} · report schema'
        f" v{result.schema_version}</p>"
    )


def _verdict(result: CheckResult) -> str:
    items = by_severity(result.summary)
    if not items:
        return '<p class="note">No findings.</p>'
    lis = "".join(
        f'<li><span class="sev sev-{i.severity}">{i.severity}</span>'
        f'<span class="area">{i.area}</span>{escape(i.message)}</li>'
        for i in items
    )
    return f'<ul class="verdict">{lis}</ul>'


def _drift_table(rows: Sequence[FeatureDrift]) -> str:
    header = ["column", "segment", "kind", "method", "statistic", "p adjusted", "effect",
              "floor", "PSI", "JS", "rows ref", "rows cur", "drifted"]  # fmt: skip
    body = [
        [
            escape(f.feature),
            escape(segment_label(f.segment, f.segment_value)),
            f.kind,
            escape(f.method),
            fmt_num(f.statistic),
            fmt_num(f.p_adjusted),
            fmt_num(f.effect),
            fmt_num(f.effect_floor),
            fmt_num(f.psi),
            fmt_num(f.jensen_shannon),
            fmt_count(f.n_reference),
            fmt_count(f.n_current),
            "yes" if f.drifted else "no",
        ]
        for f in rows
    ]
    bad = {i for i, f in enumerate(rows) if f.drifted}
    return html_table(header, body, numeric=set(range(4, 12)), bad=bad)


def _perf_table(perf: PerformanceResult) -> str:
    names = metric_names(perf)
    windows: list[PerformanceWindow] = [w for w in (perf.reference, perf.current) if w]
    windows += perf.by_segment
    header = ["window", "segment", "rows", "labelled", *(escape(m) for m in names)]
    rows = [
        [
            w.window,
            escape(segment_label(w.segment, w.segment_value)),
            fmt_count(w.n_rows),
            fmt_count(w.n_labelled),
            *(fmt_metric(w.metrics.get(m)) for m in names),
        ]
        for w in windows
    ]
    table = html_table(header, rows, numeric=set(range(2, 4 + len(names))))
    degraded = ", ".join(escape(m) for m in perf.degraded)
    note = (
        f"<p>Degraded (interval excludes the reference): <b>{degraded}</b></p>" if degraded else ""
    )
    return note + table


def _latency_table(points: Sequence[LatencyPoint]) -> str:
    rows = [
        [
            p.window,
            escape(segment_label(p.segment, p.segment_value)),
            fmt_count(p.n),
            *(fmt_num(v) for v in (p.p50, p.p95, p.p99, p.max)),
        ]
        for p in points
    ]
    return html_table(
        ["window", "segment", "rows", "p50", "p95", "p99", "max"], rows, {2, 3, 4, 5, 6}
    )


def report_sections(result: CheckResult, page: Page | None = None) -> dict[str, str]:
    """The HTML of every section of :data:`SECTIONS` for ``result``, by section id."""
    return _sections(result, page or Page())


def _sections(result: CheckResult, page: Page) -> dict[str, str]:
    health, drift, perf, lat = result.health, result.drift, result.performance, result.latency
    no_labels = "Not computed: no labelled rows."
    out: dict[str, str] = {"header": _header(result), "verdict": _verdict(result)}
    out["volume"] = page.figure(plots.volume_figure(health.volume), "No volume series.")
    if health.day_of_week:
        out["volume"] += "<h3>Mean rows by day of week</h3>" + page.figure(
            plots.day_of_week_figure(health.day_of_week), "No day-of-week series."
        )
    out["drift-heatmap"] = page.figure(
        plots.drift_heatmap_figure(drift.heatmap, drift.features),
        "No per-bucket drift (too few buckets in the current window).",
    )
    ranked = top_drift(drift.features)
    features = ""
    if drift.rule:
        features = f'<p class="note">{escape(drift.rule)} (alpha {fmt_num(drift.alpha)})</p>'
    features += _drift_table(ranked) if ranked else '<p class="note">No feature was tested.</p>'
    features += page.figure(
        plots.distribution_figure(drift.distributions, drift.features),
        "No feature distributions.",
    )
    out["drift-features"] = features
    out["score"] = page.figure(plots.score_figure(drift.distributions), "No score distribution.")
    if drift.score:
        out["score"] += _drift_table(top_drift(drift.score))
    if perf is None:
        for sid in ("confusion", "roc-pr", "calibration", "performance"):
            out[sid] = f'<p class="note">{no_labels}</p>'
    else:
        out["confusion"] = page.figure(plots.confusion_figure(perf), "No confusion matrix.")
        out["roc-pr"] = page.figure(plots.roc_pr_figure(perf), "No ROC or PR curve.")
        out["calibration"] = page.figure(
            plots.calibration_figure(perf.calibration), "No calibration curve."
        )
        out["performance"] = _perf_table(perf) + page.figure(
            plots.performance_figure(perf), "No per-bucket performance."
        )
    est = result.estimate
    if est is None:
        out["estimate"] = '<p class="note">Not computed: needs a score and reference labels.</p>'
    else:
        out["estimate"] = f'<p class="note">{escape(est.assumption)}</p>' + page.figure(
            estimate_figure(est), "No per-bucket estimate."
        )
    if result.triggers:
        rows = [
            [
                f'<span class="sev sev-{"critical" if t.status == "firing" else "ok"}">'
                f"{t.status}</span>",
                escape(t.constraint),
                escape(segment_label(t.segment, t.segment_value)),
                escape(t.metric),
                f"{escape(t.limit_kind)} {fmt_num(t.limit)}",
                fmt_time(t.since) if t.since else "",
                str(t.consecutive_failures),
            ]
            for t in result.triggers
        ]
        out["triggers"] = html_table(
            ["status", "constraint", "segment", "metric", "limit", "since", "failing in a row"],
            rows,
            numeric=set(),
        )
    else:
        out["triggers"] = '<p class="note">No policy was given (check --policy).</p>'
    if lat is None:
        out["latency"] = '<p class="note">Not computed: the log has no latency column.</p>'
    else:
        points = [p for p in (lat.reference, lat.current) if p is not None] + lat.by_segment
        verdict = "<b>regressed</b>" if lat.regressed else "within reference"
        out["latency"] = (
            f"<p>Latency {verdict}; percentiles in ms, relative error &le;"
            f" {fmt_pct(lat.accuracy)}.</p>"
            + _latency_table(points)
            + page.figure(plots.latency_figure(lat), "No per-bucket latency.")
        )
    out["labels"] = page.figure(plots.labels_figure(health.labels), "No label series.")
    if health.issues:
        rows = [
            [
                f'<span class="sev sev-{i.severity}">{i.severity}</span>',
                i.kind,
                escape(i.feature or ""),
                escape(segment_label(i.segment, i.segment_value)),
                fmt_time(i.since) if i.since else "",
                escape(i.message),
            ]
            for i in issues_by_severity(health.issues)
        ]
        header = ["severity", "kind", "column", "segment", "since", "issue"]
        out["health"] = html_table(header, rows, numeric=set())
    else:
        out["health"] = '<p class="note">No data-health issues.</p>'
    out["multivariate"] = page.figure(
        plots.multivariate_figure(drift.multivariate), "No multivariate drift series."
    )
    return out


def render_html(result: CheckResult) -> str:
    """Render a check result as one self-contained HTML page.

    Parameters
    ----------
    result
        The check result.

    Returns
    -------
    str
        The page: Plotly inlined once in ``<head>``, no external script, style or
        font, every section of :data:`SECTIONS` present.
    """
    page = Page()
    content = _sections(result, page)
    nav = "".join(f'<a href="#{sid}">{title}</a>' for sid, title in SECTIONS[1:])
    body = []
    for sid, title in SECTIONS:
        heading = "" if sid == "header" else f"<h2>{title}</h2>"
        body.append(f'<section id="{sid}">{heading}{content[sid]}</section>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>modelward check: {escape(result.source)}</title>\n"
        f"<style>{CSS}</style>\n"
        f'<script type="text/javascript">{plotly_js()}</script>\n'
        "</head>\n<body>\n"
        f"<nav>{nav}</nav>\n<main>\n" + "\n".join(body) + "\n</main>\n"
        f"<script>{LOADER}</script>\n</body>\n</html>\n"
    )


def write_html(result: CheckResult, path: str | Path) -> Path:
    """Write the self-contained HTML report of a check.

    Parameters
    ----------
    result
        The check result.
    path
        The file to write; its folder must exist.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    StoreError
        If the file cannot be written.
    """
    return write_report_file(path, render_html(result))


# Former private names, still imported by modules written before they were public.
_CSS, _LOADER, _plotly_js, _e, _Page, _table = CSS, LOADER, plotly_js, escape, Page, html_table

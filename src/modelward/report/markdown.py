"""A concise Markdown report of a check: verdict, health, drift, performance, latency, labels.

Every value comes from the :class:`~modelward.analyses.results.CheckResult`;
text from the data (column names, categories, messages) is escaped so it cannot
break a table or inject HTML into a rendered page.

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
>>> print(render_markdown(result).splitlines()[0])
# modelward check: log.parquet
"""

from __future__ import annotations

from collections.abc import Sequence

from modelward.analyses.results import (
    CheckResult,
    DriftResult,
    FeatureDrift,
    HealthResult,
    LatencyPoint,
    LatencyResult,
    PerformanceResult,
    PerformanceWindow,
)
from modelward.report._format import (
    MISSING,
    by_severity,
    fmt_count,
    fmt_duration,
    fmt_metric,
    fmt_num,
    fmt_pct,
    fmt_time,
    issues_by_severity,
    metric_names,
    segment_label,
    top_drift,
)

__all__ = ["escape_md", "render_markdown"]

_BADGE = {"critical": "🔴 critical", "warning": "🟠 warning", "info": "🔵 info", "ok": "🟢 ok"}


def escape_md(text: str) -> str:
    """Escape text from the data for a Markdown table cell or line.

    Examples
    --------
    >>> escape_md("a|b <b>*x*</b>")
    'a\\\\|b &lt;b&gt;\\\\*x\\\\*&lt;/b&gt;'
    """
    out = text.replace("\\", "\\\\")
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "`*[]|#":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _verdict(result: CheckResult) -> list[str]:
    lines = ["## Verdict", ""]
    items = by_severity(result.summary)
    if not items:
        return [*lines, "No findings.", ""]
    lines += [f"- **{_BADGE[i.severity]}** ({i.area}): {escape_md(i.message)}" for i in items]
    return [*lines, ""]


def _health(health: HealthResult) -> list[str]:
    lines = ["## Health issues", ""]
    if not health.issues:
        return [*lines, "No data-health issues.", ""]
    rows = [
        [
            _BADGE[i.severity],
            i.kind,
            escape_md(i.feature) if i.feature else "",
            escape_md(segment_label(i.segment, i.segment_value)),
            fmt_time(i.since) if i.since else "",
            escape_md(i.message),
        ]
        for i in issues_by_severity(health.issues)
    ]
    return [*lines, *_table(["severity", "kind", "column", "segment", "since", "issue"], rows), ""]


def _drift_rows(rows: Sequence[FeatureDrift]) -> list[list[str]]:
    return [
        [
            escape_md(f.feature),
            escape_md(segment_label(f.segment, f.segment_value)),
            f.kind,
            escape_md(f.method),
            fmt_num(f.statistic),
            fmt_num(f.p_adjusted),
            f"{fmt_num(f.effect)} (floor {fmt_num(f.effect_floor)})",
            fmt_num(f.psi),
            f"{fmt_count(f.n_reference)} / {fmt_count(f.n_current)}",
        ]
        for f in rows
    ]


_DRIFT_HEADER = [
    "column",
    "segment",
    "kind",
    "method",
    "statistic",
    "p adjusted",
    "effect",
    "PSI",
    "rows ref / cur",
]


def _drift(drift: DriftResult) -> list[str]:
    lines = ["## Drift", ""]
    if drift.rule:
        lines += [f"Rule: {escape_md(drift.rule)} (alpha {fmt_num(drift.alpha)}).", ""]
    drifted = [f for f in top_drift(drift.features) if f.drifted]
    tested = len({f.feature for f in drift.features})
    if not drift.features:
        lines += ["No feature was tested.", ""]
    elif not drifted:
        lines += [f"No feature drifted ({tested} tested).", ""]
    else:
        n_cols = len({f.feature for f in drifted})
        lines += [f"{n_cols} of {tested} features drifted:", ""]
        lines += [*_table(_DRIFT_HEADER, _drift_rows(drifted)), ""]
    if drift.score:
        lines += ["Score and prediction:", ""]
        lines += [*_table(_DRIFT_HEADER, _drift_rows(top_drift(drift.score))), ""]
    if drift.multivariate:
        last = drift.multivariate[-1]
        n_drifted = sum(p.drifted for p in drift.multivariate)
        lines += [
            f"Multivariate (domain classifier): latest AUC {fmt_num(last.auc)}"
            f" on {fmt_time(last.bucket)}; {n_drifted} of {len(drift.multivariate)}"
            " buckets drifted.",
            "",
        ]
    return lines


def _perf_row(w: PerformanceWindow, names: Sequence[str]) -> list[str]:
    label = w.window if w.window != "bucket" else fmt_time(w.bucket)
    return [
        label,
        escape_md(segment_label(w.segment, w.segment_value)),
        fmt_count(w.n_rows),
        fmt_count(w.n_labelled),
        *(fmt_metric(w.metrics.get(m)) for m in names),
    ]


def _performance(perf: PerformanceResult | None) -> list[str]:
    lines = ["## Performance", ""]
    if perf is None:
        return [*lines, "Not computed: no labelled rows.", ""]
    names = metric_names(perf)
    head = f"Task: {perf.task}"
    if perf.threshold is not None:
        head += f", serving threshold {fmt_num(perf.threshold)}"
    if perf.degraded:
        head += f". Degraded: {', '.join(escape_md(m) for m in perf.degraded)}"
    lines += [head + ".", ""]
    header = ["window", "segment", "rows", "labelled", *(escape_md(m) for m in names)]
    windows = [w for w in (perf.reference, perf.current) if w is not None] + perf.by_segment
    lines += [*_table(header, [_perf_row(w, names) for w in windows]), ""]
    extra = []
    if perf.roc is not None:
        extra.append(f"ROC-AUC {fmt_num(perf.roc.area)}")
    if perf.pr is not None:
        extra.append(f"PR-AUC {fmt_num(perf.pr.area)}")
    if perf.calibration is not None:
        extra.append(f"ECE {fmt_num(perf.calibration.ece)}")
    if extra:
        lines += ["Current window: " + ", ".join(extra) + ".", ""]
    if perf.by_bucket:
        lines += ["<details><summary>Per bucket</summary>", ""]
        lines += [*_table(header, [_perf_row(w, names) for w in perf.by_bucket]), ""]
        lines += ["</details>", ""]
    return lines


def _latency_row(p: LatencyPoint) -> list[str]:
    label = p.window if p.window != "bucket" else fmt_time(p.bucket)
    return [
        label,
        escape_md(segment_label(p.segment, p.segment_value)),
        fmt_count(p.n),
        *(fmt_num(v) for v in (p.p50, p.p95, p.p99, p.max)),
    ]


def _latency(lat: LatencyResult | None) -> list[str]:
    lines = ["## Latency", ""]
    if lat is None:
        return [*lines, "Not computed: the log has no latency column.", ""]
    verdict = "regressed" if lat.regressed else "within reference"
    lines += [
        f"Latency {verdict}; percentiles in ms, relative error <= {fmt_pct(lat.accuracy)}.",
        "",
    ]
    points = [p for p in (lat.reference, lat.current) if p is not None] + lat.by_segment
    header = ["window", "segment", "rows", "p50", "p95", "p99", "max"]
    return [*lines, *_table(header, [_latency_row(p) for p in points]), ""]


def _labels(result: CheckResult) -> list[str]:
    lines = ["## Label coverage", ""]
    points = result.health.labels
    if not points:
        return [*lines, "No label coverage series (the log has no labels).", ""]
    last = points[-1]
    lines += [
        f"Latest bucket {fmt_time(last.bucket)}: coverage {fmt_pct(last.coverage)},"
        f" median lag {fmt_duration(last.median_lag_seconds)},"
        f" p90 lag {fmt_duration(last.p90_lag_seconds)}.",
        "",
        "<details><summary>Per bucket</summary>",
        "",
    ]
    rows = [
        [
            fmt_time(p.bucket),
            fmt_pct(p.coverage),
            fmt_duration(p.median_lag_seconds),
            fmt_duration(p.p90_lag_seconds),
        ]
        for p in points
    ]
    lines += [*_table(["bucket", "coverage", "median lag", "p90 lag"], rows), ""]
    return [*lines, "</details>", ""]


def render_markdown(result: CheckResult) -> str:
    """Render a check result as a concise Markdown report.

    Parameters
    ----------
    result
        The check result.

    Returns
    -------
    str
        Markdown: header, verdict (most severe first), health issues, drifted
        features, performance with intervals and labelled-row counts, latency
        percentiles and label coverage. Missing sections say why they are missing.
    """
    segments = ", ".join(escape_md(s) for s in result.segments) or MISSING
    lines = [
        f"# modelward check: {escape_md(result.source)}",
        "",
        f"Reference {escape_md(result.reference)} · bucket {escape_md(result.bucket)} ·"
        f" {fmt_count(result.n_rows)} rows ({fmt_count(result.n_reference_rows)} reference,"
        f" {fmt_count(result.n_current_rows)} current) · {len(result.features)} features ·"
        f" segments: {segments} · run {result.created_at.isoformat()}",
        "",
    ]
    lines += _verdict(result)
    lines += _health(result.health)
    lines += _drift(result.drift)
    lines += _performance(result.performance)
    lines += _latency(result.latency)
    lines += _labels(result)
    return "\n".join(lines).rstrip() + "\n"

"""The content of each dashboard page, from stored runs only (no log is read).

Each view takes a :class:`Source` (the stored runs of the open store, with the
results JSON of immutable runs cached by id) and returns ``(title, body)``.
Sections whose analysis has not been stored yet say so.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

import plotly.graph_objects as go
from pydantic import TypeAdapter, ValidationError

from modelward._exceptions import ConfigError
from modelward.analyses.forecast import ForecastResult
from modelward.analyses.results import CheckResult, CheckSummaryItem, DriftCell
from modelward.lineage.graph import LineageGraph
from modelward.report import plots
from modelward.store import Store
from modelward.store.records import RunInfo
from modelward.web.pages import (
    Figures,
    cell_link,
    e,
    fmt,
    kv,
    lineage_svg,
    not_available,
    pill,
    section,
    table,
    url,
)

__all__ = ["Caches", "Lru", "NotFound", "Source"]

View = tuple[str, str]


_SUMMARY: TypeAdapter[list[CheckSummaryItem]] = TypeAdapter(list[CheckSummaryItem])


class NotFound(Exception):
    """The page asks for a system, feature, run or node the store does not hold."""


class Lru(OrderedDict[str, Any]):
    """A dict keeping its ``size`` most recently used entries."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self._lock = threading.RLock()  # sync routes run in a thread pool

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            value = super().__getitem__(key)
            self.move_to_end(key)
            return value

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)
            self.move_to_end(key)
            while len(self) > self.size:
                self.popitem(last=False)


class Caches:
    """What the app keeps across requests: parsed results of immutable runs by id
    (few: a check at scale is megabytes) and serialised figures by run id (many)."""

    def __init__(self, *, runs: int = 8, figures: int = 256) -> None:
        self.runs = Lru(runs)
        self.figures = Lru(figures)


class Source:
    """Stored runs of one open store, with the app's caches keyed by run id."""

    def __init__(self, store: Store, caches: Caches) -> None:
        self.store = store
        self.caches = caches

    def systems(self) -> list[str]:
        return self.store.list_systems()

    def runs(self, system: str, kind: str | None = None, limit: int = 50) -> list[RunInfo]:
        if system not in self.systems():
            raise NotFound(f"no system {system!r}")
        return self.store.list_runs(system, kind=kind, limit=limit)

    def _raw(self, run_id: str) -> str:
        row = self.store.connection.execute(
            "SELECT results FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if row is None:
            raise NotFound(f"no run {run_id!r}")
        return str(row[0]) if row[0] else "{}"

    def results(self, run_id: str) -> dict[str, Any]:
        """The results JSON of a run as a dict (cached)."""
        key = f"{run_id}:dict"
        if key not in self.caches.runs:
            self.caches.runs[key] = json.loads(self._raw(run_id))
        out: dict[str, Any] = self.caches.runs[key]
        return out

    def parsed(self, run_id: str, model: type[Any]) -> Any:
        """The results of a run validated as ``model`` straight from JSON (cached)."""
        key = f"{run_id}:{model.__name__}"
        if key not in self.caches.runs:
            self.caches.runs[key] = model.model_validate_json(self._raw(run_id))
        return self.caches.runs[key]

    def figures(self) -> Figures:
        """A page's figure embedder sharing the app's figure cache."""
        return Figures(self.caches.figures)

    def latest_summary(self, system: str) -> tuple[RunInfo, list[CheckSummaryItem]] | None:
        """The latest check's verdict lines, without parsing the whole check when not cached."""
        for info in self.runs(system, kind="check", limit=5):
            full = f"{info.run_id}:CheckResult"
            if full in self.caches.runs:
                return info, self.caches.runs[full].summary
            key = f"{info.run_id}:summary"
            if key not in self.caches.runs:
                row = self.store.connection.execute(
                    "SELECT json_extract(results, '$.summary') FROM runs WHERE run_id = ?",
                    [info.run_id],
                ).fetchone()
                try:
                    self.caches.runs[key] = _SUMMARY.validate_json(
                        row[0] if row and row[0] else "null"
                    )
                except ValidationError:
                    continue  # a check of an older report schema: try the one before
            return info, self.caches.runs[key]
        return None

    def latest_check(self, system: str) -> tuple[RunInfo, CheckResult] | None:
        for info in self.runs(system, kind="check", limit=5):
            try:
                return info, self.parsed(info.run_id, CheckResult)
            except ValidationError:
                continue  # a check of an older report schema: try the one before
        return None


def system_nav(system: str) -> list[tuple[str, str]]:
    """The navigation of a system's pages."""
    return [
        ("Overview", url("systems", system)),
        ("Costs", url("systems", system, "costs")),
        ("Incidents", url("systems", system, "incidents")),
        ("Calendar", url("systems", system, "calendar")),
        ("Runs", url("systems", system, "runs")),
        ("Lineage", url("lineage")),
    ]


# ------------------------------------------------------------------- home


def home(src: Source) -> View:
    cards = []
    for system in src.systems():
        latest = src.latest_summary(system)
        alerts = src.store.list_alerts(system, status="open", limit=100)
        if latest is None:
            status, lines, when = "none", "<p class='note'>No check stored yet.</p>", None
        else:
            info, summary = latest
            status = info.status
            worst = [s for s in summary if s.severity in ("critical", "warning")][:3]
            lines = (
                "<ul class='verdict'>"
                + "".join(
                    f"<li><span class='sev sev-{s.severity}'>{s.severity}</span>{e(s.message)}</li>"
                    for s in worst
                )
                + "</ul>"
                if worst
                else "<p class='note'>Nothing to report.</p>"
            )
            when = info.created_at
        forecast = src.runs(system, kind="forecast", limit=1)
        retrain = ""
        if forecast:
            fc = src.results(forecast[0].run_id)
            if fc.get("retrain_before"):
                retrain = f"<p><b>{e(fmt(fc.get('recommendation', '')))}</b></p>"
        cards.append(
            f"<div class='card' data-system='{e(fmt(system))}'><h3>"
            f"{cell_link(system, url('systems', system))} {pill(status)}</h3>"
            f"{kv([('last check', when), ('open alerts', len(alerts))])}{lines}{retrain}</div>"
        )
    body = (
        "<div class='cards'>" + "".join(cards) + "</div>"
        if cards
        else not_available("The store holds no system yet: run `modelward check LOG`.")
    )
    return "Systems", body


# --------------------------------------------------------------- overview


def overview(src: Source, system: str) -> View:
    latest = src.latest_check(system)
    alerts = src.store.list_alerts(system, status="open", limit=50)
    alert_rows = [
        [a.severity, a.name, fmt(a.since), a.detail.get("message", "") if a.detail else ""]
        for a in alerts
    ]
    parts = [
        section(
            "alerts",
            "Fired rollback triggers and alerts",
            table(["severity", "alert", "since", "detail"], alert_rows)
            if alert_rows
            else "<p class='note'>No open alert.</p>",
        )
    ]
    if latest is None:
        parts.append(not_available("No check stored for this system yet."))
        return system, "".join(parts)
    info, res = latest
    figs = src.figures()
    verdict = (
        "<ul class='verdict'>"
        + "".join(
            f"<li><span class='sev sev-{s.severity}'>{s.severity}</span>"
            f"<span class='area'>{s.area}</span>{e(fmt(s.message))}</li>"
            for s in res.summary
        )
        + "</ul>"
    )
    parts.insert(
        0,
        section(
            "status",
            "Status",
            kv(
                [
                    ("status", info.status),
                    ("checked", info.created_at),
                    ("rows", res.n_rows),
                    ("reference", res.reference),
                    ("run", info.run_id[:12]),
                ]
            )
            + verdict,
        ),
    )
    features = sorted({f.feature for f in res.drift.features})
    links = " ".join(cell_link(f, url("systems", system, "features", f)) for f in features)
    rid = info.run_id
    parts += [
        section(
            "volume",
            "Volume",
            figs.lazy(
                f"{rid}:volume", lambda: plots.volume_figure(res.health.volume), "No volume."
            ),
        ),
        section(
            "drift",
            "Drift over time",
            figs.lazy(
                f"{rid}:drift",
                lambda: plots.drift_heatmap_figure(res.drift.heatmap, res.drift.features),
                "No drift heat map in this check.",
            )
            + f"<p>Drill down: {links}</p>",
        ),
        section(
            "performance",
            "Performance over time (realised)",
            figs.lazy(
                f"{rid}:performance",
                lambda: plots.performance_figure(res.performance) if res.performance else None,
                "No labelled performance in this check.",
            )
            + not_available(
                "Estimated performance (before labels arrive) is not stored yet for this check."
            ),
        ),
        section(
            "latency", "p99 latency against its budget", _latency(src, system, info, res, figs)
        ),
        section(
            "labels",
            "Label coverage and lag",
            figs.lazy(
                f"{rid}:labels",
                lambda: plots.labels_figure(res.health.labels),
                "No label information.",
            ),
        ),
    ]
    return system, "".join(parts)


def _latency_budget(src: Source, system: str) -> float | None:
    for info in src.runs(system, kind="forecast", limit=1):
        for row in src.results(info.run_id).get("rows", []):
            if row.get("metric") == "latency_p99" and row.get("direction") == "above":
                return float(row["limit"])
    return None


def _latency(src: Source, system: str, info: RunInfo, res: CheckResult, figs: Figures) -> str:
    budget = _latency_budget(src, system)

    def build() -> go.Figure | None:
        fig = plots.latency_figure(res.latency) if res.latency else None
        if fig is not None and budget is not None:
            fig.add_hline(
                y=budget,
                line_dash="dot",
                line_color=plots.ALERT_COLOR,
                annotation_text=f"budget {budget:g} ms",
            )
        return fig

    note = (
        f"<p class='meta'>Budget: <b>{budget:g} ms</b> (from the policy of the latest forecast)</p>"
        if budget is not None
        else "<p class='note'>No latency budget stored (a policy with latency_p99 and "
        "`modelward forecast` stores one).</p>"
    )
    return figs.lazy(f"{info.run_id}:latency:{budget}", build, "No latency in this check.") + note


# ---------------------------------------------------------------- feature


def feature(src: Source, system: str, name: str) -> View:
    latest = src.latest_check(system)
    if latest is None:
        raise NotFound("no check stored")
    info, res = latest
    rows = [f for f in res.drift.features if f.feature == name]
    dists = [d for d in res.drift.distributions if d.feature == name]
    cells = [c for c in res.drift.heatmap if c.feature == name]
    if not (rows or dists or cells):
        raise NotFound(f"no feature {name!r}")
    figs = src.figures()
    key = f"{info.run_id}:feature:{name}"
    segs = [
        [
            f.segment or "all",
            f.segment_value or "-",
            f.method,
            fmt(f.statistic),
            fmt(f.p_adjusted),
            fmt(f.psi),
            "yes" if f.drifted else "no",
            f.n_current,
        ]
        for f in rows
    ]
    body = "".join(
        [
            section(
                "distribution",
                "Reference vs current",
                figs.lazy(
                    f"{key}:distribution",
                    lambda: plots.distribution_figure(dists, rows),
                    "No distribution stored.",
                ),
            ),
            section(
                "drift-time",
                "Drift over time",
                figs.lazy(f"{key}:drift", lambda: _drift_line(cells), "No series."),
            ),
            section(
                "segments",
                "Per segment",
                table(
                    [
                        "segment",
                        "value",
                        "method",
                        "statistic",
                        "p (adj.)",
                        "PSI",
                        "drifted",
                        "n current",
                    ],
                    segs,
                ),
            ),
        ]
    )
    return f"{system}: {name}", body


def _drift_line(cells: list[DriftCell]) -> go.Figure | None:
    if not cells:
        return None
    cells = sorted(cells, key=lambda c: c.bucket)
    fig = go.Figure(
        go.Scatter(
            x=[c.bucket for c in cells],
            y=[c.psi for c in cells],
            mode="lines+markers",
            name="PSI",
            marker={
                "color": [plots.ALERT_COLOR if c.drifted else plots.CURRENT_COLOR for c in cells]
            },
        )
    )
    fig.update_layout(
        template="plotly_white",
        height=300,
        yaxis_title="PSI",
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
    )
    return fig


# ------------------------------------------------------------------ costs


def costs(src: Source, system: str) -> View:
    runs = src.runs(system, kind="costs", limit=60)
    if not runs:
        return f"{system}: costs", not_available(
            "No cost evaluation stored for this system yet (a stored `costs` run)."
        )
    latest = src.results(runs[0].run_id)
    segs = latest.get("segments", [])
    whole = segs[0] if segs else {}
    figs = Figures()
    curve = None
    if whole.get("curve_thresholds"):
        curve = go.Figure(
            go.Scatter(
                x=whole["curve_thresholds"],
                y=whole["curve_cost_per_1000"],
                mode="lines",
                name="cost per 1,000",
            )
        )
        for key, label, color in (("serving_threshold", "current", plots.CURRENT_COLOR),):
            if whole.get(key) is not None:
                curve.add_vline(
                    x=whole[key], line_dash="dash", line_color=color, annotation_text=label
                )
        opt = (whole.get("optimal_threshold") or {}).get("value")
        if opt is not None:
            curve.add_vline(
                x=opt, line_dash="dot", line_color=plots.ALERT_COLOR, annotation_text="optimal"
            )
        curve.update_layout(
            template="plotly_white",
            height=320,
            xaxis_title="threshold",
            yaxis_title="cost per 1,000 decisions",
        )
    series = [
        (
            info.created_at,
            (
                (src.results(info.run_id).get("segments") or [{}])[0].get("cost_now_per_1000") or {}
            ).get("value"),
        )
        for info in reversed(runs)
    ]
    over_time = go.Figure(
        go.Scatter(x=[t for t, _ in series], y=[v for _, v in series], mode="lines+markers")
    )
    over_time.update_layout(template="plotly_white", height=280, yaxis_title="per 1,000")
    rows = [
        [
            s.get("segment") or "all",
            s.get("segment_value") or "-",
            fmt(s.get("serving_threshold")),
            fmt((s.get("optimal_threshold") or {}).get("value")),
            fmt((s.get("cost_now_per_1000") or {}).get("value")),
            fmt(s.get("cost_optimal_per_1000")),
            fmt(s.get("saving_per_1000")),
        ]
        for s in segs
    ]
    body = "".join(
        [
            section("curve", "Cost curve", figs.add(curve, "No cost curve stored.")),
            section(
                "thresholds",
                "Current vs optimal threshold",
                table(
                    [
                        "segment",
                        "value",
                        "serving",
                        "optimal",
                        "cost now",
                        "cost at optimal",
                        "saving",
                    ],
                    rows,
                ),
            ),
            section("over-time", "Cost per 1,000 decisions over time", figs.add(over_time, "")),
        ]
    )
    return f"{system}: costs", body


# -------------------------------------------------------------- incidents


def incidents(src: Source, system: str) -> View:
    runs = src.runs(system, kind="triage", limit=20)
    alerts = src.store.list_alerts(system, limit=200)
    timeline_rows = [
        [fmt(a.since or a.created_at), "alert", a.severity, a.name, a.status] for a in alerts
    ]
    parts = []
    if not runs:
        parts.append(not_available("No triage stored for this system yet (a stored `triage` run)."))
    else:
        res = src.results(runs[0].run_id)
        findings = res.get("findings", [])
        rows = [
            [
                f.get("cause"),
                fmt(f.get("confidence")),
                fmt(f.get("onset")),
                ", ".join(f"{k}={v}" for k, v in (f.get("segment") or {}).items()) or "all",
                ", ".join(f.get("features") or []),
                f.get("evidence", ""),
            ]
            for f in findings
        ]
        parts.append(
            section(
                "findings",
                "Triage findings",
                table(["cause", "confidence", "onset", "segment", "features", "evidence"], rows)
                if rows
                else "<p>No finding.</p>",
            )
        )
        for f in findings:
            timeline_rows.append([fmt(f.get("onset")), "onset", f.get("cause"), "", ""])
        report = res.get("report") or res.get("incident_report")
        if report:
            parts.append(section("report", "Incident report", f"<pre>{e(fmt(report))}</pre>"))
    timeline_rows.sort(key=lambda r: str(r[0]))
    parts.append(
        section(
            "timeline",
            "Timeline",
            table(["when", "what", "kind", "name", "status"], timeline_rows)
            if timeline_rows
            else "<p class='note'>Nothing happened.</p>",
        )
    )
    return f"{system}: incidents", "".join(parts)


# --------------------------------------------------------------- calendar


def calendar(src: Source, system: str) -> View:
    runs = src.runs(system, kind="forecast", limit=1)
    if not runs:
        return f"{system}: calendar", not_available(
            "No forecast stored yet: run `modelward forecast LOG --policy P`."
        )
    fc: ForecastResult = src.parsed(runs[0].run_id, ForecastResult)
    rows = []
    for r in fc.rows:
        if r.status == "no_crossing":
            when, interval = "no crossing expected within the horizon", "-"
        elif r.status == "insufficient_data":
            when, interval = "-", r.note
        else:
            when = fmt(r.expected)
            interval = f"{e(fmt(r.low))} .. {fmt(r.high) if r.high else 'after the horizon'}"
        rows.append(
            [
                r.constraint,
                f"{r.segment}={r.segment_value}" if r.segment else "all",
                r.basis,
                fmt(r.level),
                fmt(r.limit),
                r.status,
                when,
                interval,
            ]
        )
    figs = Figures()
    dated = [r for r in fc.rows if r.expected is not None]
    fig = None
    if dated:
        fig = go.Figure()
        for i, r in enumerate(dated):
            name = r.constraint + (f" [{r.segment_value}]" if r.segment_value else "")
            hi = r.high or (fc.as_of and _plus(fc.as_of, fc.horizon_days))
            fig.add_trace(
                go.Scatter(
                    x=[r.low, hi],
                    y=[name, name],
                    mode="lines",
                    line={"width": 8, "color": "rgba(207,34,46,0.3)"},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=[r.expected],
                    y=[name],
                    mode="markers",
                    showlegend=i == 0,
                    name="expected crossing",
                    marker={"color": plots.ALERT_COLOR, "size": 10},
                )
            )
        fig.update_layout(
            template="plotly_white",
            height=120 + 36 * len(dated),
            margin={"l": 220, "r": 20, "t": 30, "b": 40},
        )
    body = "".join(
        [
            section(
                "recommendation",
                "Recommendation",
                f"<p><b>{e(fmt(fc.recommendation))}</b></p>"
                + kv(
                    [
                        ("as of", fc.as_of),
                        ("horizon (days)", fc.horizon_days),
                        ("interval", f"{fc.confidence:.0%}"),
                        ("source", fc.source),
                    ]
                ),
            ),
            section("crossings", "Expected crossings", figs.add(fig, "No crossing expected.")),
            section(
                "calendar",
                "Every constraint and segment",
                table(
                    [
                        "constraint",
                        "segment",
                        "basis",
                        "trend now",
                        "limit",
                        "status",
                        "expected",
                        "interval",
                    ],
                    rows,
                ),
            ),
            section("method", "Method", f"<p class='note'>{e(fmt(fc.method))}</p>"),
        ]
    )
    return f"{system}: calendar", body


def _plus(when: datetime, days: float) -> datetime:
    return when + timedelta(days=days)


# ------------------------------------------------------------------- runs


def runs(src: Source, system: str, a: str | None, b: str | None) -> View:
    infos = src.runs(system, limit=100)
    rows = [
        [
            cell_link(i.run_id[:12], url("systems", system, "runs", a=i.run_id, b=b)),
            e(i.kind),
            e(fmt(i.created_at)),
            e(i.status),
            e(i.source),
        ]
        for i in infos
    ]
    parts = [
        section(
            "history",
            "History",
            table(["run (pick as A)", "kind", "created", "status", "source"], rows, raw=True),
        )
    ]
    checks = [i for i in infos if i.kind == "check"]
    if a is None and b is None and len(checks) >= 2:
        a, b = checks[1].run_id, checks[0].run_id
    if a and b:
        known = {i.run_id for i in infos}
        if a not in known or b not in known:
            raise NotFound("no such run for this system")
        parts.append(section("diff", "Diff of two runs", _diff(src, a, b)))
    latest = src.latest_check(system)
    if latest is not None and latest[1].performance is not None:
        perf = latest[1].performance
        versions = [w for w in perf.by_segment if w.segment == "model_version"]
        if versions:
            names = sorted({m for w in versions for m in w.metrics})
            vrows = [
                [
                    w.segment_value,
                    w.n_labelled,
                    *(fmt(w.metrics[m].value) if m in w.metrics else "-" for m in names),
                ]
                for w in versions
            ]
            parts.append(
                section(
                    "versions",
                    "Model versions (latest check)",
                    table(["version", "labelled", *names], vrows),
                )
            )
    return f"{system}: runs", "".join(parts)


def _diff(src: Source, a: str, b: str) -> str:
    try:
        ra, rb = src.parsed(a, CheckResult), src.parsed(b, CheckResult)
    except ValidationError:
        return "<p class='note'>Only two checks can be compared here.</p>"
    rows: list[list[str]] = [["rows", fmt(ra.n_rows), fmt(rb.n_rows)]]
    drifted_a = sorted({f.feature for f in ra.drift.features if f.drifted and not f.segment})
    drifted_b = sorted({f.feature for f in rb.drift.features if f.drifted and not f.segment})
    rows.append(["drifted features", ", ".join(drifted_a) or "-", ", ".join(drifted_b) or "-"])
    pa_, pb = ra.performance, rb.performance
    if pa_ is not None and pb is not None:
        for m in sorted(set(pa_.current.metrics) | set(pb.current.metrics)):
            va, vb = pa_.current.metrics.get(m), pb.current.metrics.get(m)
            rows.append([m, fmt(va.value if va else None), fmt(vb.value if vb else None)])
    if ra.latency is not None and rb.latency is not None:
        rows.append(["p99 latency (ms)", fmt(ra.latency.current.p99), fmt(rb.latency.current.p99)])
    return table(["", f"A {a[:12]}", f"B {b[:12]}"], rows)


# ---------------------------------------------------------------- lineage


def lineage(src: Source, node: str | None) -> View:
    graph = LineageGraph(src.store)
    try:
        nodes, edges = graph.nodes(), graph.edges()
    except Exception:  # the lineage tables do not exist in a store that never had lineage
        nodes, edges = [], []
    if not nodes:
        return "Lineage", not_available("No lineage recorded in this store yet.")
    highlight: set[str] = set()
    detail = "<p class='note'>Click a node to see its impact (everything downstream).</p>"
    if node is not None:
        if node not in {n.node_id for n in nodes}:
            raise NotFound(f"no node {node!r}")
        try:
            reach = graph.impact(node)
        except ConfigError as exc:
            raise NotFound(str(exc)) from None
        highlight = {n.node_id for n, _ in reach.nodes}
        rows = [
            [n.kind, cell_link(n.node_id, url("lineage", node=n.node_id)), str(d)]
            for n, d in reach.nodes
        ]
        detail = section(
            "impact",
            f"Impact of {node}",
            table(["kind", "node", "distance"], rows, raw=True)
            if rows
            else "<p>Nothing downstream.</p>",
        )
    svg = lineage_svg(nodes, edges, highlight=highlight, root=node)
    return "Lineage", section("graph", "Graph", f"<div style='overflow:auto'>{svg}</div>") + detail

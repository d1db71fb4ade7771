"""Rendering of the dashboard's drill pages (the routes and their state are in
:mod:`modelward.web.drill`).

Every function here turns already computed values (a check, a grade, a
debrief, the drill history) into HTML; none reads the store or runs an
analysis.

Examples
--------
>>> html = options([("a", "first"), ("b", "second")], ["b"])
>>> html.count("<option"), 'value="b" selected' in html
(2, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse

from modelward.analyses.results import CheckResult
from modelward.drills.catalogue import ACTIONS, CAUSES
from modelward.drills.grading import Grade
from modelward.drills.history import AttemptRecord
from modelward.drills.scenario import DEFAULT_DAYS, DEFAULT_ROWS_PER_DAY, MIN_DAYS
from modelward.drills.session import Debrief, Drill
from modelward.report.html import SECTIONS, report_sections
from modelward.simulate import DOMAINS
from modelward.web.pages import e, fmt, kv, page, section, table

if TYPE_CHECKING:
    from modelward.web.drill import Attempt

__all__ = [
    "DEFAULT_MINUTES",
    "MAX_DAYS",
    "ROWS_PER_DAY_RANGE",
    "drill_page",
    "evidence",
    "graded_page",
    "options",
    "refused",
    "respond",
    "start_page",
]

DEFAULT_MINUTES = 8.0
MAX_DAYS = 90
ROWS_PER_DAY_RANGE = (50, 5000)

_NAV = [("Systems", "/"), ("Drill", "/drill")]
#: Report sections shown as evidence (the header is replaced, a drill has no policy).
_EVIDENCE = [(sid, title) for sid, title in SECTIONS if sid not in ("header", "triggers")]
_COUNTDOWN = """
(function () {
  var el = document.getElementById('timer');
  if (!el) return;
  var end = Date.now() + 1000 * parseFloat(el.getAttribute('data-remaining'));
  function tick() {
    var left = Math.round((end - Date.now()) / 1000);
    if (left <= 0) { el.textContent = 'time is up (answers still graded, time score 0)';
      el.className = 'timer late'; return; }
    el.textContent = Math.floor(left / 60) + ':' + String(left % 60).padStart(2, '0') + ' left';
    setTimeout(tick, 1000);
  }
  tick();
})();
"""
_CSS = """
form.drill label { display:block; margin:10px 0 2px; font-weight:600; }
form.drill select, form.drill input, form.drill textarea { font:inherit; padding:3px 6px; }
form.drill textarea { width:100%; max-width:640px; font-family:ui-monospace,monospace; }
form.drill .hint { color:var(--muted); font-weight:400; font-size:12px; margin-left:6px; }
form.drill button { margin-top:14px; padding:6px 16px; font:inherit; font-weight:600; }
.timer { position:sticky; top:0; background:#fff8c5; border:1px solid var(--warn);
  border-radius:6px; padding:4px 10px; display:inline-block; font-weight:700; z-index:20; }
.timer.late { background:#ffebe9; border-color:var(--crit); }
.error { background:#ffebe9; border:1px solid var(--crit); border-radius:6px; padding:8px 12px; }
.total { font-size:20px; font-weight:700; }
"""


def _one(form: Mapping[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def options(values: Sequence[tuple[str, str]], chosen: Sequence[str]) -> str:
    return "".join(
        f'<option value="{e(v)}"{" selected" if v in chosen else ""}>{e(label)}</option>'
        for v, label in values
    )


def respond(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        page(title, f"<style>{_CSS}</style>{body}", nav=_NAV, here="Drill"), status_code=status
    )


def refused(message: str, status: int) -> HTMLResponse:
    return respond(
        str(status), f"<p class='error'>{e(message)}</p><p><a href='/drill'>Drills</a></p>", status
    )


def start_page(
    start_token: str,
    prog: Mapping[str, Any],
    past: Sequence[AttemptRecord],
    error: str | None = None,
) -> str:
    """The start form, progress by cause and dimension, and the past attempts (newest first)."""
    causes = [("", "random (weighted to your weak areas)"), *((c, c) for c in CAUSES)]
    domains = [("", "random"), *((d, d) for d in sorted(DOMAINS))]
    form = (
        '<form class="drill" method="post" action="/drill/start">'
        f'<input type="hidden" name="csrf" value="{e(start_token)}">'
        f'<label for="cause">Cause</label><select id="cause" name="cause">{options(causes, [])}'
        f'</select><label for="domain">Domain</label><select id="domain" name="domain">'
        f"{options(domains, [])}</select>"
        '<label for="seed">Seed <span class="hint">(blank: a fresh one; a seed, cause and '
        'domain replay a drill exactly)</span></label><input id="seed" name="seed" '
        'type="number" min="0" step="1">'
        f'<label for="minutes">Minutes</label><input id="minutes" name="minutes" type="number" '
        f'min="1" max="120" step="any" value="{DEFAULT_MINUTES:g}">'
        f'<label for="days">Days of traffic</label><input id="days" name="days" type="number" '
        f'min="{MIN_DAYS}" max="{MAX_DAYS}" value="{DEFAULT_DAYS}">'
        '<label for="rows_per_day">Rows per day</label><input id="rows_per_day" '
        f'name="rows_per_day" type="number" min="{ROWS_PER_DAY_RANGE[0]}" '
        f'max="{ROWS_PER_DAY_RANGE[1]}" value="{DEFAULT_ROWS_PER_DAY}">'
        "<br><button type=submit>Start the drill</button> <span class='hint'>(simulating and "
        "checking takes a few seconds)</span></form>"
    )
    dims = ["total", "diagnosis", "mapping", "containment", "coverage", "time"]
    rows = [
        [cause, p["attempts"], *(fmt(p[d], 3) for d in dims)]
        for cause, p in prog["by_cause"].items()
    ]
    if rows:
        rows.append(
            ["all", prog["attempts"], "", *(fmt(prog["by_dimension"][d], 3) for d in dims[1:])]
        )
        trend = prog["trend"]
        summary = kv(
            [
                ("first attempts", trend["first"]),
                ("latest", trend["last"]),
                ("practise next", ", ".join(prog["practise_next"])),
            ]
        )
        prog_html = summary + table(["cause", "attempts", *dims], rows)
        past_html = table(
            ["when", "seed", "domain", "true cause", "your cause", "total", "seconds"],
            [
                [
                    fmt(a.created_at),
                    a.seed,
                    a.domain,
                    a.cause,
                    a.answer_cause,
                    fmt(a.total, 3),
                    fmt(a.elapsed_seconds, 3),
                ]
                for a in past
            ],
        )
    else:
        prog_html = "<p class='note'>No drill attempted yet.</p>"
        past_html = ""
    err = f"<p class='error'>{e(error)}</p>" if error else ""
    return (
        err
        + section("start", "Start a drill", form)
        + section("progress", "Progress by cause and rubric dimension", prog_html)
        + (section("attempts", "Past attempts", past_html) if past_html else "")
    )


def evidence(check: CheckResult) -> str:
    content = report_sections(check)
    head = kv(
        [
            ("rows", check.n_rows),
            ("reference", check.reference),
            ("current rows", check.n_current_rows),
            ("features", ", ".join(check.features)),
            ("segments", ", ".join(check.segments) or "-"),
        ]
    )
    return head + "".join(section(sid, title, content[sid]) for sid, title in _EVIDENCE)


def _segment_choices(check: CheckResult) -> list[str]:
    seen: dict[str, None] = {}
    for point in check.health.volume:
        col, val = getattr(point, "segment", None), getattr(point, "segment_value", None)
        if col and val is not None:
            seen[f"{col}={val}"] = None
    return sorted(seen)


def _answer_form(attempt: Attempt, check: CheckResult, values: Mapping[str, list[str]]) -> str:
    def v(name: str) -> str:
        return e(_one(values, name))

    causes = [(c, c) for c in CAUSES]
    actions = [(a, f"{a}: {text}") for a, text in ACTIONS.items()]
    features = [(f, f) for f in check.features]
    segs = "".join(f'<option value="{e(s)}">' for s in ["none", *_segment_choices(check)])
    return (
        f'<form class="drill" method="post" action="/drill/{attempt.attempt_id}/answer">'
        f'<input type="hidden" name="csrf" value="{e(attempt.csrf)}">'
        '<label for="cause">Root cause</label><select id="cause" name="cause">'
        f"{options(causes, values.get('cause', []))}</select>"
        '<label for="onset">Onset date <span class="hint">(first affected day; blank for '
        f'none)</span></label><input id="onset" name="onset" type="date" value="{v("onset")}">'
        '<label for="segment">Segment <span class="hint">(column=value, or none for all '
        f'traffic)</span></label><input id="segment" name="segment" list="segments" '
        f'value="{v("segment") or "none"}"><datalist id="segments">{segs}</datalist>'
        '<label for="features">Features involved <span class="hint">(Ctrl-click for several; '
        'none selected: no feature)</span></label><select id="features" name="features" '
        f'multiple size="{min(8, max(3, len(features)))}">'
        f"{options(features, values.get('features', []))}</select>"
        '<label for="containment">Containment</label><select id="containment" '
        f'name="containment">{options(actions, values.get("containment", []))}</select>'
        '<label for="rollback_trigger">Rollback trigger <span class="hint">(one constraint, '
        "YAML, policy syntax of docs/gates.md, e.g. {metric: recall, max_drop: 0.05})</span>"
        '</label><textarea id="rollback_trigger" name="rollback_trigger" rows="2">'
        f"{v('rollback_trigger')}</textarea>"
        '<label for="monitoring">Monitoring <span class="hint">(a YAML list of constraints, e.g. '
        "- {metric: latency_p99, max: 200})</span></label>"
        f'<textarea id="monitoring" name="monitoring" rows="4">{v("monitoring")}</textarea>'
        "<br><button type=submit>Submit the answer</button></form>"
    )


def drill_page(
    attempt: Attempt,
    drill: Drill,
    evidence: str,
    left: float,
    values: Mapping[str, list[str]],
    error: str | None = None,
) -> str:
    s = attempt.scenario
    timer = (
        f'<p><span id="timer" class="timer{" late" if left <= 0 else ""}" '
        f'data-remaining="{max(left, 0.0):.1f}">'
        f"{int(max(left, 0)) // 60}:{int(max(left, 0)) % 60:02d} left</span> "
        f"<span class='note'>of {attempt.limit_seconds / 60:g} minutes; answers after the "
        f"limit are still graded (time score 0)</span></p><script>{_COUNTDOWN}</script>"
    )
    intro = (
        f"<p>A <b>{e(s.domain)}</b> system is degrading (or is it?). Here is this morning's "
        "check. Diagnose the cause, contain it, and say which monitoring would have caught "
        "it.</p>"
    )
    err = f'<p class="error" id="answer-error">{e(error)}</p>' if error else ""
    return (
        timer
        + err
        + intro
        + section("answer", "Your answer", _answer_form(attempt, drill.check, values))
        + evidence
    )


def _firings(rows: Sequence[tuple[str, Any]]) -> str:
    return table(
        ["role", "constraint", "verdict", "fired at", "series"],
        [
            [r, f.constraint, f.verdict.replace("_", " "), fmt(f.fired_at), f.series]
            for r, f in rows
        ],
    )


def graded_page(attempt: Attempt, grade: Grade, brief: Debrief, stored: str) -> str:
    dims = table(
        ["dimension", "score", "weight", "why"],
        [[d.name, f"{d.score:.2f}", f"{d.weight:.2f}", d.explanation] for d in grade.dimensions],
    )
    yours = ""
    if grade.trigger is not None or grade.monitoring:
        yours = "<h3>Your constraints, run on this log</h3>" + _firings(
            ([("rollback trigger", grade.trigger)] if grade.trigger else [])
            + [("monitoring", f) for f in grade.monitoring]
        )
    top = brief.triage_top
    if top is None:
        tri = "<p>modelward's triage: no finding (healthy).</p>"
    else:
        tri = kv(
            [
                ("cause", top["cause"]),
                ("confidence", top["confidence"]),
                ("onset", top["onset"]),
                ("segment", top["segment"]),
                ("features", ", ".join(top["features"]) or "-"),
            ]
        )
        tri += f"<p>{e(top['evidence'])}</p>"
    if len(brief.triage_findings) > 1:
        tri += "<h3>Other findings</h3>" + table(
            ["cause", "confidence", "onset", "evidence"],
            [
                [f["cause"], fmt(f["confidence"], 3), fmt(f["onset"]), f["evidence"]]
                for f in brief.triage_findings[1:]
            ],
        )
    ruled = table(
        ["cause", "evidence"], [[r["cause"], r["evidence"]] for r in brief.triage_ruled_out]
    )
    tell = (
        table(
            ["neighbouring cause", "how a strong answer rules it out"],
            [[r["cause"], r["how"]] for r in brief.rule_out],
        )
        if brief.rule_out
        else "<p class='note'>No neighbouring cause for this one.</p>"
    )
    truth = kv([(k, ", ".join(v) if isinstance(v, list) else v) for k, v in brief.truth.items()])
    right = ", ".join(f"{a} ({ACTIONS[a]})" for a in brief.right_containment)
    return (
        f"<p class='total' id='total'>Score {grade.total:.0%}</p><p class='note'>{e(stored)}</p>"
        + section("grade", "Grade by rubric dimension", dims + yours)
        + section("truth", "What happened", truth + f"<p>Right containment: {e(right)}</p>")
        + section("triage", "modelward's own triage", tri)
        + section("ruled-out", "Hypotheses modelward's triage ruled out", ruled)
        + section("tell-apart", "What to rule out next time", tell)
        + section(
            "suggested",
            "Monitoring that would have caught it",
            _firings([("monitoring", f) for f in brief.suggested_monitoring]),
        )
        + f"<p>Replay: <code>{e(attempt.scenario.replay)}</code> &middot; "
        "<a href='/drill'>Another drill</a></p>"
    )

"""The dashboard's drill pages: a timed practice incident answered in a form, graded, debriefed.

Routes (registered by :func:`register_drill_routes`)
----------------------------------------------------
``GET /drill``
    Start a drill (cause, domain or random, seed, time limit, size); past
    attempts and progress by cause and rubric dimension
    (:func:`modelward.drills.history.progress`).
``POST /drill/start``
    Draws the scenario (:func:`modelward.drills.scenario.pick_scenario`),
    simulates it and runs the morning check (:func:`modelward.drills.session.prepare`,
    a few seconds, synchronously), then redirects to the attempt.
``GET /drill/{attempt_id}``
    The evidence (the check's verdict and report figures; never the triage), a
    countdown and the answer form. The timer starts, server-side, the first
    time the evidence is shown.
``POST /drill/{attempt_id}/answer``
    Parses the form with :func:`modelward.drills.answers.parse_answers` (a bad
    answer: the form again with one message, status 400), grades it, records
    it in the store's drill history and shows the grade and the debrief.

State and security
------------------
Prepared drills live in a bounded in-memory registry keyed by a random
attempt id (the learner never sends a path or a seed after the start): the
light part (scenario, CSRF token, start time, graded page) for the last
``attempts`` attempts, the heavy part (simulation, summaries, check) for the
last ``drills``; an evicted drill is prepared again from its scenario, which
its seed reproduces exactly. Every form carries a random token (one per app
for the start form, one per attempt for the answer form), compared in
constant time; a POST without it is refused (403). At most two drills are
prepared at once.

Examples
--------
>>> registry = DrillRegistry(attempts=2, drills=1)
>>> from modelward.drills.scenario import scenario_from_seed
>>> a = registry.new(scenario_from_seed(1, cause="data_gap", domain="fraud"), limit_seconds=480)
>>> registry.get(a.attempt_id) is a, len(a.attempt_id), len(a.csrf) >= 32
(True, 16, True)
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from modelward._exceptions import ConfigError, LogError, PolicyError, StoreError
from modelward.analyses.results import CheckResult
from modelward.drills.answers import parse_answers
from modelward.drills.catalogue import ACTIONS, CAUSES
from modelward.drills.grading import Grade
from modelward.drills.history import progress, record_attempt, scores_by_cause
from modelward.drills.scenario import (
    DEFAULT_DAYS,
    DEFAULT_ROWS_PER_DAY,
    MIN_DAYS,
    Scenario,
    pick_scenario,
)
from modelward.drills.session import Debrief, Drill, debrief, grade_drill, prepare
from modelward.report.html import SECTIONS, report_sections
from modelward.simulate import DOMAINS
from modelward.store import Store
from modelward.web.pages import e, fmt, kv, page, section, table
from modelward.web.views import Lru, NotFound

__all__ = ["Attempt", "DrillRegistry", "register_drill_routes"]

DEFAULT_MINUTES = 8.0
MAX_DAYS = 90
ROWS_PER_DAY_RANGE = (50, 5000)
_MAX_BODY = 64_000
_ID = re.compile(r"[0-9a-f]{16}")
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


@dataclass
class Attempt:
    """One drill in the registry: the scenario and what the learner has done with it."""

    attempt_id: str
    csrf: str
    scenario: Scenario
    limit_seconds: float
    started_at: float | None = None
    graded_html: str | None = None


class DrillRegistry:
    """Bounded, thread-safe registry of drill attempts (see the module docstring).

    Parameters
    ----------
    attempts
        Attempts remembered (scenario, token, start time, graded page).
    drills
        Prepared drills kept in memory (simulation, summaries, check).
    prepare_drill
        Simulates and checks a scenario (:func:`modelward.drills.session.prepare`);
        kept as the public attribute ``prepare_drill`` (tests may memoise it).
    """

    def __init__(
        self,
        *,
        attempts: int = 256,
        drills: int = 4,
        prepare_drill: Callable[[Scenario], Drill] = prepare,
    ) -> None:
        self.start_token = secrets.token_urlsafe(32)
        self._attempts = Lru(attempts)
        self._drills = Lru(drills)
        self._evidence = Lru(drills)
        self.prepare_drill = prepare_drill
        self._busy = threading.BoundedSemaphore(2)
        self._lock = threading.Lock()

    def new(self, scenario: Scenario, *, limit_seconds: float) -> Attempt:
        """Register a new attempt at ``scenario`` (not prepared yet)."""
        attempt = Attempt(secrets.token_hex(8), secrets.token_urlsafe(32), scenario, limit_seconds)
        self._attempts[attempt.attempt_id] = attempt
        return attempt

    def get(self, attempt_id: str) -> Attempt:
        """The attempt of that id (:class:`~modelward.web.views.NotFound` when unknown)."""
        if not _ID.fullmatch(attempt_id) or attempt_id not in self._attempts:
            raise NotFound(f"no drill attempt {attempt_id!r} (it may have expired)")
        found: Attempt = self._attempts[attempt_id]
        return found

    def drill(self, attempt: Attempt) -> Drill:
        """The prepared drill of ``attempt``, prepared again from its seed if evicted.

        Attempts at the same scenario share one prepared drill (it is deterministic).
        """
        key = repr(attempt.scenario)
        if key in self._drills:
            cached: Drill = self._drills[key]
            return cached
        if not self._busy.acquire(timeout=60):
            raise StoreError("too many drills are being prepared; try again in a minute")
        try:
            made = self.prepare_drill(attempt.scenario)
        finally:
            self._busy.release()
        self._drills[key] = made
        return made

    def evidence(self, attempt: Attempt, drill: Drill) -> str:
        """The evidence sections of the drill's check (rendered once, kept with the drill)."""
        key = repr(attempt.scenario)
        if key not in self._evidence:
            self._evidence[key] = _evidence(drill.check)
        html: str = self._evidence[key]
        return html

    def start_clock(self, attempt: Attempt) -> float:
        """Start the attempt's timer if not started; return the seconds left (may be < 0)."""
        with self._lock:
            if attempt.started_at is None:
                attempt.started_at = time.time()
        return attempt.limit_seconds - (time.time() - attempt.started_at)


# ------------------------------------------------------------------ the store

_STORE_LOCK = threading.Lock()


@contextmanager
def _open(path: Path, *, read_only: bool, tries: int = 30) -> Iterator[Store]:
    """The store, retried briefly while another request holds it in another mode."""
    with _STORE_LOCK:
        for i in range(tries):
            try:
                store = Store(path, read_only=read_only)
                break
            except StoreError:
                if i == tries - 1:
                    raise
                time.sleep(0.1)
        try:
            yield store
        finally:
            store.close()


def _past_attempts(store: Store, limit: int = 20) -> list[tuple[Any, ...]]:
    con = store.connection
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'drill_attempts'"
    ).fetchone()
    if not found or not found[0]:
        return []
    rows: list[tuple[Any, ...]] = con.execute(
        "SELECT created_at, seed, domain, cause, answer_cause, total, elapsed_seconds "
        "FROM drill_attempts ORDER BY created_at DESC LIMIT ?",
        [limit],
    ).fetchall()
    return rows


# ------------------------------------------------------------------ forms


def _form(body: bytes) -> dict[str, list[str]]:
    if len(body) > _MAX_BODY:
        raise ConfigError(f"the form is too large ({len(body)} bytes; at most {_MAX_BODY})")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ConfigError("the form is not UTF-8 text") from None


def _one(form: Mapping[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _token_ok(given: str, want: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), want.encode())


def _number(
    form: Mapping[str, list[str]],
    name: str,
    default: float,
    lo: float,
    hi: float,
    *,
    integer: bool = False,
) -> float:
    text = _one(form, name)
    if not text:
        return default
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise ConfigError(f"{name}: {text!r} is not a number") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo:g} and {hi:g}; got {text}")
    return value


def _options(values: Sequence[tuple[str, str]], chosen: Sequence[str]) -> str:
    return "".join(
        f'<option value="{e(v)}"{" selected" if v in chosen else ""}>{e(label)}</option>'
        for v, label in values
    )


def _respond(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        page(title, f"<style>{_CSS}</style>{body}", nav=_NAV, here="Drill"), status_code=status
    )


def _refused(message: str, status: int) -> HTMLResponse:
    return _respond(
        str(status), f"<p class='error'>{e(message)}</p><p><a href='/drill'>Drills</a></p>", status
    )


# ------------------------------------------------------------------ start page


def _start_page(path: Path, registry: DrillRegistry, error: str | None = None) -> str:
    causes = [("", "random (weighted to your weak areas)"), *((c, c) for c in CAUSES)]
    domains = [("", "random"), *((d, d) for d in sorted(DOMAINS))]
    form = (
        '<form class="drill" method="post" action="/drill/start">'
        f'<input type="hidden" name="csrf" value="{e(registry.start_token)}">'
        f'<label for="cause">Cause</label><select id="cause" name="cause">{_options(causes, [])}'
        f'</select><label for="domain">Domain</label><select id="domain" name="domain">'
        f"{_options(domains, [])}</select>"
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
    with _open(path, read_only=True) as store:
        prog = progress(store)
        past = _past_attempts(store)
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
            [[fmt(r[0]), r[1], r[2], r[3], r[4], fmt(r[5], 3), fmt(r[6], 3)] for r in past],
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


# ------------------------------------------------------------------ the drill page


def _evidence(check: CheckResult) -> str:
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
        f"{_options(causes, values.get('cause', []))}</select>"
        '<label for="onset">Onset date <span class="hint">(first affected day; blank for '
        f'none)</span></label><input id="onset" name="onset" type="date" value="{v("onset")}">'
        '<label for="segment">Segment <span class="hint">(column=value, or none for all '
        f'traffic)</span></label><input id="segment" name="segment" list="segments" '
        f'value="{v("segment") or "none"}"><datalist id="segments">{segs}</datalist>'
        '<label for="features">Features involved <span class="hint">(Ctrl-click for several; '
        'none selected: no feature)</span></label><select id="features" name="features" '
        f'multiple size="{min(8, max(3, len(features)))}">'
        f"{_options(features, values.get('features', []))}</select>"
        '<label for="containment">Containment</label><select id="containment" '
        f'name="containment">{_options(actions, values.get("containment", []))}</select>'
        '<label for="rollback_trigger">Rollback trigger <span class="hint">(one constraint, '
        "YAML, policy syntax of docs/gates.md, e.g. {metric: recall, max_drop: 0.05})</span>"
        '</label><textarea id="rollback_trigger" name="rollback_trigger" rows="2">'
        f"{v('rollback_trigger')}</textarea>"
        '<label for="monitoring">Monitoring <span class="hint">(a YAML list of constraints, e.g. '
        "- {metric: latency_p99, max: 200})</span></label>"
        f'<textarea id="monitoring" name="monitoring" rows="4">{v("monitoring")}</textarea>'
        "<br><button type=submit>Submit the answer</button></form>"
    )


def _drill_page(
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


# ------------------------------------------------------------------ grading


def _answer_yaml(form: Mapping[str, list[str]], elapsed: float) -> str:
    monitoring: Any = _one(form, "monitoring")
    if monitoring:
        try:
            loaded = yaml.safe_load(monitoring)
        except yaml.YAMLError:
            loaded = None  # parse_answers names the bad YAML
        if isinstance(loaded, list | dict):
            monitoring = loaded
    data = {
        "cause": _one(form, "cause"),
        "onset": _one(form, "onset") or None,
        "segment": _one(form, "segment") or None,
        "features": [f for f in form.get("features", []) if f.strip()],
        "containment": _one(form, "containment") or "none_needed",
        "rollback_trigger": _one(form, "rollback_trigger") or None,
        "monitoring": monitoring or [],
        "elapsed_seconds": round(max(elapsed, 0.0), 1),
    }
    return yaml.safe_dump(data, sort_keys=False)


def _firings(rows: Sequence[tuple[str, Any]]) -> str:
    return table(
        ["role", "constraint", "verdict", "fired at", "series"],
        [
            [r, f.constraint, f.verdict.replace("_", " "), fmt(f.fired_at), f.series]
            for r, f in rows
        ],
    )


def _graded_page(attempt: Attempt, grade: Grade, brief: Debrief, stored: str) -> str:
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


# ------------------------------------------------------------------ routes


def register_drill_routes(
    app: FastAPI, store_path: Path, registry: DrillRegistry | None = None
) -> DrillRegistry:
    """Add the drill routes to the dashboard ``app`` (kept on ``app.state.drills``)."""
    reg = registry or DrillRegistry()
    app.state.drills = reg

    @app.get("/drill", response_class=HTMLResponse)
    def drill_home() -> HTMLResponse:
        return _respond("Drill", _start_page(store_path, reg))

    @app.post("/drill/start", response_model=None)
    async def drill_start(request: Request) -> Response:
        form = _form(await request.body())
        if not _token_ok(_one(form, "csrf"), reg.start_token):
            return _refused("The form's token is missing or wrong; reload /drill.", 403)
        return await run_in_threadpool(_start_sync, form)

    def _start_sync(form: Mapping[str, list[str]]) -> Response:
        try:
            minutes = _number(form, "minutes", DEFAULT_MINUTES, 0.5, 120)
            days = int(_number(form, "days", DEFAULT_DAYS, MIN_DAYS, MAX_DAYS, integer=True))
            rows = int(
                _number(
                    form, "rows_per_day", DEFAULT_ROWS_PER_DAY, *ROWS_PER_DAY_RANGE, integer=True
                )
            )
            seed_text = _one(form, "seed")
            seed = int(_number(form, "seed", 0, 0, 2**31 - 1, integer=True)) if seed_text else None
            history: dict[str, list[float]] = {}
            if seed is None:
                with _open(store_path, read_only=True) as store:
                    history = scores_by_cause(store)
            scenario = pick_scenario(
                seed=seed,
                cause=_one(form, "cause") or None,
                domain=_one(form, "domain") or None,
                history=history,
                days=days,
                rows_per_day=rows,
            )
        except ConfigError as exc:
            return _respond("Drill", _start_page(store_path, reg, str(exc)), 400)
        attempt = reg.new(scenario, limit_seconds=minutes * 60)
        reg.evidence(attempt, reg.drill(attempt))  # simulate, check, render; timer starts later
        return RedirectResponse(f"/drill/{attempt.attempt_id}", status_code=303)

    @app.get("/drill/{attempt_id}", response_class=HTMLResponse)
    def drill_view(attempt_id: str) -> HTMLResponse:
        attempt = reg.get(attempt_id)
        if attempt.graded_html is not None:
            return _respond("Drill graded", attempt.graded_html)
        drill = reg.drill(attempt)
        left = reg.start_clock(attempt)
        return _respond(
            "Drill", _drill_page(attempt, drill, reg.evidence(attempt, drill), left, {})
        )

    @app.post("/drill/{attempt_id}/answer", response_model=None)
    async def drill_answer(attempt_id: str, request: Request) -> Response:
        attempt = reg.get(attempt_id)
        form = _form(await request.body())
        if not _token_ok(_one(form, "csrf"), attempt.csrf):
            return _refused("The form's token is missing or wrong; reload the drill page.", 403)
        if attempt.graded_html is not None:
            return _refused("This drill has already been answered; start another one.", 409)
        return await run_in_threadpool(_grade_sync, attempt, form)

    def _grade_sync(attempt: Attempt, form: Mapping[str, list[str]]) -> Response:
        drill = reg.drill(attempt)
        left = reg.start_clock(attempt)
        elapsed = attempt.limit_seconds - left
        try:
            answers = parse_answers(_answer_yaml(form, elapsed), source="your answer")
            grade = grade_drill(
                drill,
                answers,
                limit_seconds=attempt.limit_seconds,
                elapsed_seconds=answers.elapsed_seconds,
            )
        except (ConfigError, PolicyError, LogError) as exc:
            return _respond(
                "Drill",
                _drill_page(attempt, drill, reg.evidence(attempt, drill), left, form, str(exc)),
                400,
            )
        brief = debrief(drill)
        try:
            with _open(store_path, read_only=False) as store:
                rec = record_attempt(
                    store,
                    scenario=attempt.scenario.as_dict(),
                    answers=answers.model_dump(mode="json"),
                    grade=grade.model_dump(mode="json"),
                )
            stored = f"Stored in the drill history as attempt {rec}."
        except StoreError:
            stored = "Not stored in the drill history: the store is busy (is a check writing it?)."
        attempt.graded_html = _graded_page(attempt, grade, brief, stored)
        return _respond("Drill graded", attempt.graded_html)

    return reg

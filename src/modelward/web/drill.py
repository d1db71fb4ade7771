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
from collections.abc import Callable, Iterator, Mapping
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
from modelward.drills.answers import parse_answers
from modelward.drills.history import list_attempts, progress, record_attempt, scores_by_cause
from modelward.drills.scenario import (
    DEFAULT_DAYS,
    DEFAULT_ROWS_PER_DAY,
    MIN_DAYS,
    Scenario,
    pick_scenario,
)
from modelward.drills.session import Drill, debrief, grade_drill, prepare
from modelward.store import Store
from modelward.web.drill_pages import (
    DEFAULT_MINUTES,
    MAX_DAYS,
    ROWS_PER_DAY_RANGE,
    drill_page,
    evidence,
    graded_page,
    refused,
    respond,
    start_page,
)
from modelward.web.views import Lru, NotFound

__all__ = ["Attempt", "DrillRegistry", "register_drill_routes"]

_MAX_BODY = 64_000
_ID = re.compile(r"[0-9a-f]{16}")


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
            self._evidence[key] = evidence(drill.check)
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


# ------------------------------------------------------------------ routes


def register_drill_routes(
    app: FastAPI, store_path: Path, registry: DrillRegistry | None = None
) -> DrillRegistry:
    """Add the drill routes to the dashboard ``app`` (kept on ``app.state.drills``)."""
    reg = registry or DrillRegistry()
    app.state.drills = reg

    def _start_html(error: str | None = None) -> str:
        with _open(store_path, read_only=True) as store:
            prog = progress(store)
            past = list_attempts(store, limit=20)
        return start_page(reg.start_token, prog, past, error)

    @app.get("/drill", response_class=HTMLResponse)
    def drill_home() -> HTMLResponse:
        return respond("Drill", _start_html())

    @app.post("/drill/start", response_model=None)
    async def drill_start(request: Request) -> Response:
        form = _form(await request.body())
        if not _token_ok(_one(form, "csrf"), reg.start_token):
            return refused("The form's token is missing or wrong; reload /drill.", 403)
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
            return respond("Drill", _start_html(str(exc)), 400)
        attempt = reg.new(scenario, limit_seconds=minutes * 60)
        reg.evidence(attempt, reg.drill(attempt))  # simulate, check, render; timer starts later
        return RedirectResponse(f"/drill/{attempt.attempt_id}", status_code=303)

    @app.get("/drill/{attempt_id}", response_class=HTMLResponse)
    def drill_view(attempt_id: str) -> HTMLResponse:
        attempt = reg.get(attempt_id)
        if attempt.graded_html is not None:
            return respond("Drill graded", attempt.graded_html)
        drill = reg.drill(attempt)
        left = reg.start_clock(attempt)
        return respond("Drill", drill_page(attempt, drill, reg.evidence(attempt, drill), left, {}))

    @app.post("/drill/{attempt_id}/answer", response_model=None)
    async def drill_answer(attempt_id: str, request: Request) -> Response:
        attempt = reg.get(attempt_id)
        form = _form(await request.body())
        if not _token_ok(_one(form, "csrf"), attempt.csrf):
            return refused("The form's token is missing or wrong; reload the drill page.", 403)
        if attempt.graded_html is not None:
            return refused("This drill has already been answered; start another one.", 409)
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
            return respond(
                "Drill",
                drill_page(attempt, drill, reg.evidence(attempt, drill), left, form, str(exc)),
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
        attempt.graded_html = graded_page(attempt, grade, brief, stored)
        return respond("Drill graded", attempt.graded_html)

    return reg

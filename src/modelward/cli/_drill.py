"""``modelward drill``: a timed practice incident, graded against the simulator's truth."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.prompt import Prompt
from rich.table import Table

from modelward._exceptions import ConfigError, PolicyError
from modelward.cli.app import app
from modelward.drills.answers import Answers, constraints_of, load_answers, parse_constraint
from modelward.drills.catalogue import ACTIONS, CAUSES
from modelward.drills.grading import Grade
from modelward.drills.history import progress, record_attempt, scores_by_cause
from modelward.drills.quiz import check as check_reply
from modelward.drills.quiz import make_quiz
from modelward.drills.scenario import DEFAULT_DAYS, DEFAULT_ROWS_PER_DAY, pick_scenario
from modelward.drills.session import Debrief, Drill, debrief, grade_drill, prepare
from modelward.report import render_terminal, write_html
from modelward.store import DEFAULT_STORE_PATH, Store

__all__ = ["drill"]

console = Console()


def _remaining(start: float, limit: float) -> str:
    left = limit - (time.monotonic() - start)
    if left <= 0:
        return "[red]time is up (answers still graded, time score 0)[/]"
    return f"[dim]{int(left) // 60}:{int(left) % 60:02d} left[/]"


def _ask_constraint(label: str, start: float, limit: float, *, required: bool) -> dict[str, Any]:
    while True:
        text = Prompt.ask(
            f"{label} {_remaining(start, limit)}",
            console=console,
            default="" if not required else None,
            show_default=False,
        )
        if not (text or "").strip():
            return {}
        try:
            return parse_constraint(text, where=label).model_dump(exclude_defaults=True)
        except PolicyError as exc:
            console.print(f"[red]{exc}[/]", highlight=False)


def _interactive(drill: Drill, limit: float) -> Answers:
    start = time.monotonic()
    console.rule(f"[bold]Your diagnosis[/] ({limit / 60:g} minutes)")
    cause = Prompt.ask(
        f"Root cause {_remaining(start, limit)}", choices=list(CAUSES), console=console
    )
    onset: str | None = None
    while True:
        onset = (
            Prompt.ask(
                f"Onset date YYYY-MM-DD (blank: none) {_remaining(start, limit)}",
                console=console,
                default="",
                show_default=False,
            ).strip()
            or None
        )
        try:
            Answers.model_validate({"cause": cause, "onset": onset})
            break
        except ValueError as exc:
            console.print(f"[red]not a date: {onset} ({exc.__class__.__name__})[/]")
    segment = Prompt.ask(
        f"Affected segment col=value (blank: all traffic) {_remaining(start, limit)}",
        console=console,
        default="",
        show_default=False,
    )
    features = Prompt.ask(
        f"Features involved, comma-separated (blank: none) {_remaining(start, limit)}",
        console=console,
        default="",
        show_default=False,
    )
    ids = list(ACTIONS)
    for i, (key, text) in enumerate(ACTIONS.items(), 1):
        console.print(f"  {i:>2}. {key}: {text}", highlight=False)
    pick = Prompt.ask(
        f"Containment action (number or id) {_remaining(start, limit)}",
        choices=[str(i) for i in range(1, len(ids) + 1)] + ids,
        show_choices=False,
        console=console,
    )
    action = ids[int(pick) - 1] if pick.isdigit() else pick
    console.print(
        "Constraints use the policy syntax of docs/gates.md, as YAML on one line, e.g. "
        "[bold]{metric: recall, max_drop: 0.05}[/] or [bold]{metric: latency_p99, max: 200}[/]."
    )
    trigger = _ask_constraint("Rollback trigger (one constraint)", start, limit, required=False)
    monitoring: list[dict[str, Any]] = []
    while True:
        c = _ask_constraint(
            f"Monitoring constraint {len(monitoring) + 1} (blank to finish)",
            start,
            limit,
            required=False,
        )
        if not c:
            break
        monitoring.append(c)
    elapsed = time.monotonic() - start
    try:
        return Answers.model_validate(
            {
                "cause": cause,
                "onset": onset,
                "segment": segment,
                "features": features,
                "containment": action,
                "rollback_trigger": trigger or None,
                "monitoring": monitoring,
                "elapsed_seconds": round(elapsed, 1),
            }
        )
    except ValueError as exc:
        raise ConfigError(f"answer rejected: {exc}") from None


def _render_grade(grade: Grade, brief: Debrief, drill: Drill) -> None:
    console.rule(f"[bold]Score {grade.total:.0%}")
    table = Table(show_header=True, header_style="bold")
    for col in ("dimension", "score", "weight", "why"):
        table.add_column(col, overflow="fold")
    for d in grade.dimensions:
        table.add_row(d.name, f"{d.score:.2f}", f"{d.weight:.2f}", d.explanation)
    console.print(table)
    console.rule("[bold]Debrief")
    console.print("What happened: " + json.dumps(brief.truth, default=str), highlight=False)
    top = brief.triage_top
    if top is not None:
        console.print(
            f"modelward's triage: [bold]{top['cause']}[/] (confidence {top['confidence']:.2f}), "
            f"onset {top['onset']}, segment {top['segment']}, features {top['features']}\n"
            f"  evidence: {top['evidence']}",
            highlight=False,
        )
    else:
        console.print("modelward's triage: no finding (healthy).")
    for r in brief.rule_out:
        console.print(f"  rule out [bold]{r['cause']}[/]: {r['how']}", highlight=False)
    console.print(f"Right containment: {', '.join(brief.right_containment)}", highlight=False)
    for f in brief.suggested_monitoring:
        when = f" at {f.fired_at}" if f.fired_at else ""
        console.print(
            f"Monitoring that would have caught it: {f.constraint} -> {f.verdict}{when}",
            highlight=False,
        )
    console.print(f"Replay: {drill.scenario.replay}", highlight=False)


def _progress(store_path: Path, fmt: str) -> None:
    if not store_path.exists():
        data: dict[str, Any] = {"attempts": 0, "by_cause": {}, "by_dimension": {}}
        data["practise_next"] = []
    else:
        with Store(store_path) as store:
            data = progress(store)
    if fmt == "json":
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(title=f"Drill progress ({data['attempts']} attempts)")
    dims = ["total", "diagnosis", "mapping", "containment", "coverage", "time"]
    table.add_column("cause")
    table.add_column("n", justify="right")
    for d in dims:
        table.add_column(d, justify="right")
    for cause, e in data["by_cause"].items():
        table.add_row(
            cause, str(e["attempts"]), *("-" if e[d] is None else f"{e[d]:.2f}" for d in dims)
        )
    console.print(table)
    if data.get("trend", {}).get("first") is not None:
        console.print(
            f"Trend: first attempts {data['trend']['first']:.2f} -> "
            f"latest {data['trend']['last']:.2f}"
        )
    if data["practise_next"]:
        console.print("Practise next: " + ", ".join(data["practise_next"]))


def _quiz(n: int, seed: int | None) -> None:
    qs = make_quiz(n=n, seed=0 if seed is None else seed)
    right = 0
    for i, q in enumerate(qs, 1):
        console.rule(f"Question {i} of {len(qs)}")
        console.print(q.prompt, highlight=False)
        for j, opt in enumerate(q.options, 1):
            console.print(f"  {j}. {opt}", highlight=False)
        reply = Prompt.ask(
            "Your answer (number)",
            console=console,
            choices=[str(j) for j in range(1, len(q.options) + 1)],
        )
        ok, why = check_reply(q, reply)
        right += ok
        console.print(("[green]" if ok else "[red]") + why + "[/]", highlight=False)
    console.rule(f"[bold]{right} of {len(qs)} right")


@app.command()
def drill(
    seed: int | None = typer.Option(None, "--seed", help="Replay the scenario of this seed."),
    cause: str | None = typer.Option(None, "--cause", help="Practise this cause."),
    domain: str | None = typer.Option(None, "--domain", help="Practise on this domain."),
    minutes: float = typer.Option(8.0, "--minutes", help="Time limit in minutes."),
    answers: Path | None = typer.Option(
        None, "--answers", help="Grade a prepared answers YAML instead of asking."
    ),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    show_progress: bool = typer.Option(
        False, "--progress", help="Scores by cause and dimension over time; what to practise."
    ),
    quiz: bool = typer.Option(False, "--quiz", help="Vocabulary quiz from the glossary."),
    questions: int = typer.Option(8, "--questions", help="Questions in a quiz."),
    store_path: Path = typer.Option(
        Path(DEFAULT_STORE_PATH), "--store", help="The store that keeps drill history."
    ),
    out: Path = typer.Option(
        Path(".modelward") / "drills", "--out", help="Folder for the drill's HTML report."
    ),
    days: int = typer.Option(DEFAULT_DAYS, "--days", help="Days of simulated traffic."),
    rows_per_day: int = typer.Option(
        DEFAULT_ROWS_PER_DAY, "--rows-per-day", help="Mean simulated rows per day."
    ),
) -> None:
    """Practise an incident: diagnose, contain, and say what monitoring would have caught it."""
    if fmt not in ("text", "json"):
        raise ConfigError(f"--format must be text or json. Got {fmt!r} instead.")
    if minutes <= 0:
        raise ConfigError(f"--minutes must be > 0. Got {minutes} instead.")
    if show_progress:
        _progress(store_path, fmt)
        return
    if quiz:
        _quiz(questions, seed)
        return
    prepared = load_answers(answers) if answers is not None else None
    history: dict[str, list[float]] = {}
    if seed is None and store_path.exists():
        with Store(store_path) as store:
            history = scores_by_cause(store)
    scenario = pick_scenario(
        seed=seed,
        cause=cause,
        domain=domain,
        history=history,
        days=days,
        rows_per_day=rows_per_day,
    )
    text = fmt == "text"
    if text:
        with console.status("Simulating a production system and running the morning check..."):
            d = prepare(scenario)
    else:
        d = prepare(scenario)
    folder = out / f"drill-{scenario.seed}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot create the drill folder: {exc.strerror}") from None
    html = write_html(d.check, folder / "report.html")
    if text:
        console.rule(f"[bold]Drill: a {scenario.domain} system is degrading")
        render_terminal(d.check, console)
        console.print(f"HTML report: {html}", highlight=False)
    limit = minutes * 60
    ans = prepared if prepared is not None else _interactive(d, limit)
    if prepared is not None:
        constraints_of(ans.monitoring, where=f"{answers}, monitoring")
    grade = grade_drill(d, ans, limit_seconds=limit, elapsed_seconds=ans.elapsed_seconds)
    brief = debrief(d)
    with Store(store_path) as store:
        attempt = record_attempt(
            store,
            scenario=scenario.as_dict(),
            answers=ans.model_dump(mode="json"),
            grade=grade.model_dump(mode="json"),
        )
    if text:
        _render_grade(grade, brief, d)
        console.print(f"Stored as drill attempt {attempt}.", highlight=False)
    else:
        typer.echo(
            json.dumps(
                {
                    "attempt_id": attempt,
                    "scenario": scenario.as_dict(),
                    "report": str(html),
                    "grade": grade.model_dump(mode="json"),
                    "debrief": brief.model_dump(mode="json"),
                },
                indent=2,
                default=str,
            )
        )

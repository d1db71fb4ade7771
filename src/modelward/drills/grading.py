"""The rubric: grade an answer against the simulator's ground truth, dimension by dimension.

=====================  ======  ==============================================================
dimension              weight  how it is scored (each 0..1, explained)
=====================  ======  ==============================================================
diagnosis              0.30    cause 75 % (1 exact, 0.5 a neighbouring cause), onset 25 %
                               (1 within 1 day + ramp, 0.5 within 3 days + ramp)
data dependency        0.20    segment 50 % (1 exact, 0.5 right column), features 50 %
mapping                        (Jaccard overlap with the true features)
failure containment    0.20    action 60 % (right 1, acceptable stopgap 0.5, wrong 0),
                               rollback trigger 40 % (run on the log, as for coverage)
monitoring coverage    0.20    the proposed constraints run as rollback triggers on the
                               scenario's own log: 1 if one fires within N days after the
                               onset, 0.5 if only later; each false alarm costs 0.25; on a
                               healthy system, the share that stays quiet
time used              0.10    1 up to half the limit, falling to 0.5 at the limit; 0 after
=====================  ======  ==============================================================

Examples
--------
>>> time_score(100, limit_seconds=480)
1.0
>>> time_score(480, limit_seconds=480), time_score(481, limit_seconds=480)
(0.5, 0.0)
>>> cause_score("prior_shift", truth="covariate_drift")[0]
0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from modelward.analyses.policy import Constraint
from modelward.drills.answers import Answers, constraints_of, parse_constraint
from modelward.drills.catalogue import ACTIONS, fit, neighbours
from modelward.drills.coverage import (
    DEFAULT_K,
    DEFAULT_WITHIN_DAYS,
    Firing,
    evaluate_constraints,
)
from modelward.engine.summaries import Summaries

__all__ = [
    "DIMENSIONS",
    "WEIGHTS",
    "Dimension",
    "FiringOut",
    "Grade",
    "cause_score",
    "grade",
    "time_score",
]

DIMENSIONS = ("diagnosis", "mapping", "containment", "coverage", "time")
WEIGHTS: dict[str, float] = {
    "diagnosis": 0.30,
    "mapping": 0.20,
    "containment": 0.20,
    "coverage": 0.20,
    "time": 0.10,
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(_Model):
    """One rubric dimension: score in [0, 1], its weight and why."""

    name: str
    score: float
    weight: float
    explanation: str


class FiringOut(_Model):
    """A constraint run on the log: what it was and when it fired."""

    constraint: str
    verdict: str
    fired_at: str | None
    series: str


class Grade(_Model):
    """A graded answer."""

    total: float
    dimensions: list[Dimension]
    elapsed_seconds: float | None
    limit_seconds: float
    trigger: FiringOut | None
    monitoring: list[FiringOut]

    def score(self, name: str) -> float:
        """The score of one dimension."""
        return next(d.score for d in self.dimensions if d.name == name)


def _out(f: Firing) -> FiringOut:
    return FiringOut(
        constraint=f.constraint,
        verdict=f.verdict,
        fired_at=f.fired_at.isoformat() if f.fired_at else None,
        series=f.series,
    )


def time_score(elapsed: float | None, *, limit_seconds: float) -> float:
    """1 up to half the limit, linearly to 0.5 at the limit, 0 beyond; untimed answers get 1."""
    if elapsed is None:
        return 1.0
    if elapsed > limit_seconds:
        return 0.0
    frac = elapsed / limit_seconds
    return 1.0 if frac <= 0.5 else round(1.0 - (frac - 0.5), 4)


def cause_score(answer: str, *, truth: str) -> tuple[float, str]:
    """1 for the true cause, 0.5 for a neighbouring one, else 0; with the reason."""
    if answer == truth:
        return 1.0, f"cause {answer} is right"
    if answer in neighbours(truth):
        return 0.5, f"cause {answer} is a neighbour of the true {truth} (partial credit)"
    return 0.0, f"cause {answer} is wrong: it was {truth}"


def _onset_score(answer: date | None, truth: datetime | None, ramp: float) -> tuple[float, str]:
    if truth is None:
        if answer is None:
            return 1.0, "no onset (healthy), right"
        return 0.0, f"onset {answer} given for a healthy system"
    if answer is None:
        return 0.0, f"no onset given; it was {truth.date()}"
    days = abs((answer - truth.date()).days)
    if days <= 1 + ramp:
        return 1.0, f"onset {answer} (true {truth.date()})"
    if days <= 3 + ramp:
        return 0.5, f"onset {answer} is {days} days off (true {truth.date()})"
    return 0.0, f"onset {answer} is {days} days off (true {truth.date()})"


def _segment_score(
    answer: Mapping[str, str] | None, truth: Mapping[str, str] | None
) -> tuple[float, str]:
    if not truth:
        if not answer:
            return 1.0, "all traffic affected, right"
        return 0.0, f"segment {dict(answer)} named, but all traffic was affected"
    ((col, val),) = truth.items()
    if not answer:
        return 0.0, f"no segment named; only {col}={val} was affected"
    if dict(answer) == dict(truth):
        return 1.0, f"segment {col}={val}, right"
    if col in answer:
        return 0.5, f"right column {col}, wrong value {answer[col]} (it was {val})"
    return 0.0, f"segment {dict(answer)} is wrong; it was {col}={val}"


def _features_score(answer: Sequence[str], truth: Sequence[str]) -> tuple[float, str]:
    a, t = set(answer), set(truth)
    if not t:
        if not a:
            return 1.0, "no feature involved, right"
        return 0.0, f"features {sorted(a)} named, but no feature was involved"
    j = len(a & t) / len(a | t)
    return round(j, 4), f"features {sorted(a) or '[]'} vs true {sorted(t)} (overlap {j:.2f})"


def _trigger_score(f: Firing | None, healthy: bool) -> tuple[float, str]:
    if f is None:
        return (
            (1.0, "no trigger, right for a healthy system")
            if healthy
            else (
                0.0,
                "no rollback trigger given",
            )
        )
    when = f"at {f.fired_at:%Y-%m-%d}" if f.fired_at else ""
    if healthy:
        return (
            (1.0, f"trigger '{f.constraint}' stays quiet")
            if f.verdict == "silent"
            else (
                0.0,
                f"trigger '{f.constraint}' fires {when} on a healthy system",
            )
        )
    score = {"caught": 1.0, "late": 0.5}.get(f.verdict, 0.0)
    text = {
        "caught": f"trigger '{f.constraint}' fires {when}, soon after the onset",
        "late": f"trigger '{f.constraint}' fires only {when}, late",
        "false_alarm": f"trigger '{f.constraint}' fires {when}, before the onset could explain it",
        "silent": f"trigger '{f.constraint}' never fires on this incident",
    }[f.verdict]
    return score, text


def coverage_score(firings: Sequence[Firing], *, healthy: bool) -> tuple[float, str]:
    """Score the monitoring constraints' firings (see the module docstring)."""
    if not firings:
        return (
            (1.0, "no monitoring added on a healthy system")
            if healthy
            else (
                0.0,
                "no monitoring proposed",
            )
        )
    alarms = [f for f in firings if f.verdict == "false_alarm"]
    parts = [f"'{f.constraint}': {f.verdict.replace('_', ' ')}" for f in firings]
    if healthy:
        quiet = sum(f.verdict == "silent" for f in firings) / len(firings)
        return round(quiet, 4), "healthy system; " + "; ".join(parts)
    best = max({"caught": 1.0, "late": 0.5}.get(f.verdict, 0.0) for f in firings)
    score = max(0.0, best - 0.25 * len(alarms))
    return round(score, 4), "; ".join(parts)


def grade(
    answers: Answers,
    *,
    truth: Mapping[str, Any],
    summaries: Summaries,
    limit_seconds: float,
    elapsed_seconds: float | None = None,
    within_days: int = DEFAULT_WITHIN_DAYS,
    k: int = DEFAULT_K,
    seed: int = 0,
) -> Grade:
    """Grade ``answers`` against the simulator's ``truth``, running constraints on ``summaries``.

    ``elapsed_seconds`` defaults to ``answers.elapsed_seconds`` (untimed if both are None).
    """
    cause = str(truth["cause"])
    healthy = cause == "none"
    onset_text = truth.get("onset")
    onset = datetime.fromisoformat(str(onset_text).replace("Z", "")) if onset_text else None
    params = truth.get("parameters") or {}
    ramp = float(params.get("gradual_days", 0.0)) if isinstance(params, Mapping) else 0.0
    elapsed = answers.elapsed_seconds if elapsed_seconds is None else elapsed_seconds

    c_score, c_text = cause_score(answers.cause, truth=cause)
    o_score, o_text = _onset_score(answers.onset, onset, ramp)
    diagnosis = 0.75 * c_score + 0.25 * o_score

    seg = truth.get("segment")
    s_score, s_text = _segment_score(answers.segment, seg if isinstance(seg, dict) else None)
    feats = truth.get("features") or []
    f_score, f_text = _features_score(answers.features, [str(f) for f in feats])
    mapping = 0.5 * s_score + 0.5 * f_score

    a_fit, a_why = fit(cause, answers.containment)
    a_score = {"right": 1.0, "acceptable": 0.5, "wrong": 0.0}[a_fit]
    a_text = f"{ACTIONS[answers.containment]!r} is {a_fit}: {a_why}"
    trig: Firing | None = None
    if answers.rollback_trigger is not None:
        tc: Constraint = parse_constraint(answers.rollback_trigger, where="rollback_trigger")
        (trig,) = evaluate_constraints(
            summaries, [tc], onset=onset, k=k, within_days=within_days, seed=seed
        )
    t_score, t_text = _trigger_score(trig, healthy)
    containment = 0.6 * a_score + 0.4 * t_score

    mons = constraints_of(answers.monitoring, where="monitoring")
    firings = evaluate_constraints(
        summaries, mons, onset=onset, k=k, within_days=within_days, seed=seed
    )
    cov, cov_text = coverage_score(firings, healthy=healthy)

    tm = time_score(elapsed, limit_seconds=limit_seconds)
    if elapsed is None:
        tm_text = "untimed (a prepared answer)"
    else:
        tm_text = f"{elapsed:.0f} s of {limit_seconds:.0f} s" + (
            " (over the limit)" if elapsed > limit_seconds else ""
        )
    dims = [
        Dimension(
            name="diagnosis",
            score=round(diagnosis, 4),
            weight=WEIGHTS["diagnosis"],
            explanation=f"{c_text}; {o_text}",
        ),
        Dimension(
            name="mapping",
            score=round(mapping, 4),
            weight=WEIGHTS["mapping"],
            explanation=f"{s_text}; {f_text}",
        ),
        Dimension(
            name="containment",
            score=round(containment, 4),
            weight=WEIGHTS["containment"],
            explanation=f"{a_text}; {t_text}",
        ),
        Dimension(
            name="coverage",
            score=cov,
            weight=WEIGHTS["coverage"],
            explanation=f"run on this log as rollback triggers (k={k}, caught = within "
            f"{within_days} days after the onset): {cov_text}",
        ),
        Dimension(name="time", score=tm, weight=WEIGHTS["time"], explanation=tm_text),
    ]
    total = sum(d.score * d.weight for d in dims)
    return Grade(
        total=round(total, 4),
        dimensions=dims,
        elapsed_seconds=elapsed,
        limit_seconds=limit_seconds,
        trigger=_out(trig) if trig else None,
        monitoring=[_out(f) for f in firings],
    )

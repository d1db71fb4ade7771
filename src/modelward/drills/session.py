"""One drill from start to debrief: simulate, summarise once, check (triage hidden), grade, explain.

Examples
--------
>>> from modelward.drills.scenario import scenario_from_seed
>>> from modelward.drills.answers import parse_answers
>>> d = prepare(scenario_from_seed(4, cause="latency_regression", domain="churn", days=16,
...                                rows_per_day=150))
>>> d.truth["cause"], d.check.n_rows == d.simulation.log.num_rows
('latency_regression', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from modelward._api import summarise
from modelward.analyses.check import run_check
from modelward.analyses.results import CheckResult
from modelward.analyses.triage import TriageResult, run_triage
from modelward.drills.answers import Answers
from modelward.drills.catalogue import CONTAINMENT, TELL_APART, neighbours
from modelward.drills.coverage import evaluate_constraints, suggested_monitoring
from modelward.drills.grading import FiringOut, Grade, grade
from modelward.drills.scenario import Scenario
from modelward.engine.summaries import Summaries
from modelward.simulate import SimulationResult, simulate

__all__ = ["Debrief", "Drill", "debrief", "grade_drill", "prepare", "run_triage_for"]


@dataclass
class Drill:
    """A prepared drill: the scenario, its simulation (with truth), summaries and check."""

    scenario: Scenario
    simulation: SimulationResult
    summaries: Summaries
    check: CheckResult

    @property
    def truth(self) -> dict[str, Any]:
        """The simulator's ground truth (hidden from the learner until grading)."""
        return self.simulation.truth


def prepare(scenario: Scenario) -> Drill:
    """Simulate the scenario, scan its log once and run the morning check (no triage)."""
    sim = simulate(
        domain=scenario.domain,
        fault=scenario.cause,
        magnitude=scenario.magnitude,
        segment=scenario.segment,
        gradual_days=scenario.gradual_days,
        onset_day=scenario.onset_day,
        days=scenario.days,
        rows_per_day=scenario.rows_per_day,
        seed=scenario.seed,
    )
    summaries = summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
    return Drill(
        scenario=scenario,
        simulation=sim,
        summaries=summaries,
        check=run_check(summaries, seed=scenario.seed),
    )


def run_triage_for(drill: Drill) -> TriageResult:
    """Integration point: modelward's own triage of the drill, on the same summaries."""
    return run_triage(drill.summaries, events=drill.simulation.events)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Debrief(_Model):
    """What to learn after grading: the truth, modelward's triage and the hypotheses to rule out."""

    truth: dict[str, Any]
    triage_top: dict[str, Any] | None
    triage_findings: list[dict[str, Any]]
    triage_ruled_out: list[dict[str, str]]
    rule_out: list[dict[str, str]]
    right_containment: list[str]
    suggested_monitoring: list[FiringOut]


def debrief(drill: Drill) -> Debrief:
    """modelward's triage of the same scenario, and what a strong answer would rule out."""
    truth = drill.truth
    cause = str(truth["cause"])
    tri = run_triage_for(drill)
    contract = tri.to_contract_json()
    seg = truth.get("segment")
    feats = [str(f) for f in truth.get("features") or []]
    cons = suggested_monitoring(
        drill.summaries,
        cause=cause,
        segment=seg if isinstance(seg, dict) else None,
        features=feats,
    )
    onset = truth.get("onset")
    when = datetime.fromisoformat(str(onset).replace("Z", "")) if onset else None
    fired = evaluate_constraints(drill.summaries, cons, onset=when, seed=drill.scenario.seed)
    rule_out = [
        {"cause": other, "how": TELL_APART.get((cause, other), "")} for other in neighbours(cause)
    ]
    right = CONTAINMENT[cause]["right"]
    assert isinstance(right, tuple)
    shown = {k: truth.get(k) for k in ("cause", "onset", "segment", "features", "variant")}
    shown["magnitude"] = drill.scenario.magnitude
    return Debrief(
        truth=shown,
        triage_top=contract["findings"][0] if contract["findings"] else None,
        triage_findings=contract["findings"],
        triage_ruled_out=contract["ruled_out"],
        rule_out=rule_out,
        right_containment=list(right),
        suggested_monitoring=[
            FiringOut(
                constraint=f.constraint,
                verdict=f.verdict,
                fired_at=f.fired_at.isoformat() if f.fired_at else None,
                series=f.series,
            )
            for f in fired
        ],
    )


def grade_drill(
    drill: Drill, answers: Answers, *, limit_seconds: float, elapsed_seconds: float | None
) -> Grade:
    """Grade ``answers`` on ``drill`` (see :func:`modelward.drills.grading.grade`)."""
    return grade(
        answers,
        truth=drill.truth,
        summaries=drill.summaries,
        limit_seconds=limit_seconds,
        elapsed_seconds=elapsed_seconds,
        seed=drill.scenario.seed,
    )

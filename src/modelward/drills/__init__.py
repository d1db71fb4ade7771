"""Drills: timed practice incidents graded against the simulator's ground truth.

A drill simulates a scenario (:mod:`~modelward.drills.scenario`), shows the
morning check with triage hidden, takes a structured answer
(:mod:`~modelward.drills.answers`), grades it per rubric dimension
(:mod:`~modelward.drills.grading`, running the learner's monitoring constraints
on the log itself, :mod:`~modelward.drills.coverage`), and debriefs with
modelward's own triage (:mod:`~modelward.drills.session`). Attempts are kept in
the store (:mod:`~modelward.drills.history`); :mod:`~modelward.drills.quiz`
asks the vocabulary.
"""

from __future__ import annotations

from modelward.drills.answers import Answers, load_answers, parse_answers
from modelward.drills.grading import Grade, grade
from modelward.drills.scenario import Scenario, pick_scenario, scenario_from_seed
from modelward.drills.session import Debrief, Drill, debrief, grade_drill, prepare

__all__ = [
    "Answers",
    "Debrief",
    "Drill",
    "Grade",
    "Scenario",
    "debrief",
    "grade",
    "grade_drill",
    "load_answers",
    "parse_answers",
    "pick_scenario",
    "prepare",
    "scenario_from_seed",
]

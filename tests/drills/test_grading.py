from __future__ import annotations

from modelward.drills.answers import Answers
from modelward.drills.grading import WEIGHTS, cause_score, time_score
from modelward.drills.session import Drill, debrief, grade_drill
from tests.drills.conftest import perfect_answer


def _grade(drill: Drill, **changes: object):
    data = perfect_answer(drill) | changes
    return grade_drill(drill, Answers.model_validate(data), limit_seconds=480, elapsed_seconds=None)


def test_weights_sum_to_one() -> None:
    assert abs(sum(WEIGHTS.values()) - 1) < 1e-12


def test_perfect_answer_scores_full_marks(latency_drill: Drill) -> None:
    g = _grade(latency_drill)
    assert g.total == 1.0, g.dimensions
    assert g.trigger is not None
    assert g.trigger.verdict == "caught"


def test_perfect_answer_on_a_segment_gap(gap_drill: Drill) -> None:
    assert gap_drill.truth["segment"]
    g = _grade(gap_drill)
    assert g.total == 1.0, g.dimensions


def test_wrong_cause_scores_low_on_diagnosis(latency_drill: Drill) -> None:
    g = _grade(latency_drill, cause="label_noise")
    assert g.score("diagnosis") <= 0.25
    assert "wrong" in g.dimensions[0].explanation


def test_neighbouring_cause_gets_partial_credit() -> None:
    assert cause_score("prior_shift", truth="covariate_drift")[0] == 0.5
    assert cause_score("latency_regression", truth="covariate_drift")[0] == 0.0


def test_constraint_that_never_fires_scores_zero_on_coverage(latency_drill: Drill) -> None:
    g = _grade(latency_drill, monitoring=[{"metric": "latency_p99", "max": 1_000_000}])
    assert g.score("coverage") == 0.0
    assert g.monitoring[0].verdict == "silent"


def test_constraint_failing_before_the_onset_is_a_false_alarm(latency_drill: Drill) -> None:
    g = _grade(latency_drill, monitoring=[{"metric": "volume", "min": 1_000_000}])
    assert g.monitoring[0].verdict == "false_alarm"
    assert g.score("coverage") == 0.0


def test_wrong_containment_scores_zero_on_the_action(latency_drill: Drill) -> None:
    g = _grade(latency_drill, containment="retrain_recent")
    # the trigger part (40 %) still counts
    assert g.score("containment") == 0.4


def test_segment_and_features_mapping(gap_drill: Drill) -> None:
    ((col, _),) = gap_drill.truth["segment"].items()
    g = _grade(gap_drill, segment={col: "nowhere"}, features=["amount"])
    assert g.score("mapping") == 0.25  # right column (0.5 x 0.5), wrong features (0)


def test_time_score() -> None:
    assert time_score(None, limit_seconds=480) == 1.0
    assert time_score(240, limit_seconds=480) == 1.0
    assert time_score(360, limit_seconds=480) == 0.75
    assert time_score(481, limit_seconds=480) == 0.0


def test_late_answer_still_graded_with_time_zero(latency_drill: Drill) -> None:
    g = grade_drill(
        latency_drill,
        Answers.model_validate(perfect_answer(latency_drill)),
        limit_seconds=60,
        elapsed_seconds=61,
    )
    assert g.score("time") == 0.0
    assert g.score("diagnosis") == 1.0
    assert round(g.total, 4) == 0.9


def test_debrief_shows_triage_and_rule_outs(gap_drill: Drill) -> None:
    d = debrief(gap_drill)
    assert d.truth["cause"] == "data_gap"
    assert d.triage_top is not None
    assert d.triage_top["cause"] == "data_gap"
    assert [r["cause"] for r in d.rule_out] == ["covariate_drift"]
    assert d.suggested_monitoring[0].verdict == "caught"

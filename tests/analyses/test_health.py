"""Health analysis on simulated logs with injected faults (known truth)."""

from __future__ import annotations

from datetime import datetime

import pytest

from modelward.analyses.health import analyse_health, first_run


def _onset(truth) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.fromisoformat(str(truth["onset"]).replace("Z", ""))


def _serious(res):  # type: ignore[no-untyped-def]
    return [i for i in res.issues if i.severity in ("warning", "critical")]


@pytest.mark.parametrize(
    ("domain", "seed"),
    [("fraud", 0), ("churn", 1), ("loan_default", 2), ("content_moderation", 3), ("fraud", 7)],
)
def test_healthy_logs_have_no_warnings(summarise_sim, domain, seed):  # type: ignore[no-untyped-def]
    s, _ = summarise_sim(domain=domain, seed=seed)
    res = analyse_health(s)
    assert _serious(res) == []
    assert res.labels
    assert res.volume
    assert res.day_of_week


@pytest.mark.parametrize("variant", ["unit_x100", "unit_x1000"])
def test_unit_change_is_a_unit_jump_on_the_right_feature(summarise_sim, variant):  # type: ignore[no-untyped-def]
    s, truth = summarise_sim(domain="fraud", fault="schema_change", variant=variant, seed=1)
    jumps = [i for i in analyse_health(s).issues if i.kind == "unit_jump" and i.segment == ""]
    assert [i.feature for i in jumps] == truth["features"]
    assert jumps[0].since == _onset(truth)
    assert jumps[0].evidence["factor"] == (100.0 if variant == "unit_x100" else 1000.0)
    assert jumps[0].severity == "critical"


def test_null_flood(summarise_sim):  # type: ignore[no-untyped-def]
    s, truth = summarise_sim(domain="churn", fault="schema_change", variant="null_flood", seed=2)
    nulls = [i for i in analyse_health(s).issues if i.kind == "null_rate"]
    assert [i.feature for i in nulls if i.segment == ""] == truth["features"]
    assert nulls[0].since == _onset(truth)


def test_sentinel(summarise_sim):  # type: ignore[no-untyped-def]
    s, truth = summarise_sim(domain="churn", fault="schema_change", variant="sentinel", seed=0)
    hits = [i for i in analyse_health(s).issues if i.kind == "sentinel"]
    assert [i.feature for i in hits] == truth["features"]
    assert hits[0].evidence["sentinel"] == -999.0


def test_recased_categories_are_unseen_with_examples(summarise_sim):  # type: ignore[no-untyped-def]
    s, truth = summarise_sim(
        domain="fraud", fault="schema_change", variant="recase_categories", seed=0
    )
    (hit,) = [i for i in analyse_health(s).issues if i.kind == "unseen_categories"]
    assert hit.feature in truth["features"]
    assert hit.evidence["examples"]


@pytest.mark.parametrize("magnitude", [0.6, 1.0])
def test_data_gap_on_the_right_segment(summarise_sim, magnitude):  # type: ignore[no-untyped-def]
    s, truth = summarise_sim(domain="fraud", fault="data_gap", magnitude=magnitude, seed=3)
    ((col, val),) = truth["segment"].items()
    hits = [i for i in _serious(analyse_health(s)) if i.kind in ("volume_drop", "segment_missing")]
    assert {(i.segment, i.segment_value) for i in hits} == {(col, val)}
    if magnitude == 1.0:
        assert hits[0].kind == "segment_missing"
        assert hits[0].since == _onset(truth)


def test_label_delay_lowers_coverage(summarise_sim):  # type: ignore[no-untyped-def]
    s, truth = summarise_sim(domain="fraud", fault="label_delay", magnitude=0.8, seed=1)
    (hit,) = [i for i in analyse_health(s).issues if i.kind == "label_coverage"]
    # buckets old enough for even delayed labels to have arrived look normal, so the
    # deficit shows from the onset on but not necessarily on the onset day itself
    assert hit.since >= _onset(truth)


def test_first_run():
    assert first_run([False, False, True]) == 2
    assert first_run([True, False, True, False]) is None

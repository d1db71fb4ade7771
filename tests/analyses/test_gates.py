from __future__ import annotations

import pytest

from modelward.analyses.gates import decide, evaluate_gate
from modelward.analyses.policy import parse_policy
from modelward.engine import get_engine
from modelward.io import read_log
from tests.analyses._gate_fixtures import make_log

POLICY = """
constraints:
  - metric: recall
    min: 0.6
    for_each: country
    min_samples: 50
  - metric: latency_p99
    max: 100
  - metric: precision
    min: 0.5
"""


def _gate(cand, base=None, policy=POLICY):
    ref = None if base is None else read_log(base, segments=["country"])
    summ = get_engine().summarise(read_log(cand, segments=["country"]), reference=ref)
    return evaluate_gate(summ, parse_policy(policy))


def test_candidate_worse_only_in_one_segment_fails_only_that_segment() -> None:
    res = _gate(make_log(n=12000, seed=1, recall_drop={"BR": 0.6}))
    recall = res.constraints[0]
    by = {r.segment_value: r.outcome for r in recall.rows}
    assert by == {"BR": "fail", "DE": "pass", "US": "pass"}
    assert [c.outcome for c in res.constraints[1:]] == ["pass", "pass"]
    assert res.outcome == "fail"
    assert res.exit_code == 1


def test_tiny_sample_is_never_a_false_fail() -> None:
    # a healthy model (true recall ~0.89 > 0.6) on tiny samples: never fail
    for seed in range(15):
        res = _gate(make_log(n=40, seed=seed))
        assert all(c.outcome != "fail" for c in res.constraints)
    res = _gate(make_log(n=40, seed=0))
    assert res.constraints[0].outcome == "inconclusive"
    assert res.exit_code == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_clearly_worse_candidate_always_fails(seed: int) -> None:
    bad = make_log(
        n=8000, seed=seed, recall_drop={c: 0.7 for c in ("US", "BR", "DE")}, latency_scale=3.0
    )
    res = _gate(bad)
    assert res.constraints[0].outcome == "fail"
    assert res.constraints[1].outcome == "fail"


def test_baseline_paired_and_independent() -> None:
    base = make_log(n=6000, seed=5)
    policy = "constraints:\n  - metric: recall\n    max_drop: 0.02\n    min_samples: 50\n"
    same = _gate(base, base, policy).constraints[0].rows[0]
    assert same.method.startswith("paired")
    assert same.outcome == "pass"
    worse = make_log(n=6000, seed=5, recall_drop={"US": 0.8, "BR": 0.8, "DE": 0.8})
    row = _gate(worse, base, policy).constraints[0].rows[0]
    assert row.method.startswith("paired")
    assert row.outcome == "fail"
    assert row.high is not None
    assert row.high < -0.02
    other = make_log(n=6000, seed=6, prefix="x", recall_drop={"US": 0.8, "BR": 0.8, "DE": 0.8})
    row = _gate(other, base, policy).constraints[0].rows[0]
    assert row.method.startswith("MOVER")
    assert row.outcome == "fail"


def test_gap_between_segments() -> None:
    policy = "constraints:\n  - metric: recall\n    max: 0.1\n    gap_between: country\n"
    res = _gate(make_log(n=12000, seed=2, recall_drop={"BR": 0.6}), policy=policy)
    row = res.constraints[0].rows[0]
    assert row.compared == "gap"
    assert row.outcome == "fail"
    assert "BR" in row.segment_value
    res = _gate(make_log(n=12000, seed=2), policy=policy.replace("0.1", "0.15"))
    assert res.constraints[0].outcome == "pass"


def test_decide_all_outcomes() -> None:
    assert decide("max", 1, 0.5, 0.4, 0.6, n=10, min_samples=20)[0] == "inconclusive"
    assert decide("max", 1, 0.5, 0.4, 0.6, n=30, min_samples=20)[0] == "pass"
    assert decide("min", 1, 0.5, 0.4, 0.6, n=30, min_samples=20)[0] == "fail"
    assert decide("min", 0.5, 0.5, 0.4, 0.6, n=30, min_samples=20)[0] == "inconclusive"

"""The confidence calendar on simulated systems with known truth."""

from __future__ import annotations

import pytest

import modelward
from modelward.analyses.check import run_check
from modelward.analyses.forecast import forecast_policy, metric_series
from modelward.analyses.policy import parse_policy


@pytest.fixture(scope="module")
def healthy():  # type: ignore[no-untyped-def]
    sim = modelward.simulate(domain="fraud", fault="none", days=35, rows_per_day=300, seed=4)
    s = modelward.summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
    return s, run_check(s)


def test_healthy_system_has_no_crossing(healthy) -> None:  # type: ignore[no-untyped-def]
    s, res = healthy
    pol = parse_policy(
        "constraints:\n  - metric: latency_p99\n    max: 1000\n  - metric: accuracy\n    min: 0.5\n"
    )
    fc = forecast_policy(res, pol, summaries=s, draws=100)
    assert [r.status for r in fc.rows] == ["no_crossing", "no_crossing"]
    assert fc.retrain_before is None


def test_series_from_check_and_from_summaries_agree(healthy) -> None:  # type: ignore[no-untyped-def]
    s, res = healthy
    t1, v1, basis = metric_series("accuracy", result=res, min_samples=1)
    t2, v2, _ = metric_series("accuracy", summaries=s, segment=("", ""), min_samples=1)
    common = sorted(set(t1) & set(t2))
    assert basis == "realised"
    assert len(common) >= 10
    a, b = dict(zip(t1, v1, strict=True)), dict(zip(t2, v2, strict=True))
    for t in common:
        assert a[t] == pytest.approx(b[t], abs=1e-9)


def test_quality_limit_already_failing_recommends_retraining(healthy) -> None:  # type: ignore[no-untyped-def]
    s, res = healthy
    fc = forecast_policy(res, parse_policy("constraints:\n  - metric: accuracy\n    min: 0.9999\n"),
                         summaries=s, draws=100)  # fmt: skip
    assert fc.rows[0].status == "crossed"
    assert fc.retrain_before is not None
    assert fc.recommendation.startswith("Retrain now")


def test_segments_get_one_row_each(healthy) -> None:  # type: ignore[no-untyped-def]
    s, res = healthy
    pol = parse_policy("constraints:\n  - metric: accuracy\n    min: 0.5\n    for_each: channel\n")
    fc = forecast_policy(res, pol, summaries=s, draws=50)
    assert {r.segment for r in fc.rows} == {"channel"}
    assert len(fc.rows) >= 2

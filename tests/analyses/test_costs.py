from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.analyses.costs import (
    Estimate,
    VersionPoint,
    cost_curve,
    evaluate_costs,
    mark_dominated,
    optimal_threshold,
)
from modelward.analyses.metrics import CostModel, CostSpec
from modelward.engine import get_engine
from modelward.io import read_log
from tests.analyses._gate_fixtures import make_log


def _brute_force(score, y, spec, bins):
    best = None
    for k in range(bins + 1):
        t = k / bins
        p = score >= t
        c = (
            spec.fp * np.sum(p & (y == 0))
            + spec.fn * np.sum(~p & (y == 1))
            - spec.tp * np.sum(p & (y == 1))
        )
        if best is None or c < best[1]:
            best = (t, c)
    return best


@pytest.mark.parametrize("spec", [CostSpec(fp=5, fn=120), CostSpec(fp=1, fn=3, tp=2)])
def test_optimal_threshold_matches_brute_force_on_raw_rows(spec: CostSpec) -> None:
    log = make_log(n=3000, seed=3)
    summ = get_engine().summarise(read_log(log), score_bins=100)
    ev = evaluate_costs(summ, CostModel(**spec.model_dump()))
    y = np.asarray(log["label"])
    s = np.asarray(log["score"])
    # the engine's bin is floor(score * B); compare on the same grid
    t_bf, c_bf = _brute_force(np.floor(s * 100) / 100, y, spec, 100)
    whole = ev.segments[0]
    assert whole.optimal_threshold.value == pytest.approx(t_bf)
    assert whole.cost_optimal_per_1000 == pytest.approx(1000 * c_bf / len(y))
    lo, hi = whole.optimal_threshold.low, whole.optimal_threshold.high
    assert lo is not None
    assert hi is not None
    assert lo <= t_bf <= hi
    # cost now = served predictions, exact
    p = np.asarray(log["prediction"])
    now = (
        spec.fp * np.sum((p == 1) & (y == 0))
        + spec.fn * np.sum((p == 0) & (y == 1))
        - spec.tp * np.sum((p == 1) & (y == 1))
    )
    assert whole.cost_now_per_1000.value == pytest.approx(1000 * now / len(y))
    assert whole.saving_per_1000 == pytest.approx(
        whole.cost_now_per_1000.value - whole.cost_optimal_per_1000
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=8, max_size=8),
    st.lists(st.integers(0, 20), min_size=8, max_size=8),
    st.floats(0.1, 10),
    st.floats(0.1, 50),
)
def test_cost_curve_equals_direct_sum(pos, neg, fp, fn) -> None:
    if sum(pos) + sum(neg) == 0:
        return
    spec = CostSpec(fp=fp, fn=fn)
    _thr, cost = cost_curve(pos, neg, spec)
    n = sum(pos) + sum(neg)
    for k in range(9):
        direct = fp * sum(neg[k:]) + fn * sum(pos[:k])
        assert cost[k] == pytest.approx(1000 * direct / n)
    t, *_ = optimal_threshold(pos, neg, spec, n_boot=20)
    assert cost[round(t * 8)] == pytest.approx(cost.min())


def test_per_segment_costs_and_breakdown() -> None:
    log = make_log(n=3000, seed=4)
    summ = get_engine().summarise(read_log(log, segments=["country"]))
    costs = CostModel(fp=5, fn=120, segment="country", by_segment={"BR": {"fn": 300}})
    ev = evaluate_costs(summ, costs)
    by = {s.segment_value: s for s in ev.segments}
    assert set(by) == {"", "US", "BR", "DE"}
    assert by["BR"].costs.fn == 300
    assert by["US"].costs.fn == 120
    # all-traffic cost = weighted sum of the segments' costs
    total = sum(by[c].cost_now_per_1000.value * by[c].n_labelled for c in ("US", "BR", "DE"))
    assert by[""].cost_now_per_1000.value == pytest.approx(total / by[""].n_labelled)
    assert by[""].tradeoff
    assert by[""].curve_thresholds[0] == 0.0


def test_pareto_dominated() -> None:
    e = lambda v: Estimate(value=v, low=v, high=v)  # noqa: E731
    pts = [
        VersionPoint(version="fast", n=1, p99_ms=e(50), roc_auc=e(0.85), cost_per_1000=e(10)),
        VersionPoint(version="good", n=1, p99_ms=e(120), roc_auc=e(0.9), cost_per_1000=e(8)),
        VersionPoint(version="bad", n=1, p99_ms=e(130), roc_auc=e(0.84), cost_per_1000=e(12)),
    ]
    out = {p.version: (p.dominated_auc, p.dominated_cost) for p in mark_dominated(pts)}
    assert out == {"fast": (False, False), "good": (False, False), "bad": (True, True)}

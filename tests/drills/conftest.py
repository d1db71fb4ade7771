from __future__ import annotations

from typing import Any

import pytest

from modelward.drills.catalogue import CONTAINMENT
from modelward.drills.coverage import suggested_monitoring
from modelward.drills.scenario import scenario_from_seed
from modelward.drills.session import Drill, prepare


@pytest.fixture(scope="package")
def latency_drill() -> Drill:
    return prepare(
        scenario_from_seed(5, cause="latency_regression", domain="fraud", days=18, rows_per_day=300)
    )


@pytest.fixture(scope="package")
def gap_drill() -> Drill:
    return prepare(
        scenario_from_seed(11, cause="data_gap", domain="fraud", days=18, rows_per_day=300)
    )


def perfect_answer(drill: Drill) -> dict[str, Any]:
    """The answer a perfect learner gives: the truth, the right action, working monitors."""
    t = drill.truth
    cons = suggested_monitoring(
        drill.summaries, cause=t["cause"], segment=t["segment"], features=t["features"]
    )
    mons = [c.model_dump(exclude_defaults=True) for c in cons]
    right = CONTAINMENT[t["cause"]]["right"]
    assert isinstance(right, tuple)
    return {
        "cause": t["cause"],
        "onset": str(t["onset"])[:10] if t["onset"] else None,
        "segment": t["segment"],
        "features": list(t["features"]),
        "containment": right[0],
        "rollback_trigger": mons[0],
        "monitoring": mons,
    }

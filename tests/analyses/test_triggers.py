from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from modelward.analyses.policy import parse_policy
from modelward.analyses.triggers import evaluate_triggers, first_fire, window_alpha
from modelward.engine import get_engine
from modelward.io import read_log
from tests.analyses._gate_fixtures import make_log

POLICY = """
triggers: {k: 3, horizon: 365}
constraints:
  - metric: latency_p99
    max: 100
  - metric: recall
    min: 0.6
    min_samples: 50
"""


def _log(seed: int, *, onset: int | None) -> pa.Table:
    days = 40
    log = make_log(n=600 * days, days=days, seed=seed)
    if onset is None:
        return log
    day = np.array([(t - dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).days
                    for t in log["timestamp"].to_pylist()])  # fmt: skip
    lat = np.asarray(log["latency_ms"]) * np.where(day >= onset, 3.0, 1.0)
    return log.set_column(log.schema.get_field_index("latency_ms"), "latency_ms", pa.array(lat))


def _states(log: pa.Table):
    summ = get_engine().summarise(read_log(log), reference_end="2026-01-10")
    return evaluate_triggers(summ, parse_policy(POLICY))


def test_fires_within_k_windows_of_onset_with_since() -> None:
    onset = 25
    states = _states(_log(1, onset=onset))
    lat = next(s for s in states if s.metric == "latency_p99")
    assert lat.status == "firing"
    assert states[0] is lat
    start = dt.datetime(2026, 1, 1) + dt.timedelta(days=onset)
    assert lat.since == start
    fired = first_fire(lat)
    assert fired is not None
    assert fired <= start + dt.timedelta(days=lat.k)
    assert all(s.status == "ok" for s in states if s.metric == "recall")


def test_healthy_system_never_fires() -> None:
    for seed in range(3):
        assert all(s.status == "ok" for s in _states(_log(seed, onset=None)))


def test_window_alpha_correction() -> None:
    a = window_alpha(0.05, horizon=365, series=4, k=3)
    assert 365 * 4 * a**3 <= 0.05 + 1e-12
    assert window_alpha(0.05, horizon=100, series=1, k=1) == 0.05 / 100

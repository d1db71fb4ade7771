"""``label_coverage_vs_expected``: label coverage against what the reference's lags predict.

A healthy log with heavy, randomised label lag must give no label-coverage alarm over its
newest days (where the raw ``label_coverage`` is low because labels are not due yet), and
a label delay injected with :func:`modelward.simulate.inject` must be caught.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from modelward._api import summarise
from modelward.analyses.metrics import expected_labels, metric_value
from modelward.analyses.policy import Constraint, Policy, TriggerSettings
from modelward.analyses.triggers import evaluate_triggers, first_fire
from modelward.simulate import inject

START = datetime(2026, 1, 1)
DAYS = 28
REF_END = "2026-01-12"
ONSET = START + timedelta(days=18)


def _full_log(seed: int, rows_per_day: int = 600) -> pa.Table:
    """Every label with its (future) arrival; lag scale and coverage drawn from the seed."""
    rng = np.random.default_rng(seed)
    n = DAYS * rows_per_day
    t = START + np.arange(n) * timedelta(days=DAYS) / n
    x = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(x - 1)))).astype(int)
    score = np.clip(1 / (1 + np.exp(-(x - 1))) + rng.normal(0, 0.05, n), 0, 1)
    median_h = float(rng.uniform(6, 96))  # heavy lag: a quarter day to four days
    lag_h = median_h * np.exp(rng.normal(0, float(rng.uniform(0.3, 1.2)), n))
    lag_h *= np.where(y == 1, float(rng.uniform(1, 3)), 1.0)  # positives confirmed later
    labelled = rng.uniform(size=n) < float(rng.uniform(0.4, 1.0))
    lt = [
        ti + timedelta(hours=float(h)) if ok else None
        for ti, h, ok in zip(t, lag_h, labelled, strict=True)
    ]
    return pa.table(
        {
            "prediction_id": [str(i) for i in range(n)],
            "timestamp": pa.array(list(t), pa.timestamp("us")),
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "label": pa.array(
                [int(v) if ok else None for v, ok in zip(y, labelled, strict=True)], pa.int64()
            ),
            "label_timestamp": pa.array(lt, pa.timestamp("us")),
            "x": x,
        }
    )


def _fire(log: pa.Table, metric: str, limit: dict[str, float]) -> datetime | None:
    summ = summarise(log, reference_end=REF_END)
    c = Constraint.model_validate({"metric": metric, **limit})
    (state,) = evaluate_triggers(summ, Policy(constraints=[c], triggers=TriggerSettings(k=3)))
    return first_fire(state)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_healthy_heavy_lag_gives_no_coverage_alarm(seed: int) -> None:
    end = START + timedelta(days=DAYS)
    log, _ = inject(_full_log(seed), fault="none", as_of=end, seed=seed)
    summ = summarise(log, reference_end=REF_END)
    newest = (end - timedelta(days=4), end)
    raw = metric_value(summ, "label_coverage", buckets=newest).value
    ref_raw = metric_value(summ, "label_coverage", window="reference").value
    assert raw < ref_raw  # labels of the newest days are not due yet
    v = metric_value(summ, "label_coverage_vs_expected", buckets=newest)
    assert v.low <= 1.0 <= v.high
    assert _fire(log, "label_coverage_vs_expected", {"min": 0.9}) is None


def test_raw_coverage_drop_false_alarms_on_the_same_log() -> None:
    # the raw metric's failure this module fixes: it fires on a healthy log with lag
    end = START + timedelta(days=DAYS)
    log, _ = inject(_full_log(1), fault="none", as_of=end, seed=1)
    assert _fire(log, "label_coverage", {"max_drop": 0.1}) is not None


@pytest.mark.parametrize("seed", [0, 2, 6])
def test_injected_label_delay_is_caught(seed: int) -> None:
    end = START + timedelta(days=DAYS)
    log, _ = inject(
        _full_log(seed), fault="label_delay", onset=ONSET, magnitude=0.5, as_of=end, seed=seed
    )
    fired = _fire(log, "label_coverage_vs_expected", {"min": 0.9})
    assert fired is not None
    assert fired >= ONSET + timedelta(days=3)  # no failing run from before the onset
    # labels of the first delayed days have arrived by the log's date, so the coverage can
    # only see the newest days; the lag median sees the delay from its first days
    summ = summarise(log, reference_end=REF_END)
    ref_p50 = metric_value(summ, "label_lag_p50", window="reference").value
    lag_fired = _fire(log, "label_lag_p50", {"max_rise": 0.5 * ref_p50})
    assert lag_fired is None or lag_fired >= ONSET + timedelta(days=3)
    first = min(fired, lag_fired or fired)
    assert first <= ONSET + timedelta(days=7), (fired, lag_fired)


def test_expected_labels_of_a_mature_reference_is_its_own_count() -> None:
    end = START + timedelta(days=DAYS)
    log, _ = inject(_full_log(4), fault="none", as_of=end, seed=4)
    summ = summarise(log, reference_end=REF_END)
    labelled, rows, expected, se = expected_labels(summ, window="reference")
    assert rows == 12 * 600
    assert expected == pytest.approx(labelled, rel=0.03)
    assert 0 < se < 0.05 * expected


def test_label_lag_quantile_reads_the_lag_bins() -> None:
    end = START + timedelta(days=DAYS)
    log, _ = inject(_full_log(5), fault="none", as_of=end, seed=5)
    summ = summarise(log, reference_end=REF_END)
    lt = np.array(log["label_timestamp"].to_pylist(), dtype="datetime64[us]")
    ts = np.array(log["timestamp"].to_pylist(), dtype="datetime64[us]")
    ref = (ts < np.datetime64("2026-01-13")) & ~np.isnat(lt)
    exact = float(np.median((lt[ref] - ts[ref]) / np.timedelta64(1, "s")))
    v = metric_value(summ, "label_lag_p50", window="reference")
    assert abs(v.value - exact) / exact <= 0.02
    assert v.low <= exact <= v.high

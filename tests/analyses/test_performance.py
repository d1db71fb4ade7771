"""analyse_performance on random and simulated logs: structure, faults, healthy systems."""

from __future__ import annotations

import numpy as np
import pytest

from modelward._exceptions import ConfigError
from modelward.analyses.performance import (
    MAX_CURVE_POINTS,
    _ap,
    _ece_stat,
    analyse_performance,
    degraded_metrics,
    estimate_threshold,
)
from modelward.analyses.results import PerformanceWindow
from modelward.engine.summaries import Summaries
from modelward.simulate import SimulationResult, simulate
from modelward.stats import average_precision_binned, ece
from tests.analyses._perf_fixtures import binary_table, summarise


def _sim(
    domain: str, fault: str, seed: int = 0, segment: str | None = None
) -> tuple[SimulationResult, Summaries]:
    r = simulate(
        domain=domain,
        fault=fault,
        days=21,
        rows_per_day=800,
        seed=seed,
        magnitude=0.8,
        segment=segment,
    )
    return r, summarise(r.log, str(r.truth["reference_end"]))


def test_no_labels_gives_none() -> None:
    t = binary_table(0, 400).drop_columns(["label"])
    assert analyse_performance(summarise(t, "2026-01-03")) is None


def test_bad_parameters() -> None:
    s = summarise(binary_table(0, 300), "2026-01-03")
    with pytest.raises(ConfigError, match="confidence"):
        analyse_performance(s, confidence=1.5)
    with pytest.raises(ConfigError, match="threshold"):
        analyse_performance(s, threshold=-0.1)


def test_vectorised_statistics_equal_the_kernels() -> None:
    rng = np.random.default_rng(1)
    pos, neg = rng.poisson(3, 50).astype(float), rng.poisson(5, 50).astype(float)
    tp = np.floor(pos / 2)
    fp = np.floor(neg / 3)
    cells = np.stack([tp, pos - tp, fp, neg - fp])
    assert float(_ap(cells)) == pytest.approx(average_precision_binned(pos, neg), rel=1e-12)
    mid = (np.arange(50) + 0.5) / 50
    assert float(_ece_stat(mid)(cells)) == pytest.approx(ece(pos, neg, n_bins=10), rel=1e-12)


def test_structure_threshold_and_curves() -> None:
    res = analyse_performance(summarise(binary_table(3, 3000), "2026-01-03"))
    assert res is not None
    assert res.threshold == pytest.approx(0.5, abs=1e-3)
    assert {w.window for w in res.by_bucket} == {"bucket"}
    assert sorted({(w.segment, w.window) for w in res.by_segment}) == [
        ("region", "current"),
        ("region", "reference"),
    ]
    assert res.roc is not None
    assert res.pr is not None
    assert res.calibration is not None
    assert len(res.roc.x) <= MAX_CURVE_POINTS
    assert len(res.pr.x) <= MAX_CURVE_POINTS
    assert np.all(np.diff(res.roc.x) >= 0)
    assert np.all(np.diff(res.roc.y) >= 0)
    assert res.roc.area == res.current.metrics["roc_auc"].value
    # an explicit threshold uses the score grid (= confusion_at_threshold)
    alt = analyse_performance(summarise(binary_table(3, 3000), "2026-01-03"), threshold=0.3)
    assert alt is not None
    assert alt.current.confusion is not None
    assert alt.current.confusion["tp"] > res.current.confusion["tp"]  # type: ignore[index]
    sub = res.current.metrics["recall"]
    assert sub.n == res.current.confusion["tp"] + res.current.confusion["fn"]  # type: ignore[index]


def test_estimate_threshold_recovers_serving_threshold() -> None:
    r, s = _sim("content_moderation", "none")
    res = analyse_performance(s)
    assert res is not None
    assert res.threshold is not None
    assert abs(res.threshold - float(str(r.truth["serving_threshold"]))) <= 1 / s.meta.score_bins
    assert estimate_threshold(np.zeros(4), np.ones(4)) is None


@pytest.mark.parametrize(
    ("domain", "seed"), [("content_moderation", 0), ("churn", 1), ("fraud", 2), ("loan_default", 3)]
)
def test_healthy_logs_are_not_degraded(domain: str, seed: int) -> None:
    _, s = _sim(domain, "none", seed)
    res = analyse_performance(s)
    assert res is not None
    assert res.degraded == []


@pytest.mark.parametrize("fault", ["concept_drift", "label_noise"])
def test_faults_degrade_in_the_right_window(fault: str) -> None:
    r, s = _sim("content_moderation", fault, seed=1)
    res = analyse_performance(s)
    assert res is not None
    assert {"recall", "f1", "accuracy"} & set(res.degraded), res.degraded
    onset = str(r.truth["onset"])[:10]
    before = [
        w.metrics["accuracy"].value
        for w in res.by_bucket
        if w.bucket is not None and w.bucket.isoformat()[:10] < onset
    ]
    after = [
        w.metrics["accuracy"].value
        for w in res.by_bucket
        if w.bucket is not None and w.bucket.isoformat()[:10] >= onset and w.n_labelled >= 100
    ]
    assert np.mean(after) < np.mean(before) - 0.02  # type: ignore[arg-type]


def test_segment_only_fault_is_localised() -> None:
    _r, s = _sim("churn", "label_noise", seed=4, segment="plan=basic")
    res = analyse_performance(s)
    assert res is not None
    by: dict[tuple[str, str], dict[str, PerformanceWindow]] = {}
    for w in res.by_segment:
        by.setdefault((w.segment, w.segment_value), {})[w.window] = w
    drops = {
        k: (v["reference"].metrics["accuracy"].value or np.nan)
        - (v["current"].metrics["accuracy"].value or np.nan)
        for k, v in by.items()
        if k[0] == "plan" and len(v) == 2
    }
    assert max(drops, key=drops.get) == ("plan", "basic"), drops  # type: ignore[arg-type]
    faulted = by[("plan", "basic")]
    assert degraded_metrics(faulted["reference"], faulted["current"])


def test_results_serialise() -> None:
    res = analyse_performance(summarise(binary_table(5, 800), "2026-01-03"))
    assert res is not None
    again = type(res).model_validate_json(res.model_dump_json())
    assert again == res

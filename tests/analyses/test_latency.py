"""analyse_latency on random and simulated logs."""

from __future__ import annotations

import numpy as np
import pytest

from modelward._exceptions import ConfigError
from modelward.analyses.latency import analyse_latency
from modelward.analyses.results import LatencyPoint
from modelward.simulate import simulate
from tests.analyses._perf_fixtures import binary_table, summarise


def _sim(domain: str, fault: str, seed: int):  # type: ignore[no-untyped-def]
    r = simulate(domain=domain, fault=fault, days=21, rows_per_day=800, seed=seed, magnitude=0.6)
    return r, summarise(r.log, str(r.truth["reference_end"]))


def test_no_latency_gives_none() -> None:
    t = binary_table(0, 300).drop_columns(["latency_ms"])
    assert analyse_latency(summarise(t, "2026-01-03")) is None


def test_bad_parameters() -> None:
    s = summarise(binary_table(0, 300), "2026-01-03")
    with pytest.raises(ConfigError, match="factor"):
        analyse_latency(s, factor=0.5)
    with pytest.raises(ConfigError, match="confidence"):
        analyse_latency(s, confidence=0.0)


def test_structure() -> None:
    res = analyse_latency(summarise(binary_table(1, 2000), "2026-01-03"))
    assert res is not None
    assert res.reference is not None
    assert len(res.by_bucket) == 6
    assert {p.window for p in res.by_bucket} == {"bucket"}
    assert {(p.segment_value, p.window) for p in res.by_segment} == {
        (v, w) for v in ("east", "north", "south") for w in ("reference", "current")
    }
    for p in [res.current, *res.by_bucket, *res.by_segment]:
        assert p.p50 is not None
        assert p.p95 is not None
        assert p.p99 is not None
        assert p.p50 <= p.p95 <= p.p99 <= p.max * (1 + res.accuracy)  # type: ignore[operator]
    assert sum(p.n for p in res.by_bucket) == 2000


@pytest.mark.parametrize(("domain", "seed"), [("fraud", 0), ("churn", 1), ("loan_default", 2)])
def test_latency_regression_detected_and_healthy_not(domain: str, seed: int) -> None:
    r, s = _sim(domain, "latency_regression", seed)
    res = analyse_latency(s)
    assert res is not None
    assert res.reference is not None
    assert res.regressed
    onset = str(r.truth["onset"])[:10]
    before = [p.p99 for p in res.by_bucket if p.bucket.isoformat()[:10] < onset]  # type: ignore[union-attr]
    after = [p.p99 for p in res.by_bucket if p.bucket.isoformat()[:10] >= onset]  # type: ignore[union-attr]
    assert np.median(after) > np.median(before)  # type: ignore[arg-type]
    _, healthy = _sim(domain, "none", seed)
    res_h = analyse_latency(healthy)
    assert res_h is not None
    assert not res_h.regressed


def test_segment_only_regression_is_localised() -> None:
    r = simulate(
        domain="churn",
        fault="latency_regression",
        days=21,
        rows_per_day=800,
        seed=3,
        magnitude=0.6,
        segment="device=ios",
    )
    s = summarise(r.log, str(r.truth["reference_end"]))
    res = analyse_latency(s)
    assert res is not None
    by: dict[tuple[str, str], dict[str, LatencyPoint]] = {}
    for p in res.by_segment:
        by.setdefault((p.segment, p.segment_value), {})[p.window] = p
    ratio = {
        k: (v["current"].p99 or np.nan) / (v["reference"].p99 or np.nan)
        for k, v in by.items()
        if k[0] == "device" and len(v) == 2
    }
    assert max(ratio, key=ratio.get) == ("device", "ios"), ratio  # type: ignore[arg-type]

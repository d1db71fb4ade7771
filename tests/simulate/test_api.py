"""The simulator: realism of the healthy system, every domain x cause, determinism."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from modelward import ConfigError
from modelward.simulate import DOMAINS, FAULTS, SimulationResult, inject, simulate

CONTRACT = [
    "prediction_id",
    "timestamp",
    "model_version",
    "score",
    "prediction",
    "label",
    "label_timestamp",
    "latency_ms",
    "label_source",
]


def col(t: pa.Table, name: str) -> np.ndarray:
    return np.asarray(t.column(name).to_numpy(zero_copy_only=False))


def psi(ref: np.ndarray, cur: np.ndarray) -> float:
    """PSI on reference decile bins (inline, numpy only)."""
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, 11)[1:-1]))
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
    rp, cp = (r + 0.5) / (r.sum() + 0.5 * r.size), (c + 0.5) / (c.sum() + 0.5 * c.size)
    return float(np.sum((cp - rp) * np.log(cp / rp)))


@pytest.mark.parametrize("domain", sorted(DOMAINS))
@pytest.mark.parametrize("fault", FAULTS)
def test_every_domain_and_cause_simulates(domain: str, fault: str, tmp_path: Path) -> None:
    r = simulate(domain=domain, fault=fault, magnitude=0.7, days=9, rows_per_day=60, seed=5)
    assert r.log.column_names[: len(CONTRACT)] == CONTRACT
    assert r.truth["cause"] == fault
    assert r.events
    assert all(set(e) == {"timestamp", "kind", "description"} for e in r.events)
    paths = r.write(tmp_path)
    truth = json.loads(paths["truth"].read_text())
    for key in ("cause", "onset", "segment", "features", "as_of", "reference_end", "parameters"):
        assert key in truth
    assert paths["events"].read_text().startswith("timestamp,kind,description")


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_healthy_system_is_realistic(domain: str) -> None:
    r = simulate(domain=domain, fault="none", days=21, rows_per_day=1500, seed=1)
    log, dom = r.log, DOMAINS[domain]
    ts = col(log, "timestamp").astype("datetime64[us]")
    assert (np.diff(ts.astype(np.int64)) >= 0).all()
    hours = np.bincount((ts.astype("datetime64[h]").astype(np.int64) % 24), minlength=24)
    assert hours.max() > 2 * hours.min()  # hour-of-day pattern
    daily = np.bincount((ts.astype("datetime64[D]") - ts.astype("datetime64[D]").min()).astype(int))
    assert daily.std() > 0
    assert abs(daily.mean() - 1500) < 150
    score = col(log, "score")
    assert ((score >= 0) & (score <= 1)).all()
    thr = r.truth["serving_threshold"]
    np.testing.assert_array_equal(col(log, "prediction"), (score >= thr).astype(int))
    # labels present only once arrived by as_of, and never without an arrival time
    lab, lt = log.column("label"), log.column("label_timestamp")
    assert pc.all(pc.equal(lab.is_valid(), lt.is_valid())).as_py()
    as_of = np.datetime64(str(r.truth["as_of"]).rstrip("Z"), "us")
    assert (
        col(log, "label_timestamp")[lab.is_valid().to_numpy(zero_copy_only=False)].astype(
            "datetime64[us]"
        )
        <= as_of
    ).all()
    y = np.asarray(lab.drop_null().to_numpy(), dtype=float)
    assert 0.3 * dom.base_rate < y.mean() < 3 * dom.base_rate
    lat = col(log, "latency_ms")
    assert np.quantile(lat, 0.999) > 3 * np.median(lat)  # heavy tail
    # the model is useful on labelled rows
    from sklearn.metrics import roc_auc_score

    ok = lab.is_valid().to_numpy(zero_copy_only=False)
    assert roc_auc_score(y, score[ok]) > 0.7
    assert r.truth["reference_end"] == "2026-01-07"


def test_determinism_byte_identical(tmp_path: Path) -> None:
    def digest(seed: int, sub: str) -> str:
        r = simulate(domain="fraud", fault="covariate_drift", days=8, rows_per_day=200, seed=seed)
        p = r.write(tmp_path / sub)
        return hashlib.sha256(p["log"].read_bytes() + p["truth"].read_bytes()).hexdigest()

    assert digest(3, "a") == digest(3, "b")
    assert digest(3, "a") != digest(4, "c")


def test_concept_drift_keeps_features_and_moves_label_rate() -> None:
    rng = np.random.default_rng(0)
    for seed, m in zip(rng.integers(0, 1000, 2), rng.uniform(0.5, 1.0, 2), strict=True):
        r = simulate(
            domain="churn",
            fault="concept_drift",
            magnitude=float(m),
            days=24,
            rows_per_day=2500,
            seed=int(seed),
            onset_day=10,
        )
        log = r.log
        onset = np.datetime64(str(r.truth["onset"]).rstrip("Z"), "us")
        after = col(log, "timestamp").astype("datetime64[us]") >= onset
        for f in (
            "tenure_months",
            "monthly_spend",
            "sessions_30d",
            "support_tickets_30d",
            "discount_pct",
        ):
            x = col(log, f)
            assert psi(x[~after], x[after]) < 0.02, f
        feats = r.truth["features"]
        assert isinstance(feats, list)
        feat = str(feats[0])
        details = r.truth["details"]
        assert isinstance(details, dict)
        _, op, cut = str(details["region"]).split()
        y = col(log, "label").astype(float)
        region = col(log, feat) > float(cut) if op == ">" else col(log, feat) >= float(cut)
        assert 0.05 < region.mean() < 0.5
        # only rows whose labels have all arrived: label delay differs by class
        ts = col(log, "timestamp").astype("datetime64[us]")
        lab = ~np.isnan(y) & (ts < onset + np.timedelta64(8, "D"))
        before_rate = y[region & lab & ~after].mean()
        after_rate = y[region & lab & after].mean()
        factor = after_rate / before_rate
        expected = (1 + 4 * m) if details["direction"] == "up" else (1 - 0.9 * m)
        assert factor == pytest.approx(expected, rel=0.25)


def test_prior_shift_changes_base_rate_in_simulator() -> None:
    r = simulate(
        domain="loan_default",
        fault="prior_shift",
        variant="up",
        magnitude=0.6,
        days=24,
        rows_per_day=2000,
        seed=2,
        onset_day=9,
    )
    y = col(r.log, "label").astype(float)
    onset = np.datetime64(str(r.truth["onset"]).rstrip("Z"), "us")
    after = col(r.log, "timestamp").astype("datetime64[us]") >= onset
    lab = ~np.isnan(y)
    assert y[after & lab].mean() > 2.5 * y[~after & lab].mean()


def test_schema_change_rescored_by_the_served_model() -> None:
    kw = dict(domain="fraud", days=12, rows_per_day=800, seed=9, onset_day=6)
    base = simulate(fault="none", **kw)  # type: ignore[arg-type]
    r = simulate(fault="schema_change", variant="unit_x1000", magnitude=1.0, **kw)  # type: ignore[arg-type]
    feats = r.truth["features"]
    assert isinstance(feats, list)
    feat = str(feats[0])
    after = col(r.log, "timestamp").astype("datetime64[us]") >= np.datetime64("2026-01-07")
    ratio = np.median(col(r.log, feat)[after]) / np.median(col(base.log, feat)[after])
    assert ratio == pytest.approx(1000)
    s0, s1 = col(base.log, "score"), col(r.log, "score")
    np.testing.assert_array_equal(s0[~after], s1[~after])
    assert not np.allclose(s0[after], s1[after])


def test_segment_and_gradual_in_simulator() -> None:
    r = simulate(
        domain="content_moderation",
        fault="latency_regression",
        magnitude=1.0,
        segment="language=es",
        gradual_days=3,
        days=12,
        rows_per_day=500,
        seed=0,
        onset_day=5,
    )
    base = simulate(domain="content_moderation", fault="none", days=12, rows_per_day=500, seed=0)
    ratio = col(r.log, "latency_ms") / col(base.log, "latency_ms")
    es = col(r.log, "language") == "es"
    assert np.allclose(ratio[~es], 1.0)
    assert ratio[es].max() == pytest.approx(4.0, rel=1e-3)
    assert r.truth["segment"] == {"language": "es"}


def test_injector_round_trip_on_simulated_log() -> None:
    r = simulate(domain="churn", fault="none", days=9, rows_per_day=300, seed=0)
    out, truth = inject(
        r.log, fault="data_gap", segment="plan=premium", magnitude=1.0, onset="2026-01-05", seed=0
    )
    after = col(out, "timestamp").astype("datetime64[us]") >= np.datetime64("2026-01-05")
    assert not (after & (col(out, "plan") == "premium")).any()
    assert isinstance(SimulationResult(out, [], truth), SimulationResult)


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="churn, content_moderation, fraud, loan_default"):
        simulate(domain="weather")
    with pytest.raises(ConfigError, match="Faults: covariate_drift"):
        simulate(fault="gremlins")
    with pytest.raises(ConfigError, match="not a segment of fraud"):
        simulate(segment="planet=mars", days=6, rows_per_day=20)
    with pytest.raises(ConfigError, match="onset_day"):
        simulate(fault="label_noise", onset_day=50, days=10, rows_per_day=20)
    with pytest.raises(ConfigError, match="magnitude"):
        simulate(magnitude=0.0)

"""Injectors on a hand-made log that never came from the simulator.

The log uses its own column names (mapped with roles), a naive timestamp, an
integer feature and a string segment, so nothing here leans on the generator.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy import stats

from modelward import ConfigError, SimulationError
from modelward.simulate import FAULTS, inject

ROLES = {
    "id": "rid",
    "time": "ts",
    "score": "p",
    "prediction": "pred",
    "label": "y",
    "label_time": "y_ts",
    "latency": "lat",
    "label_source": "src",
    "model_version": "mv",
}
DAY = np.timedelta64(1, "D")
START = np.datetime64("2025-03-01T00:00:00", "us")
ONSET = "2025-03-21"
ONSET_NP = np.datetime64("2025-03-21T00:00:00", "us")


def hand_log(n: int = 30_000, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    ts = np.sort(START + (rng.random(n) * 30 * 86_400e6).astype("timedelta64[us]"))
    amount = np.round(np.exp(rng.normal(3.0, 1.0, n)), 2)
    age = rng.integers(0, 100, n)
    region = rng.choice(["north", "south", "east", "west"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    p = 1 / (1 + np.exp(-(-2.5 + 0.6 * (np.log(amount) - 3) + 0.8 * (region == "east"))))
    y = (rng.random(n) < p).astype(np.int64)
    lag = (rng.exponential(2.0, n) * 86_400e6).astype("timedelta64[us]")
    y_ts = ts + lag
    end = START + 30 * DAY
    arrived = y_ts <= end
    return pa.table(
        {
            "rid": [f"r{i}" for i in range(n)],
            "ts": pa.array(ts),
            "mv": ["m1"] * n,
            "p": np.round(p, 4),
            "pred": (p > 0.2).astype(np.int64),
            "y": pa.array(y, mask=~arrived),
            "y_ts": pa.array(y_ts, mask=~arrived),
            "lat": np.round(rng.lognormal(3.0, 0.4, n), 2),
            "src": pa.array(rng.choice(["review", "report"], size=n), mask=~arrived),
            "amount": amount,
            "age": age,
            "region": region,
        }
    )


@pytest.fixture(scope="module")
def log() -> pa.Table:
    return hand_log()


def np_col(t: pa.Table, name: str) -> np.ndarray:
    return np.asarray(t.column(name).to_numpy(zero_copy_only=False))


def post(t: pa.Table) -> np.ndarray:
    return np_col(t, "ts") >= ONSET_NP


def unchanged(a: pa.Table, b: pa.Table, except_: set[str]) -> None:
    for name in a.column_names:
        if name not in except_:
            assert a.column(name).equals(b.column(name)), name


def test_unit_change_moves_median_x100_after_onset_only(log: pa.Table) -> None:
    out, truth = inject(
        log,
        fault="schema_change",
        variant="unit_x100",
        magnitude=1.0,
        onset=ONSET,
        features=["amount"],
        roles=ROLES,
        seed=1,
    )
    after, before = post(log), ~post(log)
    a0, a1 = np_col(log, "amount"), np_col(out, "amount")
    assert np.median(a1[after]) / np.median(a0[after]) == pytest.approx(100)
    np.testing.assert_array_equal(a1[before], a0[before])
    unchanged(log, out, {"amount"})
    assert truth["features"] == ["amount"]
    assert truth["onset"] == "2025-03-21T00:00:00Z"


@pytest.mark.parametrize("variant", ["sentinel", "null_flood"])
def test_sentinel_and_null_flood_hit_the_asked_fraction(log: pa.Table, variant: str) -> None:
    rng = np.random.default_rng(7)
    for m in rng.uniform(0.05, 1.0, 3):
        out, _ = inject(
            log,
            fault="schema_change",
            variant=variant,
            magnitude=float(m),
            onset=ONSET,
            features=["age"],
            roles=ROLES,
            seed=int(rng.integers(99)),
        )
        a = out.column("age")
        hit = pc.equal(a, -999) if variant == "sentinel" else pc.is_null(a)
        hit = np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False))
        after = post(log)
        assert not hit[~after].any()
        assert hit[after].mean() == pytest.approx(m, abs=0.03)


def test_recase_and_rename_categories(log: pa.Table) -> None:
    out, truth = inject(
        log,
        fault="schema_change",
        variant="recase_categories",
        magnitude=1.0,
        onset=ONSET,
        roles=ROLES,
        seed=2,
    )
    assert truth["features"] == ["region"]
    vals = np_col(out, "region")
    assert set(vals[post(log)]) == {"NORTH", "SOUTH", "EAST", "WEST"}
    assert set(vals[~post(log)]) == {"north", "south", "east", "west"}
    out, truth = inject(
        log,
        fault="schema_change",
        variant="rename_categories",
        magnitude=1.0,
        onset=ONSET,
        roles=ROLES,
        seed=2,
    )
    assert set(np_col(out, "region")[post(log)]).isdisjoint({"north", "south", "east", "west"})


def test_swap_columns(log: pa.Table) -> None:
    out, truth = inject(
        log,
        fault="schema_change",
        variant="swap_columns",
        magnitude=1.0,
        onset=ONSET,
        features=["amount", "age"],
        roles=ROLES,
        seed=0,
    )
    after = post(log)
    np.testing.assert_array_equal(np_col(out, "amount")[after], np_col(log, "age")[after])
    np.testing.assert_array_equal(np_col(out, "age")[after], np_col(log, "amount")[after])
    assert truth["features"] == ["amount", "age"]


def test_data_gap_removes_segment_after_onset_and_nothing_else(log: pa.Table) -> None:
    out, truth = inject(
        log,
        fault="data_gap",
        magnitude=1.0,
        onset=ONSET,
        segment="region=east",
        roles=ROLES,
        seed=0,
    )
    reg, after = np_col(out, "region"), post(out)
    assert not ((reg == "east") & after).any()
    r0, a0 = np_col(log, "region"), post(log)
    assert ((reg == "east") & ~after).sum() == ((r0 == "east") & ~a0).sum()
    for other in ("north", "south", "west"):
        assert (reg == other).sum() == (r0 == other).sum()
    assert truth["segment"] == {"region": "east"}


def test_data_gap_picks_a_segment_when_none_given(log: pa.Table) -> None:
    out, truth = inject(log, fault="data_gap", magnitude=1.0, onset=ONSET, roles=ROLES, seed=4)
    seg = truth["segment"]
    assert isinstance(seg, dict)
    ((col, val),) = seg.items()
    assert not ((np_col(out, col) == val) & post(out)).any()


def test_latency_regression_moves_p99_and_nothing_else(log: pa.Table) -> None:
    rng = np.random.default_rng(3)
    for m in rng.uniform(0.1, 1.0, 3):
        out, _ = inject(
            log, fault="latency_regression", magnitude=float(m), onset=ONSET, roles=ROLES, seed=0
        )
        after = post(log)
        l0, l1 = np_col(log, "lat"), np_col(out, "lat")
        ratio = np.quantile(l1[after], 0.99) / np.quantile(l0[after], 0.99)
        assert ratio == pytest.approx(1 + 3 * m, rel=1e-6)
        np.testing.assert_array_equal(l1[~after], l0[~after])
        unchanged(log, out, {"lat"})


def test_label_noise_flips_about_the_asked_fraction(log: pa.Table) -> None:
    rng = np.random.default_rng(5)
    for m in rng.uniform(0.05, 0.6, 3):
        out, _truth = inject(
            log,
            fault="label_noise",
            variant="all",
            magnitude=float(m),
            onset=ONSET,
            roles=ROLES,
            seed=int(rng.integers(1000)),
        )
        y0, y1 = np_col(log, "y"), np_col(out, "y")
        ok = ~np.isnan(y0.astype(float))
        after = post(log) & ok
        flipped = y0[after] != y1[after]
        assert flipped.mean() == pytest.approx(m, abs=0.02)
        assert (y0[~post(log) & ok] == y1[~post(log) & ok]).all()
        unchanged(log, out, {"y"})


def test_label_noise_from_one_source_only(log: pa.Table) -> None:
    out, truth = inject(
        log,
        fault="label_noise",
        variant="source",
        label_source="report",
        magnitude=0.5,
        onset=ONSET,
        roles=ROLES,
        seed=0,
    )
    y0 = np.asarray(pc.fill_null(log.column("y"), -1).to_numpy())
    y1 = np.asarray(pc.fill_null(out.column("y"), -1).to_numpy())
    src = np_col(log, "src")
    assert (y0[src == "review"] == y1[src == "review"]).all()
    assert (y0 != y1)[(src == "report") & post(log)].mean() == pytest.approx(0.5, abs=0.03)
    assert truth["details"]["label_source"] == "report"  # type: ignore[index]


def test_label_delay_lowers_recent_coverage(log: pa.Table) -> None:
    out, _truth = inject(log, fault="label_delay", magnitude=0.5, onset=ONSET, roles=ROLES, seed=0)
    recent = post(log)
    cov0 = log.column("y").is_valid().to_numpy(zero_copy_only=False)[recent].mean()
    cov1 = out.column("y").is_valid().to_numpy(zero_copy_only=False)[recent].mean()
    assert cov1 < 0.6 * cov0
    assert out.column("y_ts").slice(0, 1000).equals(log.column("y_ts").slice(0, 1000))
    # labels that stay are not in the future
    lt = out.column("y_ts").to_numpy(zero_copy_only=False)
    assert np.nanmax(lt.astype("datetime64[us]")) <= START + 30 * DAY + DAY


def test_prior_shift_keeps_p_x_given_y() -> None:
    log = hand_log(n=60_000, seed=1)
    rng = np.random.default_rng(11)
    for m in rng.uniform(0.3, 1.0, 2):
        out, truth = inject(
            log,
            fault="prior_shift",
            variant="up",
            magnitude=float(m),
            onset=ONSET,
            roles=ROLES,
            seed=int(rng.integers(1000)),
        )
        details = truth["details"]
        assert isinstance(details, dict)
        y, after = np_col(out, "y").astype(float), post(out)
        lab = after & ~np.isnan(y)
        # labelled rows after onset show the new prior (labels arrive independently of class)
        assert np.mean(y[lab]) == pytest.approx(details["rate_after"], rel=0.1)
        assert np.mean(y[lab]) > 1.5 * details["rate_before"]
        amount = np_col(out, "amount")
        y0 = np_col(log, "y").astype(float)
        for cls in (0, 1):
            before = np_col(log, "amount")[~post(log) & (y0 == cls)]
            ks = stats.ks_2samp(before, amount[lab & (y == cls)])
            assert ks.statistic < 0.05


def test_covariate_drift_keeps_p_y_given_x(log: pa.Table) -> None:
    out, _truth = inject(
        log,
        fault="covariate_drift",
        variant="up",
        magnitude=1.0,
        onset=ONSET,
        features=["amount"],
        roles=ROLES,
        seed=0,
    )
    after = post(log)
    a0, a1 = np_col(log, "amount"), np_col(out, "amount")
    assert np.median(a1[after]) > 2 * np.median(a0[after])
    np.testing.assert_array_equal(a1[~after], a0[~after])
    # P(y|x): the label rate in amount deciles is the same as before onset
    edges = np.quantile(a0, np.linspace(0, 1, 6))
    y0, y1 = np_col(log, "y").astype(float), np_col(out, "y").astype(float)
    for lo, hi in itertools.pairwise(edges):
        ref = (a0 >= lo) & (a0 < hi) & ~np.isnan(y0)
        cur = after & (a1 >= lo) & (a1 < hi) & ~np.isnan(y1)
        if cur.sum() > 300:
            se = np.sqrt(y0[ref].mean() * (1 - y0[ref].mean()) / cur.sum())
            assert abs(y1[cur].mean() - y0[ref].mean()) < 4 * se + 0.01


def test_concept_drift_changes_labels_not_features(log: pa.Table) -> None:
    out, truth = inject(
        log,
        fault="concept_drift",
        variant="policy",
        magnitude=1.0,
        onset=ONSET,
        features=["amount"],
        roles=ROLES,
        seed=0,
    )
    unchanged(log, out, {"y"})
    events = truth["events"]
    assert isinstance(events, list)
    assert any(e["kind"] == "labeling_policy_change" for e in events)
    details = truth["details"]
    assert isinstance(details, dict)
    cut = float(str(details["region"]).split()[-1])
    a, after = np_col(log, "amount"), post(log)
    y0, y1 = np_col(log, "y").astype(float), np_col(out, "y").astype(float)
    region = (a >= cut) & after & ~np.isnan(y0)
    assert y1[region].mean() == pytest.approx(details["rate_after"], abs=0.03)
    assert (y0[~region & ~np.isnan(y0)] == y1[~region & ~np.isnan(y0)]).all()


def test_none_differs_from_nothing(log: pa.Table) -> None:
    out, truth = inject(log, fault="none", roles=ROLES, seed=0)
    assert out.equals(log)
    assert truth["cause"] == "none"
    assert truth["onset"] is None
    assert truth["events"]  # decoys


def test_gradual_ramps_linearly(log: pa.Table) -> None:
    out, _ = inject(
        log,
        fault="latency_regression",
        magnitude=1.0,
        onset=ONSET,
        gradual_days=4,
        roles=ROLES,
        seed=0,
    )
    ts = np_col(log, "ts")
    ratio = np_col(out, "lat") / np_col(log, "lat")
    for k in range(5):
        day = (ts >= ONSET_NP + k * DAY) & (ts < ONSET_NP + (k + 1) * DAY)
        lo, hi = 1 + 3 * k / 4, 1 + 3 * min(1, (k + 1) / 4)
        assert lo - 1e-9 <= ratio[day].min()
        assert ratio[day].max() <= hi + 1e-9


def test_every_fault_on_the_hand_log(log: pa.Table) -> None:
    for fault in FAULTS:
        out, truth = inject(
            log, fault=fault, magnitude=0.5, roles=ROLES, seed=3, as_of=datetime(2025, 4, 1)
        )
        assert truth["cause"] == fault
        assert out.schema.names == log.schema.names


def test_bad_requests_get_clear_errors(log: pa.Table) -> None:
    with pytest.raises(ConfigError, match="covariate_drift, prior_shift"):
        inject(log, fault="meteor", roles=ROLES)
    with pytest.raises(ConfigError, match=r"magnitude.*\(0, 1\]"):
        inject(log, fault="none", magnitude=2.0, roles=ROLES)
    with pytest.raises(ConfigError, match="column=value"):
        inject(log, fault="data_gap", segment="region", roles=ROLES)
    with pytest.raises(SimulationError, match="No row has region = 'mars'"):
        inject(log, fault="data_gap", segment="region=mars", roles=ROLES)
    with pytest.raises(SimulationError, match="latency"):
        inject(log.drop_columns(["lat"]), fault="latency_regression", roles=ROLES)
    with pytest.raises(SimulationError, match="Variants: unit_x100"):
        inject(log, fault="schema_change", variant="x7", roles=ROLES)

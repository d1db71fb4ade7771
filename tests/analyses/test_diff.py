"""The retraining diff: kernels against references, interval coverage, simulated known truth."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from modelward._diff_api import diff
from modelward.analyses.diff import DiffResult, MetricDelta, analyse_paired, choose_mode
from modelward.engine.paired import paired_counts
from modelward.io import read_log
from modelward.simulate import simulate
from modelward.stats import auc_interval
from modelward.stats.paired import (
    auc_delong_variance,
    independent_proportion_diff,
    mcnemar_exact,
    paired_auc_diff,
    paired_proportion_diff,
)

# ------------------------------------------------------------------ kernels


def test_independent_diff_matches_newcombe_published_example() -> None:
    # Newcombe (1998), Stat Med 17:873, example 56/70 vs 48/80, method 10
    d, lo, hi = independent_proportion_diff(48, 80, 56, 70)
    assert d == pytest.approx(0.2)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_paired_diff_reduces_to_independent_when_uncorrelated() -> None:
    # phi = 0 exactly when ad == bc: the paired interval equals the independent one
    a, b, c, d = 20.0, 20.0, 30.0, 30.0
    n = a + b + c + d
    paired = paired_proportion_diff(a, b, c, d)
    indep = independent_proportion_diff(a + b, n, a + c, n)
    assert paired == pytest.approx(indep)


def test_mcnemar_matches_scipy() -> None:
    assert mcnemar_exact(10, 3) == pytest.approx(sps.binomtest(3, 13, 0.5).pvalue)


def test_delong_variance_matches_auc_interval() -> None:
    rng = np.random.default_rng(0)
    pos, neg = rng.integers(0, 30, 20), rng.integers(0, 30, 20)
    auc, var = auc_delong_variance(pos, neg)
    lo, hi = auc_interval(pos, neg)
    assert auc - 1.959963984540054 * math.sqrt(var) == pytest.approx(lo)
    assert auc + 1.959963984540054 * math.sqrt(var) == pytest.approx(hi)


def _delong_rows(y: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> tuple[float, float]:
    """Reference: DeLong on raw rows with mid-ranks (Sun & Xu 2014): delta and its variance."""
    pos, neg = y == 1, y == 0
    m, n = pos.sum(), neg.sum()
    v10, v01, aucs = [], [], []
    for s in (s1, s2):
        r_all = sps.rankdata(s)
        r_pos, r_neg = sps.rankdata(s[pos]), sps.rankdata(s[neg])
        v10.append((r_all[pos] - r_pos) / n)
        v01.append(1 - (r_all[neg] - r_neg) / m)
        aucs.append(float(np.mean(v10[-1])))
    s10, s01 = np.cov(np.vstack(v10)), np.cov(np.vstack(v01))
    c = np.array([-1.0, 1.0])
    return aucs[1] - aucs[0], float(c @ s10 @ c / m + c @ s01 @ c / n)


def test_paired_delong_equals_row_level_delong_on_binned_scores() -> None:
    rng = np.random.default_rng(1)
    n, bins = 800, 12
    y = rng.integers(0, 2, n)
    latent = y * 1.0 + rng.normal(0, 1, n)
    b1 = np.clip(((latent + 2) / 5 * bins).astype(int), 0, bins - 1)
    b2 = np.clip(((latent + rng.normal(0, 0.7, n) + 2) / 5 * bins).astype(int), 0, bins - 1)
    pos, neg = np.zeros((bins, bins)), np.zeros((bins, bins))
    np.add.at(pos, (b1[y == 1], b2[y == 1]), 1)
    np.add.at(neg, (b1[y == 0], b2[y == 0]), 1)
    _, _, d, lo, hi, _ = paired_auc_diff(pos, neg)
    d_ref, var_ref = _delong_rows(y, b1.astype(float), b2.astype(float))
    assert d == pytest.approx(d_ref, abs=1e-12)
    assert (hi - lo) / 2 == pytest.approx(1.959963984540054 * math.sqrt(var_ref), rel=1e-9)


def _correlated_pairs(
    rng: np.random.Generator, n: int, p_b: float, p_c: float, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    z = rng.normal(size=(n, 2))
    z[:, 1] = rho * z[:, 0] + math.sqrt(1 - rho**2) * z[:, 1]
    return z[:, 0] < sps.norm.ppf(p_b), z[:, 1] < sps.norm.ppf(p_c)


def test_paired_proportion_interval_covers_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(7)
    reps, n, p_b, p_c = 600, 300, 0.80, 0.76
    hits = paired_width = indep_width = 0.0
    for _ in range(reps):
        xb, xc = _correlated_pairs(rng, n, p_b, p_c, 0.7)
        a = float(np.sum(xb & xc))
        b = float(np.sum(xb & ~xc))
        c = float(np.sum(~xb & xc))
        d = n - a - b - c
        _, lo, hi = paired_proportion_diff(a, b, c, d)
        hits += lo <= p_c - p_b <= hi
        paired_width += hi - lo
        _, lo2, hi2 = independent_proportion_diff(a + b, n, a + c, n)
        indep_width += hi2 - lo2
    coverage = hits / reps
    assert 0.925 <= coverage <= 0.975, coverage
    assert paired_width < 0.75 * indep_width


def test_paired_auc_interval_covers_a_null_difference() -> None:
    # two exchangeable, correlated scorers: the true AUC difference is 0
    rng = np.random.default_rng(11)
    reps, n, bins = 300, 400, 40
    hits, widths = 0, []
    for _ in range(reps):
        y = rng.uniform(size=n) < 0.3
        common = y * 1.0 + rng.normal(0, 1, n)
        s = [common + rng.normal(0, 0.6, n) for _ in range(2)]
        idx = [np.clip(((v + 3) / 7 * bins).astype(int), 0, bins - 1) for v in s]
        pos, neg = np.zeros((bins, bins)), np.zeros((bins, bins))
        np.add.at(pos, (idx[0][y], idx[1][y]), 1)
        np.add.at(neg, (idx[0][~y], idx[1][~y]), 1)
        _, _, _, lo, hi, ih = paired_auc_diff(pos, neg)
        hits += lo <= 0 <= hi
        widths.append(((hi - lo) / 2, ih))
    assert 0.92 <= hits / reps <= 0.98
    w = np.array(widths)
    assert np.all(w[:, 0] < w[:, 1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=4, max_size=4))
def test_swapping_versions_negates_the_interval(cells: list[int]) -> None:
    a, b, c, d = cells
    if a + b + c + d == 0:
        return
    d1, lo1, hi1 = paired_proportion_diff(a, b, c, d)
    d2, lo2, hi2 = paired_proportion_diff(a, c, b, d)
    assert d1 == pytest.approx(-d2)
    assert (lo1, hi1) == pytest.approx((-hi2, -lo2))
    assert lo1 <= d1 <= hi1


def test_choose_mode() -> None:
    assert choose_mode(100, 100, 100) == "paired"
    assert choose_mode(100, 100, 49) == "independent"
    assert choose_mode(10, 10, 10) == "independent"  # below the minimum of 30
    assert choose_mode(0, 0, 0) == "independent"


# ------------------------------------------------------------------ simulated truth


@pytest.fixture(scope="module")
def sim() -> tuple[pa.Table, float]:
    r = simulate(domain="content_moderation", days=8, rows_per_day=600, seed=4)
    return r.log, float(r.truth["serving_threshold"])  # type: ignore[arg-type]


def _rescored(log: pa.Table, thr: float, *, sd: float, segment: str | None, seed: int) -> pa.Table:
    """The same rows re-scored by a perturbed model (only in ``language=segment`` if given)."""
    rng = np.random.default_rng(seed)
    s = log["score"].to_numpy()
    lang = np.array(log["language"].to_pylist())
    mask = np.ones(s.size, bool) if segment is None else lang == segment
    s2 = np.where(mask, np.clip(s + rng.normal(0, sd, s.size), 0, 1), s)
    out = log.set_column(log.schema.get_field_index("score"), "score", pa.array(s2))
    pred = pa.array((s2 >= thr).astype(np.int64))
    return out.set_column(out.schema.get_field_index("prediction"), "prediction", pred)


def _paired(base: pa.Table, cand: pa.Table) -> DiffResult:
    con = duckdb.connect()
    counts = paired_counts(read_log(base, con=con), read_log(cand, con=con))
    return analyse_paired(counts)


def _overall(res: DiffResult) -> dict[str, MetricDelta]:
    return {m.metric: m for m in res.metrics if not m.segment}


def test_identical_logs_change_nothing(sim: tuple[pa.Table, float]) -> None:
    log, _ = sim
    res = _paired(log, log)
    assert res.mode == "paired"
    assert res.flip is not None
    assert res.flip.rate == 0.0
    assert all(f.n_flipped == 0 for f in res.flips_by_segment)
    metrics = _overall(res)
    assert {"accuracy", "recall", "precision", "f1", "fpr", "roc_auc"} <= set(metrics)
    for m in res.metrics:
        assert m.delta == pytest.approx(0.0, abs=1e-12)
        assert m.interval is not None
        assert (m.interval.low or 0.0) <= 0.0 <= (m.interval.high or 0.0)
        assert not m.significant
    assert res.score_shift is not None
    assert res.score_shift.psi == pytest.approx(0.0)


def test_flips_happen_only_in_the_perturbed_segment(sim: tuple[pa.Table, float]) -> None:
    log, thr = sim
    cand = _rescored(log, thr, sd=0.15, segment="en", seed=1)
    res = _paired(log, cand)
    by = {(f.segment, f.segment_value): f for f in res.flips_by_segment}
    truth = np.array(log["prediction"].to_pylist()) != np.array(cand["prediction"].to_pylist())
    lang = np.array(log["language"].to_pylist())
    assert by[("language", "en")].n_flipped == int(truth[lang == "en"].sum()) > 0
    for (seg, value), f in by.items():
        if seg == "language" and value != "en":
            assert f.n_flipped == 0
    assert res.flip is not None
    assert res.flip.n_flipped == int(truth.sum())
    bands = [b for b in res.flip_bands if not b.segment]
    assert sum(b.n_flipped for b in bands) == res.flip.n_flipped
    assert sum(b.n for b in bands) == log.num_rows


def test_paired_intervals_are_narrower_than_independent(sim: tuple[pa.Table, float]) -> None:
    log, thr = sim
    res = _paired(log, _rescored(log, thr, sd=0.05, segment=None, seed=2))
    for m in _overall(res).values():
        assert m.interval is not None
        assert m.independent_interval is not None
        width = (m.interval.high or 0) - (m.interval.low or 0)
        indep = (m.independent_interval.high or 0) - (m.independent_interval.low or 0)
        assert width < indep, m.metric


def test_a_clearly_worse_candidate_is_flagged(sim: tuple[pa.Table, float]) -> None:
    log, thr = sim
    res = _paired(log, _rescored(log, thr, sd=0.35, segment=None, seed=3))
    metrics = _overall(res)
    for name in ("accuracy", "roc_auc"):
        m = metrics[name]
        assert m.interval is not None
        assert (m.interval.high or 0.0) < 0, name
        assert m.worse
    assert metrics["accuracy"].p_value is not None
    assert metrics["accuracy"].p_value < 1e-6
    assert any("worse" in line for line in res.summary)


def test_disjoint_ids_fall_back_to_independent_with_a_note(sim: tuple[pa.Table, float]) -> None:
    log, _ = sim
    other = simulate(
        domain="content_moderation", days=8, rows_per_day=600, seed=5, start="2026-03-01",
        fault="covariate_drift", magnitude=1.0, onset_day=1,
    ).log  # fmt: skip
    res = diff(log, other)
    assert res.mode == "independent"
    assert res.n_shared == 0
    assert res.flip is None
    assert any("too few to pair" in n for n in res.notes)
    metrics = _overall(res)
    assert metrics["accuracy"].independent_interval is None
    assert metrics["accuracy"].interval is not None
    assert "MOVER" in metrics["accuracy"].interval.method
    drifted = {d.feature for d in res.feature_drift if d.drifted and not d.segment}
    assert drifted

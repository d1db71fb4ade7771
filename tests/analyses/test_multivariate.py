"""Domain-classifier drift on the row samples."""

from __future__ import annotations

import numpy as np
import pytest

from modelward.analyses.multivariate import analyse_multivariate


@pytest.mark.parametrize("seed", [0, 1])
def test_healthy_auc_is_near_half(log_factory, summarise, seed):  # type: ignore[no-untyped-def]
    s = summarise(log_factory(seed=seed), "2026-01-10")
    points = analyse_multivariate(s, seed=seed)
    aucs = np.array([p.auc for p in points])
    assert abs(aucs.mean() - 0.5) < 0.03
    assert not any(p.drifted for p in points)


def test_correlation_shift_with_same_marginals_is_seen(log_factory, summarise):  # type: ignore[no-untyped-def]
    s = summarise(log_factory(seed=3, correlate_from=20), "2026-01-10")
    points = analyse_multivariate(s)
    before = [p for p in points if p.bucket.day < 20 and p.bucket.month == 1]
    after = [p for p in points if p.bucket.day >= 21 and p.bucket.month == 1]
    assert np.mean([p.auc for p in after]) > 0.6
    assert all(p.drifted for p in after)
    assert not any(p.drifted for p in before)
    assert all(
        p.interval is not None and p.interval.low <= p.auc <= p.interval.high for p in points
    )


def test_one_point_per_current_bucket(summarise_sim):  # type: ignore[no-untyped-def]
    s, _ = summarise_sim(domain="fraud", days=60, rows_per_day=600, seed=6)
    points = analyse_multivariate(s)
    assert len(points) == 40

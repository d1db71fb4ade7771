"""A weekly rhythm is not a drift: the reference is compared with the current weekday mix."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelward._api import summarise
from modelward.analyses.triage import run_triage
from modelward.analyses.triage.causes_xy import drift_stat, feature_cubes
from modelward.analyses.triage.context import Context
from modelward.analyses.triage.signals import Days
from modelward.io.events import parse_event_time
from tests.analyses.triage.logs import after_hours, binary_log, spread_over_days

DAY_US = np.timedelta64(86_400_000_000, "us")


def _weekly_log(seed: int, shift_from: int | None, days: int = 49) -> pa.Table:
    """Weekend traffic is a third of a weekday's and its ``amount`` runs 40% higher;
    from day ``shift_from`` (if any) every ``amount`` is 40% higher."""
    rng = np.random.default_rng(seed)
    per_day = np.where(np.arange(days) % 7 >= 5, 700, 2100)  # day 0 is a Monday
    day = np.repeat(np.arange(days), per_day)
    n = day.size
    t = spread_over_days(rng, day, "2026-01-05")
    amount = rng.lognormal(3.0, 0.5, n) * np.where(day % 7 >= 5, 1.4, 1.0)
    if shift_from is not None:
        amount = amount * np.where(day >= shift_from, 1.4, 1.0)
    other = rng.normal(0, 1, n)
    logit = -2.0 + 0.8 * other
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    score = 1 / (1 + np.exp(-logit))
    label_time = after_hours(t, rng.lognormal(1.0, 0.5, n))
    return binary_log(t, score, y, label_time, amount=amount, other=other)


def test_reference_like_reweights_weekdays_and_keeps_totals_for_whole_weeks() -> None:
    starts = (np.datetime64("2026-01-05", "D") + np.arange(21)).astype("datetime64[us]")
    days = Days(starts, np.arange(21) < 14, DAY_US)
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 50, size=(21, 4)).astype(float)
    whole = np.arange(21) >= 14
    np.testing.assert_allclose(days.reference_like(counts, whole), counts[:14].sum(0), rtol=0.2)
    # one Saturday in the current window: the reference is its two Saturdays, scaled to
    # their own size
    sat = np.arange(21) == 19
    np.testing.assert_allclose(days.reference_like(counts, sat), counts[[5, 12]].sum(0))
    # hourly buckets are not reweighted
    hourly = Days(starts, np.arange(21) < 14, np.timedelta64(3_600_000_000, "us"))
    np.testing.assert_array_equal(hourly.reference_like(counts, sat), counts[:14].sum(0))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_weekend_rhythm_is_no_covariate_drift_and_a_real_shift_still_is(seed: int) -> None:
    """The current window ends on a Sunday: its last days hold more weekend rows than
    the two reference weeks (a false covariate drift at confidence 1.0 before)."""
    for shift_from, expected in ((None, set()), (33, {"covariate_drift"})):
        log = _weekly_log(seed, shift_from)
        s = summarise(log, reference_end="2026-01-19")
        res = run_triage(s, as_of=parse_event_time("2026-02-23"), estimate=False)
        found = {f.cause for f in res.findings}
        assert found == expected, [(f.cause, f.evidence[:200]) for f in res.findings]


def test_weekend_days_alone_read_against_weekend_reference_days() -> None:
    """The drift of the last weekend (its own two days) is read against the reference's
    weekends: no drift without a change, a clear one with it."""
    zs = {}
    for shift_from in (None, 33):
        s = summarise(_weekly_log(4, shift_from), reference_end="2026-01-19")
        ctx = Context.build(s, np.datetime64("2026-02-23T00:00:00", "us"))
        (fc,) = feature_cubes(ctx, names=["amount"])
        weekend = np.arange(ctx.days.n) >= ctx.days.n - 2
        zs[shift_from] = drift_stat(ctx, fc, weekend).z_marg
    assert zs[None] < 3.0 < 10.0 < zs[33]


def _channel_log(seed: int, gap_from: int | None, days: int = 49) -> pa.Table:
    """``channel=b2b`` keeps 30% of its rows on weekends; from ``gap_from`` (if any) it
    keeps 20% of them every day."""
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(days), 2000)  # day 0 is a Monday
    n = day.size
    b2b = rng.random(n) < 0.3
    keep = ~(b2b & (day % 7 >= 5) & (rng.random(n) < 0.7))
    if gap_from is not None:
        keep &= ~(b2b & (day >= gap_from) & (rng.random(n) < 0.8))
    day, b2b = day[keep], b2b[keep]
    n = day.size
    t = spread_over_days(rng, day, "2026-01-05")
    x = rng.normal(0, 1, n)
    score = 1 / (1 + np.exp(-(x - 2.0)))
    y = (rng.random(n) < score).astype(np.int64)
    label_time = after_hours(t, rng.lognormal(1.0, 0.5, n))
    channel = np.where(b2b, "b2b", np.where(rng.random(n) < 0.5, "app", "web"))
    return binary_log(t, score, y, label_time, channel=channel, x=x)


@pytest.mark.parametrize("seed", [1, 2])
def test_segment_quiet_on_weekends_is_no_data_gap_and_a_real_gap_still_is(seed: int) -> None:
    """The current window ends on a Sunday, when ``b2b`` is quiet as every weekend (a
    false data gap at confidence 0.6-1.0 before)."""
    for gap_from, expected in ((None, []), (40, [("data_gap", {"channel": "b2b"})])):
        s = summarise(_channel_log(seed, gap_from), reference_end="2026-01-19")
        res = run_triage(s, as_of=parse_event_time("2026-02-23"), estimate=False)
        assert [(f.cause, f.segment) for f in res.findings] == expected

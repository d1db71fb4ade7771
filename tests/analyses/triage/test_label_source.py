"""Label noise by label source: flip rates, and sources compared inside a noisy segment."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward._api import summarise
from modelward.analyses.triage import run_triage
from modelward.analyses.triage.label_source import flip_rate
from modelward.io.events import parse_event_time
from tests.analyses.triage.logs import after_hours, binary_log, spread_over_days


@given(f=st.floats(0.0, 0.45), seed=st.integers(0, 2**31), lo=st.floats(0.0, 0.5))
@settings(max_examples=30, deadline=None)
def test_flip_rate_recovers_the_share_within_its_error(f: float, seed: int, lo: float) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(lo, lo + 0.5, 8000)
    y = (rng.random(p.size) < p).astype(np.float64)
    y = np.where(rng.random(p.size) < f, 1 - y, y)
    est, se = flip_rate(y, p)
    # 5 SE plus the 0.001 grid step: a bound that fails about once in 10^6 draws
    assert abs(est - f) <= 5 * se + 1e-3


def _log(seed: int, noisy_source: str | None) -> pa.Table:
    """Two languages; ``review`` labels 85% of rows, ``report`` the rest. From day 30 a
    third of the labels of ``language=fr`` are flipped: in every source, or only in
    ``noisy_source``."""
    rng = np.random.default_rng(seed)
    days, per_day = 40, 3000
    n = days * per_day
    day = np.repeat(np.arange(days), per_day)
    t = spread_over_days(rng, day, "2026-02-02")
    lang = np.where(rng.random(n) < 0.3, "fr", "en")
    x = rng.normal(0, 1, n)
    p = 1 / (1 + np.exp(-(1.5 * x - 1.0)))
    y = (rng.random(n) < p).astype(np.int64)
    source = np.where(rng.random(n) < 0.85, "review", "report")
    hit = (day >= 30) & (lang == "fr") & ((source == noisy_source) | (noisy_source is None))
    y = np.where(hit & (rng.random(n) < 0.33), 1 - y, y)
    label_time = after_hours(t, rng.lognormal(1.0, 0.5, n))
    return binary_log(t, p, y, label_time, label_source=source, language=lang, x=x)


@pytest.mark.parametrize("noisy_source", [None, "review"])
def test_noise_in_a_segment_keeps_the_segment_and_names_a_lone_source_in_evidence(
    noisy_source: str | None,
) -> None:
    """Noise in every source of ``language=fr`` had been renamed ``label_source=review`` (the
    big source's test passed while the small one's lacked power; tuning seeds 75, 165)."""
    s = summarise(_log(3, noisy_source), reference_end="2026-02-22", segments=["language"])
    res = run_triage(s, as_of=parse_event_time("2026-03-14"), estimate=False)
    top = res.findings[0]
    assert top.cause == "label_noise"
    assert top.segment == {"language": "fr"}
    assert ("label_source=review" in top.evidence) == (noisy_source == "review")

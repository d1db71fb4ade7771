"""Result models of :mod:`modelward.analyses.diff`: flips, metric deltas, score shift.

The models are frozen pydantic models; :class:`DiffResult` gathers the parts
one diff produced. Two helpers turn raw floats into result fields: non-finite
values become ``None`` and so do intervals with a non-finite end.

Examples
--------
>>> FlipRate(n=100, n_flipped=3, n_up=2, n_down=1, rate=0.03, interval=None).rate
0.03
>>> _interval(-0.02, float("nan"), 0.95, "Wilson") is None
True
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from modelward.analyses.results import FeatureDrift, Interval

__all__ = [
    "DiffMode",
    "DiffResult",
    "FlipBand",
    "FlipRate",
    "MetricDelta",
    "ScoreShift",
]

DiffMode = Literal["paired", "independent"]


# ---------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlipRate(_Model):
    """Share of the shared rows whose served prediction differs between the versions."""

    segment: str = ""
    segment_value: str = ""
    n: int
    n_flipped: int
    n_up: int  # baseline 0 -> candidate 1
    n_down: int  # baseline 1 -> candidate 0
    rate: float | None
    interval: Interval | None


class FlipBand(_Model):
    """Flips of one segment value within one band of the baseline score."""

    segment: str = ""
    segment_value: str = ""
    band: str  # e.g. "[0.1, 0.2)"
    low: float
    high: float
    n: int
    n_flipped: int
    n_up: int
    n_down: int


class MetricDelta(_Model):
    """``candidate - baseline`` for one metric, with its interval."""

    metric: str
    segment: str = ""
    segment_value: str = ""
    baseline: float | None
    candidate: float | None
    delta: float | None
    interval: Interval | None  # paired in paired mode, independent otherwise
    independent_interval: Interval | None = None  # paired mode: what independence would give
    p_value: float | None = None  # McNemar exact for paired proportions
    n_baseline: int
    n_candidate: int
    significant: bool  # interval excludes 0
    worse: bool  # significant and on the bad side of 0


class ScoreShift(_Model):
    """Candidate scores against baseline scores."""

    psi: float | None  # on BANDS equal-width bands
    ks: float | None  # binned KS statistic (a lower bound of the exact one)
    ks_p_value: float | None
    bands: list[str]
    baseline: list[float]  # proportions per band
    candidate: list[float]
    n_baseline: int
    n_candidate: int


class DiffResult(_Model):
    """What changed between a baseline and a candidate model version."""

    mode: DiffMode
    baseline_source: str
    candidate_source: str
    baseline_versions: list[str] = Field(default_factory=list)
    candidate_versions: list[str] = Field(default_factory=list)
    n_baseline: int
    n_candidate: int
    n_shared: int
    confidence: float
    bins: int  # score bins per version behind AUC and KS
    notes: list[str] = Field(default_factory=list)
    summary: list[str] = Field(default_factory=list)  # "what changed", in sentences
    flip: FlipRate | None = None  # paired mode, all traffic
    flips_by_segment: list[FlipRate] = Field(default_factory=list)
    flip_bands: list[FlipBand] = Field(default_factory=list)
    metrics: list[MetricDelta] = Field(default_factory=list)  # all traffic, then segments
    score_shift: ScoreShift | None = None
    feature_drift: list[FeatureDrift] = Field(default_factory=list)  # independent mode


def _f(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _interval(lo: float, hi: float, confidence: float, method: str) -> Interval | None:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    lo, hi = (0.0 if abs(v) < 1e-12 else float(v) for v in (lo, hi))
    return Interval(low=lo, high=hi, confidence=confidence, method=method)

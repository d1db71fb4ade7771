"""What a release gate returns, and the rules that turn intervals into outcomes.

A value (or a difference, or a gap) passes, fails or is inconclusive against
its limit (:func:`decide`); a constraint's rows combine to its outcome with
fail > inconclusive > pass (:func:`_combine`). :func:`mover_difference` gives
the interval of a difference of two independent estimates.

Examples
--------
>>> decide("max", 200, 180, 170, 190, n=100, min_samples=30)
('pass', 'interval below the ceiling')
>>> _combine(["pass", "inconclusive", "pass"]), _combine(["inconclusive", "fail"])
('inconclusive', 'fail')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from modelward.analyses.metrics import MetricEstimate

__all__ = [
    "ConstraintResult",
    "ConstraintRow",
    "GateResult",
    "Outcome",
    "decide",
    "mover_difference",
]

Outcome = Literal["pass", "fail", "inconclusive"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConstraintRow(_Model):
    """One evaluated value: a constraint on all traffic, one segment value, or a gap."""

    segment: str = ""
    segment_value: str = ""
    compared: Literal["value", "difference", "gap"]
    value: float | None  # the candidate's metric (or the gap)
    baseline: float | None = None
    estimate: float | None  # the compared quantity: value, difference or gap
    low: float | None
    high: float | None
    confidence: float
    limit: float
    n: int
    outcome: Outcome
    reason: str
    method: str = ""


class ConstraintResult(_Model):
    """A constraint's rows and its overall outcome (fail > inconclusive > pass)."""

    name: str
    metric: str
    severity: Literal["block", "warn"]
    limit_kind: Literal["min", "max", "max_drop", "max_rise"]
    limit: float
    confidence: float
    outcome: Outcome
    rows: list[ConstraintRow]


class GateResult(_Model):
    """The release gate: every constraint, the outcome and the exit code."""

    policy: str | None
    candidate: str
    baseline: str | None
    outcome: Outcome
    exit_code: int  # 0 pass, 1 a blocking constraint fails, 3 one is inconclusive
    constraints: list[ConstraintResult]


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def decide(
    kind: str, limit: float, value: float, low: float, high: float, *, n: int, min_samples: int
) -> tuple[Outcome, str]:
    """Outcome of one interval against a floor (``kind="min"``) or a ceiling (``"max"``)."""
    if n < min_samples:
        return "inconclusive", f"{n} samples < min_samples {min_samples}"
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(value)):
        return "inconclusive", "no interval (too little data)"
    if kind == "min":
        if low >= limit:
            return "pass", "interval above the floor"
        if high < limit:
            return "fail", "interval below the floor"
        return "inconclusive", "interval straddles the floor"
    if high <= limit:
        return "pass", "interval below the ceiling"
    if low > limit:
        return "fail", "interval above the ceiling"
    return "inconclusive", "interval straddles the ceiling"


def _combine(outcomes: Sequence[Outcome]) -> Outcome:
    if "fail" in outcomes:
        return "fail"
    if "inconclusive" in outcomes or not outcomes:
        return "inconclusive"
    return "pass"


def mover_difference(c: MetricEstimate, b: MetricEstimate) -> tuple[float, float, float]:
    """``c - b`` with its MOVER interval from two independent intervals.

    Examples
    --------
    >>> d = mover_difference(MetricEstimate(0.7, 0.6, 0.8, 100), MetricEstimate(0.8, 0.7, 0.9, 100))
    >>> [round(x, 3) for x in d]
    [-0.1, -0.241, 0.041]
    """
    d = c.value - b.value
    lo = d - math.hypot(c.value - c.low, b.high - b.value)
    hi = d + math.hypot(c.high - c.value, b.value - b.low)
    return d, lo, hi

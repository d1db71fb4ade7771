"""Shared pieces of the cause scorers: a candidate explanation, test statistics, confidence.

Every scorer turns counts into a one-sided z-like strength (large when the
data favour its cause) from a binomial, Poisson or G test, so counts matter
and nothing depends on a simulator's magnitude scale.

Examples
--------
>>> round(g_to_z(10.0, 1), 2) > 2
True
>>> round(confidence_from_z(6.0), 2)
0.5
>>> round(binomial_z(30, 1000, 0.01), 1)
6.4
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from modelward.analyses.triage.onset import ChangeOnset

__all__ = [
    "Candidate",
    "FloatArray",
    "binomial_z",
    "confidence_from_z",
    "g_homogeneity",
    "g_to_z",
]

FloatArray = npt.NDArray[np.float64]

#: Strength (z) at which a finding's confidence is 0.5; Bonferroni-safe for hundreds of tests.
Z_HALF = 6.0
#: z-units per logit unit of confidence.
Z_SCALE = 1.5


@dataclass
class Candidate:
    """One cause's explanation of what changed, with the strength of its evidence."""

    cause: str
    z: float
    evidence: str
    onset: int | None = None
    onset_low: int | None = None
    onset_high: int | None = None
    segment: dict[str, str] | None = None
    features: list[str] = field(default_factory=list)
    effect: float = 0.0
    numbers: dict[str, float] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)

    def dated(self, on: ChangeOnset | None) -> Candidate:
        """Take ``on``'s day and interval as the onset (kept as is when ``on`` is None)."""
        if on is not None:
            self.onset, self.onset_low, self.onset_high = on.index, on.low, on.high
        return self


def confidence_from_z(z: float) -> float:
    """Map a strength to (0, 1): 0.5 at :data:`Z_HALF`, a logistic in z."""
    if not math.isfinite(z):
        return 0.0
    t = max(-50.0, min(50.0, (z - Z_HALF) / Z_SCALE))
    return float(1.0 / (1.0 + math.exp(-t)))


def g_to_z(g: float, df: float) -> float:
    """Wilson-Hilferty normal equivalent of a chi-square(``df``) statistic."""
    if df <= 0 or not math.isfinite(g):
        return 0.0
    g = max(g, 0.0)
    a = 2.0 / (9.0 * df)
    return float(((g / df) ** (1.0 / 3.0) - (1.0 - a)) / math.sqrt(a))


def binomial_z(successes: float, n: float, p0: float) -> float:
    """Signed score-test z of ``successes / n`` against ``p0`` (``p0`` floored at 0.5/n)."""
    if n <= 0:
        return 0.0
    p = min(max(p0, 0.5 / max(n, 1.0)), 1.0 - 0.5 / max(n, 1.0))
    return float((successes - n * p) / math.sqrt(n * p * (1.0 - p)))


def g_homogeneity(ref: npt.ArrayLike, cur: npt.ArrayLike) -> tuple[float, int, float]:
    """G statistic of a 2 x k homogeneity test, its degrees of freedom, and KL(cur || ref).

    Cells empty in both rows are dropped. The KL is the plug-in estimate with
    the reference smoothed by half a count.
    """
    r = np.asarray(ref, dtype=np.float64)
    c = np.asarray(cur, dtype=np.float64)
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    nr, nc = r.sum(), c.sum()
    if r.size < 2 or nr <= 0 or nc <= 0:
        return 0.0, 0, 0.0
    tot = r + c
    er, ec = tot * nr / (nr + nc), tot * nc / (nr + nc)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = 2.0 * float(
            np.nansum(np.where(r > 0, r * np.log(r / er), 0.0))
            + np.nansum(np.where(c > 0, c * np.log(c / ec), 0.0))
        )
        pr = (r + 0.5) / (nr + 0.5 * r.size)
        pc_ = c / nc
        kl = float(np.nansum(np.where(pc_ > 0, pc_ * np.log(pc_ / pr), 0.0)))
    return g, int(r.size - 1), max(kl, 0.0)

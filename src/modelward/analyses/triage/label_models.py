"""The label models and count cubes shared by the P(x), P(y) and P(y | x) scorers.

A :class:`FeatureCube` holds daily counts by bin of one feature (or of the
score), for all rows and for labelled rows; cubes of a segment value and of
the rest of the traffic subtract (:func:`minus`). :func:`fit_labels` compares
P(y | bin) on labelled rows with the reference calibration of each bin by
three models: a uniform log-odds shift, labels flipped at a rate toward 1/2,
and a log-odds shift in one region (exact maximum likelihood, Newton's
method on a concave log-likelihood).

Examples
--------
>>> import numpy as np
>>> round(signed_sqrt(-9.0), 1)
-3.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from modelward.analyses.triage.evidence import FloatArray

__all__ = [
    "FeatureCube",
    "LabelFit",
    "directional_gains",
    "expected_positives",
    "fit_labels",
    "minus",
    "region_gain",
    "region_score_shift",
    "signed_sqrt",
]

_EPS = 1e-9


@dataclass
class FeatureCube:
    """Daily counts by bin of one feature (or of the score): all rows and labelled rows."""

    name: str
    ordered: bool
    count: FloatArray
    lab: FloatArray
    pos: FloatArray
    ssum: FloatArray
    bins: list[int] = field(default_factory=list)
    ssum_all: FloatArray | None = None
    """Score sums of all rows, labelled or not (None when unknown)."""
    offset: FloatArray | None = None
    """Per bucket, the log-odds by which label arrival tilts labelled rows toward the
    positive class against the reference (classes' labels arrive at their own lags, so a
    young bucket's labelled rows are a class-selected sample); None for no tilt."""


def minus(a: FeatureCube, b: FeatureCube) -> FeatureCube:
    """The cube of ``a``'s rows that are not in ``b`` (same bins): counts subtract."""
    return FeatureCube(
        a.name,
        a.ordered,
        np.clip(a.count - b.count, 0, None),
        np.clip(a.lab - b.lab, 0, None),
        np.clip(a.pos - b.pos, 0, None),
        np.clip(a.ssum - b.ssum, 0, None),
        a.bins,
        None
        if a.ssum_all is None or b.ssum_all is None
        else np.clip(a.ssum_all - b.ssum_all, 0, None),
        a.offset,
    )


def _dev(o: FloatArray, n: FloatArray, p: FloatArray) -> float:
    p = np.clip(p, _EPS, 1 - _EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(o > 0, o * np.log(o / (n * p)), 0.0)
        b = np.where(n - o > 0, (n - o) * np.log((n - o) / (n * (1 - p))), 0.0)
    return float(2 * np.nansum(a + b))


def _logit(p: FloatArray) -> FloatArray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.asarray(np.log(p / (1 - p)))


def _sig(x: FloatArray) -> FloatArray:
    return np.asarray(1 / (1 + np.exp(-x)))


@dataclass
class LabelFit:
    """Deviance reductions of the three label models on one feature's bins."""

    name: str
    d0: float
    shift: float
    noise: float
    noise_e: float
    region: float
    region_bins: list[int]
    region_delta: float
    shift_c: float


def expected_positives(fc: FeatureCube, ref: np.ndarray) -> FloatArray:
    """Per bucket and bin, the positives the reference calibration expects among labelled rows.

    The calibration is positives per unit of score (or the bin's reference rate
    without scores), tilted per bucket by the label-arrival offset when the cube
    has one.
    """
    pr, nr, sr = fc.pos[ref].sum(0), fc.lab[ref].sum(0), fc.ssum[ref].sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if sr.sum() > 0:
            k = (pr + 0.5) / (sr + 0.5)
            r = np.where(fc.lab > 0, k * fc.ssum / fc.lab, 0.0)
        else:
            r = np.broadcast_to((pr + 0.5) / (nr + 1.0), fc.lab.shape)
    if fc.offset is not None:
        r = _sig(_logit(np.clip(r, 1e-6, 1 - 1e-6)) + fc.offset[:, None])
    return np.asarray(fc.lab * r)


def _expected_rate(
    fc: FeatureCube, ref: np.ndarray, rows: np.ndarray
) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray]:
    """Observed positives, labelled rows and the expected rate per bin over ``rows``."""
    o = fc.pos[rows].sum(0)
    n = fc.lab[rows].sum(0)
    e = expected_positives(fc, ref)[rows].sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(n > 0, e / n, 0.0)
    keep = (n > 0) & (fc.lab[ref].sum(0) > 0)
    return o[keep], n[keep], np.clip(r[keep], 1e-6, 1 - 1e-6), np.flatnonzero(keep)


def _region_shifts(
    o: FloatArray, n: FloatArray, lr: FloatArray, masks: np.ndarray
) -> tuple[FloatArray, FloatArray]:
    """MLE log-odds shift inside each region (rows of ``masks``) and its deviance, by Newton.

    The binomial log-likelihood is concave in the shift, so Newton's method
    (clipped to [-6, 6]) converges to the same optimum as a bounded search.
    """
    d = np.zeros(masks.shape[0])
    m = masks.astype(np.float64)
    for _ in range(50):
        p = _sig(lr[None, :] + d[:, None] * m)
        g = ((o[None, :] - n[None, :] * p) * m).sum(axis=1)
        h = (n[None, :] * p * (1 - p) * m).sum(axis=1)
        step = np.where(h > 1e-12, g / np.maximum(h, 1e-12), 0.0)
        d = np.clip(d + step, -6.0, 6.0)
        if np.all(np.abs(step) < 1e-7):
            break
    p = np.clip(_sig(lr[None, :] + d[:, None] * m), _EPS, 1 - _EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(o > 0, o * np.log(o / (n * p)), 0.0)
        b = np.where(n - o > 0, (n - o) * np.log((n - o) / (n * (1 - p))), 0.0)
    return d, 2 * np.nansum(a + b, axis=1)


def fit_labels(
    fc: FeatureCube, ref: np.ndarray, rows: np.ndarray, *, regions: bool = True
) -> LabelFit | None:
    """Deviance gains of a uniform log-odds shift, label flips and (optionally) one region."""
    o, n, r, idx = _expected_rate(fc, ref, rows)
    if o.size < 2 or n.sum() <= 0:
        return None
    d0 = _dev(o, n, r)
    lr = _logit(r)
    k = o.size
    shift_c, shift_dev = _region_shifts(o, n, lr, np.ones((1, k), dtype=bool))
    fn = minimize_scalar(lambda e: _dev(o, n, e + (1 - 2 * e) * r), bounds=(0, 1), method="bounded")
    best_region, best_bins, best_delta = 0.0, [], 0.0
    n_regions = 0
    if regions:
        if fc.ordered:
            tri = np.arange(k)[None, :] >= np.arange(1, k)[:, None]
            masks = np.concatenate([tri, ~tri])
        else:
            masks = np.eye(k, dtype=bool)
        n_regions = masks.shape[0]
        deltas, devs = _region_shifts(o, n, lr, masks)
        gains = d0 - devs
        j = int(np.argmax(gains))
        if gains[j] > 0:
            best_region = float(gains[j])
            best_bins = idx[masks[j]].tolist()
            best_delta = float(deltas[j])
    penalty = 2 * math.log(max(n_regions, 1))
    return LabelFit(
        fc.name,
        d0,
        d0 - float(shift_dev[0]),
        d0 - float(fn.fun),
        float(fn.x),
        max(0.0, best_region - penalty),
        best_bins,
        best_delta,
        float(shift_c[0]),
    )


def region_gain(fc: FeatureCube, ref: np.ndarray, rows: np.ndarray, bins: list[int]) -> float:
    """Deviance gain of a log-odds shift confined to ``bins`` (a region found elsewhere).

    Examples
    --------
    >>> n = np.array([[100.0, 100.0], [100.0, 100.0]])
    >>> fc = FeatureCube("x", True, n, n, np.array([[20.0, 20.0], [20.0, 60.0]]),
    ...                  np.zeros((2, 2)), [0, 1])
    >>> ref = np.array([True, False])
    >>> region_gain(fc, ref, ~ref, [1]) > 30, region_gain(fc, ref, ~ref, [0]) < 1
    (True, True)
    """
    o, n, r, idx = _expected_rate(fc, ref, rows)
    mask = np.isin(idx, bins)
    if o.size == 0 or not mask.any() or n[mask].sum() <= 0:
        return 0.0
    _, dev = _region_shifts(o, n, _logit(r), mask[None, :])
    return max(0.0, _dev(o, n, r) - float(dev[0]))


def directional_gains(fc: FeatureCube, ref: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
    """Deviance gains of one-directional label changes: a lift ``r + q (1 - r)``, a drop."""
    o, n, r, _ = _expected_rate(fc, ref, rows)
    if o.size < 2 or n.sum() <= 0:
        return 0.0, 0.0
    d0 = _dev(o, n, r)
    up = minimize_scalar(lambda q: _dev(o, n, r + q * (1 - r)), bounds=(0, 1), method="bounded")
    down = minimize_scalar(lambda q: _dev(o, n, r * (1 - q)), bounds=(0, 1), method="bounded")
    return d0 - float(up.fun), d0 - float(down.fun)


def signed_sqrt(x: float) -> float:
    """``sign(x) * sqrt(|x|)``: a deviance gain as a z-like strength."""
    return math.copysign(math.sqrt(abs(x)), x)


def region_score_shift(
    fc: FeatureCube, ref: np.ndarray, post: np.ndarray, bins: list[int]
) -> tuple[float, float, float]:
    """z of the change of the mean score of the rows in ``bins``, and the two means.

    All rows (labelled or not) when the cube has their score sums: the labelled
    rows alone are a sample selected by label arrival, which may depend on the
    class, so their mean score moves whenever the arrival order does. The
    variance of a score in [0, 1] with mean m is at most m (1 - m), so the z is
    conservative (never overstated).
    """
    if not bins:
        return 0.0, math.nan, math.nan
    n_, s_ = (fc.lab, fc.ssum) if fc.ssum_all is None else (fc.count, fc.ssum_all)
    n0, n1 = n_[ref][:, bins].sum(), n_[post][:, bins].sum()
    if n0 <= 0 or n1 <= 0:
        return 0.0, math.nan, math.nan
    m0 = float(s_[ref][:, bins].sum() / n0)
    m1 = float(s_[post][:, bins].sum() / n1)
    m = (m0 * n0 + m1 * n1) / (n0 + n1)
    se = math.sqrt(max(m * (1 - m), 1e-12) * (1 / n0 + 1 / n1))
    return abs(m1 - m0) / se, m0, m1

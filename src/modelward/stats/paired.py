"""Kernels for comparing two model versions: paired and independent differences.

Plain functions on counts, used by the retraining diff
(:mod:`modelward.analyses.diff`):

- :func:`paired_proportion_diff`: Newcombe (1998) method 10 for the difference
  of two paired proportions (Wilson intervals combined with the phi
  correlation of the 2x2 agreement table);
- :func:`independent_proportion_diff`: the same for independent samples
  (MOVER-Wilson, Newcombe 1998 method 10; reproduces the published example
  56/70 vs 48/80 -> [0.0524, 0.3339]);
- :func:`paired_auc_diff`: DeLong, DeLong & Clarke-Pearson (1988) for two
  correlated ROC AUCs, exact for binned scores, from the joint table of
  (baseline bin, candidate bin) counts of positives and negatives;
- :func:`mcnemar_exact`: McNemar's exact test on the discordant pairs.

Examples
--------
>>> d, lo, hi = paired_proportion_diff(40, 10, 2, 48)
>>> round(d, 3), round(lo, 3), round(hi, 3)
(-0.08, -0.144, -0.014)
>>> d, lo, hi = independent_proportion_diff(48, 80, 56, 70)
>>> round(d, 3), round(lo, 4), round(hi, 4)
(0.2, 0.0524, 0.3339)
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from modelward._exceptions import ConfigError
from modelward.stats.intervals import wilson_interval

__all__ = [
    "auc_delong_variance",
    "check_confidence",
    "confusion_cells",
    "independent_proportion_diff",
    "mcnemar_exact",
    "paired_auc_diff",
    "paired_proportion_diff",
    "precision_f1_counts",
    "z_value",
]

FloatArray = npt.NDArray[np.float64]


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence`` (1.96 at 0.95)."""
    return float(sps.norm.ppf(0.5 + confidence / 2))


def check_confidence(confidence: float, func: str) -> float:
    """``confidence`` as a float, or a ConfigError naming ``func`` if outside (0, 1)."""
    if not (isinstance(confidence, int | float) and 0 < confidence < 1):
        raise ConfigError(
            f"The 'confidence' parameter of {func} must be a float in (0, 1). "
            f"Got {confidence!r} instead."
        )
    return float(confidence)


def _mover(
    p1: float, l1: float, u1: float, p2: float, l2: float, u2: float, phi: float
) -> tuple[float, float, float]:
    d = p1 - p2
    lo = d - math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0))
    hi = d + math.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0))
    return d, max(lo, -1.0), min(hi, 1.0)


def paired_proportion_diff(
    both: float,
    baseline_only: float,
    candidate_only: float,
    neither: float,
    *,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Difference ``p_candidate - p_baseline`` of two paired proportions, with an interval.

    Newcombe (1998), method 10: each rate's Wilson interval, combined with the
    phi coefficient of the 2x2 table of (baseline success, candidate success)
    (phi taken as 0 when a margin is empty).

    Parameters
    ----------
    both, baseline_only, candidate_only, neither
        Counts of rows where both, only the baseline, only the candidate, or
        neither version had the event (e.g. a correct prediction).
    confidence
        Level of the interval.

    Returns
    -------
    tuple of float
        ``(delta, low, high)``; nan for an empty table.

    Examples
    --------
    >>> paired_proportion_diff(30, 0, 0, 70)[0]
    0.0
    """
    conf = check_confidence(confidence, "paired_proportion_diff")
    a, b, c, d = (float(x) for x in (both, baseline_only, candidate_only, neither))
    n = a + b + c + d
    if n <= 0:
        return math.nan, math.nan, math.nan
    p1, p2 = (a + c) / n, (a + b) / n
    l1, u1 = wilson_interval(a + c, n, confidence=conf)
    l2, u2 = wilson_interval(a + b, n, confidence=conf)
    den = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / math.sqrt(den) if den > 0 else 0.0
    return _mover(p1, l1, u1, p2, l2, u2, phi)


def independent_proportion_diff(
    k_baseline: float,
    n_baseline: float,
    k_candidate: float,
    n_candidate: float,
    *,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Difference ``k_c / n_c - k_b / n_b`` of two independent proportions, with an interval.

    Newcombe (1998) method 10 for independent samples (MOVER with Wilson
    intervals). nan when either sample is empty.

    Examples
    --------
    >>> [round(v, 4) for v in independent_proportion_diff(5, 10, 5, 10)]
    [0.0, -0.3725, 0.3725]
    """
    conf = check_confidence(confidence, "independent_proportion_diff")
    if n_baseline <= 0 or n_candidate <= 0:
        return math.nan, math.nan, math.nan
    p1, p2 = k_candidate / n_candidate, k_baseline / n_baseline
    l1, u1 = wilson_interval(k_candidate, n_candidate, confidence=conf)
    l2, u2 = wilson_interval(k_baseline, n_baseline, confidence=conf)
    return _mover(p1, l1, u1, p2, l2, u2, 0.0)


def _components(pos: FloatArray, neg: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """AUC and the DeLong structural components per bin (V10 for positives, V01 for negatives)."""
    n_pos, n_neg = pos.sum(), neg.sum()
    v10 = (np.cumsum(neg) - neg + neg / 2) / n_neg
    v01 = (pos.sum() - np.cumsum(pos) + pos / 2) / n_pos
    auc = float(np.sum(pos * v10) / n_pos)
    return auc, v10, v01


def paired_auc_diff(
    pos: npt.ArrayLike, neg: npt.ArrayLike, *, confidence: float = 0.95
) -> tuple[float, float, float, float, float, float]:
    """Difference of two correlated ROC AUCs (DeLong) from a joint table of binned scores.

    Parameters
    ----------
    pos, neg
        Counts of positives (resp. negatives) per (baseline score bin,
        candidate score bin): two arrays of shape ``(bins, bins)``.
    confidence
        Level of the Wald intervals.

    Returns
    -------
    tuple of float
        ``(auc_baseline, auc_candidate, delta, low, high, independent_half)``:
        the paired interval ``delta +- z se`` and the half width an
        independent-samples interval (variances summed, covariance ignored)
        would have. nan without two positives and two negatives.

    Examples
    --------
    >>> p = np.diag([1.0, 2, 3, 4]); n = np.diag([4.0, 3, 2, 1])
    >>> [round(v, 4) for v in paired_auc_diff(p, n)[:5]]
    [0.75, 0.75, 0.0, 0.0, 0.0]
    """
    conf = check_confidence(confidence, "paired_auc_diff")
    p = np.asarray(pos, dtype=np.float64)
    n = np.asarray(neg, dtype=np.float64)
    n_pos, n_neg = float(p.sum()), float(n.sum())
    if n_pos < 2 or n_neg < 2:
        nan = math.nan
        return nan, nan, nan, nan, nan, nan
    auc_b, v10_b, v01_b = _components(p.sum(axis=1), n.sum(axis=1))
    auc_c, v10_c, v01_c = _components(p.sum(axis=0), n.sum(axis=0))
    # covariance matrices of (baseline, candidate) components over positives / negatives
    xb, xc = (v10_b - auc_b)[:, None], (v10_c - auc_c)[None, :]
    yb, yc = (v01_b - auc_b)[:, None], (v01_c - auc_c)[None, :]
    s10 = np.array([np.sum(p * xb * xb), np.sum(p * xc * xc), np.sum(p * xb * xc)]) / (n_pos - 1)
    s01 = np.array([np.sum(n * yb * yb), np.sum(n * yc * yc), np.sum(n * yb * yc)]) / (n_neg - 1)
    var_b = s10[0] / n_pos + s01[0] / n_neg
    var_c = s10[1] / n_pos + s01[1] / n_neg
    cov = s10[2] / n_pos + s01[2] / n_neg
    z = z_value(conf)
    d = auc_c - auc_b
    half = z * math.sqrt(max(var_b + var_c - 2 * cov, 0.0))
    return auc_b, auc_c, d, d - half, d + half, z * math.sqrt(var_b + var_c)


def auc_delong_variance(pos: npt.ArrayLike, neg: npt.ArrayLike) -> tuple[float, float]:
    """ROC AUC and its DeLong variance from binned score counts of one sample.

    ``(nan, nan)`` without two positives and two negatives.

    Examples
    --------
    >>> auc, var = auc_delong_variance([2, 4, 6, 8], [8, 6, 4, 2])
    >>> round(auc, 3), round(var, 5)
    (0.75, 0.00579)
    """
    pos = np.asarray(pos, dtype=np.float64)
    neg = np.asarray(neg, dtype=np.float64)
    n_pos, n_neg = float(pos.sum()), float(neg.sum())
    if n_pos < 2 or n_neg < 2:
        return math.nan, math.nan
    auc, v10, v01 = _components(pos, neg)
    s10 = np.sum(pos * (v10 - auc) ** 2) / (n_pos - 1)
    s01 = np.sum(neg * (v01 - auc) ** 2) / (n_neg - 1)
    return auc, float(s10 / n_pos + s01 / n_neg)


def precision_f1_counts(conf: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Precision and F1 of confusion counts shaped ``(..., 4)`` as (tp, fp, fn, tn).

    nan where undefined (no predicted positive; no positive at all).

    Examples
    --------
    >>> [float(v) for v in precision_f1_counts(np.array([8.0, 2, 8, 82]))]
    [0.8, 0.6153846153846154]
    """
    tp, fp, fn = conf[..., 0], conf[..., 1], conf[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tp / (tp + fp)
        f1 = 2 * tp / (2 * tp + fp + fn)
    return precision, f1


def confusion_cells(pred: FloatArray) -> FloatArray:
    """(tp, fp, fn, tn) from counts shaped ``(..., prediction[0/1], label[0/1])``.

    Examples
    --------
    >>> confusion_cells(np.array([[50.0, 5], [3, 12]])).tolist()
    [12.0, 3.0, 5.0, 50.0]
    """
    return np.stack([pred[..., 1, 1], pred[..., 1, 0], pred[..., 0, 1], pred[..., 0, 0]], axis=-1)


def mcnemar_exact(baseline_only: float, candidate_only: float) -> float:
    """Two-sided p-value of McNemar's exact test (binomial on the discordant pairs).

    Examples
    --------
    >>> round(mcnemar_exact(10, 2), 4), mcnemar_exact(0, 0)
    (0.0386, 1.0)
    """
    m = round(baseline_only + candidate_only)
    if m == 0:
        return 1.0
    return float(sps.binomtest(round(candidate_only), m, 0.5).pvalue)

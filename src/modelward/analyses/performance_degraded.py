"""Which metrics got worse: the current window against the reference, beyond a floor.

Both windows are independent samples, so the interval of ``current -
reference`` is built from their two intervals by MOVER (Newcombe 1998, Zou &
Donner 2008); a metric is degraded when that interval lies entirely on the bad
side of 0 and the change exceeds the metric's floor (:data:`DEGRADE_FLOORS`).
"""

from __future__ import annotations

import math

from modelward.analyses.results import PerformanceWindow

__all__ = ["DEGRADE_FLOORS", "degraded_metrics"]

#: metric -> (direction, absolute floor, relative floor). ``direction`` is
#: ``"up"`` (higher is better), ``"down"`` (lower is better) or ``"abs"``
#: (closer to 0 is better). A change counts only if larger than
#: ``max(absolute, relative * |reference|)``.
DEGRADE_FLOORS: dict[str, tuple[str, float, float]] = {
    "roc_auc": ("up", 0.02, 0.0),
    "pr_auc": ("up", 0.02, 0.0),
    "precision": ("up", 0.02, 0.0),
    "recall": ("up", 0.02, 0.0),
    "f1": ("up", 0.02, 0.0),
    "accuracy": ("up", 0.01, 0.0),
    "fpr": ("down", 0.01, 0.0),
    "log_loss": ("down", 0.0, 0.1),
    "brier": ("down", 0.0, 0.1),
    "ece": ("down", 0.02, 0.0),
    "mae": ("down", 0.0, 0.1),
    "rmse": ("down", 0.0, 0.1),
    "bias": ("abs", 0.0, 0.1),
}


def _floor(metric: str, reference: float) -> float:
    _, absolute, relative = DEGRADE_FLOORS[metric]
    return max(absolute, relative * abs(reference))


def degraded_metrics(reference: PerformanceWindow, current: PerformanceWindow) -> list[str]:
    """Metrics significantly worse in ``current`` than in ``reference``, by more than a floor.

    For each metric of :data:`DEGRADE_FLOORS` present in both windows with an
    interval, the MOVER interval of ``current - reference`` (from the two
    independent intervals) must exclude 0 on the bad side, and the change must
    exceed ``max(absolute floor, relative floor x |reference|)``. For
    ``bias`` the magnitude ``|bias|`` is compared (interval of
    ``|current| - |reference|`` folded from the signed intervals).

    Examples
    --------
    >>> from modelward.analyses.results import Interval, MetricValue
    >>> def w(v, lo, hi):
    ...     return PerformanceWindow(window="current", n_rows=100, n_labelled=100,
    ...         metrics={"recall": MetricValue(value=v, interval=Interval(low=lo, high=hi), n=100)})
    >>> degraded_metrics(w(0.8, 0.75, 0.85), w(0.6, 0.55, 0.65))
    ['recall']
    >>> degraded_metrics(w(0.8, 0.7, 0.9), w(0.75, 0.65, 0.85))
    []
    """
    out = []
    for name, (direction, _, _) in DEGRADE_FLOORS.items():
        r, c = reference.metrics.get(name), current.metrics.get(name)
        if r is None or c is None or r.value is None or c.value is None:
            continue
        if r.interval is None or c.interval is None:
            continue
        rv, cv = r.value, c.value
        rlo, rhi = r.interval.low, r.interval.high
        clo, chi = c.interval.low, c.interval.high
        if rlo is None or rhi is None or clo is None or chi is None:
            continue
        if direction == "abs":  # worse = |current| larger; flip signs so both are >= 0
            rlo, rhi = sorted((abs(rlo), abs(rhi))) if rlo * rhi > 0 else (0.0, max(-rlo, rhi))
            clo, chi = sorted((abs(clo), abs(chi))) if clo * chi > 0 else (0.0, max(-clo, chi))
            rv, cv, direction = abs(rv), abs(cv), "down"
        d = cv - rv
        if direction == "up":  # worse = lower: the upper end of d must be below 0
            bound = d + math.hypot(chi - cv, rv - rlo)
            worse = bound < 0 and -d > _floor(name, rv)
        else:  # worse = higher: the lower end of d must be above 0
            bound = d - math.hypot(cv - clo, rhi - rv)
            worse = bound > 0 and d > _floor(name, rv)
        if worse:
            out.append(name)
    return out

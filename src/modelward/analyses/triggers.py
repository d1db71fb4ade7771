"""Rollback triggers: the policy's constraints on every live window, with hysteresis.

Each window of ``triggers.window`` consecutive current buckets (aligned to end
at the last bucket) is evaluated like a gate (baseline = the reference
window). A trigger **fires** after ``k`` consecutive failing windows and
**clears** after ``k`` consecutive passing ones; an inconclusive window
breaks both runs.

Looking every day: a per-window test at the constraint's level would, over a
year of daily looks, fire by chance. The window test is made at one-sided
level ``alpha_w = (alpha / (H m)) ** (1 / k)`` (two-sided interval at
``1 - 2 alpha_w``), with ``alpha = 1 - confidence``, ``H = triggers.horizon``
the number of windows the policy will look at, and ``m`` the number of series
(constraint x segment value). Disjoint windows are independent, so when the
true metric sits exactly at its limit a run of ``k`` fails starts at a given
window with probability at most ``alpha_w ** k``; a union bound over the ``H``
starts and ``m`` series keeps the probability of any false trigger over the
horizon at most ``alpha`` (a Bonferroni alpha-spending over the looks, made
cheap by the hysteresis). ``benchmarks/rollback_false_alarms.py`` measures the
rate on healthy simulated systems.

Examples
--------
>>> round(window_alpha(0.05, horizon=365, series=1, k=3), 4)
0.0515
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from modelward.analyses.gates import ConstraintRow, Outcome, evaluate_constraint
from modelward.analyses.policy import Policy
from modelward.engine.summaries import Summaries

__all__ = ["TriggerState", "WindowOutcome", "evaluate_triggers", "window_alpha"]

#: The per-window one-sided level is never above this (very long runs would allow more).
MAX_WINDOW_ALPHA = 0.25


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowOutcome(_Model):
    """One live window of one series."""

    start: datetime
    end: datetime  # exclusive
    outcome: Outcome
    estimate: float | None
    low: float | None
    high: float | None
    n: int


class TriggerState(_Model):
    """The state of one rollback trigger (a constraint, per segment value with for_each)."""

    constraint: str
    metric: str
    severity: Literal["block", "warn"]
    segment: str = ""
    segment_value: str = ""
    limit_kind: str
    limit: float
    status: Literal["firing", "ok"]
    since: datetime | None  # start of the first failing window of the run that fired
    fired_at: datetime | None  # end of the k-th failing window
    cleared_at: datetime | None  # end of the last clearing run, if it fired before
    consecutive_failures: int
    k: int
    window_confidence: float
    windows: list[WindowOutcome]


def window_alpha(alpha: float, *, horizon: int, series: int, k: int) -> float:
    """One-sided level of each window's test (see the module docstring)."""
    return float(min((alpha / (horizon * max(series, 1))) ** (1.0 / k), MAX_WINDOW_ALPHA))


def _windows(summaries: Summaries, size: int) -> list[tuple[datetime, datetime]]:
    vol = summaries.table("volume")
    vol = vol.filter(pc.and_(pc.equal(vol["window"], "current"), pc.equal(vol["segment"], "")))
    buckets = sorted(set(vol["bucket"].to_pylist()))
    if not buckets:
        return []
    step = buckets[1] - buckets[0] if len(buckets) > 1 else None
    out = []
    i = len(buckets)
    while i - size >= 0:
        chunk = buckets[i - size : i]
        end = chunk[-1] + step if step is not None else datetime.max
        out.append((chunk[0], end))
        i -= size
    return out[::-1]


def _series_key(row: ConstraintRow) -> tuple[str, str]:
    return row.segment, row.segment_value if row.compared != "gap" else ""


def evaluate_triggers(
    summaries: Summaries,
    policy: Policy,
    *,
    k: int | None = None,
    horizon: int | None = None,
    window: int | None = None,
    seed: int = 0,
) -> list[TriggerState]:
    """Evaluate every constraint on each live window, with hysteresis; one state per series.

    Parameters
    ----------
    summaries
        Summaries with a reference window (the baseline) and current buckets.
    policy
        The policy; ``policy.triggers`` gives the defaults of ``k``, ``horizon``, ``window``.
    k
        Consecutive failing (passing) windows to fire (clear).
    horizon
        Windows the correction covers.
    window
        Buckets per window.
    seed
        Seed of the bootstrap draws.

    Returns
    -------
    list of TriggerState
        Firing ones first, then by constraint and segment.
    """
    k = policy.triggers.k if k is None else k
    horizon = policy.triggers.horizon if horizon is None else horizon
    size = policy.triggers.window if window is None else window
    windows = _windows(summaries, size)
    if not windows:
        return []
    # series per constraint: one, or one per for_each value
    series = 0
    for c in policy.constraints:
        if c.for_each:
            vol = summaries.table("volume")
            series += max(
                len(
                    set(
                        vol.filter(pc.equal(vol["segment"], c.for_each))[
                            "segment_value"
                        ].to_pylist()
                    )
                ),
                1,
            )
        else:
            series += 1
    states: list[TriggerState] = []
    for c in policy.constraints:
        a_w = window_alpha(1 - c.confidence, horizon=horizon, series=series, k=k)
        conf_w = 1 - 2 * a_w
        per: dict[tuple[str, str], list[WindowOutcome]] = {}
        for start, end in windows:
            res = evaluate_constraint(
                summaries,
                c,
                costs=policy.costs,
                buckets=(start, end),
                confidence=conf_w,
                adjust=False,
                seed=seed,
            )
            for row in res.rows:
                per.setdefault(_series_key(row), []).append(
                    WindowOutcome(
                        start=start,
                        end=end,
                        outcome=row.outcome,
                        estimate=row.estimate,
                        low=row.low,
                        high=row.high,
                        n=row.n,
                    )
                )
        for (seg, val), outs in per.items():
            states.append(
                _hysteresis(c.label, c.metric, c.severity, seg, val, c.limit, outs, k, conf_w)
            )
    states.sort(key=lambda s: (s.status != "firing", s.constraint, s.segment, s.segment_value))
    return states


def _hysteresis(
    name: str,
    metric: str,
    severity: Literal["block", "warn"],
    segment: str,
    value: str,
    limit: tuple[str, float],
    outs: list[WindowOutcome],
    k: int,
    conf_w: float,
) -> TriggerState:
    firing = False
    fails = passes = 0
    since = fired_at = cleared_at = None
    run_start: datetime | None = None
    for w in outs:
        if w.outcome == "fail":
            if fails == 0:
                run_start = w.start
            fails += 1
            passes = 0
            if not firing and fails >= k:
                firing, since, fired_at = True, run_start, w.end
        elif w.outcome == "pass":
            passes += 1
            fails = 0
            if firing and passes >= k:
                firing, cleared_at = False, w.end
        else:
            fails = passes = 0
    return TriggerState(
        constraint=name,
        metric=metric,
        severity=severity,
        segment=segment,
        segment_value=value,
        limit_kind=limit[0],
        limit=limit[1],
        status="firing" if firing else "ok",
        since=since if firing else None,
        fired_at=fired_at if firing else None,
        cleared_at=cleared_at,
        consecutive_failures=fails,
        k=k,
        window_confidence=conf_w,
        windows=outs,
    )


def first_fire(state: TriggerState) -> datetime | None:
    """End of the first window at which the trigger fired (even if it later cleared)."""
    fails = 0
    for w in state.windows:
        fails = fails + 1 if w.outcome == "fail" else 0
        if fails >= state.k:
            return w.end
    return None

"""Grade a free-form monitoring answer by running it on the scenario's own log.

Each constraint is evaluated as a live rollback trigger on every current
window of the drill's summaries (:func:`modelward.analyses.triggers.evaluate_triggers`,
with its hysteresis ``k`` and its correction for looking every day). Its
first firing is then classed against the true onset:

- **caught**: fired within ``within_days`` after the onset (the earliest a
  trigger can legitimately fire is the end of the ``k``-th window after it);
- **late**: fired, but later than that;
- **false alarm**: fired before ``k`` windows had passed since the onset, so
  failing windows from before the onset started it (or the system is healthy);
- **silent**: never fired.

Examples
--------
>>> from datetime import datetime
>>> classify(datetime(2026, 1, 19), onset=datetime(2026, 1, 16), k=3, within_days=7)
'caught'
>>> classify(datetime(2026, 1, 17), onset=datetime(2026, 1, 16), k=3, within_days=7)
'false_alarm'
>>> classify(None, onset=None, k=3, within_days=7)
'silent'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from modelward.analyses.metrics import metric_value
from modelward.analyses.policy import Constraint, Policy, TriggerSettings
from modelward.analyses.triggers import TriggerState, evaluate_triggers
from modelward.engine.summaries import Summaries

__all__ = [
    "DEFAULT_K",
    "DEFAULT_WITHIN_DAYS",
    "Firing",
    "Verdict",
    "classify",
    "evaluate_constraints",
    "suggested_monitoring",
]

Verdict = Literal["caught", "late", "false_alarm", "silent"]

#: Consecutive failing daily windows for a trigger to fire.
DEFAULT_K = 3
#: A trigger that fires within this many days after the onset caught the incident.
DEFAULT_WITHIN_DAYS = 7


@dataclass(frozen=True)
class Firing:
    """How one learner constraint behaved on the drill's log."""

    constraint: str
    verdict: Verdict
    fired_at: datetime | None
    series: str  # "" for all traffic, "col=value" for the series that fired first
    windows: int
    failing_windows: int


def _first_fire(state: TriggerState) -> datetime | None:
    fails = 0
    for w in state.windows:
        fails = fails + 1 if w.outcome == "fail" else 0
        if fails >= state.k:
            return w.end
    return None


def _run_triggers(
    summaries: Summaries, constraint: Constraint, *, k: int, seed: int
) -> list[TriggerState]:
    """Integration point: one constraint as a rollback trigger on every live window."""
    policy = Policy(constraints=[constraint], triggers=TriggerSettings(k=k))
    return evaluate_triggers(summaries, policy, k=k, seed=seed)


def classify(
    fired_at: datetime | None, *, onset: datetime | None, k: int, within_days: int
) -> Verdict:
    """Class a first firing against the true onset (``None`` for a healthy system)."""
    if fired_at is None:
        return "silent"
    if onset is None:
        return "false_alarm"
    if fired_at < onset + timedelta(days=k):
        return "false_alarm"
    if fired_at <= onset + timedelta(days=within_days):
        return "caught"
    return "late"


def evaluate_constraints(
    summaries: Summaries,
    constraints: Sequence[Constraint],
    *,
    onset: datetime | None,
    k: int = DEFAULT_K,
    within_days: int = DEFAULT_WITHIN_DAYS,
    seed: int = 0,
) -> list[Firing]:
    """Run each constraint as a trigger on the log and class its first firing.

    With ``for_each`` the constraint fires when any of its series fires; the
    earliest series decides.
    """
    out: list[Firing] = []
    for c in constraints:
        states = _run_triggers(summaries, c, k=k, seed=seed)
        first: tuple[datetime, str] | None = None
        windows = failing = 0
        for st in states:
            windows = max(windows, len(st.windows))
            failing += sum(w.outcome == "fail" for w in st.windows)
            t = _first_fire(st)
            series = f"{st.segment}={st.segment_value}" if st.segment else ""
            if t is not None and (first is None or t < first[0]):
                first = (t, series)
        fired = first[0] if first else None
        out.append(
            Firing(
                constraint=c.label,
                verdict=classify(fired, onset=onset, k=k, within_days=within_days),
                fired_at=fired,
                series=first[1] if first else "",
                windows=windows,
                failing_windows=failing,
            )
        )
    return out


def _reference(summaries: Summaries, metric: str, segment: tuple[str, str] = ("", "")) -> float:
    return float(metric_value(summaries, metric, window="reference", segment=segment).value)


def suggested_monitoring(
    summaries: Summaries,
    *,
    cause: str,
    segment: dict[str, str] | None,
    features: Sequence[str],
) -> list[Constraint]:
    """The constraints modelward would add for ``cause`` (limits set from the reference window).

    These are shown in the debrief and run on the log like the learner's.
    """
    spec: list[dict[str, object]]
    if cause in ("covariate_drift", "schema_change") and features:
        spec = [{"metric": f"psi:{f}", "max": 0.1} for f in features[:2]]
    elif cause == "prior_shift":
        # a new class mix moves the share predicted positive, before any label arrives;
        # both directions, 30% of the reference's share either way
        col_val = next(iter(segment.items())) if segment else ("", "")
        ref = _reference(summaries, "predicted_positive_rate", col_val)
        each = {"for_each": col_val[0]} if segment else {}
        spec = [
            {"metric": "predicted_positive_rate", kind: round(0.3 * ref, 4), **each}
            for kind in ("max_rise", "max_drop")
        ]
    elif cause == "covariate_drift":
        spec = [{"metric": "psi:score", "max": 0.1}]
    elif cause == "concept_drift":
        spec = [{"metric": "roc_auc", "max_drop": 0.03}]
    elif cause == "label_noise":
        spec = [{"metric": "accuracy", "max_drop": 0.02}]
    elif cause == "data_gap" and segment:
        ((col, val),) = segment.items()
        ref = _reference(summaries, "volume", (col, val))
        # min_samples 0: a collapsed segment has few rows, which is the point, not a reason
        # to call the window inconclusive
        spec = [
            {"metric": "volume", "max_drop": round(0.3 * ref, 1), "for_each": col, "min_samples": 0}
        ]
    elif cause == "data_gap":
        ref = _reference(summaries, "volume")
        spec = [{"metric": "volume", "max_drop": round(0.3 * ref, 1), "min_samples": 0}]
    elif cause == "label_delay":
        # labels are judged against what the reference's lags predict at each row's age (the
        # raw share of labelled rows is low in every recent window); the lag median catches a
        # delay whose labels have since arrived, which coverage at the log's date cannot see
        spec = [{"metric": "label_coverage_vs_expected", "min": 0.9}]
        lag = _reference(summaries, "label_lag_p50")
        if math.isfinite(lag) and lag > 0:
            spec.append({"metric": "label_lag_p50", "max_rise": round(0.5 * lag, 1)})
    elif cause == "latency_regression":
        p99 = _reference(summaries, "latency_p99")
        spec = [{"metric": "latency_p99", "max": round(1.3 * p99, 1)}]
    else:
        spec = [{"metric": "psi:score", "max": 0.2}]
    if segment and cause not in ("data_gap",):
        ((col, _v),) = segment.items()
        for s in spec:
            s["for_each"] = col
    return [Constraint.model_validate(s) for s in spec]

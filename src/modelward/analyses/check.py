"""The morning check: every monitoring analysis over one set of summaries.

:func:`run_check` turns :class:`~modelward.engine.Summaries` into a
:class:`~modelward.analyses.results.CheckResult` and writes the verdict: one
line per finding, critical first, then warnings, then what is healthy.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow.compute as pc

from modelward.analyses.drift import analyse_drift
from modelward.analyses.estimate import estimate_performance
from modelward.analyses.health import analyse_health
from modelward.analyses.latency import analyse_latency
from modelward.analyses.performance import analyse_performance
from modelward.analyses.policy import Policy
from modelward.analyses.results import (
    CheckResult,
    CheckSummaryItem,
    DriftResult,
    HealthResult,
    LatencyResult,
    PerformanceResult,
    Severity,
)
from modelward.analyses.triggers import TriggerState, evaluate_triggers
from modelward.engine import Summaries

__all__ = ["run_check", "verdict"]

_ORDER: dict[Severity, int] = {"critical": 0, "warning": 1, "info": 2, "ok": 3}


def run_check(
    summaries: Summaries,
    *,
    alpha: float = 0.05,
    confidence: float = 0.95,
    seed: int = 0,
    policy: Policy | None = None,
) -> CheckResult:
    """Run health, drift, performance and latency on ``summaries``.

    Parameters
    ----------
    summaries
        One scan's summaries, with a reference window.
    alpha
        False-discovery rate for drift tests (Benjamini-Hochberg).
    confidence
        Level of every confidence interval.
    seed
        Seed of the resampling methods (bootstrap, domain classifier).
    policy
        Constraints to evaluate as rollback triggers on each live window.
    """
    health = analyse_health(summaries)
    drift = analyse_drift(summaries, alpha=alpha, seed=seed)
    performance = analyse_performance(summaries, confidence=confidence, seed=seed)
    latency = analyse_latency(summaries)
    estimate = estimate_performance(summaries, confidence=confidence, seed=seed)
    triggers = evaluate_triggers(summaries, policy, seed=seed) if policy is not None else []
    meta = summaries.meta
    volume = summaries.table("volume")
    all_rows = volume.filter(pc.equal(volume.column("segment"), ""))
    n_ref = int(
        pc.sum(all_rows.filter(pc.equal(all_rows.column("window"), "reference"))["n"]).as_py() or 0
    )
    n_cur = int(
        pc.sum(all_rows.filter(pc.equal(all_rows.column("window"), "current"))["n"]).as_py() or 0
    )
    if meta.reference_source and meta.reference_source != "range":
        reference = f"log {meta.reference_source}"
    else:
        reference = f"{meta.reference_start or 'start'} .. {meta.reference_end or 'end'}"
    return CheckResult(
        created_at=datetime.now(UTC),
        source=meta.source,
        reference=reference,
        bucket=meta.bucket,
        n_rows=n_ref + n_cur,
        n_reference_rows=n_ref,
        n_current_rows=n_cur,
        features=[f["name"] for f in meta.features],
        segments=list(meta.segments),
        summary=_trigger_items(triggers) + verdict(health, drift, performance, latency),
        health=health,
        drift=drift,
        performance=performance,
        latency=latency,
        triggers=triggers,
        estimate=estimate,
    )


def _trigger_items(triggers: list[TriggerState]) -> list[CheckSummaryItem]:
    items = []
    for t in triggers:
        if t.status != "firing":
            continue
        where = f" [{t.segment}={t.segment_value}]" if t.segment_value else ""
        since = f" since {t.since:%Y-%m-%d}" if t.since else ""
        items.append(
            CheckSummaryItem(
                severity="critical" if t.severity == "block" else "warning",
                area="gate",
                message=f"rollback trigger '{t.constraint}'{where} firing{since} "
                f"({t.metric} vs {t.limit_kind} {t.limit:g}, {t.k} failing windows in a row)",
            )
        )
    return items


def _performance_item(performance: PerformanceResult | None) -> CheckSummaryItem:
    """The performance line when no metric degraded.

    "Holds" claims a comparison: it needs labelled rows on both sides. A
    reference window whose labels never arrived (or a current window with none
    yet) cannot show a degradation, and saying "holds" would hide that.

    Parameters
    ----------
    performance
        The performance result, ``None`` when the log has no labels.

    Returns
    -------
    CheckSummaryItem
    """
    if performance is None:
        return CheckSummaryItem(
            severity="info", area="performance", message="no labels yet: performance unknown"
        )
    if performance.current.n_labelled == 0:
        return CheckSummaryItem(
            severity="info",
            area="performance",
            message="no labelled rows in the current window yet: degradation not assessed",
        )
    if performance.reference is not None and performance.reference.n_labelled == 0:
        return CheckSummaryItem(
            severity="info",
            area="performance",
            message="no labelled rows in the reference window: degradation not assessed",
        )
    return CheckSummaryItem(severity="ok", area="performance", message="performance holds")


def verdict(
    health: HealthResult,
    drift: DriftResult,
    performance: PerformanceResult | None,
    latency: LatencyResult | None,
) -> list[CheckSummaryItem]:
    """One line per finding, ordered by severity (critical first), then the healthy areas."""
    items: list[CheckSummaryItem] = []
    for issue in health.issues:
        if issue.severity in ("warning", "critical"):
            items.append(
                CheckSummaryItem(severity=issue.severity, area="health", message=issue.message)
            )
    drifted = [d for d in drift.features if d.drifted and not d.segment]
    for d in sorted(drifted, key=lambda d: -(d.effect or 0.0)):
        effect = f"{d.effect:.3g}" if d.effect is not None else "n/a"
        severity: Severity = "critical" if (d.effect or 0) >= 2 * d.effect_floor else "warning"
        items.append(
            CheckSummaryItem(
                severity=severity,
                area="drift",
                message=f"{d.feature} drifted ({d.method} {d.statistic:.3g}, effect {effect}, "
                f"adjusted p {d.p_adjusted:.2g})"
                if d.statistic is not None and d.p_adjusted is not None
                else f"{d.feature} drifted (effect {effect})",
            )
        )
    seg_drift = sorted(
        {(d.segment, d.segment_value) for d in drift.features if d.drifted and d.segment}
    )
    if seg_drift:
        where = ", ".join(f"{s}={v}" for s, v in seg_drift[:5])
        items.append(
            CheckSummaryItem(
                severity="info", area="drift", message=f"drift within segments: {where}"
            )
        )
    for d in drift.score:
        if d.drifted and not d.segment:
            items.append(
                CheckSummaryItem(
                    severity="warning",
                    area="drift",
                    message=f"{d.kind} distribution drifted ({d.method})",
                )
            )
    if any(m.drifted for m in drift.multivariate):
        first = min(m.bucket for m in drift.multivariate if m.drifted)
        items.append(
            CheckSummaryItem(
                severity="warning",
                area="drift",
                message=f"multivariate drift (domain classifier) since {first:%Y-%m-%d}",
            )
        )
    if performance is not None:
        for name in performance.degraded:
            cur = performance.current.metrics.get(name)
            ref = performance.reference.metrics.get(name) if performance.reference else None
            detail = ""
            if (
                cur is not None
                and cur.value is not None
                and ref is not None
                and ref.value is not None
            ):
                detail = f": {ref.value:.3f} -> {cur.value:.3f}"
            items.append(
                CheckSummaryItem(
                    severity="critical", area="performance", message=f"{name} degraded{detail}"
                )
            )
    if latency is not None and latency.regressed:
        ref99 = latency.reference.p99 if latency.reference else None
        cur99 = latency.current.p99
        detail = f": p99 {ref99:.0f} ms -> {cur99:.0f} ms" if ref99 and cur99 else ""
        items.append(
            CheckSummaryItem(
                severity="critical", area="latency", message=f"latency regressed{detail}"
            )
        )
    areas = {i.area for i in items}
    healthy: list[CheckSummaryItem] = [
        CheckSummaryItem(severity="ok", area="health", message="data health: no issues"),
        CheckSummaryItem(severity="ok", area="drift", message="no drift beyond the effect floor"),
        _performance_item(performance),
        CheckSummaryItem(severity="ok", area="latency", message="latency within the reference")
        if latency is not None
        else CheckSummaryItem(severity="info", area="latency", message="no latency column"),
    ]
    items.extend(item for item in healthy if item.area not in areas)
    return sorted(items, key=lambda i: _ORDER[i.severity])

"""Rank the causes of a degradation from summaries: score, explain away, localise, correlate.

1. Every scorer proposes candidates with a strength ``z`` from count tests.
2. Explaining away: representation breaks (schema change) are removed from the
   features before P(x) drift is measured; a segment's collapse (data gap) is
   checked against the drift inside the other segments, so a composition change
   is not taken for a covariate drift.
3. Events close to an onset are attached; a matching kind (a labeling-policy
   change for a concept drift, a data-source change for a schema change) adds
   a little strength, a deploy explains nothing on its own.
4. Confidence is a logistic in ``z`` (:func:`confidence_from_z`); findings
   below 0.5 are listed as ruled out with their evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from modelward.analyses.triage.causes_system import (
    data_gap,
    label_delay,
    latency_regression,
    schema_change,
)
from modelward.analyses.triage.causes_xy import feature_cubes, label_causes, x_causes
from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import Z_HALF, Candidate, confidence_from_z
from modelward.analyses.triage.label_source import source_noise
from modelward.analyses.triage.localise import (
    localise_candidates,
    segment_label_change,
    segment_prior_shift,
)
from modelward.analyses.triage.results import CAUSES, Finding, RuledOut, TriageEvent, TriageResult
from modelward.analyses.triage.segment_concept import segment_region_change
from modelward.engine.summaries import Summaries
from modelward.io.events import normalise_events, parse_event_time

__all__ = ["EVENT_SUPPORT", "run_triage"]

#: Event kinds that make a cause more plausible when they coincide with its onset.
EVENT_SUPPORT: dict[str, tuple[str, ...]] = {
    "concept_drift": ("labeling_policy_change", "policy"),
    "label_noise": ("labeling_policy_change", "label"),
    "schema_change": ("data_source_change", "schema", "pipeline"),
    "data_gap": ("data_source_change", "outage"),
    "latency_regression": ("deploy", "config_change", "infra"),
}
_NO_SIGNAL = {
    "covariate_drift": "no feature's distribution moved beyond sampling noise",
    "prior_shift": "the score distribution did not move as a new class mix",
    "concept_drift": "P(y | feature bin) on labelled rows kept the reference calibration",
    "label_noise": "no rise of errors on confidently scored labelled rows",
    "schema_change": "no null flood, out-of-range values, unseen categories or swapped columns",
    "data_gap": "every segment kept its share of the volume",
    "label_delay": "labels arrived as the reference's lag distribution predicts",
    "latency_regression": "daily latency quantiles stayed within the reference's spread",
}


def _events_near(
    events: Sequence[Mapping[str, str]], ctx: Context, cand: Candidate
) -> list[dict[str, str]]:
    if cand.onset is None:
        return []
    lo = ctx.days.starts[max(cand.onset_low or cand.onset, 0)] - ctx.days.width
    hi = ctx.days.starts[min(cand.onset_high or cand.onset, ctx.days.n - 1)] + ctx.days.width
    out = []
    for e in events:
        t = np.datetime64(parse_event_time(e["timestamp"]).replace(tzinfo=None), "us")
        if lo <= t < hi:
            out.append(dict(e))
    return out


def _finding(ctx: Context, c: Candidate, events: list[dict[str, str]]) -> Finding:
    onset = ctx.days.iso(c.onset) if c.onset is not None else None
    interval = None
    if c.onset_low is not None and c.onset_high is not None:
        interval = (ctx.days.iso(c.onset_low), ctx.days.iso(c.onset_high))
    text = c.evidence
    if events:
        text += "; at the onset: " + "; ".join(
            f"{e['kind']} {e['timestamp']} ({e['description']})" for e in events
        )
    return Finding(
        cause=c.cause,
        confidence=confidence_from_z(c.z),
        onset=onset,
        onset_interval=interval,
        segment=c.segment,
        features=c.features,
        evidence=text,
        events=[TriageEvent(**e) for e in events],
        strength=c.z,
        series=c.series,
    )


def _best(cands: list[Candidate], cause: str) -> Candidate | None:
    mine = [c for c in cands if c.cause == cause]
    return max(mine, key=lambda c: c.z) if mine else None


#: Causes read through the scores or the class mix, which a representation break also moves.
_SCORE_BORNE = ("covariate_drift", "prior_shift", "concept_drift", "label_noise", "label_delay")
#: Causes read against the score's reference calibration (or class mix from the scores).
_CALIBRATION_BORNE = ("concept_drift", "label_noise", "label_delay")


def _below_schema(cands: list[Candidate]) -> None:
    """Explaining away: broken inputs move the scores, so score-borne causes rank below.

    The label-side causes read labels against the score's reference calibration
    (and label delay weighs classes by the scores): once a clear schema change
    broke the inputs, the scores are no longer the reference's, so those
    readings are consequences, not causes, and are ruled out with that reason.
    """
    top = max((c for c in cands if c.cause == "schema_change"), key=lambda c: c.z)
    for c in cands:
        if c.cause in _SCORE_BORNE and c.z >= min(top.z, Z_HALF):
            cap = top.z - 1.0
            if c.cause in _CALIBRATION_BORNE and top.z >= Z_HALF:
                cap = min(cap, Z_HALF - 1.0)
            if c.z > cap:
                c.z = cap
                c.evidence += (
                    f"; explained by the schema change of {', '.join(top.features)}, "
                    "which moves the scores by itself"
                )


def _prior_explains_segment(cands: list[Candidate]) -> None:
    """A concept drift whose region is a whole segment value where a prior shift was found.

    P(y) moved over the whole value (the region is the value itself), and the
    prior shift found there showed P(score) moving as that new class mix
    predicts: one change, which the prior shift explains and the concept drift
    only restates.
    """
    prior, concept = _best(cands, "prior_shift"), _best(cands, "concept_drift")
    if prior is None or concept is None or prior.segment is None or prior.z < Z_HALF:
        return
    if concept.segment == prior.segment and concept.features[:1] == list(prior.segment):
        concept.z = min(concept.z, Z_HALF - 1.0)
        ((col, val),) = prior.segment.items()
        concept.evidence += f"; explained by the prior shift inside {col}={val}"


def _merge_source(ctx: Context, cands: list[Candidate], by_source: Candidate | None) -> None:
    """A clear one-source label noise localises the global label-noise finding.

    When the counts already place the noise in a segment value (all rows, not
    the bounded sample), the segment stays; the sources are then compared
    inside it, and a source alone there is added to the evidence.
    """
    glob = _best(cands, "label_noise")
    if glob is not None and glob.segment and glob.z >= Z_HALF:
        inside = source_noise(ctx, glob.segment)
        if inside is not None:
            where = ", ".join(f"{k}={v}" for k, v in glob.segment.items())
            glob.evidence += f"; within {where}, {inside.evidence}"
            glob.numbers.update(inside.numbers)
        return
    if by_source is None:
        return
    if glob is None or by_source.z < Z_HALF:
        cands.append(by_source)
        return
    glob.segment = by_source.segment
    glob.evidence += "; " + by_source.evidence
    if glob.z < Z_HALF:  # the source's own evidence rescues a diluted global signal
        glob.z = by_source.z


def _estimate_hook(
    summaries: Summaries, cands: list[Candidate], min_confidence: float
) -> dict[str, float] | None:
    """Estimated-vs-realised performance gap as evidence for concept drift and label noise.

    Label-free (confidence-based) estimation assumes P(y | score) is the
    reference's; a realised metric of the labelled rows below their estimate
    means the assumption broke, which concept drift and label noise both do.
    Runs only when :mod:`modelward.analyses.estimate` is importable and one of
    those two causes is a finding (estimation resamples, so it is not free).
    """
    label_side = [
        c
        for c in cands
        if c.cause in ("concept_drift", "label_noise") and confidence_from_z(c.z) >= min_confidence
    ]
    if not label_side:
        return None
    try:
        from modelward.analyses.estimate import estimate_performance
    except ImportError:
        return None
    try:
        est = estimate_performance(summaries)
    except Exception:  # a hook: estimation failing must not fail triage
        return None
    if est is None:
        return None
    for name in ("roc_auc", "accuracy"):
        m = est.current.metrics.get(name)
        if m is None or m.realised is None or m.labelled_value is None:
            continue
        gap = float(m.realised - m.labelled_value)
        z = float(m.z) if m.z is not None else float("nan")
        for c in label_side:
            c.evidence += (
                f"; label-free estimate of {name} on the labelled current rows "
                f"{m.labelled_value:.3f}, realised {m.realised:.3f} (gap {gap:+.3f}, z={z:.1f}): "
                + ("P(y | score) broke" if gap < 0 and abs(z) >= 3 else "no clear gap")
            )
        return {
            "estimated": float(m.labelled_value),
            "realised": float(m.realised),
            "gap": gap,
            "z": z,
        }
    return None


def run_triage(
    summaries: Summaries,
    *,
    events: Sequence[Mapping[str, str]] | None = None,
    as_of: datetime | None = None,
    min_confidence: float = 0.5,
    estimate: bool = True,
) -> TriageResult:
    """Rank the causes of a degradation from one set of summaries.

    Parameters
    ----------
    summaries
        Summaries of the log with a reference window.
    events
        Events (``timestamp``, ``kind``, ``description``) to correlate with onsets.
    as_of
        When labels were last collected (default: the end of the last bucket).
    min_confidence
        Findings below this confidence are listed as ruled out.
    estimate
        Compare label-free performance estimates with realised performance as
        evidence for concept drift and label noise (when the estimator exists).
    """
    evs = normalise_events(events or [], source="events")
    ctx = Context.build(
        summaries, None if as_of is None else np.datetime64(as_of.replace(tzinfo=None), "us")
    )
    cands: list[Candidate] = []
    if ctx.days.n_ref == 0 or ctx.days.n == ctx.days.n_ref:
        return TriageResult(ruled_out=[], reference_end=summaries.meta.reference_end)
    cands += schema_change(ctx)
    cands += data_gap(ctx)
    cands += latency_regression(ctx)
    cands += label_delay(ctx)
    broken = {f for c in cands if c.cause == "schema_change" and c.z >= 6 for f in c.features}
    cubes = [fc for fc in feature_cubes(ctx) if fc.name not in broken]
    xc, _ = x_causes(ctx, cubes)
    gap = _best(cands, "data_gap")
    cov = _best(xc, "covariate_drift")
    if gap is not None and gap.z >= 6 and cov is not None and gap.segment:
        ((col, val),) = gap.segment.items()
        others = [v for v in ctx.segment_values(col) if v != val]
        if others:
            big = max(others, key=lambda v: ctx.vol("n", segment=col, value=v).sum())
            inner = feature_cubes(ctx, segment=col, value=big)
            inner_cov = _best(
                x_causes(ctx, [f for f in inner if f.name not in broken])[0], "covariate_drift"
            )
            cov.z = min(cov.z, inner_cov.z if inner_cov is not None else 0.0)
            cov.evidence += f"; inside {col}={big} the drift is z={cov.z:.1f}"
    if broken:
        for c in xc:
            if c.cause == "prior_shift":
                c.z = min(c.z, 0.0)
                c.evidence += "; the score moved because inputs broke"
    cands += xc
    local_prior = segment_prior_shift(ctx) if not broken else None
    if local_prior is not None:
        cands.append(local_prior)
    cands += label_causes(ctx, cubes)
    delay = _best(cands, "label_delay")
    late = delay is not None and delay.z >= Z_HALF  # late labels bias P(y | score) by themselves
    if not (broken or late):
        cands += segment_label_change(ctx, cubes)
        local_concept = segment_region_change(ctx, cubes)
        if local_concept is not None:
            cands.append(local_concept)
    _merge_source(ctx, cands, source_noise(ctx))
    localise_candidates(ctx, cands, cubes)
    _prior_explains_segment(cands)
    if broken:
        _below_schema(cands)
    est_gap = _estimate_hook(summaries, cands, min_confidence) if estimate else None
    findings: list[Finding] = []
    ruled: list[RuledOut] = []
    for cause in CAUSES:
        best = _best(cands, cause)
        if best is None:
            why = _NO_SIGNAL[cause]
            if cause == "label_delay" and not summaries.meta.roles.get("label_time"):
                why = "not testable: the log has no label timestamps, so no lag distribution"
            ruled.append(RuledOut(cause=cause, evidence=why))
            continue
        c = best
        near = _events_near(evs, ctx, c)
        kinds = EVENT_SUPPORT.get(cause, ())
        if any(any(k in (e["kind"] + " " + e["description"]).lower() for k in kinds) for e in near):
            c.z += 1.0
        f = _finding(ctx, c, near)
        if f.confidence >= min_confidence:
            findings.append(f)
        else:
            ruled.append(
                RuledOut(
                    cause=cause,
                    evidence=c.evidence,
                    confidence=f.confidence,
                )
            )
    findings.sort(key=lambda f: -f.strength)
    return TriageResult(
        findings=findings,
        ruled_out=ruled,
        reference_end=summaries.meta.reference_end,
        as_of=str(ctx.as_of.astype("datetime64[s]")) + "Z",
        days=[ctx.days.iso(i) for i in range(ctx.days.n)],
        events=[TriageEvent(**e) for e in evs],
        estimate=est_gap,
    )

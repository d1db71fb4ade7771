"""A concept drift inside one segment value, in one region of one feature.

:func:`~modelward.analyses.triage.localise.segment_label_change` first asks
whether a segment value's P(y | score) changed (an omnibus test over every
score bin) and only then looks for a feature region inside it. A change of
P(y | x) in one region of one segment value moves few labels: the omnibus test
dilutes them over all score bins and the global region fit dilutes them over
all segment values. Here the directed model is fitted where it lives: for every
segment value and every feature, a log-odds shift in one region of the
feature's bins (the same region models as for the whole traffic), penalised
for the number of (value, feature) pairs searched; then the region must show
nothing in the rest of the traffic and the scores there must not have moved
(a new class mix moves them).
"""

from __future__ import annotations

import math

import numpy as np

from modelward.analyses.triage.causes_xy import (
    MIX_Z,
    feature_cubes,
    label_onset,
    region_words,
)
from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import Candidate
from modelward.analyses.triage.label_models import (
    FeatureCube,
    LabelFit,
    fit_labels,
    minus,
    region_gain,
    region_score_shift,
    signed_sqrt,
)
from modelward.analyses.triage.localise import Z_IN, explains

__all__ = ["segment_region_change"]


def segment_region_change(ctx: Context, cubes: list[FeatureCube]) -> Candidate | None:
    """The strongest region change of P(y | x) confined to one segment value, or None.

    Parameters
    ----------
    ctx
        The triage context.
    cubes
        Global feature cubes (schema-broken features already left out); their
        bins fix each segment value's bins so that counts subtract.
    """
    ref = ctx.days.ref
    cur = ~ref
    if not cubes or not ctx.summaries.meta.segments:
        return None
    glob = {fc.name: fc for fc in cubes}
    bins = {fc.name: fc.bins for fc in cubes}
    tests: list[tuple[float, str, str, FeatureCube, LabelFit]] = []
    for col, v in ctx.segment_items():
        for part in feature_cubes(ctx, segment=col, value=v, names=list(glob), bins=bins):
            if part.name == col or part.lab[cur].sum() <= 0 or part.lab[ref].sum() <= 0:
                continue
            f = fit_labels(part, ref, cur)
            if f is None or not f.region_bins:
                continue
            tests.append((f.region - max(f.shift, f.noise), col, v, part, f))
    if not tests:
        return None
    margin, col, v, part, f = max(tests, key=lambda t: t[0])
    z_in = signed_sqrt(margin - 2 * math.log(len(tests)))
    if z_in < Z_IN:
        return None
    rest = minus(glob[part.name], part)
    z_out = signed_sqrt(region_gain(rest, ref, cur, f.region_bins))
    if not explains(
        z_in=z_in,
        n_in=float(part.lab[cur].sum()),
        z_out=z_out,
        n_out=float(rest.lab[cur].sum()),
    ):
        return None
    on = label_onset(ctx, part, f.region_bins)
    post = np.arange(ctx.days.n) >= (on.index if on else ctx.start)
    f2 = fit_labels(part, ref, post) or f
    z_mix, m0, m1 = region_score_shift(part, ref, post, f2.region_bins)
    if z_mix > MIX_Z:  # the scores there moved too: a class mix, not P(y | x)
        return None
    z = min(z_in, signed_sqrt(f2.region - max(f2.shift, f2.noise) - 2 * math.log(len(tests))))
    c = Candidate(
        "concept_drift",
        z,
        (
            f"inside {col}={v}, P(y | {part.name}) changed in "
            f"{region_words(ctx, part, f2.region_bins)} from "
            f"{ctx.days.iso(on.index if on else ctx.start)[:10]}: log-odds "
            f"{f2.region_delta:+.2f} there against its reference calibration (deviance gain "
            f"{f2.region:.0f} vs {f2.shift:.0f} for a uniform shift and {f2.noise:.0f} for "
            f"label flips, best of {len(tests)} segment value x feature fits), with the mean "
            f"score of its rows {m0:.3f} -> {m1:.3f} (z={z_mix:.1f}); the same region in the "
            f"rest of the traffic z={z_out:.1f}"
        ),
        segment={col: v},
        features=[part.name],
        effect=abs(f2.region_delta),
        numbers={"log_odds_shift": f2.region_delta, "deviance_gain": f2.region},
    )
    c.dated(on)
    return c

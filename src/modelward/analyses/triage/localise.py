"""Where a change lives: the segment value whose own change explains the global one.

For a cause's statistic (a z-like strength computed on one cube of counts),
every value ``v`` of every segment column is compared with the rest of the
traffic (the global cube minus ``v``'s, since counts add). ``v`` is named when
its own strength is clear (``>= Z_IN``), the rest shows nothing (``< Z_OUT``),
and the rest had the power to show it: had the rest shared ``v``'s effect, its
strength would have been about ``z_in * sqrt(n_rest / n_in)``, at least
``Z_GAP`` above what it shows.

Examples
--------
>>> explains(z_in=9.0, n_in=1000.0, z_out=0.5, n_out=3000.0)
True
>>> explains(z_in=9.0, n_in=9000.0, z_out=0.5, n_out=100.0)
False
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from modelward.analyses.triage.causes_system import MIN_MALFORMED, malformed
from modelward.analyses.triage.causes_xy import (
    drift_stat,
    feature_cubes,
    label_side,
    prior_fit,
    score_cube,
    x_causes,
)
from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import (
    Z_HALF,
    Candidate,
    FloatArray,
    binomial_z,
    g_homogeneity,
    g_to_z,
)
from modelward.analyses.triage.label_models import (
    FeatureCube,
    directional_gains,
    expected_positives,
    fit_labels,
    minus,
    signed_sqrt,
)
from modelward.analyses.triage.onset import change_onset

__all__ = [
    "Z_IN",
    "Z_OUT",
    "SegmentSplit",
    "explains",
    "localise",
    "localise_candidates",
    "segment_label_change",
    "segment_prior_shift",
]

#: A segment value's own strength needed to name it.
Z_IN = 4.0
#: Largest strength allowed in the rest of the traffic.
Z_OUT = 3.0
#: How far above its observed strength the rest would have been had it shared the effect.
Z_GAP = 3.0
#: Share of the expected strength the rest may show and still count as unchanged.
LEAK = 0.05


@dataclass(frozen=True)
class SegmentSplit:
    """The named segment, the strengths inside it and in the rest, and their sizes."""

    segment: dict[str, str]
    z_in: float
    z_out: float
    n_in: float
    n_out: float


def explains(*, z_in: float, n_in: float, z_out: float, n_out: float) -> bool:
    """True when a segment's change is clear, absent elsewhere, and elsewhere could show it.

    "Absent" is ``z_out < Z_OUT``, or, for very strong changes, under
    :data:`LEAK` of what the rest would show had it changed alike (statistics
    read against a noisy reference sit a little above their nominal scale).
    """
    if z_in < Z_IN or n_in <= 0:
        return False
    expected_out = z_in * math.sqrt(max(n_out, 0.0) / n_in)
    if not z_out < max(Z_OUT, LEAK * expected_out):
        return False
    return expected_out - max(z_out, 0.0) >= Z_GAP


def localise(
    ctx: Context,
    whole: FeatureCube,
    part: Callable[[str, str], FeatureCube | None],
    stat: Callable[[FeatureCube], tuple[float, float]],
) -> SegmentSplit | None:
    """The segment value whose change explains ``whole``'s (None when none does).

    Parameters
    ----------
    ctx
        The triage context (for the segment columns and values).
    whole
        The global cube.
    part
        ``(column, value) -> cube`` of one segment value, on ``whole``'s bins.
    stat
        ``cube -> (strength, size)`` of the cause's change.
    """
    best: tuple[float, SegmentSplit] | None = None
    for col, v in ctx.segment_items():
        cube_in = part(col, v)
        if cube_in is None:
            continue
        z_in, n_in = stat(cube_in)
        if z_in < Z_IN:
            continue
        z_out, n_out = stat(minus(whole, cube_in))
        if not explains(z_in=z_in, n_in=n_in, z_out=z_out, n_out=n_out):
            continue
        score = z_in - max(z_out, 0.0)
        if best is None or score > best[0]:
            best = (score, SegmentSplit({col: v}, z_in, z_out, n_in, n_out))
    return best[1] if best else None


def _post(ctx: Context, cand: Candidate) -> np.ndarray:
    return np.arange(ctx.days.n) >= (cand.onset if cand.onset is not None else ctx.start)


def _g_stat(ctx: Context, post: np.ndarray) -> Callable[[FeatureCube], tuple[float, float]]:
    """Strength of a change of the binned distribution (G-test z) and the current size."""

    def stat(fc: FeatureCube) -> tuple[float, float]:
        r, c = fc.count[ctx.days.ref].sum(0), fc.count[post].sum(0)
        g, df, _ = g_homogeneity(r, c)
        return (g_to_z(g, df) if df > 0 else 0.0), float(c.sum())

    return stat


def _label_stat(
    ctx: Context, post: np.ndarray, which: str
) -> Callable[[FeatureCube], tuple[float, float]]:
    """Strength of a change of P(y | bin) (``which``: ``any`` or ``noise``) on labelled rows."""

    def stat(fc: FeatureCube) -> tuple[float, float]:
        fit = fit_labels(fc, ctx.days.ref, post, regions=False)
        n = float(fc.lab[post].sum())
        if fit is None:
            return 0.0, n
        if which == "noise":
            return signed_sqrt(fit.noise), n
        return _calibration_change(fc, ctx.days.ref, post), n

    return stat


def _calibration_change(fc: FeatureCube, ref: np.ndarray, post: np.ndarray) -> float:
    """z of a change of P(y | bin): per-bin 2 x 2 G-tests (reference vs current), summed."""
    g_tot, df_tot = 0.0, 0
    for b in range(fc.lab.shape[1]):
        p_r, p_c = fc.pos[ref, b].sum(), fc.pos[post, b].sum()
        n_r, n_c = fc.lab[ref, b].sum() - p_r, fc.lab[post, b].sum() - p_c
        if min(p_r + n_r, p_c + n_c) <= 0 or p_r + p_c <= 0 or n_r + n_c <= 0:
            continue
        g, df, _ = g_homogeneity([p_r, n_r], [p_c, n_c])
        g_tot, df_tot = g_tot + g, df_tot + df
    return g_to_z(g_tot, df_tot) if df_tot > 0 else 0.0


def _score_part(ctx: Context) -> Callable[[str, str], FeatureCube | None]:
    return lambda col, v: score_cube(ctx, segment=col, value=v)


def _feature_part(ctx: Context, fc: FeatureCube) -> Callable[[str, str], FeatureCube | None]:
    def part(col: str, v: str) -> FeatureCube | None:
        got = feature_cubes(ctx, segment=col, value=v, names=[fc.name], bins={fc.name: fc.bins})
        return got[0] if got else None

    return part


def _words(split: SegmentSplit) -> str:
    ((col, val),) = split.segment.items()
    return (
        f"; localised to {col}={val} (z={split.z_in:.1f} there, z={split.z_out:.1f} in the "
        f"rest of the traffic, which would show about "
        f"{split.z_in * math.sqrt(split.n_out / max(split.n_in, 1.0)):.0f} had it changed alike)"
    )


def segment_prior_shift(ctx: Context) -> Candidate | None:
    """A prior shift inside one segment value: its P(score) a new mix of its P(score | y)."""
    whole = score_cube(ctx)
    if whole is None:
        return None
    best: tuple[float, Candidate] | None = None
    for col, v in ctx.segment_items():
        part = score_cube(ctx, segment=col, value=v)
        if part is None:
            continue
        fit = prior_fit(ctx, part)
        if fit is None or fit.z < Z_IN:
            continue
        s_in, z_in, pi0, pi1 = fit.stat, fit.z, fit.pi0, fit.pi1
        post = np.arange(ctx.days.n) >= (fit.onset.index if fit.onset else ctx.start)
        rest = minus(whole, part)
        s_out = drift_stat(ctx, rest, post)
        z_out = max(s_out.z_marg, label_side(rest, ctx.days.ref, post, pi1 - pi0), 0.0)
        n_in, n_out = (
            float(part.count[post].sum()),
            float(whole.count[post].sum()) - float(part.count[post].sum()),
        )
        if not explains(z_in=max(fit.z_move, fit.z), n_in=n_in, z_out=z_out, n_out=n_out):
            continue
        ev = (
            f"inside {col}={v} the score distribution moved (KL={s_in.kl_marg:.3f}, "
            f"z={fit.z_move:.1f}) as a new mix of its reference class-conditional score "
            f"distributions: positive weight {pi0:.3f} -> {pi1:.3f}, while its P(score | y) "
            f"on labelled rows stayed (KL={s_in.kl_cond:.4f} +- {s_in.kl_cond_se:.4f})"
            + (
                f" and its labelled rows moved with it (log-odds shift z={fit.z_labels:.1f})"
                if fit.z_labels > 0
                else ""
            )
            + f"; in the rest of the traffic the score distribution did not move "
            f"(z={z_out:.1f})"
        )
        c = Candidate(
            "prior_shift",
            z_in,
            ev,
            segment={col: v},
            effect=pi1 - pi0,
            numbers={"positive_weight_ref": pi0, "positive_weight_post": pi1},
        )
        c.dated(fit.onset)
        if best is None or z_in > best[0]:
            best = (z_in, c)
    return best[1] if best else None


def _schema_split(ctx: Context, feat: str, post: np.ndarray) -> SegmentSplit | None:
    """The segment value where a broken feature's malformed share rose, alone."""
    ref = ctx.days.ref
    bad, tot = malformed(ctx, feat)

    def z_of(b: FloatArray, t: FloatArray) -> tuple[float, float]:
        n0, n1 = float(t[ref].sum()), float(t[post].sum())
        if n0 <= 0 or n1 <= 0:
            return 0.0, n1
        p0, p1 = float(b[ref].sum()) / n0, float(b[post].sum()) / n1
        z = binomial_z(float(b[post].sum()), n1, p0)
        # a few natural out-of-range values are no break: below the reported rise, no change
        return (z if p1 - p0 >= MIN_MALFORMED / 2 else min(z, 0.0)), n1

    best: tuple[float, SegmentSplit] | None = None
    for col, v in ctx.segment_items():
        b_in, t_in = malformed(ctx, feat, segment=col, value=v)
        z_in, n_in = z_of(b_in, t_in)
        z_out, n_out = z_of(np.clip(bad - b_in, 0, None), np.clip(tot - t_in, 0, None))
        if explains(z_in=z_in, n_in=n_in, z_out=z_out, n_out=n_out):
            score = z_in - max(z_out, 0.0)
            if best is None or score > best[0]:
                best = (score, SegmentSplit({col: v}, z_in, z_out, n_in, n_out))
    return best[1] if best else None


def _flips_in(
    ctx: Context, part: FeatureCube, post: np.ndarray, concept: Candidate
) -> Candidate | None:
    """Label noise read as a concept drift: in the segment, labels moved toward 1/2 both ways.

    A change of P(y | x) is directional (positives gained, or lost); flipped
    labels gain positives among low scores and lose them among high scores at
    one rate. When the flip model beats the best one-directional model (a lift
    ``r + q (1 - r)``, a drop ``r (1 - q)``, a log-odds shift) clearly, the
    concept drift becomes a label noise in that segment.
    """
    fit = fit_labels(part, ctx.days.ref, post, regions=False)
    lift, drop = directional_gains(part, ctx.days.ref, post)
    if fit is None:
        return None
    margin = fit.noise - max(fit.shift, lift, drop)
    z = signed_sqrt(margin)
    if z < Z_OUT:
        return None
    seg = concept.segment or {}
    words = ", ".join(f"{k}={v}" for k, v in seg.items())
    c = Candidate(
        "label_noise",
        concept.z,
        (
            f"inside {words} labels moved toward 1/2 in both directions from "
            f"{ctx.days.iso(concept.onset if concept.onset is not None else ctx.start)[:10]}: "
            f"flip rate {100 * fit.noise_e:.1f}% (deviance gain {fit.noise:.0f}, against "
            f"{max(fit.shift, lift, drop):.0f} for the best one-directional change, z={z:.1f}), "
            "which a change of P(y | x) would not do"
        ),
        onset=concept.onset,
        onset_low=concept.onset_low,
        onset_high=concept.onset_high,
        segment=dict(seg),
        effect=fit.noise_e,
        numbers={"flip_rate": fit.noise_e},
    )
    concept.z = min(concept.z, c.z - 1.0)
    concept.evidence += f"; inside {words} the labels look flipped rather than drifted (z={z:.1f})"
    return c


def localise_candidates(ctx: Context, cands: list[Candidate], cubes: list[FeatureCube]) -> None:
    """Name the segment of covariate drift, prior shift, concept drift and label noise.

    A concept drift whose segment's score distribution moved too is weakened:
    P(y | x) changes leave P(score) where it was; a class mix change does not.
    """
    by_name = {fc.name: fc for fc in cubes}
    sc = score_cube(ctx)
    for c in cands:
        if c.segment is not None:
            continue
        post = _post(ctx, c)
        split: SegmentSplit | None = None
        if c.cause == "covariate_drift" and c.features and c.features[0] in by_name:
            fc = by_name[c.features[0]]
            split = localise(ctx, fc, _feature_part(ctx, fc), _g_stat(ctx, post))
        elif c.cause == "prior_shift" and sc is not None:
            split = localise(ctx, sc, _score_part(ctx), _g_stat(ctx, post))
        elif c.cause == "schema_change" and c.features:
            # a swap names two columns: the one whose malformed share localises wins
            splits = [_schema_split(ctx, f, post) for f in c.features]
            split = max((x for x in splits if x), key=lambda x: x.z_in, default=None)
        elif c.cause in ("concept_drift", "label_noise") and sc is not None:
            which = "noise" if c.cause == "label_noise" else "any"
            split = localise(ctx, sc, _score_part(ctx), _label_stat(ctx, post, which))
        if split is None:
            continue
        c.segment = split.segment
        c.evidence += _words(split)
        if c.cause == "covariate_drift":
            _covariate_inside(ctx, c, cubes)
        if c.cause == "concept_drift" and sc is not None:
            ((col, val),) = split.segment.items()
            part = score_cube(ctx, segment=col, value=val)
            flips = _flips_in(ctx, part, post, c) if part is not None else None
            if flips is not None:
                cands.append(flips)
            if part is not None:
                z_score, _ = _g_stat(ctx, post)(part)
                if z_score > Z_OUT:
                    c.z = min(c.z, Z_HALF + 2.0 * (2 * Z_OUT - z_score))
                    c.evidence += (
                        f"; but the score distribution inside {col}={val} moved too "
                        f"(z={z_score:.1f}), as a change of class mix would move it"
                    )


def _covariate_inside(ctx: Context, c: Candidate, cubes: list[FeatureCube]) -> None:
    """Re-score a localised covariate drift on its segment value's own cubes.

    Measured on all traffic the drift is diluted by the rows it never touched;
    once the segment value is named (its change clear, the rest's absent), its
    own strength, class-conditional check included, is the one that counts.
    """
    assert c.segment is not None
    ((col, val),) = c.segment.items()
    inner = feature_cubes(
        ctx,
        segment=col,
        value=val,
        names=[fc.name for fc in cubes],
        bins={fc.name: fc.bins for fc in cubes},
    )
    got = [k for k in x_causes(ctx, inner)[0] if k.cause == "covariate_drift"]
    if got and got[0].z > c.z:
        c.evidence += f"; measured inside {col}={val} alone the drift is z={got[0].z:.1f}"
        c.z = got[0].z


def segment_label_change(ctx: Context, cubes: list[FeatureCube]) -> list[Candidate]:
    """A change of P(y | score) confined to one segment value, with its scores unmoved.

    Found per segment value on the score bins (two-sample G-tests, so the
    reference's own noise is counted) against the rest of the traffic; then,
    inside that value, the same label models as for the whole traffic decide
    between a concept drift (one feature region) and label noise (flips).
    """
    whole = score_cube(ctx)
    if whole is None or whole.lab[ctx.days.ref].sum() <= 0:
        return []
    cur = ~ctx.days.ref
    best: tuple[float, str, str, float] | None = None
    for col, v in ctx.segment_items():
        part = score_cube(ctx, segment=col, value=v)
        if part is None:
            continue
        z_in = _calibration_change(part, ctx.days.ref, cur)
        if z_in < Z_IN or (best is not None and z_in <= best[0]):
            continue
        rest = minus(whole, part)
        z_out = _calibration_change(rest, ctx.days.ref, cur)
        n_in, n_out = float(part.lab[cur].sum()), float(rest.lab[cur].sum())
        if not explains(z_in=z_in, n_in=n_in, z_out=z_out, n_out=n_out):
            continue
        z_moved, _ = _g_stat(ctx, cur)(part)
        if z_moved > Z_OUT:  # the scores moved too: a class mix or input change
            continue
        best = (z_in, col, v, z_out)
    if best is None:
        return []
    return _inside(ctx, cubes, best[1], best[2], best[0], best[3])


def _inside(
    ctx: Context, cubes: list[FeatureCube], col: str, v: str, z_in: float, z_out: float
) -> list[Candidate]:
    """Concept drift and label noise inside one segment value, scored as for all traffic."""
    part = score_cube(ctx, segment=col, value=v)
    if part is None:
        return []
    ref = ctx.days.ref
    e_d, o_d = expected_positives(part, ref).sum(1), part.pos.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(e_d > 0, (o_d - e_d) / e_d, np.nan)
    on = change_onset(x, e_d, start=ctx.start)
    post = np.arange(ctx.days.n) >= (on.index if on is not None else ctx.start)
    sfit = fit_labels(part, ref, post, regions=False)
    if sfit is None:
        return []
    fits = []
    for fc in cubes:
        got = feature_cubes(ctx, segment=col, value=v, names=[fc.name], bins={fc.name: fc.bins})
        f = fit_labels(got[0], ref, post) if got else None
        if f is not None:
            fits.append(f)
    region = max(fits, key=lambda f: f.region - max(f.shift, f.noise), default=None)
    z_noise = min(signed_sqrt(sfit.noise), signed_sqrt(sfit.noise - sfit.shift))
    for f in fits:
        z_noise = min(z_noise, signed_sqrt(f.noise - f.region) + signed_sqrt(sfit.noise) / 2)
    day = ctx.days.iso(on.index if on is not None else ctx.start)[:10]
    head = (
        f"inside {col}={v} P(y | score) changed on labelled rows from {day} (z={z_in:.1f}; "
        f"z={z_out:.1f} in the rest of the traffic) while its score distribution stayed"
    )
    out = [
        Candidate(
            "label_noise",
            z_noise,
            head + f"; labels there look flipped at {100 * sfit.noise_e:.1f}% toward 1/2 "
            f"(deviance gain {sfit.noise:.0f} vs {sfit.shift:.0f} for a uniform shift)",
            segment={col: v},
            effect=sfit.noise_e,
        )
    ]
    if region is not None:
        z_c = min(
            signed_sqrt(region.region), signed_sqrt(region.region - max(region.shift, region.noise))
        )
        out.append(
            Candidate(
                "concept_drift",
                z_c,
                head + f"; there P(y | {region.name}) moved by log-odds {region.region_delta:+.2f} "
                f"in one region (deviance gain {region.region:.0f} vs {region.shift:.0f} for a "
                f"uniform shift and {region.noise:.0f} for label flips)",
                segment={col: v},
                features=[region.name],
                effect=abs(region.region_delta),
            )
        )
    if on is not None:
        for c in out:
            c.dated(on)
    return out

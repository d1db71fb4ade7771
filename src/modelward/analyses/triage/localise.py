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

from modelward.analyses.triage.causes_xy import (
    FeatureCube,
    drift_stat,
    feature_cubes,
    fit_labels,
    label_side,
    minus,
    mixture_weight,
    prior_strength,
    score_cube,
    signed_sqrt,
)
from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import Z_HALF, Candidate, g_homogeneity, g_to_z

__all__ = [
    "Z_IN",
    "Z_OUT",
    "SegmentSplit",
    "explains",
    "localise",
    "localise_candidates",
    "segment_prior_shift",
]

#: A segment value's own strength needed to name it.
Z_IN = 4.0
#: Largest strength allowed in the rest of the traffic.
Z_OUT = 3.0
#: How far above its observed strength the rest would have been had it shared the effect.
Z_GAP = 3.0


@dataclass(frozen=True)
class SegmentSplit:
    """The named segment, the strengths inside it and in the rest, and their sizes."""

    segment: dict[str, str]
    z_in: float
    z_out: float
    n_in: float
    n_out: float


def explains(*, z_in: float, n_in: float, z_out: float, n_out: float) -> bool:
    """True when a segment's change is clear, absent elsewhere, and elsewhere could show it."""
    if not (z_in >= Z_IN and z_out < Z_OUT) or n_in <= 0:
        return False
    expected_out = z_in * math.sqrt(max(n_out, 0.0) / n_in)
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
    for col in ctx.summaries.meta.segments:
        vals = ctx.segment_values(col)
        if len(vals) < 2:
            continue
        for v in vals:
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
    for col in ctx.summaries.meta.segments:
        vals = ctx.segment_values(col)
        if len(vals) < 2:
            continue
        for v in vals:
            part = score_cube(ctx, segment=col, value=v)
            if part is None:
                continue
            s_in = drift_stat(ctx, part)
            if s_in.z_marg < Z_IN:
                continue
            post = np.arange(ctx.days.n) >= (s_in.onset.index if s_in.onset else ctx.start)
            pi0 = mixture_weight(part, ctx.days.ref, ctx.days.ref)
            pi1 = mixture_weight(part, ctx.days.ref, post)
            z_in = prior_strength(s_in, label_side(part, ctx.days.ref, post, pi1 - pi0))
            if z_in < Z_IN:
                continue
            s_out = drift_stat(ctx, minus(whole, part), post)
            z_out = max(s_out.z_marg, 0.0)
            n_in, n_out = (
                float(part.count[post].sum()),
                float(whole.count[post].sum()) - float(part.count[post].sum()),
            )
            if not explains(z_in=s_in.z_marg, n_in=n_in, z_out=z_out, n_out=n_out):
                continue
            ev = (
                f"inside {col}={v} the score distribution moved (KL={s_in.kl_marg:.3f}, "
                f"z={s_in.z_marg:.1f}) as a new mix of its reference class-conditional score "
                f"distributions: positive weight {pi0:.3f} -> {pi1:.3f}, while its P(score | y) "
                f"on labelled rows stayed (KL={s_in.kl_cond:.4f} +- {s_in.kl_cond_se:.4f}); "
                f"in the rest of the traffic the score distribution did not move (z={z_out:.1f})"
            )
            c = Candidate(
                "prior_shift",
                z_in,
                ev,
                segment={col: v},
                effect=pi1 - pi0,
                numbers={"positive_weight_ref": pi0, "positive_weight_post": pi1},
            )
            if s_in.onset:
                c.onset, c.onset_low, c.onset_high = (
                    s_in.onset.index,
                    s_in.onset.low,
                    s_in.onset.high,
                )
            if best is None or z_in > best[0]:
                best = (z_in, c)
    return best[1] if best else None


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
        elif c.cause in ("concept_drift", "label_noise") and sc is not None:
            which = "noise" if c.cause == "label_noise" else "any"
            split = localise(ctx, sc, _score_part(ctx), _label_stat(ctx, post, which))
        if split is None:
            continue
        c.segment = split.segment
        c.evidence += _words(split)
        if c.cause == "concept_drift" and sc is not None:
            ((col, val),) = split.segment.items()
            part = score_cube(ctx, segment=col, value=val)
            if part is not None:
                z_score, _ = _g_stat(ctx, post)(part)
                if z_score > Z_OUT:
                    c.z = min(c.z, Z_HALF + 2.0 * (2 * Z_OUT - z_score))
                    c.evidence += (
                        f"; but the score distribution inside {col}={val} moved too "
                        f"(z={z_score:.1f}), as a change of class mix would move it"
                    )

"""Scorers of the causes that live in P(x), P(y) and P(y | x): covariate drift, prior shift,
concept drift and label noise.

What changed and what did not, from the ``feature_label`` and ``score`` tables:

- P(x) (all rows, labelled or not) per feature, and P(score);
- P(x | y) and P(score | y) on labelled rows: stable under a prior shift, moved
  under a covariate drift;
- P(y | bin) on labelled rows against the reference calibration of each bin
  (expected positives = the reference's positives-per-unit-score x the bin's
  score sum), fitted by three one- or two-parameter models: a uniform
  log-odds shift (prior shift), labels flipped at a rate ``e`` toward 1/2
  (label noise: exact on any binning, since it is affine in the rate), and a
  log-odds shift in one region of one feature (concept drift). Deviance
  margins between the models are the strengths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import (
    Z_HALF,
    Candidate,
    FloatArray,
    g_homogeneity,
    g_to_z,
)
from modelward.analyses.triage.label_models import (
    FeatureCube,
    LabelFit,
    fit_labels,
    region_score_shift,
    signed_sqrt,
)
from modelward.analyses.triage.onset import ChangeOnset, change_onset
from modelward.analyses.triage.signals import column, cube

__all__ = [
    "DriftStat",
    "drift_stat",
    "feature_cubes",
    "label_causes",
    "label_side",
    "mixture_weight",
    "prior_strength",
    "score_cube",
    "x_causes",
]

#: Coarse score bins (reference quantiles) used for P(score) and calibration.
SCORE_BINS = 20
#: Smallest debiased KL (nats) reported as drift.
MIN_KL = 0.002
#: Boundary of KL(P(x|y)) / KL(P(x)) between a prior shift (below) and a covariate drift (above).
RHO = 0.6
#: Mean-score change (z) in a concept drift's region above which a class mix change is suspected.
MIX_Z = 3.0


def score_groups(ctx: Context) -> np.ndarray | None:
    """Map of the fine score bins to about :data:`SCORE_BINS` reference-quantile groups."""
    key = ("score_groups",)
    if key not in ctx._cache:
        sc = ctx.table("score")
        if sc.num_rows == 0:
            return None
        nb = ctx.summaries.meta.score_bins
        full = cube(sc, ctx.days, "count", [("score_bin", list(range(nb)))])
        ref_all = full[ctx.days.ref].sum(axis=0)
        cum = np.cumsum(ref_all) / max(ref_all.sum(), 1)
        group = np.minimum((cum * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
        ctx._cache[key] = np.maximum.accumulate(group).astype(np.float64)
    return ctx._cache[key].astype(np.int64)


def score_cube(ctx: Context, *, segment: str = "", value: str = "") -> FeatureCube | None:
    """The score as a feature: daily counts over the global reference-quantile groups."""
    key = ("score_cube", segment, value)
    if key in ctx._fc:
        return ctx._fc[key]  # type: ignore[no-any-return]
    group = score_groups(ctx)
    sc = ctx.table("score", segment=segment, value=value)
    if group is None or sc.num_rows == 0:
        return None
    nb = ctx.summaries.meta.score_bins
    full = cube(sc, ctx.days, "count", [("score_bin", list(range(nb))), ("label", [-1, 0, 1])])
    k = int(group.max()) + 1
    agg = np.zeros((ctx.days.n, k, 3))
    ssum = np.zeros((ctx.days.n, k))
    mid = (np.arange(nb) + 0.5) / nb
    for g in range(k):
        sel = group == g
        agg[:, g, :] = full[:, sel, :].sum(axis=1)
        ssum[:, g] = (full[:, sel, 1:].sum(axis=2) * mid[sel]).sum(axis=1)
    out = FeatureCube(
        "score",
        True,
        agg.sum(axis=2),
        agg[:, :, 1] + agg[:, :, 2],
        agg[:, :, 2],
        ssum,
        list(range(k)),
    )
    ctx._fc[key] = out
    return out


def _score_cube(ctx: Context) -> FeatureCube | None:
    return score_cube(ctx)


def feature_cubes(
    ctx: Context,
    *,
    segment: str = "",
    value: str = "",
    names: Sequence[str] | None = None,
    bins: dict[str, list[int]] | None = None,
) -> list[FeatureCube]:
    """Cubes of every feature (or of ``names``) from ``feature_label``.

    ``bins`` fixes each feature's bin vocabulary (to align a segment's cube
    with the global one); by default the bins present are used.
    """
    fl = ctx.table("feature_label", segment=segment, value=value)
    out: list[FeatureCube] = []
    if fl.num_rows == 0:
        return out
    kinds = {f["name"]: f["kind"] for f in ctx.summaries.meta.features}
    feat_col = column(fl, "feature")
    present = sorted({str(v) for v in feat_col})
    for f in present if names is None else [n for n in names if n in present]:
        sub = fl.filter(np.asarray(feat_col == f))
        vocab = (bins or {}).get(f) or sorted({int(b) for b in column(sub, "bin")})
        keys: list[tuple[str, Sequence[object]]] = [("bin", vocab), ("labelled", [False, True])]
        count = cube(sub, ctx.days, "count", keys)
        pos = cube(sub, ctx.days, "label_sum", keys)[:, :, 1]
        ssum = cube(sub, ctx.days, "score_sum", keys)[:, :, 1]
        out.append(
            FeatureCube(
                f,
                kinds.get(f) == "numeric",
                count.sum(axis=2),
                count[:, :, 1],
                pos,
                ssum,
                list(vocab),
            )
        )
    return out


def _kl_excess(g: float, df: int, n_ref: float, n_cur: float) -> tuple[float, float]:
    """Debiased KL from a G statistic and its standard error."""
    n_eff = n_ref * n_cur / max(n_ref + n_cur, 1e-300)
    if n_eff <= 0 or df <= 0:
        return 0.0, math.inf
    return max(0.0, (g - df) / (2 * n_eff)), math.sqrt(2 * df) / (2 * n_eff)


def _projection_onset(ctx: Context, counts: FloatArray) -> ChangeOnset | None:
    """Onset of the daily mean of the log-ratio direction between current and reference."""
    ref = counts[ctx.days.ref].sum(0) + 0.5
    cur = counts[~ctx.days.ref].sum(0) + 0.5
    w = np.log((cur / cur.sum()) / (ref / ref.sum()))
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = (counts * w).sum(axis=1) / n
    return change_onset(np.where(n > 0, x, np.nan), n, start=ctx.start)


@dataclass
class DriftStat:
    """Marginal and class-conditional drift of one feature after its onset."""

    name: str
    onset: ChangeOnset | None
    z_marg: float
    kl_marg: float
    kl_cond: float
    kl_cond_se: float
    z_cond: float


def drift_stat(ctx: Context, fc: FeatureCube, post: np.ndarray | None = None) -> DriftStat:
    """Marginal and class-conditional drift of one cube (onset found unless ``post`` given)."""
    on = _projection_onset(ctx, fc.count) if post is None else None
    if post is None:
        post = np.arange(ctx.days.n) >= (on.index if on else ctx.start)
    ref = ctx.days.ref
    r, c = fc.count[ref].sum(0), fc.count[post].sum(0)
    g, df, _ = g_homogeneity(r, c)
    kl, _ = _kl_excess(g, df, r.sum(), c.sum())
    g_c, df_c, kl_c, var_c, w_tot = 0.0, 0, 0.0, 0.0, 0.0
    for part in (fc.pos, fc.lab - fc.pos):
        rr, cc = part[ref].sum(0), part[post].sum(0)
        gi, dfi, _ = g_homogeneity(rr, cc)
        if dfi == 0:
            continue
        k, se = _kl_excess(gi, dfi, rr.sum(), cc.sum())
        w = cc.sum()
        g_c, df_c = g_c + gi, df_c + dfi
        kl_c, var_c, w_tot = kl_c + w * k, var_c + (w * se) ** 2, w_tot + w
    kl_c = kl_c / w_tot if w_tot else 0.0
    se_c = math.sqrt(var_c) / w_tot if w_tot else math.inf
    return DriftStat(fc.name, on, g_to_z(g, df), kl, kl_c, se_c, g_to_z(g_c, df_c))


def x_causes(ctx: Context, cubes: list[FeatureCube]) -> tuple[list[Candidate], list[DriftStat]]:
    """Covariate drift (P(x) and P(x|y) moved) and prior shift (P(score) moved, P(score|y) not)."""
    out: list[Candidate] = []
    stats = [drift_stat(ctx, fc) for fc in cubes]
    moved = [s for s in stats if s.kl_marg >= MIN_KL and s.z_marg > 0]
    if moved:
        top = max(moved, key=lambda s: s.kl_marg)
        feats = sorted(
            (s for s in moved if s.kl_marg >= 0.3 * top.kl_marg and s.z_marg >= 4),
            key=lambda s: -s.kl_marg,
        )[:3]
        # against a covariate drift: the class-conditional distributions did not move
        # a prior shift leaves P(x | y) where it was; a covariate drift moves it about as much
        if math.isfinite(top.kl_cond_se):
            z = min(top.z_marg, (top.kl_cond - RHO * top.kl_marg) / max(top.kl_cond_se, 1e-12))
        else:
            z = top.z_marg
        ev = (
            f"P(x) moved: {top.name} KL={top.kl_marg:.3f} nats (G-test z={top.z_marg:.1f})"
            + "".join(f", {s.name} KL={s.kl_marg:.3f}" for s in feats[1:])
            + f"; on labelled rows P({top.name} | y) moved too (KL={top.kl_cond:.3f} "
            f"+- {top.kl_cond_se:.3f}, z={top.z_cond:.1f})"
        )
        c = Candidate(
            "covariate_drift",
            z,
            ev,
            features=[s.name for s in feats] or [top.name],
            effect=top.kl_marg,
            numbers={"kl": top.kl_marg, "kl_conditional": top.kl_cond},
        )
        if top.onset:
            c.onset, c.onset_low, c.onset_high = top.onset.index, top.onset.low, top.onset.high
        out.append(c)
    sc = _score_cube(ctx)
    if sc is not None:
        s = drift_stat(ctx, sc)
        if s.kl_marg >= MIN_KL:
            ref = ctx.days.ref
            post = np.arange(ctx.days.n) >= (s.onset.index if s.onset else ctx.start)
            pi0 = mixture_weight(sc, ref, ref)
            pi1 = mixture_weight(sc, ref, post)
            z = prior_strength(s, label_side(sc, ref, post, pi1 - pi0))
            ev = (
                f"the score distribution moved (KL={s.kl_marg:.3f}, z={s.z_marg:.1f}) as a new "
                f"mix of the reference's class-conditional score distributions: positive "
                f"weight {pi0:.3f} -> {pi1:.3f}, while P(score | y) on labelled rows stayed "
                f"(KL={s.kl_cond:.4f} +- {s.kl_cond_se:.4f})"
            )
            c = Candidate(
                "prior_shift",
                z,
                ev,
                effect=pi1 - pi0,
                numbers={"positive_weight_ref": pi0, "positive_weight_post": pi1},
            )
            if s.onset:
                c.onset, c.onset_low, c.onset_high = s.onset.index, s.onset.low, s.onset.high
            out.append(c)
    return out, stats


def label_side(sc: FeatureCube, ref: np.ndarray, post: np.ndarray, direction: float) -> float:
    """z of a uniform log-odds shift of P(y | score) in the direction the class mix moved.

    A prior shift moves P(y | score) by the log odds ratio of the base rates
    in every score bin alike; a covariate drift leaves it where it was.
    """
    fit = fit_labels(sc, ref, post, regions=False)
    if fit is None or fit.shift_c * direction <= 0:
        return 0.0
    return signed_sqrt(fit.shift)


def prior_strength(s: DriftStat, z_labels: float = 0.0) -> float:
    """Strength of a prior shift: P(score) moved, and not as its class-conditionals did.

    The evidence that it is a new class mix is the larger of the gap between
    the marginal and class-conditional KLs and ``z_labels`` (:func:`label_side`).
    """
    if s.kl_marg < MIN_KL:
        return 0.0
    gap = (
        (RHO * s.kl_marg - s.kl_cond) / max(s.kl_cond_se, 1e-12)
        if math.isfinite(s.kl_cond_se)
        else 0.0
    )
    return min(s.z_marg, max(gap, z_labels))


def daily_positive_weight(ctx: Context) -> FloatArray | None:
    """Per bucket, the EM weight of the positive class in P(score) (None without scores)."""
    sc = _score_cube(ctx)
    if sc is None or sc.lab[ctx.days.ref].sum() <= 0:
        return None
    out = np.zeros(ctx.days.n)
    for d in range(ctx.days.n):
        rows = np.zeros(ctx.days.n, dtype=bool)
        rows[d] = True
        out[d] = mixture_weight(sc, ctx.days.ref, rows)
    return out


def mixture_weight(sc: FeatureCube, ref: np.ndarray, rows: np.ndarray) -> float:
    """EM weight of the positive class in P(score) given reference P(score | y)."""
    f1 = sc.pos[ref].sum(0) + 0.5
    f0 = (sc.lab - sc.pos)[ref].sum(0) + 0.5
    f1, f0 = f1 / f1.sum(), f0 / f0.sum()
    h = sc.count[rows].sum(0)
    pi = 0.5
    for _ in range(200):
        r = pi * f1 / (pi * f1 + (1 - pi) * f0)
        new = float((h * r).sum() / max(h.sum(), 1e-300))
        if abs(new - pi) < 1e-9:
            break
        pi = new
    return pi


def _label_onset(ctx: Context, fc: FeatureCube, bins: list[int] | None) -> ChangeOnset | None:
    """Onset of the daily standardised residual of labelled positives (in ``bins`` if given)."""
    ref = ctx.days.ref
    pr, sr, nr = fc.pos[ref].sum(0), fc.ssum[ref].sum(0), fc.lab[ref].sum(0)
    e = fc.ssum * ((pr + 0.5) / (sr + 0.5)) if sr.sum() > 0 else fc.lab * ((pr + 0.5) / (nr + 1.0))
    sel = np.zeros(fc.pos.shape[1], dtype=bool)
    sel[bins if bins else slice(None)] = True
    o_d, e_d = fc.pos[:, sel].sum(1), e[:, sel].sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(e_d > 0, (o_d - e_d) / e_d, np.nan)
    return change_onset(x, e_d, start=ctx.start)


def label_causes(ctx: Context, cubes: list[FeatureCube]) -> list[Candidate]:
    """Concept drift (a region's P(y|x) moved) and label noise (labels pulled toward 1/2)."""
    ref = ctx.days.ref
    cur = ~ref
    if fc_empty(cubes, ref):
        return []
    sc = _score_cube(ctx)
    all_cubes = ([sc] if sc is not None else []) + cubes
    lab_post = sum(fc.lab[cur].sum() for fc in all_cubes[:1])
    if lab_post <= 0:
        return []
    # pass 1: fits on every current bucket, to find the onset
    fits = {fc.name: fit_labels(fc, ref, cur) for fc in all_cubes}
    out: list[Candidate] = []
    base = sc if sc is not None else cubes[0]
    bf = fits.get(base.name)
    if bf is None:
        return []
    # label noise: the flip model beats a uniform log-odds shift and every region model
    on = _label_onset(ctx, base, None)
    post = np.arange(ctx.days.n) >= (on.index if on else ctx.start)
    bf2 = fit_labels(base, ref, post) or bf
    # on the same bins: flips must beat a uniform shift (score bins) and a region (feature bins)
    z_noise = min(signed_sqrt(bf2.noise), signed_sqrt(bf2.noise - bf2.shift))
    region_best = max((f.region for f in fits.values() if f is not None), default=0.0)
    for f in fits.values():
        if f is not None and f.name != base.name:
            z_noise = min(z_noise, signed_sqrt(f.noise - f.region) + signed_sqrt(bf2.noise) / 2)
    if bf2.noise_e > 0.001:
        c = Candidate(
            "label_noise",
            z_noise,
            (
                f"on labelled rows from {ctx.days.iso(on.index if on else ctx.start)[:10]}, "
                f"labels look flipped at a rate of {100 * bf2.noise_e:.1f}% toward 1/2: "
                f"confident low scores labelled positive and high scores labelled negative "
                f"(deviance gain {bf2.noise:.0f} vs {bf2.shift:.0f} for a uniform base-rate "
                f"shift and {region_best:.0f} for the best feature region), while P(x) is stable"
            ),
            effect=bf2.noise_e,
            numbers={"flip_rate": bf2.noise_e, "deviance_gain": bf2.noise},
        )
        if on:
            c.onset, c.onset_low, c.onset_high = on.index, on.low, on.high
        out.append(c)
    # concept drift: one feature's region beats the uniform shift and the flip model there
    best: tuple[float, LabelFit, FeatureCube] | None = None
    for fc in cubes:
        f = fits.get(fc.name)
        if f is None:
            continue
        margin = f.region - max(f.shift, f.noise)
        if best is None or margin > best[0]:
            best = (margin, f, fc)
    if best is not None:
        margin, f, fc = best
        on = _label_onset(ctx, fc, f.region_bins)
        post = np.arange(ctx.days.n) >= (on.index if on else ctx.start)
        f2 = fit_labels(fc, ref, post) or f
        margin2 = f2.region - max(f2.shift, f2.noise)
        z = min(signed_sqrt(f2.region), signed_sqrt(margin2))
        where = _region_words(ctx, fc, f2.region_bins)
        z_mix, m0, m1 = region_score_shift(fc, ref, post, f2.region_bins)
        mix_words = f"mean score of its labelled rows {m0:.3f} -> {m1:.3f} (z={z_mix:.1f})"
        if z_mix > MIX_Z:
            # P(y | x) changes leave the scores alone; a new class mix there moves them
            z = min(z, Z_HALF + 2.0 * (2 * MIX_Z - z_mix))
            mix_words = "but there the " + mix_words + ", as a new class mix would move it"
        else:
            mix_words = "with P(x) stable; there the " + mix_words
        c = Candidate(
            "concept_drift",
            z,
            (
                f"P(y | {fc.name}) changed in {where} from "
                f"{ctx.days.iso(on.index if on else ctx.start)[:10]}: log-odds "
                f"{f2.region_delta:+.2f} there against the reference calibration "
                f"(deviance gain {f2.region:.0f} vs {f2.shift:.0f} for a uniform shift and "
                f"{f2.noise:.0f} for label flips), {mix_words}"
            ),
            features=[fc.name],
            effect=abs(f2.region_delta),
            numbers={"log_odds_shift": f2.region_delta, "deviance_gain": f2.region},
        )
        if on:
            c.onset, c.onset_low, c.onset_high = on.index, on.low, on.high
        out.append(c)
    return out


def fc_empty(cubes: list[FeatureCube], ref: np.ndarray) -> bool:
    """True when no reference bucket has a label."""
    return not cubes or all(fc.lab[ref].sum() <= 0 for fc in cubes)


def _region_words(ctx: Context, fc: FeatureCube, bins: list[int]) -> str:
    if not bins:
        return "no region"
    if fc.ordered:
        edges = ctx.summaries.meta.numeric_edges.get(fc.name, [])
        lo, hi = min(bins), max(bins)
        lo_v = f"{edges[lo - 1]:.4g}" if 1 <= lo <= len(edges) else "-inf"
        hi_v = f"{edges[hi - 1]:.4g}" if 1 <= hi <= len(edges) else "+inf"
        if hi >= len(edges):
            return f"{fc.name} >= {lo_v}"
        if lo <= 1:
            return f"{fc.name} < {hi_v}"
        return f"{fc.name} in [{lo_v}, {hi_v})"
    cats = ctx.summaries.meta.categories.get(fc.name, [])
    names = [cats[b] if 0 <= b < len(cats) else "other" for b in bins]
    return f"{fc.name} = {', '.join(names)}"

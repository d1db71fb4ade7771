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
from dataclasses import dataclass, replace

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
    expected_positives,
    fit_labels,
    region_score_shift,
    signed_sqrt,
)
from modelward.analyses.triage.onset import ChangeOnset, change_onset
from modelward.analyses.triage.signals import column, cube

__all__ = [
    "DriftStat",
    "PriorFit",
    "class_conditionals",
    "drift_stat",
    "feature_cubes",
    "label_causes",
    "label_onset",
    "label_side",
    "mixture_weight",
    "mixture_z",
    "prior_fit",
    "prior_vs_concept",
    "region_words",
    "score_cube",
    "shifted_mix",
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
    ssum_all = np.zeros((ctx.days.n, k))
    mid = (np.arange(nb) + 0.5) / nb
    for g in range(k):
        sel = group == g
        agg[:, g, :] = full[:, sel, :].sum(axis=1)
        ssum[:, g] = (full[:, sel, 1:].sum(axis=2) * mid[sel]).sum(axis=1)
        ssum_all[:, g] = (full[:, sel, :].sum(axis=2) * mid[sel]).sum(axis=1)
    out = FeatureCube(
        "score",
        True,
        agg.sum(axis=2),
        agg[:, :, 1] + agg[:, :, 2],
        agg[:, :, 2],
        ssum,
        list(range(k)),
        ssum_all,
        ctx.label_offset(),
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
        ssum_both = cube(sub, ctx.days, "score_sum", keys)
        out.append(
            FeatureCube(
                f,
                kinds.get(f) == "numeric",
                count.sum(axis=2),
                count[:, :, 1],
                pos,
                ssum_both[:, :, 1],
                list(vocab),
                ssum_both.sum(axis=2),
                ctx.label_offset(),
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
    # the reference with the current buckets' weekday mix: a weekly rhythm is no drift
    r, c = ctx.days.reference_like(fc.count, post), fc.count[post].sum(0)
    g, df, _ = g_homogeneity(r, c)
    kl, _ = _kl_excess(g, df, r.sum(), c.sum())
    g_c, df_c, kl_c, var_c, w_tot = 0.0, 0, 0.0, 0.0, 0.0
    for part in (fc.pos, fc.lab - fc.pos):
        rr, cc = ctx.days.reference_like(part, post), part[post].sum(0)
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
        c.dated(top.onset)
        out.append(c)
    sc = _score_cube(ctx)
    fit = prior_fit(ctx, sc) if sc is not None else None
    if fit is not None:
        s = fit.stat
        ev = (
            f"the score distribution moved (KL={s.kl_marg:.3f}, z={fit.z_move:.1f}) as a new "
            f"mix of the reference's class-conditional score distributions: positive "
            f"weight {fit.pi0:.3f} -> {fit.pi1:.3f}, while P(score | y) on labelled rows stayed "
            f"(KL={s.kl_cond:.4f} +- {s.kl_cond_se:.4f})"
            + (
                f"; labelled rows moved with it (uniform log-odds shift z={fit.z_labels:.1f})"
                if fit.z_labels > 0
                else ""
            )
        )
        c = Candidate(
            "prior_shift",
            fit.z,
            ev,
            effect=fit.pi1 - fit.pi0,
            numbers={"positive_weight_ref": fit.pi0, "positive_weight_post": fit.pi1},
        )
        c.dated(fit.onset)
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


def class_conditionals(sc: FeatureCube, ref: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """The reference's P(score bin | y = 1) and P(score bin | y = 0), half-count smoothed."""
    f1 = sc.pos[ref].sum(0) + 0.5
    f0 = (sc.lab - sc.pos)[ref].sum(0) + 0.5
    return f1 / f1.sum(), f0 / f0.sum()


def shifted_mix(pi0: float, delta: float) -> float:
    """The positive share ``pi0`` after a log-odds shift ``delta`` (a prior shift's new mix).

    Examples
    --------
    >>> round(shifted_mix(0.2, math.log(4.0)), 3)
    0.5
    """
    odds = pi0 / max(1 - pi0, 1e-12) * math.exp(max(min(delta, 30.0), -30.0))
    return odds / (1 + odds)


def mixture_weight(sc: FeatureCube, ref: np.ndarray, rows: np.ndarray) -> float:
    """EM weight of the positive class in P(score) given reference P(score | y)."""
    f1, f0 = class_conditionals(sc, ref)
    h = sc.count[rows].sum(0)
    pi = 0.5
    for _ in range(200):
        r = pi * f1 / (pi * f1 + (1 - pi) * f0)
        new = float((h * r).sum() / max(h.sum(), 1e-300))
        if abs(new - pi) < 1e-9:
            break
        pi = new
    return pi


def mixture_z(sc: FeatureCube, ref: np.ndarray, post: np.ndarray, pi0: float, pi1: float) -> float:
    """z of the change of the positive weight, from the mixture's Fisher information.

    Each window's weight has variance ``1 / I(pi)`` with
    ``I(pi) = sum_b h_b (f1_b - f0_b)^2 / (pi f1_b + (1 - pi) f0_b)^2``, a
    directed test with far more power than a homogeneity test over every bin.

    Examples
    --------
    >>> import numpy as np
    >>> from modelward.analyses.triage.label_models import FeatureCube
    >>> neg, pos = np.array([60.0, 30.0, 10.0]), np.array([10.0, 30.0, 60.0])
    >>> count = np.stack([neg + pos, neg + pos, 0.8 * neg + 2 * pos])
    >>> fc = FeatureCube("score", True, count, np.stack([neg + pos] * 2 + [0 * neg]),
    ...                  np.stack([pos, pos, 0 * pos]), np.zeros((3, 3)), [0, 1, 2])
    >>> ref = np.array([True, True, False])
    >>> round(mixture_z(fc, ref, ~ref, 0.5, 0.71), 1)
    3.3
    """
    f1, f0 = class_conditionals(sc, ref)

    def info(rows: np.ndarray, pi: float) -> float:
        h = sc.count[rows].sum(0)
        m = pi * f1 + (1 - pi) * f0
        return float((h * (f1 - f0) ** 2 / m**2).sum())

    i0, i1 = info(ref, pi0), info(post, pi1)
    if i0 <= 0 or i1 <= 0:
        return 0.0
    return abs(pi1 - pi0) / math.sqrt(1 / i0 + 1 / i1)


#: Range of (score-mix change) / (label-implied mix change) where the two agree.
MIX_AGREE = (0.5, 2.0)
#: Margin (z) by which P(score) must favour the labels' class mix over an unchanged P(x).
Z_PC = 2.5


def prior_vs_concept(
    sc: FeatureCube, ref: np.ndarray, post: np.ndarray, pi0: float, delta: float
) -> float:
    """Signed root of the likelihood ratio of ``post``'s P(score): the labels' class mix
    against the reference's.

    The labelled rows moved P(y | score) by the log-odds ``delta``. A prior
    shift moves P(score) to the mix ``expit(logit(pi0) + delta)`` of the
    reference class-conditionals; a concept drift leaves P(score) at ``pi0``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelward.analyses.triage.label_models import FeatureCube
    >>> neg, pos = np.array([60.0, 30.0, 10.0]), np.array([10.0, 30.0, 60.0])
    >>> count = np.stack([neg + pos, 10 * (0.2 * neg + 0.8 * pos)])
    >>> fc = FeatureCube("score", True, count, np.stack([neg + pos, 0 * neg]),
    ...                  np.stack([pos, 0 * pos]), np.zeros((2, 3)), [0, 1, 2])
    >>> ref = np.array([True, False])
    >>> prior_vs_concept(fc, ref, ~ref, 0.5, np.log(4.0)) > 10
    True
    """
    f1, f0 = class_conditionals(sc, ref)
    pi_l = shifted_mix(pi0, delta)
    h = sc.count[post].sum(0)
    m_l, m_0 = pi_l * f1 + (1 - pi_l) * f0, pi0 * f1 + (1 - pi0) * f0
    return signed_sqrt(2 * float((h * np.log(m_l / m_0)).sum()))


@dataclass
class PriorFit:
    """A prior shift's strength ``z`` and what it rests on."""

    z: float
    z_move: float
    z_labels: float
    pi0: float
    pi1: float
    stat: DriftStat
    onset: ChangeOnset | None


#: Smallest relative change of the minority class's weight reported as a prior shift.
MIN_MIX_CHANGE = 0.2


def prior_fit(ctx: Context, sc: FeatureCube) -> PriorFit | None:
    """The best prior-shift reading of a score cube, over the score's and the labels' onsets.

    The score distribution must move as a new class mix (``z_move``: the larger
    of the homogeneity test and the directed mixture test), and that must not
    be a covariate drift: P(score | y) stayed (``gap``) or the labelled rows'
    log-odds moved the same way (``z_labels``). Both onsets are tried, since a
    weakly separating score hides the onset that the labels show clearly.
    """
    ref = ctx.days.ref
    first = drift_stat(ctx, sc)
    onsets = [first.onset]
    if sc.lab[~ref].sum() > 0:
        lab_on = label_onset(ctx, sc, None)
        if lab_on is not None and (first.onset is None or lab_on.index != first.onset.index):
            onsets.append(lab_on)
    pi0 = mixture_weight(sc, ref, ref)
    best: PriorFit | None = None
    for on in onsets:
        post = np.arange(ctx.days.n) >= (on.index if on else ctx.start)
        s = first if on is first.onset else replace(drift_stat(ctx, sc, post), onset=on)
        pi1 = mixture_weight(sc, ref, post)
        minority = max(min(pi0, 1 - pi0), 1e-9)
        if s.kl_marg < MIN_KL and abs(pi1 - pi0) < MIN_MIX_CHANGE * minority:
            continue
        z_move = max(s.z_marg, mixture_z(sc, ref, post, pi0, pi1))
        lab = fit_labels(sc, ref, post, regions=False)
        z_labels = z_pc = 0.0
        agree = False
        if lab is not None and lab.shift_c * (pi1 - pi0) > 0:
            z_labels = signed_sqrt(lab.shift)
            z_pc = prior_vs_concept(sc, ref, post, pi0, lab.shift_c)
            # the class mix the labels imply, against the one P(score) shows
            ratio = (pi1 - pi0) / (shifted_mix(pi0, lab.shift_c) - pi0)
            agree = MIX_AGREE[0] <= ratio <= MIX_AGREE[1]
        gap = (
            (RHO * s.kl_marg - s.kl_cond) / max(s.kl_cond_se, 1e-12)
            if math.isfinite(s.kl_cond_se) and s.kl_marg >= MIN_KL
            else 0.0
        )
        # P(score | y) moved as much as P(score) and the labels' class mix is not the one
        # P(score) shows: whatever the labels did, not a new class mix (a covariate drift)
        vetoed = s.kl_cond - RHO * s.kl_marg > 2 * s.kl_cond_se and not agree
        z = min(z_move, gap if vetoed else max(gap, z_labels))
        if z_pc >= Z_PC and not vetoed:
            # the labels show the new mix and P(score) moved as that mix predicts, where a
            # concept drift would have left it: scaled so that Z_PC sits at confidence one half
            z = max(z, min(z_labels, Z_HALF / Z_PC * z_pc))
        fit = PriorFit(z, z_move, z_labels, pi0, pi1, s, on)
        if best is None or fit.z > best.z:
            best = fit
    return best


def label_onset(ctx: Context, fc: FeatureCube, bins: list[int] | None) -> ChangeOnset | None:
    """Onset of the daily standardised residual of labelled positives (in ``bins`` if given)."""
    ref = ctx.days.ref
    e = expected_positives(fc, ref)
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
    on = label_onset(ctx, base, None)
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
        c.dated(on)
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
        on = label_onset(ctx, fc, f.region_bins)
        post = np.arange(ctx.days.n) >= (on.index if on else ctx.start)
        f2 = fit_labels(fc, ref, post) or f
        margin2 = f2.region - max(f2.shift, f2.noise)
        z = min(signed_sqrt(f2.region), signed_sqrt(margin2))
        where = region_words(ctx, fc, f2.region_bins)
        z_mix, m0, m1 = region_score_shift(fc, ref, post, f2.region_bins)
        mix_words = f"mean score of its rows {m0:.3f} -> {m1:.3f} (z={z_mix:.1f})"
        if z_mix > MIX_Z:
            # P(y | x) changes leave the scores alone; a new class mix there moves them
            z = min(z, Z_HALF + 2.0 * (2 * MIX_Z - z_mix))
            mix_words = "but there the " + mix_words + ", as a new class mix would move it"
        else:
            mix_words = "with P(x) stable; there the " + mix_words
        inside = _segment_region_fit(ctx, fc, f2.region_bins, post)
        if inside is not None and inside.noise > inside.shift:
            # the region is a whole segment value, where the score bins can tell a shift of
            # P(y | x) (every score alike) from flips toward 1/2 (confident scores most)
            z = min(z, Z_HALF - signed_sqrt(inside.noise - inside.shift))
            mix_words += (
                f"; but inside that segment value flips toward 1/2 fit its labels better than "
                f"a uniform shift (deviance gain {inside.noise:.0f} vs {inside.shift:.0f})"
            )
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
            # a region that is a whole segment value is that segment: localising it
            # again could name a sibling value of the same column
            segment=_region_segment(ctx, fc, f2.region_bins),
            features=[fc.name],
            effect=abs(f2.region_delta),
            numbers={"log_odds_shift": f2.region_delta, "deviance_gain": f2.region},
        )
        c.dated(on)
        out.append(c)
    return out


def _region_segment(ctx: Context, fc: FeatureCube, bins: list[int]) -> dict[str, str] | None:
    """The segment value a categorical region is (one category of a segment column), if any."""
    if fc.ordered or len(bins) != 1 or fc.name not in ctx.summaries.meta.segments:
        return None
    cats = ctx.summaries.meta.categories.get(fc.name, [])
    if not 0 <= bins[0] < len(cats):
        return None
    return {fc.name: str(cats[bins[0]])}


def _segment_region_fit(
    ctx: Context, fc: FeatureCube, bins: list[int], post: np.ndarray
) -> LabelFit | None:
    """Label models on the score bins of the segment value a categorical region is, if any."""
    seg = _region_segment(ctx, fc, bins)
    if seg is None:
        return None
    ((col, val),) = seg.items()
    part = score_cube(ctx, segment=col, value=val)
    return None if part is None else fit_labels(part, ctx.days.ref, post, regions=False)


def fc_empty(cubes: list[FeatureCube], ref: np.ndarray) -> bool:
    """True when no reference bucket has a label."""
    return not cubes or all(fc.lab[ref].sum() <= 0 for fc in cubes)


def region_words(ctx: Context, fc: FeatureCube, bins: list[int]) -> str:
    """A region of a feature's bins in words (``x < 3``, ``c = a, b``)."""
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

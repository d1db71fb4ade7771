"""Scorers of the causes that need no labels' meaning: data gap, schema change, latency, delay.

Each returns :class:`Candidate` objects whose ``z`` is a one-sided strength
from a count test (binomial on shares and rates, a z of daily log-quantiles
against the reference's day-to-day spread, a Poisson deficit of labels).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2_contingency

from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import (
    Z_HALF,
    Candidate,
    FloatArray,
    binomial_z,
    g_homogeneity,
    g_to_z,
)
from modelward.analyses.triage.onset import ChangeOnset, change_onset
from modelward.analyses.triage.signals import column, cube

__all__ = [
    "arrived_share",
    "data_gap",
    "label_delay",
    "latency_regression",
    "malformed",
    "proportion_change",
    "schema_change",
]

#: Smallest relative loss of a segment's share reported as a data gap.
MIN_GAP = 0.05
#: Smallest absolute rise in the share of malformed values reported as a schema change.
MIN_MALFORMED = 0.005
#: Smallest relative latency change reported.
MIN_LATENCY = 0.05
#: Smallest relative label deficit reported.
MIN_DEFICIT = 0.05


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def proportion_change(
    num: FloatArray, den: FloatArray, ctx: Context, *, extra: float = 0.0
) -> tuple[ChangeOnset | None, float, float, float, float]:
    """Onset of a daily proportion, then (onset, ref rate, post rate, post n, z).

    The reference rate is read with the weekday mix of the buckets after the
    onset (:meth:`Days.reference_like`): a segment that is quiet on weekends
    has a smaller share on a weekend, which is no gap. ``extra`` is added to
    the reference rate: the share a stable system shows after the reference
    that the reference cannot show of itself.
    """
    ref = ctx.days.ref
    n_ref = den[ref].sum()
    if n_ref <= 0 or den[~ref].sum() <= 0:
        return None, math.nan, math.nan, 0.0, 0.0
    p0 = min(num[ref].sum() / n_ref + extra, 1.0)
    pv = min(max(p0, 0.5 / n_ref), 1 - 0.5 / n_ref)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(den > 0, num / np.maximum(den, 1e-300), np.nan)
    on = change_onset(rate, den / (pv * (1 - pv)), start=ctx.start)
    post = np.arange(ctx.days.n) >= (on.index if on else ctx.start)
    r_num, r_den = ctx.days.reference_like(np.stack([num, den], axis=1), post, rows=den)
    if r_den > 0:
        p0 = min(r_num / r_den + extra, 1.0)
    obs, n = float(num[post].sum()), float(den[post].sum())
    return on, float(p0), obs / n if n else math.nan, n, binomial_z(obs, n, float(p0))


def data_gap(ctx: Context) -> list[Candidate]:
    """A segment value whose share of volume collapses while the others keep their ratios."""
    out: list[Candidate] = []
    for col in ctx.summaries.meta.segments:
        vals = ctx.segment_values(col)
        if len(vals) < 2:
            continue
        n = np.stack([ctx.vol("n", segment=col, value=v) for v in vals], axis=1)
        tot = n.sum(axis=1)
        for j, v in enumerate(vals):
            on, p0, p1, _, z = proportion_change(n[:, j], tot, ctx)
            if not (p0 > 0) or on is None:
                continue
            drop = 1.0 - p1 / p0
            if drop < MIN_GAP:
                continue
            post = np.arange(ctx.days.n) >= on.index
            others = np.arange(len(vals)) != j
            g, df, _ = g_homogeneity(
                ctx.days.reference_like(n[:, others], post), n[post][:, others].sum(0)
            )
            z_others = max(0.0, g_to_z(g, df)) if df > 0 else 0.0
            vol_ratio = float(tot[post].mean() / max(tot[ctx.days.ref].mean(), 1e-9))
            strength = -z - 3.0 * max(0.0, z_others - 2.0)
            ev = (
                f"{col}={v} fell from {_pct(p0)} to {_pct(p1)} of traffic "
                f"(-{_pct(drop)} of its rows, z={-z:.1f}) from {ctx.days.iso(on.index)[:10]}, "
                f"while the other {col} values kept their mutual ratios "
                f"(G-test z={z_others:.1f}); daily volume x{vol_ratio:.2f} vs reference"
            )
            out.append(
                Candidate(
                    "data_gap",
                    strength,
                    ev,
                    segment={col: v},
                    effect=drop,
                    numbers={"share_ref": p0, "share_post": p1, "z_others": z_others},
                    series={"share": list(np.nan_to_num(n[:, j] / np.maximum(tot, 1)))},
                ).dated(on)
            )
    return out


def malformed(
    ctx: Context, feature: str, *, segment: str = "", value: str = ""
) -> tuple[FloatArray, FloatArray]:
    """Daily (malformed, total) rows of one feature in one segment value (all traffic: "")."""
    if feature in ctx.features("numeric"):
        bad, total, _ = _malformed_numeric(ctx, feature, segment=segment, value=value)
        return bad, total
    cat = ctx.table("categorical", segment=segment, value=value, feature=feature)
    total = cube(cat, ctx.days, "count")
    bad = cube(cat, ctx.days, "count", [("category", ["__unseen__", "__null__"])]).sum(axis=1)
    return bad, total


def _malformed_numeric(
    ctx: Context, feature: str, *, segment: str = "", value: str = ""
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Daily (malformed, total, nulls): nulls plus values outside the reference's [min, max]."""
    mom = ctx.table("numeric_moments", segment=segment, value=value, feature=feature)
    nulls = cube(mom, ctx.days, "nulls")
    count = cube(mom, ctx.days, "count")
    edges = ctx.summaries.meta.numeric_edges.get(feature, [])
    bins = ctx.table("numeric_bins", segment=segment, value=value, feature=feature)
    last = len(edges)
    oor = cube(bins, ctx.days, "count", [("bin", [0, last])]).sum(axis=1) if edges else 0 * nulls
    binned = cube(bins, ctx.days, "count")
    total = np.maximum(count, binned) + nulls
    return nulls + oor, total, nulls


def _moments(ctx: Context, feature: str, mask: np.ndarray) -> tuple[float, float, float]:
    """Mean, variance and count of a numeric feature over the masked buckets."""
    mom = ctx.table("numeric_moments", feature=feature)
    n = cube(mom, ctx.days, "count")[mask].sum()
    s = cube(mom, ctx.days, "sum")[mask].sum()
    ss = cube(mom, ctx.days, "sum_sq")[mask].sum()
    if n < 2:
        return math.nan, math.nan, 0.0
    mean = s / n
    return float(mean), float(max(ss / n - mean * mean, 0.0)), float(n)


def _describe_numeric(ctx: Context, feature: str, post: np.ndarray) -> str:
    mom = ctx.table("numeric_moments", feature=feature)
    ref = ctx.days.ref
    mins, maxs = column(mom, "min"), column(mom, "max")
    idx = ctx.days.index(mom)
    ok = idx >= 0
    rmin = np.nanmin(np.where(ref[idx] & ok, mins, np.inf))
    rmax = np.nanmax(np.where(ref[idx] & ok, maxs, -np.inf))
    pmin = np.nanmin(np.where(post[idx] & ok, mins, np.inf))
    pmax = np.nanmax(np.where(post[idx] & ok, maxs, -np.inf))
    words = f"range [{rmin:.4g}, {rmax:.4g}] in the reference, [{pmin:.4g}, {pmax:.4g}] after"
    if rmax > 0 and pmax > rmax:
        k = math.log10(pmax / rmax)
        if abs(k - round(k)) < 0.3 and round(k) >= 1:
            words += f" (max x{10 ** round(k):g}: a unit change?)"
    if pmin < rmin and pmin == round(pmin) and pmin < 0 <= rmin:
        words += f" (sentinel value {pmin:g}?)"
    return words


def _malformed(
    feature: str, z: float, ev: str, on: ChangeOnset, p0: float, p1: float, daily: FloatArray
) -> Candidate:
    """A schema-change candidate: one feature's malformed share rose from ``p0`` to ``p1``."""
    return Candidate(
        "schema_change",
        z,
        ev,
        features=[feature],
        effect=p1 - p0,
        numbers={"malformed_ref": p0, "malformed_post": p1},
        series={"malformed": list(np.nan_to_num(daily))},
    ).dated(on)


def schema_change(ctx: Context) -> list[Candidate]:
    """Representation breaks: null floods, out-of-range values, unseen categories, swaps."""
    out: list[Candidate] = []
    for f in ctx.features("numeric"):
        bad, total, nulls = _malformed_numeric(ctx, f)
        # n reference values leave a new value from the same distribution outside their
        # range with probability 2 / (n + 1): a tiny reference's range is no firm bound
        n_ref = float((total - nulls)[ctx.days.ref].sum())
        on, p0, p1, _, z = proportion_change(bad, total, ctx, extra=2.0 / (n_ref + 1.0))
        if on is None or not p1 - p0 >= MIN_MALFORMED:
            continue
        post = np.arange(ctx.days.n) >= on.index
        null_share = float(nulls[post].sum() / max(bad[post].sum(), 1))
        what = "nulls" if null_share > 0.5 else "values outside the reference range"
        ev = (
            f"{f}: {_pct(p1)} of rows are {what} from {ctx.days.iso(on.index)[:10]} "
            f"vs {_pct(p0)} in the reference (z={z:.1f}); {_describe_numeric(ctx, f, post)}"
        )
        out.append(_malformed(f, z, ev, on, p0, p1, bad / np.maximum(total, 1)))
    for f in ctx.features("categorical"):
        cat = ctx.table("categorical", feature=f)
        total = cube(cat, ctx.days, "count")
        bad = cube(cat, ctx.days, "count", [("category", ["__unseen__", "__null__"])])
        on, p0, p1, _, z = proportion_change(bad.sum(axis=1), total, ctx)
        if on is None or not p1 - p0 >= MIN_MALFORMED:
            continue
        post = np.arange(ctx.days.n) >= on.index
        top = ctx.table("unseen", feature=f)
        names = sorted({str(v) for v in column(top, "value")})[:5] if top.num_rows else []
        kind = "null" if bad[post, 1].sum() > bad[post, 0].sum() else "unseen"
        ev = (
            f"{f}: {_pct(p1)} of rows are {kind} categories from {ctx.days.iso(on.index)[:10]} "
            f"vs {_pct(p0)} in the reference (z={z:.1f})"
            + (f"; new values {', '.join(names)}" if names and kind == "unseen" else "")
        )
        out.append(_malformed(f, z, ev, on, p0, p1, bad.sum(1) / np.maximum(total, 1)))
    for swap in _swaps(ctx):
        # a swap explains the out-of-range values it puts in either column: one finding
        parts = [c for c in out if set(c.features) <= set(swap.features)]
        if swap.z >= Z_HALF and parts:
            strongest = max(parts, key=lambda c: c.z)
            swap.z = max(swap.z, strongest.z)
            swap.evidence += "; " + "; ".join(c.evidence for c in parts)
            out = [c for c in out if c not in parts]
        out.append(swap)
    return out


#: Misfit (z) of a column's variance to the swap's mixture above which it is no swap.
MAX_VARIANCE_MISFIT = 5.0
#: Relative misfit of that variance below which it is never rejected (the mixture is exact
#: only for a clean swap; a ramp or a swap inside a segment bends it a little).
MIN_VARIANCE_MISFIT = 0.1


def _variance_spread(ctx: Context, feature: str) -> float:
    """``Var(sample variance) * n / variance^2`` of a feature over the reference days.

    For normal data this is 2; heavy tails and day-to-day swings raise it. It
    scales the standard error of a variance measured on any number of rows.
    """
    mom = ctx.table("numeric_moments", feature=feature)
    n_d, s_d, ss_d = (cube(mom, ctx.days, c) for c in ("count", "sum", "sum_sq"))
    ref = ctx.days.ref & (n_d > 1)
    if ref.sum() < 3:
        return math.inf
    m_d = s_d[ref] / n_d[ref]
    v_d = np.maximum(ss_d[ref] / n_d[ref] - m_d**2, 0.0)
    v = float(v_d.mean())
    if v <= 0:
        return math.inf
    return max(2.0, float(np.mean((v_d - v) ** 2 * n_d[ref])) / v**2)


def _variance_misfit(
    ctx: Context, feature: str, post: np.ndarray, predicted: float, spread: float
) -> float:
    """z of the post-onset variance of ``feature`` against ``predicted`` (0 when close)."""
    _, var1, n1 = _moments(ctx, feature, post)
    if n1 < 2 or not math.isfinite(var1) or predicted <= 0 or not math.isfinite(spread):
        return 0.0
    rel = abs(var1 - predicted) / predicted
    if rel < MIN_VARIANCE_MISFIT:
        return 0.0
    return rel / math.sqrt(spread / n1)


def _swaps(ctx: Context) -> list[Candidate]:
    """Two numeric features whose means moved towards each other by the same fraction."""
    feats = ctx.features("numeric")
    ref = ctx.days.ref
    cur = ~ref
    stats_ref = {f: _moments(ctx, f, ref) for f in feats}
    daily: dict[str, tuple[FloatArray, FloatArray]] = {}
    for f in feats:
        mom = ctx.table("numeric_moments", feature=f)
        daily[f] = (cube(mom, ctx.days, "sum"), cube(mom, ctx.days, "count"))
    out: list[Candidate] = []
    for i, a in enumerate(feats):
        for b in feats[i + 1 :]:
            ma, va, na = stats_ref[a]
            mb, vb, nb = stats_ref[b]
            if not (na > 1 and nb > 1) or ma == mb:
                continue
            sa, ca = daily[a]
            sb, cb = daily[b]
            with np.errstate(invalid="ignore", divide="ignore"):
                fa = (sa / ca - ma) / (mb - ma)
                fb = (sb / cb - mb) / (ma - mb)
            x = np.nan_to_num((fa + fb) / 2)
            on = change_onset(x, np.minimum(ca, cb), start=ctx.start)
            post = np.arange(ctx.days.n) >= (on.index if on else ctx.start)
            post &= cur
            ma1, _, na1 = _moments(ctx, a, post)
            mb1, _, nb1 = _moments(ctx, b, post)
            if not (na1 > 1 and nb1 > 1):
                continue
            fa1, fb1 = (ma1 - ma) / (mb - ma), (mb1 - mb) / (ma - mb)
            se_a = math.sqrt(va / na1 + va / na + vb / na1) / abs(mb - ma)
            se_b = math.sqrt(vb / nb1 + vb / nb + va / nb1) / abs(ma - mb)
            za, zb = fa1 / max(se_a, 1e-12), fb1 / max(se_b, 1e-12)
            diff = abs(fa1 - fb1) / math.hypot(se_a, se_b)
            if min(fa1, fb1) <= MIN_MALFORMED or diff > 4:
                continue
            # a swap of a share w makes each column a mixture of the two: its variance follows;
            # a class mix or covariate change that happens to move two means together does not
            w = (fa1 + fb1) / 2
            spread = max(_variance_spread(ctx, a), _variance_spread(ctx, b))
            mix = w * (1 - w) * (ma - mb) ** 2
            z_var = max(
                _variance_misfit(ctx, a, post, (1 - w) * va + w * vb + mix, spread),
                _variance_misfit(ctx, b, post, (1 - w) * vb + w * va + mix, spread),
            )
            if z_var > MAX_VARIANCE_MISFIT:
                continue
            z = min(za, zb) - max(0.0, diff - 2)
            day = ctx.days.iso(on.index if on else ctx.start)[:10]
            ev = (
                f"{a} and {b} look swapped from {day}: "
                f"mean of {a} {ma:.4g} -> {ma1:.4g} and of {b} {mb:.4g} -> {mb1:.4g}, "
                f"each moved {_pct(fa1)} / {_pct(fb1)} of the way to the other (z={z:.1f})"
            )
            out.append(
                Candidate(
                    "schema_change",
                    z,
                    ev,
                    features=[a, b],
                    effect=(fa1 + fb1) / 2,
                    numbers={"fraction_a": fa1, "fraction_b": fb1},
                    series={"swap_fraction": list(x)},
                ).dated(on)
            )
    return out


def _daily_log_quantile(hist: FloatArray, bins: np.ndarray, q: float, lg: float) -> FloatArray:
    """Log of the ``q`` quantile per day from log-bin counts (``bins`` sorted)."""
    cum = np.cumsum(hist, axis=1)
    tot = cum[:, -1:]
    idx = np.argmax(cum >= q * np.maximum(tot, 1e-300), axis=1)
    out = bins[idx].astype(np.float64) * lg
    out[tot[:, 0] <= 0] = np.nan
    return np.asarray(out)


def _latency_shift(
    ctx: Context, segment: str, value: str
) -> tuple[float, float, ChangeOnset | None]:
    lat = ctx.table("latency", segment=segment, value=value)
    if lat.num_rows == 0:
        return 0.0, 0.0, None
    bins = np.unique(column(lat, "bin")).astype(np.int64)
    bins = bins[bins > -32768]
    hist = cube(lat, ctx.days, "count", [("bin", bins.tolist())])
    a = ctx.summaries.meta.latency_accuracy
    lg = math.log((1 + a) / (1 - a))
    best: tuple[float, float, ChangeOnset | None] = (0.0, 0.0, None)
    ref = ctx.days.ref
    for q in (0.5, 0.9):
        x = _daily_log_quantile(hist, bins, q, lg)
        xr = x[ref & np.isfinite(x)]
        if xr.size < 3:
            continue
        sd = float(np.std(xr, ddof=1)) + lg
        on = change_onset(x, np.isfinite(x).astype(float), start=ctx.start)
        if on is None:
            continue
        post = (np.arange(ctx.days.n) >= on.index) & np.isfinite(x)
        shift = float(np.mean(x[post]) - np.mean(xr))
        z = shift / (sd * math.sqrt(1 / max(post.sum(), 1) + 1 / xr.size))
        if abs(z) > abs(best[1]):
            best = (shift, z, on)
    return best


def latency_regression(ctx: Context) -> list[Candidate]:
    """Daily median / p90 latency rising against the reference's day-to-day spread."""
    shift, z, on = _latency_shift(ctx, "", "")
    if on is None or shift < math.log1p(MIN_LATENCY):
        return []
    segment = None
    for col in ctx.summaries.meta.segments:
        vals = ctx.segment_values(col)
        shifts = {v: _latency_shift(ctx, col, v) for v in vals}
        best = max(shifts, key=lambda v: shifts[v][0])
        rest = [s[0] for v, s in shifts.items() if v != best]
        if rest and shifts[best][0] > 3 * max(max(rest), 0.0) + math.log1p(MIN_LATENCY):
            segment = {col: best}
            shift, z, on = shifts[best][0], shifts[best][1], shifts[best][2] or on
            break
    ev = (
        f"latency x{math.exp(shift):.2f} from {ctx.days.iso(on.index)[:10]} "
        f"(daily log-quantile shift {shift:.3f}, z={z:.1f} against the reference's "
        "day-to-day spread)"
        + (f", only in {next(iter(segment))}={next(iter(segment.values()))}" if segment else "")
    )
    return [
        Candidate(
            "latency_regression",
            z,
            ev,
            segment=segment,
            effect=math.exp(shift) - 1,
            numbers={"latency_ratio": math.exp(shift)},
        ).dated(on)
    ]


def _lag_daily(
    ctx: Context, label: int, segment: str, value: str
) -> tuple[np.ndarray, FloatArray] | None:
    """Label-lag values (seconds, sorted) and their counts per bucket for one class."""
    lag = ctx.table("label_lag", segment=segment, value=value, label=label)
    if lag.num_rows == 0:
        return None
    bins = np.unique(column(lag, "bin")).astype(np.int64)
    daily = cube(lag, ctx.days, "count", [("bin", bins.tolist())])
    a = ctx.summaries.meta.latency_accuracy
    gamma = (1 + a) / (1 - a)
    vals = np.where(bins == -32768, 0.0, 2 * gamma ** bins.astype(np.float64) / (gamma + 1))
    order = np.argsort(vals)
    return vals[order], daily[:, order]


def _cdf(hist: FloatArray) -> FloatArray:
    return np.asarray(np.cumsum(hist) / max(float(hist.sum()), 1e-300))


def _lags_follow_weekday(
    ctx: Context, vals: np.ndarray, daily: FloatArray, wd: npt.NDArray[np.int64]
) -> bool:
    """Whether the reference's lag distribution clearly differs between weekdays.

    A weekday's few reference buckets give a noisier CDF than all of them, so
    weekday CDFs are used only when the weekdays differ (G-test, z >= Z_IN).
    Lags are compared up to the age of the youngest reference bucket, which
    every reference bucket has lived to (older buckets saw longer lags).
    """
    from modelward.analyses.triage.localise import Z_IN

    ref = ctx.days.ref
    youngest = (ctx.as_of - ctx.days.starts[ref].max() - ctx.days.width) / np.timedelta64(1, "s")
    seen = vals <= youngest
    rows = []
    for w in np.unique(wd[ref]):
        h = daily[ref & (wd == w)].sum(axis=0)
        rows.append(np.append(h[seen], h[~seen].sum()))
    table = np.asarray(rows)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2 or (table.sum(axis=1) <= 0).any():
        return False
    g, _, dof, _ = chi2_contingency(table, lambda_="log-likelihood", correction=False)
    return g_to_z(float(g), int(dof)) >= Z_IN


def _bucket_ages(ctx: Context) -> FloatArray:
    """Age at ``as_of`` (seconds) of 8 evenly spread instants of each bucket: (bucket, 8)."""
    width_s = ctx.days.width / np.timedelta64(1, "s")
    ages = (ctx.as_of - ctx.days.starts) / np.timedelta64(1, "s")
    return np.asarray(ages[:, None] - ((np.arange(8) + 0.5) / 8)[None, :] * width_s)


def _arrived(
    ctx: Context, label: int, segment: str, value: str, *, by_weekday: bool = True
) -> FloatArray:
    """Per bucket, the share of class ``label``'s labels in by ``as_of`` (over the bucket's span).

    With daily buckets and ``by_weekday``, each bucket reads the lags of the
    reference buckets of its own weekday (when they hold labels of the
    class): where labels are given on working days, a Friday's labels wait
    out the weekend, in the reference as now.
    """
    got = _lag_daily(ctx, label, segment, value)
    if got is None:
        return np.ones(ctx.days.n)
    vals, daily = got
    age = _bucket_ages(ctx)
    pooled = _cdf(daily[ctx.days.ref].sum(axis=0))
    out = np.interp(age, vals, pooled, left=0.0, right=1.0).mean(axis=1)
    wd = ctx.days.weekday
    if by_weekday and wd is not None and _lags_follow_weekday(ctx, vals, daily, wd):
        for w in np.unique(wd):
            mine = daily[ctx.days.ref & (wd == w)].sum(axis=0)
            if mine.sum() > 0:
                rows = wd == w
                out[rows] = np.interp(age[rows], vals, _cdf(mine), left=0.0, right=1.0).mean(1)
    return np.asarray(out)


def arrived_share(ctx: Context, label: int) -> FloatArray | None:
    """Per bucket, the share of class ``label``'s eventual labels in by ``as_of``.

    From the reference's lag distribution of that class, averaged over the
    bucket's span; None when the reference has no lag of that class.
    """
    if ctx.table("label_lag", label=label).num_rows == 0:
        return None
    return _arrived(ctx, label, "", "", by_weekday=False)


def _expected_labels(ctx: Context, segment: str, value: str) -> tuple[FloatArray, FloatArray]:
    """Daily (observed, expected) labelled rows at each bucket's age, by class.

    Each class has its own coverage and lags, so the expectation needs each
    bucket's class mix, which is only estimated: by the EM weight of P(score)
    (wrong when P(score | y) moved, as under a covariate drift), by the score
    sum (wrong when calibration moved) or as the reference's mix (wrong under
    a prior shift). The least expectation of the three is used, so a shortfall
    of labels is claimed only when no plausible class mix explains it.
    """
    ref = ctx.days.ref
    n = ctx.vol("n", segment=segment, value=value)
    lab = ctx.vol("n_labelled", segment=segment, value=value)
    pos = ctx.vol("label_sum", segment=segment, value=value)
    pi = ctx.positive_weight() if segment == "" else None
    mixes = [n * pi] if pi is not None else []
    ssum = ctx.vol("score_sum", segment=segment, value=value)
    if ssum.sum() > 0:
        mixes.append(ssum)
    mixes += [n * (m[ref].sum() / max(n[ref].sum(), 1e-300)) for m in list(mixes)]
    if not mixes:  # no score: one class
        mixes = [np.zeros_like(n)]
    arrived = {cls: _arrived(ctx, cls, segment, value) for cls in (0, 1)}
    best: FloatArray | None = None
    for mix in mixes:
        expected = np.zeros(ctx.days.n)
        for cls, weight, labelled in ((1, mix, pos), (0, n - mix, lab - pos)):
            w_ref = weight[ref].sum()
            if w_ref <= 0:
                continue
            expected += weight * (labelled[ref].sum() / w_ref) * arrived[cls]
        if best is None or expected[~ref].sum() < best[~ref].sum():
            best = expected
    assert best is not None
    return lab, best


def _lag_counts(
    ctx: Context, onset: int, segment: str = "", value: str = ""
) -> tuple[float, float, float, FloatArray, FloatArray]:
    """(observed, expected, variance) of late arrivals from ``onset``, and their daily series.

    For each bucket and each class, the reference lag distribution (of the
    same segment value) is truncated at the bucket's age; the labels that
    arrived above its median are counted against the truncated reference's
    share (binomial).
    """
    ages = (ctx.as_of - ctx.days.starts - ctx.days.width / 2) / np.timedelta64(1, "s")
    obs = exp = var = 0.0
    d_obs, d_exp = np.zeros(ctx.days.n), np.zeros(ctx.days.n)
    for cls in (0, 1):
        got = _lag_daily(ctx, cls, segment, value)
        if got is None:
            continue
        vals, hist = got
        ref = hist[ctx.days.ref].sum(axis=0)
        for d in range(ctx.days.n):
            if hist[d].sum() < 1:
                continue
            ok = vals <= ages[d]
            r = np.where(ok, ref, 0.0)
            if r.sum() <= 0:
                continue
            cum = np.cumsum(r) / r.sum()
            k = int(np.searchsorted(cum, 0.5))
            p_above = float(1 - cum[k])
            n_d = float(hist[d][ok].sum())
            above = float(hist[d][ok][k + 1 :].sum()) if ok.any() else 0.0
            d_obs[d] += above
            d_exp[d] += n_d * p_above
            if d >= onset and not ctx.days.ref[d]:
                obs += above
                exp += n_d * p_above
                var += n_d * p_above * (1 - p_above)
    return obs, exp, var, d_obs, d_exp


def _lag_z(obs: float, exp: float, var: float) -> float:
    return (obs - exp) / math.sqrt(var) if var > 0 else 0.0


def _lag_shift(
    ctx: Context, onset: int, segment: str = "", value: str = ""
) -> tuple[float, float, FloatArray, FloatArray]:
    """z that labels of each class arrived slower than the reference's lags cut at the same age."""
    obs, exp, var, d_obs, d_exp = _lag_counts(ctx, onset, segment, value)
    if var <= 0:
        return 0.0, 0.0, d_obs, d_exp
    return _lag_z(obs, exp, var), obs / max(exp, 1e-9) - 1, d_obs, d_exp


def _delay_segment(ctx: Context, onset: int) -> dict[str, str] | None:
    """The segment value whose label deficit explains the global one (rest: its siblings).

    A delay of every label hits segments unevenly (those whose labels
    usually come fast lose the most due labels), so a deficit concentrated in
    one value is not enough: the labels of the rest must also have kept the
    reference's lags (each value against its own reference, summed).
    """
    from modelward.analyses.triage.localise import Z_OUT, explains

    post = ~ctx.days.ref & (np.arange(ctx.days.n) >= onset)
    best: tuple[float, dict[str, str]] | None = None
    for col in ctx.summaries.meta.segments:
        vals = ctx.segment_values(col)
        if len(vals) < 2:
            continue
        per = {v: _expected_labels(ctx, col, v) for v in vals}
        lags: dict[str, tuple[float, float, float]] = {}
        for v in vals:
            o_in, e_in = per[v][0][post].sum(), per[v][1][post].sum()
            o_out = sum(per[u][0][post].sum() for u in vals if u != v)
            e_out = sum(per[u][1][post].sum() for u in vals if u != v)
            if e_in < 1 or e_out < 1:
                continue
            z_in, z_out = (e_in - o_in) / math.sqrt(e_in), (e_out - o_out) / math.sqrt(e_out)
            if z_out > 0 and (e_out - o_out) / e_out < MIN_DEFICIT:
                z_out = min(z_out, 0.0)  # a deficit too small to report is no deficit
            if not explains(z_in=z_in, n_in=e_in, z_out=z_out, n_out=e_out):
                continue
            if not lags:
                lags.update({u: _lag_counts(ctx, onset, col, u)[:3] for u in vals})
            o_lag, e_lag, v_lag = np.sum([lags[u] for u in vals if u != v], axis=0)
            if _lag_z(float(o_lag), float(e_lag), float(v_lag)) < Z_OUT:
                score = z_in - max(z_out, 0.0)
                if best is None or score > best[0]:
                    best = (score, {col: v})
    return best[1] if best else None


#: Fewest current buckets with labels due that a label delay must span.
MIN_DELAY_BUCKETS = 2


def label_delay(ctx: Context) -> list[Candidate]:
    """Fewer labels than the reference's lag distribution predicts at each bucket's age.

    Without label timestamps there is no lag distribution: the young buckets'
    normal shortfall could not be told from a delay, so none is claimed.
    """
    if ctx.vol("n_labelled")[ctx.days.ref].sum() <= 0:
        return []
    if not ctx.summaries.meta.roles.get("label_time"):
        return []

    def deficit(segment: str, value: str) -> tuple[float, float, ChangeOnset | None, float, float]:
        obs, exp = _expected_labels(ctx, segment, value)
        cur = ~ctx.days.ref & (exp >= 1)
        if cur.sum() < 2:
            return 0.0, 0.0, None, 0.0, 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(exp > 0, obs / exp, np.nan)
        ratio[ctx.days.ref] = 1.0
        on = change_onset(ratio, np.where(exp >= 1, exp, 0.0), start=ctx.start)
        post = cur & (np.arange(ctx.days.n) >= (on.index if on else ctx.start))
        o, e = float(obs[post].sum()), float(exp[post].sum())
        if e <= 0 or post.sum() < MIN_DELAY_BUCKETS:
            # a shortfall in the newest bucket alone rests on the thin left tail of the
            # reference's lags (and on when in the bucket the traffic came): too young to call
            return 0.0, 0.0, None, 0.0, 0.0
        z = (e - o) / math.sqrt(e)
        return 1 - o / e, z, on, o, e

    drop, z, on, o, e = deficit("", "")
    if on is None or drop < MIN_DEFICIT:
        return []
    z_lag, slower, d_obs, d_exp = _lag_shift(ctx, on.index)
    if z_lag > 6:  # the lag shift dates the onset better than coverage, which old buckets hide
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.where(d_exp > 0, d_obs / d_exp, np.nan)
        lag_on = change_onset(x, d_exp, start=ctx.start)
        if lag_on is not None and lag_on.index < on.index:
            on = lag_on
    segment = _delay_segment(ctx, on.index)
    where = ""
    if segment is not None:
        # pooled, the labels that still arrive lean toward the segments whose labels
        # were not delayed (and may come faster): read the lags inside the delayed one
        ((col, val),) = segment.items()
        z_lag, slower, _, _ = _lag_shift(ctx, on.index, col, val)
        where = f" in {col}={val}"
    against = ""
    if z_lag < 0:
        # a delay moves arrivals later; labels arriving earlier than the reference's
        # (truncated) lags point to fewer labels, not late ones
        z = min(z, z + z_lag)
        against = (
            "; the labels that did arrive came earlier, not later, which speaks against a delay"
        )
    ev = (
        f"{o:.0f} labels arrived for predictions from {ctx.days.iso(on.index)[:10]} on, "
        f"where the reference's coverage and lag distribution (by class) predict {e:.0f} "
        f"at the same age: -{_pct(drop)}; within each class the labels that did arrive "
        f"took longer than the reference's lags cut at the same age "
        f"({_pct(slower)} beyond the reference's conditional median{where}, z={z_lag:.1f})"
    )
    return [
        Candidate(
            "label_delay",
            z,
            ev + against,
            segment=segment,
            effect=drop,
            numbers={"labels_observed": o, "labels_expected": e},
        ).dated(on)
    ]

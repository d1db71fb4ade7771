"""Label noise confined to one label source, from the summaries' bounded row sample.

The count tables have no label-source breakdown, so this reads the ``sample``
table (a bounded, uniform bottom-k sample per bucket, every column). For each
label source, P(y | score decile) after the onset is compared with the same
source's reference (per-decile 2 x 2 G-tests, summed: no direction assumed,
since flips can raise or lower a source's agreement with the scores). A
change of P(y | x) moves every source alike; broken labelling moves one. A
source is named when its change is clear, the other sources' pooled change
is not, and the difference between the two is clear.

Examples
--------
>>> import numpy as np
>>> round(welch_z(np.array([0.1, 0.2, 0.1, 0.2]), np.array([0.5, 0.6, 0.5, 0.6])), 2)
9.8
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import Candidate, FloatArray, g_homogeneity, g_to_z
from modelward.analyses.triage.localise import Z_GAP, Z_OUT, explains
from modelward.analyses.triage.onset import change_onset
from modelward.analyses.triage.signals import column

__all__ = ["MIN_ROWS", "calibration_z", "source_noise", "welch_z"]

#: Fewest labelled sample rows per source and side (before / after) to test it.
MIN_ROWS = 30
#: Score groups (reference sample quantiles) for P(y | score).
GROUPS = 10
#: Quantile of the reference's label lag after which a bucket's labels count as arrived.
MATURE_Q = 0.9


def welch_z(before: FloatArray, after: FloatArray) -> float:
    """Welch z of ``mean(after) - mean(before)`` (0 when either side has < 2 values)."""
    if before.size < 2 or after.size < 2:
        return 0.0
    se = math.sqrt(before.var(ddof=1) / before.size + after.var(ddof=1) / after.size)
    d = float(after.mean() - before.mean())
    return d / se if se > 0 else 0.0


def calibration_z(
    y: FloatArray, group: npt.NDArray[np.int64], before: npt.NDArray[np.bool_]
) -> float:
    """z of a change of P(y | group) between ``before`` and the other rows (summed G-tests)."""
    g_tot, df_tot = 0.0, 0
    for k in np.unique(group):
        here = group == k
        b, a = y[here & before], y[here & ~before]
        if b.size == 0 or a.size == 0:
            continue
        g, df, _ = g_homogeneity([b.sum(), b.size - b.sum()], [a.sum(), a.size - a.sum()])
        g_tot, df_tot = g_tot + g, df_tot + df
    return g_to_z(g_tot, df_tot) if df_tot > 0 else 0.0


def flip_rate(y: FloatArray, p: FloatArray) -> tuple[float, float]:
    """Maximum-likelihood share ``f`` of flipped labels, and its standard error.

    A row whose label would be 1 with probability ``p`` shows 1 with
    ``q = p + f (1 - 2p)`` when a share ``f`` of labels is flipped at random;
    ``f`` is searched on [0, 0.5] and its error is the Fisher information's.
    Unlike a test statistic, ``f`` is on the same scale for a large and a
    small source, so a source can be compared with the rest directly.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.0, 0.3, 20_000)
    >>> y = (rng.random(p.size) < p).astype(float)
    >>> flip = rng.random(p.size) < 0.2
    >>> f, se = flip_rate(np.where(flip, 1 - y, y), p)
    >>> abs(f - 0.2) < 3 * se
    True
    """
    if y.size == 0:
        return 0.0, math.inf
    p = np.clip(p, 1e-3, 1 - 1e-3)
    grid = np.linspace(0.0, 0.5, 501)
    q = p[None, :] + grid[:, None] * (1 - 2 * p)[None, :]
    ll = np.log(q) @ y + np.log1p(-q) @ (1 - y)
    f = float(grid[int(np.argmax(ll))])
    qf = p + f * (1 - 2 * p)
    info = float(np.sum((1 - 2 * p) ** 2 / (qf * (1 - qf))))
    return f, (1 / math.sqrt(info) if info > 0 else math.inf)


def _reference_p(
    sources: npt.NDArray[np.object_],
    y: FloatArray,
    group: npt.NDArray[np.int64],
    before: npt.NDArray[np.bool_],
) -> FloatArray:
    """Each row's reference P(y = 1) in its (source, score group), smoothed by half a label."""
    p = np.full(y.size, 0.5)
    for name in set(sources.tolist()):
        mine = sources == name
        for k in np.unique(group[mine]):
            cell = mine & (group == k)
            ref = cell & before
            p[cell] = (y[ref].sum() + 0.5) / (ref.sum() + 1.0)
    return p


def _rows(
    ctx: Context, where: dict[str, str] | None = None
) -> tuple[npt.NDArray[np.object_], FloatArray, FloatArray, FloatArray] | None:
    """Per labelled, scored sample row (of segment ``where``): (source, label, score, day)."""
    roles = ctx.summaries.meta.roles
    src, label, score = roles.get("label_source"), roles.get("label"), roles.get("score")
    if not (src and label and score) or ctx.summaries.meta.task != "binary":
        return None
    sample = ctx.summaries.tables.get("sample")
    if sample is None or sample.num_rows == 0:
        return None
    if not {src, label, score} <= set(sample.column_names):
        return None
    ok = np.ones(sample.num_rows, dtype=bool)
    for name in (src, label, score):
        ok &= np.asarray(sample.column(name).is_valid().to_numpy(zero_copy_only=False))
    day = ctx.days.index(sample).astype(np.float64)
    y = np.asarray(sample.column(label).fill_null(0).to_numpy(zero_copy_only=False), np.float64)
    s = np.asarray(sample.column(score).fill_null(0).to_numpy(zero_copy_only=False), np.float64)
    ok &= (day >= 0) & np.isfinite(s)
    ok &= _mature(ctx, sample, day)
    for col, val in (where or {}).items():
        if col not in sample.column_names:
            return None
        ok &= np.asarray([str(v) == val for v in sample.column(col).to_pylist()], dtype=bool)
    sources = np.asarray([str(v) for v in sample.column(src).to_pylist()], dtype=object)
    return sources[ok], y[ok], s[ok], day[ok]


def _mature(ctx: Context, sample: pa.Table, day: FloatArray) -> npt.NDArray[np.bool_]:
    """Rows of buckets old enough that their labels have (nearly) all arrived.

    Labels of recent buckets are a biased part of their rows (the quick ones),
    and sources differ in speed; so only buckets older than the reference's
    :data:`MATURE_Q` label lag (from the sample's own timestamps) are compared.
    """
    roles = ctx.summaries.meta.roles
    t_col, lt_col = roles.get("time"), roles.get("label_time")
    keep = np.ones(day.size, dtype=bool)
    if not (t_col and lt_col) or not {t_col, lt_col} <= set(sample.column_names):
        return keep
    t = column(sample, t_col).astype("datetime64[us]")
    lt = column(sample, lt_col).astype("datetime64[us]")
    valid = np.asarray(sample.column(lt_col).is_valid().to_numpy(zero_copy_only=False))
    ref_rows = valid & (day >= 0) & ctx.days.ref[np.clip(day.astype(np.int64), 0, None)]
    if ref_rows.sum() < MIN_ROWS:
        return keep
    lag = (lt[ref_rows] - t[ref_rows]) / np.timedelta64(1, "s")
    horizon = np.timedelta64(int(np.quantile(lag, MATURE_Q) * 1e6), "us")
    ends = ctx.days.starts + ctx.days.width
    mature_day = ends + horizon <= ctx.as_of
    return np.asarray(mature_day[np.clip(day.astype(np.int64), 0, None)] | (day < 0))


def _dated(ctx: Context, mine: npt.NDArray[np.bool_], err: FloatArray, day: FloatArray) -> int:
    """Onset of one source's daily mean disagreement ``|y - s|`` (step or ramp)."""
    n = np.bincount(day[mine].astype(np.int64), minlength=ctx.days.n).astype(np.float64)
    tot = np.bincount(day[mine].astype(np.int64), weights=err[mine], minlength=ctx.days.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where(n > 0, tot / np.maximum(n, 1.0), np.nan)
    on = change_onset(x, n, start=ctx.start)
    return on.index if on is not None else ctx.start


def source_noise(ctx: Context, where: dict[str, str] | None = None) -> Candidate | None:
    """A label source whose P(y | score) changed after the onset, alone (in segment ``where``)."""
    got = _rows(ctx, where)
    if got is None:
        return None
    sources, y, s, day = got
    names = sorted(set(sources.tolist()))
    before = day < ctx.start
    if len(names) < 2 or before.sum() < MIN_ROWS:
        return None
    edges = np.unique(np.quantile(s[before], np.linspace(0, 1, GROUPS + 1)[1:-1]))
    group = np.searchsorted(edges, s, side="right").astype(np.int64)
    zs: dict[str, float] = {}
    for name in names:
        mine = sources == name
        if (mine & before).sum() < MIN_ROWS or (mine & ~before).sum() < MIN_ROWS:
            continue
        zs[name] = calibration_z(y[mine], group[mine], before[mine])
    if len(zs) < 2:
        return None
    best = max(zs, key=lambda k: zs[k])
    mine = sources == best
    err = np.abs(y - s)
    start = _dated(ctx, mine, err, day)
    keep = before | (day >= start)
    z_in = calibration_z(y[mine & keep], group[mine & keep], before[mine & keep])
    rest = ~mine & keep
    z_rest = calibration_z(y[rest], group[rest], before[rest])
    n_in, n_rest = float((mine & ~before & keep).sum()), float((rest & ~before).sum())
    if not explains(z_in=z_in, n_in=n_in, z_out=z_rest, n_out=n_rest):
        return None
    # The z of a G-test grows slower than sqrt(n) at small effects, so a big source
    # can pass `explains` while small ones share the flips: compare flip rates too.
    p = _reference_p(sources, y, group, before)
    after = ~before & keep
    f_in, se_in = flip_rate(y[mine & after], p[mine & after])
    f_rest, se_rest = flip_rate(y[rest & after], p[rest & after])
    if not (f_in - f_rest) / math.hypot(se_in, se_rest) >= Z_GAP or f_rest / se_rest >= Z_OUT:
        return None
    z = z_in
    m0, m1 = float(err[mine & before].mean()), float(err[mine & (day >= start)].mean())
    col = str(ctx.summaries.meta.roles.get("label_source"))
    ev = (
        f"in the row sample, labels from {col}={best} changed against the scores from "
        f"{ctx.days.iso(start)[:10]}: P(y | score decile) moved (z={z_in:.1f}; mean "
        f"|label - score| {m0:.3f} -> {m1:.3f}), while in the other sources it did not "
        f"(z={z_rest:.1f}; share of flipped labels {f_in:.2f} vs {f_rest:.2f})"
    )
    return Candidate(
        "label_noise",
        z,
        ev,
        onset=start,
        segment={col: best},
        effect=m1 - m0,
        numbers={"z_source": z_in, "z_rest": z_rest, "flip_source": f_in, "flip_rest": f_rest},
    )

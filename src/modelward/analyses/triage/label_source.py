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
from modelward.analyses.triage.localise import explains
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


def _rows(
    ctx: Context,
) -> tuple[npt.NDArray[np.object_], FloatArray, FloatArray, FloatArray] | None:
    """Per labelled, scored sample row: (source, label, score, day index)."""
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


def source_noise(ctx: Context) -> Candidate | None:
    """A label source whose P(y | score) changed after the onset, alone."""
    got = _rows(ctx)
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
    z = z_in
    m0, m1 = float(err[mine & before].mean()), float(err[mine & (day >= start)].mean())
    col = str(ctx.summaries.meta.roles.get("label_source"))
    ev = (
        f"in the row sample, labels from {col}={best} changed against the scores from "
        f"{ctx.days.iso(start)[:10]}: P(y | score decile) moved (z={z_in:.1f}; mean "
        f"|label - score| {m0:.3f} -> {m1:.3f}), while in the other sources it did not "
        f"(z={z_rest:.1f})"
    )
    return Candidate(
        "label_noise",
        z,
        ev,
        onset=start,
        segment={col: best},
        effect=m1 - m0,
        numbers={"z_source": z_in, "z_rest": z_rest},
    )

"""Label noise confined to one label source, from the summaries' bounded row sample.

The count tables have no label-source breakdown, so this reads the ``sample``
table (a bounded, uniform bottom-k sample per bucket, every column). For each
label source, the disagreement of a labelled row with its score,
``|label - score|``, is averaged before and after the onset. Flipped labels
raise it most on confidently scored rows; a change of P(y | x) raises it in
every source alike. A source is named when its rise is clear and larger than
the other sources' rise by a clear margin (Welch z's).

Examples
--------
>>> import numpy as np
>>> welch_z(np.array([0.1, 0.2, 0.1, 0.2]), np.array([0.5, 0.6, 0.5, 0.6]))
7.0
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import Candidate, FloatArray
from modelward.analyses.triage.onset import change_onset
from modelward.analyses.triage.signals import column

__all__ = ["MIN_ROWS", "source_noise", "welch_z"]

#: Fewest labelled sample rows per source and side (before / after) to test it.
MIN_ROWS = 30


def welch_z(before: FloatArray, after: FloatArray) -> float:
    """Welch z of ``mean(after) - mean(before)`` (0 when either side has < 2 values)."""
    if before.size < 2 or after.size < 2:
        return 0.0
    se = math.sqrt(before.var(ddof=1) / before.size + after.var(ddof=1) / after.size)
    d = float(after.mean() - before.mean())
    return d / se if se > 0 else 0.0


def _disagreement(ctx: Context) -> tuple[npt.NDArray[np.object_], FloatArray, FloatArray] | None:
    """Per labelled, scored sample row: (source, |label - score|, day index)."""
    roles = ctx.summaries.meta.roles
    src, label, score = roles.get("label_source"), roles.get("label"), roles.get("score")
    if not (src and label and score) or ctx.summaries.meta.task != "binary":
        return None
    sample = ctx.summaries.tables.get("sample")
    if sample is None or sample.num_rows == 0:
        return None
    if not {src, label, score} <= set(sample.column_names):
        return None
    lab_valid = np.asarray(sample.column(label).is_valid().to_numpy(zero_copy_only=False))
    src_valid = np.asarray(sample.column(src).is_valid().to_numpy(zero_copy_only=False))
    sc_valid = np.asarray(sample.column(score).is_valid().to_numpy(zero_copy_only=False))
    day = ctx.days.index(sample).astype(np.float64)
    y = column(sample, label).astype(np.float64)
    s = column(sample, score).astype(np.float64)
    ok = lab_valid & src_valid & sc_valid & (day >= 0) & np.isfinite(s)
    sources = np.asarray([str(v) for v in sample.column(src).to_pylist()], dtype=object)
    return sources[ok], np.abs(y[ok] - s[ok]), day[ok]


def _dated(ctx: Context, mine: npt.NDArray[np.bool_], err: FloatArray, day: FloatArray) -> int:
    """Onset of one source's daily mean disagreement (step or ramp)."""
    n = np.bincount(day[mine].astype(np.int64), minlength=ctx.days.n).astype(np.float64)
    tot = np.bincount(day[mine].astype(np.int64), weights=err[mine], minlength=ctx.days.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where(n > 0, tot / np.maximum(n, 1.0), np.nan)
    on = change_onset(x, n, start=ctx.start)
    return on.index if on is not None else ctx.start


def source_noise(ctx: Context) -> Candidate | None:
    """A label source whose labels disagree with the scores more after the onset, alone."""
    got = _disagreement(ctx)
    if got is None:
        return None
    sources, err, day = got
    names = sorted(set(sources.tolist()))
    if len(names) < 2:
        return None
    before = day < ctx.start
    after = ~before
    rises: dict[str, tuple[float, float, float, FloatArray, FloatArray]] = {}
    for name in names:
        mine = sources == name
        b, a = err[mine & before], err[mine & after]
        if b.size < MIN_ROWS or a.size < MIN_ROWS:
            continue
        rises[name] = (welch_z(b, a), float(b.mean()), float(a.mean()), b, a)
    if len(rises) < 2:
        return None
    best = max(rises, key=lambda k: rises[k][0])
    start = _dated(ctx, sources == best, err, day)
    after = day >= start
    b, a = err[(sources == best) & before], err[(sources == best) & after]
    if a.size < MIN_ROWS:
        return None
    rises[best] = (welch_z(b, a), float(b.mean()), float(a.mean()), b, a)
    z_in, m0, m1, _, _ = rises[best]
    rest = ~(sources == best)
    b_rest, a_rest = err[rest & before], err[rest & after]
    z_rest = welch_z(b_rest, a_rest)
    # difference of the rises (difference in differences), Welch
    d_in, d_rest = m1 - m0, float(a_rest.mean() - b_rest.mean())
    se = math.sqrt(
        sum(x.var(ddof=1) / x.size for x in (rises[best][3], rises[best][4], b_rest, a_rest))
    )
    z_diff = (d_in - d_rest) / se if se > 0 else 0.0
    z = min(z_in, z_diff) - max(0.0, z_rest - 3.0)
    col = str(ctx.summaries.meta.roles.get("label_source"))
    ev = (
        f"in the row sample, labels from {col}={best} disagree with the scores more from "
        f"{ctx.days.iso(start)[:10]}: mean |label - score| {m0:.3f} -> {m1:.3f} "
        f"(z={z_in:.1f}, n={rises[best][4].size}), against {d_rest:+.3f} in the other sources "
        f"(z={z_rest:.1f}; difference z={z_diff:.1f})"
    )
    return Candidate(
        "label_noise",
        z,
        ev,
        onset=start,
        segment={col: best},
        effect=d_in,
        numbers={"disagreement_before": m0, "disagreement_after": m1, "z_rest": z_rest},
    )

"""Data health against the reference: schema, values, volume and labels, from summaries only.

Every check compares each current bucket (all traffic and every segment value)
with the merged reference window, and raises a :class:`HealthIssue` when its
condition *holds*: a test statistic of at least :data:`Z` (about p < 3e-5 one
sided, strict because features x segments x buckets make many tests) **and**
an effect above a floor, in at least two consecutive buckets or in the last
bucket. ``since`` is the first bucket of the first such run; ``evidence``
gives the numbers over the buckets from ``since`` on. A segment-level issue is
dropped when the same kind of issue holds for the same feature on all traffic.

Checks and severities
---------------------
- ``column_added`` (info), ``column_missing`` (critical for a role or feature
  column, else warning), ``type_changed`` (warning): ``meta.schema`` against
  ``meta.reference_schema`` (a separate reference log).
- ``null_rate``: null share up by >= 0.05 (two-proportion z-test). Critical
  when up by >= 0.25, else warning.
- ``out_of_range`` / ``unit_jump`` / ``sentinel``: the share of rows below
  the reference minimum or above its maximum (the under/overflow bins) up by
  >= 0.01. Classified as ``sentinel`` when the extreme value on that side is
  identical in every flagged bucket (a constant such as -999), as
  ``unit_jump`` when the current extreme is >= 5x the reference's (or <= 1/5
  for positive features), the factor given as the nearest power of ten (10 to
  1e6 or their inverses), else ``out_of_range``. Sentinels and unit jumps are
  critical; ``out_of_range`` is a warning from an excess share of 0.05, info
  below.
- ``unseen_categories``: share of values never seen in the reference up by
  >= 0.01, with examples. Warning from 0.05, info below.
- ``volume_drop`` / ``volume_spike`` / ``segment_missing``: rows per bucket
  against the reference mean of the same day of week (daily buckets; the
  overall mean otherwise), on a log scale with the reference's own
  day-to-day spread plus Poisson noise. A drop to <= 0.7x is a warning
  (critical at <= 0.3x), a spike to >= 2x a warning; a segment value with
  rows in the reference and none in a bucket where >= 10 were expected is
  ``segment_missing`` (critical).
  Volume issues of a segment column that itself has a null or unseen-value
  issue are dropped (its rows moved, they did not vanish), as is a
  ``volume_drop`` beside a ``segment_missing`` of the same segment.
- ``label_coverage``: share of labelled rows below what the reference's
  label-lag distribution predicts for a bucket of that age (labels still on
  their way are expected), by >= 0.1 absolute and to <= 0.7x. Warning,
  critical at <= 0.3x.

Examples
--------
>>> Z, first_run([False, True, True, False])
(4.0, 1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from modelward.analyses._frame import (
    ALL,
    FloatArray,
    Frame,
    bucket_width,
    frame,
    hist,
    numeric_edges,
    to_datetime,
)
from modelward.analyses.results import (
    DayOfWeekVolume,
    HealthIssue,
    HealthResult,
    LabelPoint,
    Severity,
    VolumePoint,
)
from modelward.engine.summaries import Summaries
from modelward.stats import log_bin_value, quantiles_from_log_bins

__all__ = ["Z", "analyse_health", "first_run"]

#: z-score a check must reach in a bucket.
Z = 4.0
NULL_FLOOR = 0.05
RANGE_FLOOR = 0.01
UNSEEN_FLOOR = 0.01
SENTINELS = (-999999.0, -99999.0, -9999.0, -999.0, -99.0, -1.0, 999.0, 9999.0, 99999.0)

_Evidence = dict[str, float | int | str | list[str] | list[float] | None]


def first_run(hold: Sequence[bool] | npt.NDArray[np.bool_]) -> int | None:
    """Index of the first bucket starting two consecutive holds, or the last bucket if it holds."""
    h = [bool(x) for x in hold]
    for i, x in enumerate(h):
        if x and (i == len(h) - 1 or h[i + 1]):
            return i
    return None


def _z_prop(k1: FloatArray, n1: FloatArray, k0: float, n0: float) -> FloatArray:
    """One-sided two-proportion z of ``k1 / n1`` above ``k0 / n0``, per bucket."""
    p0 = k0 / n0 if n0 > 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n1 > 0, k1 / n1, 0.0)
        pooled = (k1 + k0) / (n1 + n0)
        pooled = np.maximum(pooled, 0.5 / (n1 + n0))
        se = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(n1, 1) + 1 / max(n0, 1)))
        z = np.where(se > 0, (p1 - p0) / se, 0.0)
    return np.asarray(z, dtype=np.float64)


class _Ctx:
    def __init__(self, summaries: Summaries) -> None:
        self.meta = summaries.meta
        self.vol = frame(summaries, "volume")
        buckets = self.vol["bucket"] if len(self.vol) else np.array([], "datetime64[us]")
        windows = self.vol["window"] if len(self.vol) else np.array([], object)
        self.ref_buckets = np.unique(buckets[windows == "reference"])
        self.cur_buckets = np.unique(buckets[windows == "current"])

    def cur_index(self, buckets: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        return np.searchsorted(self.cur_buckets, buckets).astype(np.int64)

    def per_bucket(self, f: Frame, value: str) -> FloatArray:
        """Sum of ``value`` per current bucket (0 where absent)."""
        out = np.zeros(self.cur_buckets.size)
        if len(f):
            np.add.at(out, self.cur_index(f["bucket"]), np.asarray(f[value], dtype=np.float64))
        return out


def _issue(
    kind: str,
    severity: Severity,
    *,
    key: tuple[str, str],
    since: object,
    message: str,
    feature: str | None = None,
    evidence: _Evidence | None = None,
) -> HealthIssue:
    return HealthIssue(
        kind=kind,
        severity=severity,
        feature=feature,
        segment=key[0],
        segment_value=key[1],
        since=to_datetime(since) if since is not None else None,
        message=message,
        evidence=evidence or {},
    )


def _where(key: tuple[str, str]) -> str:
    return "" if key == ALL else f" in {key[0]}={key[1]}"


def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd)


# --------------------------------------------------------------------- schema


def _schema(ctx: _Ctx) -> list[HealthIssue]:
    meta = ctx.meta
    cur, ref = meta.schema, meta.reference_schema
    since = ctx.cur_buckets[0] if ctx.cur_buckets.size else None
    used = {c for c in meta.roles.values() if c} | {f["name"] for f in meta.features}
    out = []
    for col in sorted(set(cur) - set(ref)):
        out.append(
            _issue(
                "column_added",
                "info",
                key=ALL,
                since=since,
                feature=col,
                message=f"New column {col!r} ({cur[col]}) not in the reference.",
                evidence={"type": cur[col]},
            )
        )
    for col in sorted(set(ref) - set(cur)):
        sev: Severity = "critical" if col in used else "warning"
        out.append(
            _issue(
                "column_missing",
                sev,
                key=ALL,
                since=since,
                feature=col,
                message=f"Column {col!r} ({ref[col]}) of the reference is missing.",
                evidence={"type": ref[col]},
            )
        )
    for col in sorted(set(ref) & set(cur)):
        if ref[col] != cur[col]:
            out.append(
                _issue(
                    "type_changed",
                    "warning",
                    key=ALL,
                    since=since,
                    feature=col,
                    message=f"Column {col!r} changed type from {ref[col]} to {cur[col]}.",
                    evidence={"reference_type": ref[col], "current_type": cur[col]},
                )
            )
    return out


# ---------------------------------------------------------------------- nulls


def _proportion_issue(
    ctx: _Ctx,
    *,
    kind: str,
    key: tuple[str, str],
    feature: str,
    k_ref: float,
    n_ref: float,
    k_cur: FloatArray,
    n_cur: FloatArray,
    floor: float,
) -> tuple[int, _Evidence] | None:
    """First run where ``k/n`` is above the reference share by >= floor with z >= Z."""
    if n_ref <= 0:
        return None
    p0 = k_ref / n_ref
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n_cur > 0, k_cur / n_cur, 0.0)
    z = _z_prop(k_cur, n_cur, k_ref, n_ref)
    hold = (n_cur > 0) & (z >= Z) & (p1 - p0 >= floor)
    i = first_run(hold)
    if i is None:
        return None
    k, n = float(k_cur[i:].sum()), float(n_cur[i:].sum())
    return i, {
        "reference_rate": _r(p0),
        "current_rate": _r(k / n if n else 0.0),
        "first_bucket_rate": _r(p1[i]),
        "z": _r(z[i], 2),
        "buckets_flagged": int(hold[i:].sum()),
        "rows": int(n),
    }


def _numeric_checks(ctx: _Ctx, summaries: Summaries) -> list[HealthIssue]:
    mom = frame(summaries, "numeric_moments")
    nb = frame(summaries, "numeric_bins")
    nb_groups = {k: g for k, g in nb.groups("segment", "segment_value", "feature")}
    out: list[HealthIssue] = []
    for (seg, val, feat), g in mom.groups("segment", "segment_value", "feature"):
        key = (str(seg), str(val))
        ref = g.eq(window="reference")
        cur = g.eq(window="current")
        if len(ref) == 0 or len(cur) == 0:
            continue
        count = ctx.per_bucket(cur, "count")
        nulls = ctx.per_bucket(cur, "nulls")
        ref_count = float(np.sum(ref["count"]))
        ref_nulls = float(np.sum(ref["nulls"]))
        res = _proportion_issue(
            ctx,
            kind="null_rate",
            key=key,
            feature=feat,
            k_ref=ref_nulls,
            n_ref=ref_count + ref_nulls,
            k_cur=nulls,
            n_cur=count + nulls,
            floor=NULL_FLOOR,
        )
        if res is not None:
            out.append(_null_issue(ctx, key, feat, *res))
        bins = nb_groups.get((seg, val, feat))
        edges = numeric_edges(summaries, feat)
        if bins is not None and edges.size >= 1:
            out += _range_checks(ctx, key, feat, edges, ref, cur, bins)
    return out


def _null_issue(ctx: _Ctx, key: tuple[str, str], feat: str, i: int, ev: _Evidence) -> HealthIssue:
    up = float(ev["current_rate"] or 0) - float(ev["reference_rate"] or 0)  # type: ignore[arg-type]
    sev: Severity = "critical" if up >= 0.25 else "warning"
    return _issue(
        "null_rate",
        sev,
        key=key,
        feature=feat,
        since=ctx.cur_buckets[i],
        evidence=ev,
        message=f"{feat} null rate {ev['reference_rate']:.1%} -> {ev['current_rate']:.1%}"
        f"{_where(key)} since {to_datetime(ctx.cur_buckets[i]).date()}.",
    )


def _extreme(f: Frame, column: str, idx: npt.NDArray[np.int64], n: int, op: str) -> FloatArray:
    out = np.full(n, np.nan)
    vals = np.asarray(f[column], dtype=np.float64)
    for j, v in zip(idx, vals, strict=True):
        if math.isfinite(v):
            cur = out[j]
            out[j] = v if not math.isfinite(cur) else (min(cur, v) if op == "min" else max(cur, v))
    return out


def _range_checks(
    ctx: _Ctx,
    key: tuple[str, str],
    feat: str,
    edges: FloatArray,
    ref: Frame,
    cur: Frame,
    bins: Frame,
) -> list[HealthIssue]:
    m = edges.size
    rb = bins.eq(window="reference")
    cb = bins.eq(window="current")
    ref_h = hist(rb, "bin", m + 1)
    n_ref = float(ref_h.sum())
    if n_ref == 0:
        return []
    nb_cur = ctx.cur_buckets.size
    total = ctx.per_bucket(cb, "count")
    under = ctx.per_bucket(cb.where(np.asarray(cb["bin"]) == 0), "count")
    over = ctx.per_bucket(cb.where(np.asarray(cb["bin"]) == m), "count")
    idx = ctx.cur_index(cur["bucket"])
    cur_min = _extreme(cur, "min", idx, nb_cur, "min")
    cur_max = _extreme(cur, "max", idx, nb_cur, "max")
    ref_min = float(np.nanmin(np.asarray(ref["min"], dtype=np.float64)))
    ref_max = float(np.nanmax(np.asarray(ref["max"], dtype=np.float64)))
    out = []
    for side, k_cur, k_ref in (("below", under, ref_h[0]), ("above", over, ref_h[m])):
        res = _proportion_issue(
            ctx,
            kind="out_of_range",
            key=key,
            feature=feat,
            k_ref=float(k_ref),
            n_ref=n_ref,
            k_cur=k_cur,
            n_cur=total,
            floor=RANGE_FLOOR,
        )
        if res is None:
            continue
        i, ev = res
        ext = (cur_min if side == "below" else cur_max)[i:]
        flagged = (k_cur[i:] > 0) & np.isfinite(ext)
        extremes = ext[flagged]
        ref_ext = ref_min if side == "below" else ref_max
        ev.update(
            reference_min=_r(ref_min, 6),
            reference_max=_r(ref_max, 6),
            current_extreme=_r(float(extremes.min() if side == "below" else extremes.max()), 6)
            if extremes.size
            else None,
        )
        since = ctx.cur_buckets[i]
        day = to_datetime(since).date()
        excess = float(ev["current_rate"] or 0) - float(ev["reference_rate"] or 0)  # type: ignore[arg-type]
        constant = extremes.size >= 2 and bool(np.all(extremes == extremes[0]))
        if extremes.size and (constant or float(extremes[0]) in SENTINELS):
            ev["sentinel"] = float(extremes[0])
            out.append(
                _issue(
                    "sentinel",
                    "critical",
                    key=key,
                    feature=feat,
                    since=since,
                    evidence=ev,
                    message=f"{feat}: {excess:.1%} of rows hold the constant {extremes[0]:g} "
                    f"{side} the reference range{_where(key)} since {day}.",
                )
            )
            continue
        factor = _unit_factor(side, extremes, ref_ext)
        if factor is not None:
            ev["factor"] = factor
            ev["mean_ratio"] = _mean_ratio(ref, cur, i, idx)
            out.append(
                _issue(
                    "unit_jump",
                    "critical",
                    key=key,
                    feature=feat,
                    since=since,
                    evidence=ev,
                    message=f"{feat} values x{factor:g} (unit change?): {excess:.1%} of rows "
                    f"{side} the reference range{_where(key)} since {day}.",
                )
            )
            continue
        sev: Severity = "warning" if excess >= 0.05 else "info"
        out.append(
            _issue(
                "out_of_range",
                sev,
                key=key,
                feature=feat,
                since=since,
                evidence=ev,
                message=f"{feat}: {excess:.1%} more rows {side} the reference range"
                f"{_where(key)} since {day}.",
            )
        )
    return out


def _unit_factor(side: str, extremes: FloatArray, ref_ext: float) -> float | None:
    """Nearest power of ten of current / reference extreme, if >= 5x away (else None)."""
    if extremes.size == 0 or not math.isfinite(ref_ext) or ref_ext == 0:
        return None
    if side == "above":
        cur = float(extremes.max())
        if ref_ext < 0 or cur <= 0:
            return None
        ratio = cur / ref_ext
    else:
        cur = float(extremes.min())
        if ref_ext < 0 or cur <= 0:
            return None
        ratio = cur / ref_ext
    lg = math.log10(ratio)
    k = round(lg)
    if abs(lg) < math.log10(5) or k == 0 or abs(k) > 6:
        return None
    return float(10.0**k)


def _mean_ratio(ref: Frame, cur: Frame, i: int, idx: npt.NDArray[np.int64]) -> float | None:
    rs, rc = float(np.sum(ref["sum"])), float(np.sum(ref["count"]))
    mask = idx >= i
    cs = float(np.sum(np.asarray(cur["sum"], dtype=np.float64)[mask]))
    cc = float(np.sum(np.asarray(cur["count"], dtype=np.float64)[mask]))
    if rc == 0 or cc == 0 or rs == 0:
        return None
    return _r((cs / cc) / (rs / rc))


# ----------------------------------------------------------------- categories


def _categorical_checks(ctx: _Ctx, summaries: Summaries) -> list[HealthIssue]:
    cat = frame(summaries, "categorical")
    uns = frame(summaries, "unseen")
    uns_groups = {
        k: g for k, g in uns.eq(window="current").groups("segment", "segment_value", "feature")
    }
    out: list[HealthIssue] = []
    for (seg, val, feat), g in cat.groups("segment", "segment_value", "feature"):
        key = (str(seg), str(val))
        ref = g.eq(window="reference")
        cur = g.eq(window="current")
        if len(ref) == 0 or len(cur) == 0:
            continue
        n_ref = float(np.sum(ref["count"]))
        n_cur = ctx.per_bucket(cur, "count")
        for kind, category, floor in (
            ("null_rate", "__null__", NULL_FLOOR),
            ("unseen_categories", "__unseen__", UNSEEN_FLOOR),
        ):
            k_ref = float(np.sum(ref.eq(category=category)["count"]))
            k_cur = ctx.per_bucket(cur.eq(category=category), "count")
            res = _proportion_issue(
                ctx,
                kind=kind,
                key=key,
                feature=feat,
                k_ref=k_ref,
                n_ref=n_ref,
                k_cur=k_cur,
                n_cur=n_cur,
                floor=floor,
            )
            if res is None:
                continue
            i, ev = res
            if kind == "null_rate":
                out.append(_null_issue(ctx, key, feat, i, ev))
                continue
            examples: list[str] = []
            ug = uns_groups.get((seg, val, feat))
            if ug is not None and len(ug):
                totals: dict[str, float] = {}
                for v, c in zip(ug["value"], ug["count"], strict=True):
                    totals[str(v)] = totals.get(str(v), 0.0) + float(c)
                examples = sorted(totals, key=lambda v: (-totals[v], v))[:5]
            ev["examples"] = examples
            excess = float(ev["current_rate"] or 0) - float(ev["reference_rate"] or 0)  # type: ignore[arg-type]
            sev: Severity = "warning" if excess >= 0.05 else "info"
            shown = ", ".join(repr(e) for e in examples[:3])
            out.append(
                _issue(
                    "unseen_categories",
                    sev,
                    key=key,
                    feature=feat,
                    since=ctx.cur_buckets[i],
                    evidence=ev,
                    message=f"{feat}: {ev['current_rate']:.1%} of values unseen in the reference"
                    f"{_where(key)} (e.g. {shown}) since {to_datetime(ctx.cur_buckets[i]).date()}.",
                )
            )
    return out


# --------------------------------------------------------------------- volume


def _dow(buckets: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    days = buckets.astype("datetime64[D]").astype(np.int64)
    return ((days + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday (3)


def _volume(
    ctx: _Ctx,
) -> tuple[list[VolumePoint], list[DayOfWeekVolume], list[HealthIssue]]:
    vol = ctx.vol
    points: list[VolumePoint] = []
    dows: list[DayOfWeekVolume] = []
    issues: list[HealthIssue] = []
    if len(vol) == 0:
        return points, dows, issues
    daily = ctx.meta.bucket == "day"
    for (seg, val), g in vol.groups("segment", "segment_value"):
        key = (str(seg), str(val))
        for b, n, nl in zip(g["bucket"], g["n"], g["n_labelled"], strict=True):
            points.append(
                VolumePoint(
                    bucket=to_datetime(b),
                    segment=key[0],
                    segment_value=key[1],
                    n=int(n),
                    n_labelled=int(nl),
                )
            )
        ref = g.eq(window="reference")
        cur = g.eq(window="current")
        ref_n = np.zeros(ctx.ref_buckets.size)
        if len(ref):
            np.add.at(
                ref_n,
                np.searchsorted(ctx.ref_buckets, ref["bucket"]),
                np.asarray(ref["n"], dtype=np.float64),
            )
        cur_n = ctx.per_bucket(cur, "n")
        ref_dow, cur_dow = _dow(ctx.ref_buckets), _dow(ctx.cur_buckets)
        ref_means = (
            {d: float(ref_n[ref_dow == d].mean()) for d in range(7) if np.any(ref_dow == d)}
            if daily
            else {}
        )
        overall = float(ref_n.mean()) if ref_n.size else 0.0
        for d in range(7 if daily else 0):
            cm = cur_n[cur_dow == d]
            dows.append(
                DayOfWeekVolume(
                    segment=key[0],
                    segment_value=key[1],
                    day_of_week=d,
                    reference_mean=ref_means.get(d),
                    current_mean=float(cm.mean()) if cm.size else None,
                )
            )
        if overall <= 0 or ctx.cur_buckets.size == 0:
            continue
        exp_ref = (
            np.array([ref_means.get(int(d), overall) for d in ref_dow])
            if daily
            else (np.full(ref_n.size, overall))
        )
        expected = (
            np.array([ref_means.get(int(d), overall) for d in cur_dow])
            if daily
            else (np.full(cur_n.size, overall))
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            resid = np.log((ref_n + 0.5) / np.maximum(exp_ref, 0.5))
        spread = 1.4826 * float(np.median(np.abs(resid - np.median(resid)))) if resid.size else 0
        sigma = max(spread, 0.05)
        ratio = cur_n / np.maximum(expected, 1e-9)
        z = np.log((cur_n + 0.5) / np.maximum(expected, 0.5)) / np.sqrt(
            sigma**2 + 1 / np.maximum(expected, 0.5)
        )
        ok = expected >= 5
        for kind, hold in (
            ("segment_missing", ok & (cur_n == 0) & (expected >= 10) & (key != ALL)),
            ("volume_drop", ok & (ratio <= 0.7) & (z <= -Z)),
            ("volume_spike", ok & (ratio >= 2.0) & (z >= Z)),
        ):
            i = first_run(hold)
            if i is None:
                continue
            since = ctx.cur_buckets[i]
            r = float(cur_n[i:].sum() / expected[i:].sum())
            ev: _Evidence = {
                "expected_per_bucket": _r(float(expected[i:].mean()), 2),
                "observed_per_bucket": _r(float(cur_n[i:].mean()), 2),
                "ratio": _r(r),
                "first_bucket_ratio": _r(ratio[i]),
                "z": _r(z[i], 2),
                "buckets_flagged": int(hold[i:].sum()),
                "reference_spread_log": _r(sigma),
            }
            day = to_datetime(since).date()
            name = "all traffic" if key == ALL else f"{key[0]}={key[1]}"
            if kind == "segment_missing":
                issues.append(
                    _issue(
                        kind,
                        "critical",
                        key=key,
                        since=since,
                        evidence=ev,
                        message=f"No rows from {name} since {day} "
                        f"(~{expected[i]:.0f} expected per bucket).",
                    )
                )
            elif kind == "volume_drop":
                sev: Severity = "critical" if r <= 0.3 else "warning"
                issues.append(
                    _issue(
                        kind,
                        sev,
                        key=key,
                        since=since,
                        evidence=ev,
                        message=f"Volume of {name} at {r:.0%} of the reference "
                        f"level (same weekday) since {day}.",
                    )
                )
            else:
                issues.append(
                    _issue(
                        kind,
                        "warning",
                        key=key,
                        since=since,
                        evidence=ev,
                        message=f"Volume of {name} at {r:.1f}x the reference "
                        f"level (same weekday) since {day}.",
                    )
                )
    points.sort(key=lambda p: (p.segment, p.segment_value, p.bucket))
    return points, dows, issues


# --------------------------------------------------------------------- labels


def _labels(ctx: _Ctx, summaries: Summaries) -> tuple[list[LabelPoint], list[HealthIssue]]:
    vol = ctx.vol.eq(segment="", segment_value="") if len(ctx.vol) else ctx.vol
    lag = frame(summaries, "label_lag")
    lag = lag.eq(segment="") if len(lag) else lag
    acc = ctx.meta.latency_accuracy
    points: list[LabelPoint] = []
    if len(vol) == 0 or ctx.meta.roles.get("label") is None:
        return points, []
    lag_by_bucket = {b: g for (b,), g in lag.groups("bucket")} if len(lag) else {}
    buckets = np.asarray(vol["bucket"])
    order = np.argsort(buckets)
    for j in order:
        b, n, nl = buckets[j], float(vol["n"][j]), float(vol["n_labelled"][j])
        g = lag_by_bucket.get(to_datetime(b))
        med = p90 = None
        if g is not None and float(np.sum(g["count"])) > 0:
            q = quantiles_from_log_bins(g["bin"], g["count"], [0.5, 0.9], accuracy=acc)
            med, p90 = float(q[0]), float(q[1])
        points.append(
            LabelPoint(
                bucket=to_datetime(b),
                coverage=nl / n if n else None,
                median_lag_seconds=med,
                p90_lag_seconds=p90,
            )
        )
    return points, _coverage_issue(ctx, vol, lag, acc)


def _coverage_issue(ctx: _Ctx, vol: Frame, lag: Frame, acc: float) -> list[HealthIssue]:
    ref_lag = lag.eq(window="reference") if len(lag) else lag
    if len(ref_lag) == 0 or ctx.cur_buckets.size == 0:
        return []
    uniq, inv = np.unique(np.asarray(ref_lag["bin"], dtype=np.int64), return_inverse=True)
    counts = np.bincount(inv, weights=np.asarray(ref_lag["count"], dtype=np.float64))
    values = log_bin_value(uniq, accuracy=acc)
    cdf = np.cumsum(counts) / counts.sum()
    width = bucket_width(ctx.meta.bucket)
    as_of = (
        max(
            ctx.cur_buckets[-1],
            ctx.ref_buckets[-1] if ctx.ref_buckets.size else ctx.cur_buckets[-1],
        )
        + width
    )
    width_s = width / np.timedelta64(1, "s")
    fractions = (np.arange(8) + 0.5) / 8

    def maturity(b: npt.NDArray[Any]) -> FloatArray:
        age = (as_of - b) / np.timedelta64(1, "s")
        ages = age[:, None] - fractions[None, :] * width_s
        idx = np.searchsorted(values, ages, side="right")
        f = np.where(idx > 0, cdf[np.maximum(idx - 1, 0)], 0.0)
        return np.asarray(f.mean(axis=1), dtype=np.float64)

    ref = vol.eq(window="reference")
    cur = vol.eq(window="current")
    n_ref = np.asarray(ref["n"], dtype=np.float64)
    m_ref = maturity(np.asarray(ref["bucket"]))
    denom = float(np.sum(n_ref * m_ref))
    if denom <= 0:
        return []
    rate = min(float(np.sum(ref["n_labelled"])) / denom, 1.0)
    n = ctx.per_bucket(cur, "n")
    nl = ctx.per_bucket(cur, "n_labelled")
    expected = rate * maturity(ctx.cur_buckets)
    with np.errstate(divide="ignore", invalid="ignore"):
        obs = np.where(n > 0, nl / n, np.nan)
        se = np.sqrt(np.maximum(expected * (1 - expected), 1e-6) / np.maximum(n, 1))
        z = (expected - obs) / se
    hold = (n > 0) & (expected - obs >= 0.1) & (obs <= 0.7 * expected) & (z >= Z)
    i = first_run(hold)
    if i is None:
        return []
    ratio = float(np.nansum(nl[i:]) / max(float(np.sum(expected[i:] * n[i:])), 1e-9))
    sev: Severity = "critical" if ratio <= 0.3 else "warning"
    since = ctx.cur_buckets[i]
    return [
        _issue(
            "label_coverage",
            sev,
            key=ALL,
            since=since,
            evidence={
                "expected_coverage": _r(expected[i]),
                "observed_coverage": _r(obs[i]),
                "ratio_since": _r(ratio),
                "z": _r(z[i], 2),
                "buckets_flagged": int(hold[i:].sum()),
                "eventual_label_rate": _r(rate),
            },
            message=f"Label coverage at {ratio:.0%} of what the reference label lag predicts "
            f"since {to_datetime(since).date()} (labels late or missing).",
        )
    ]


# ----------------------------------------------------------------------- main


def _dedupe(issues: list[HealthIssue]) -> list[HealthIssue]:
    overall = {(i.kind, i.feature) for i in issues if i.segment == ""}
    kept = [i for i in issues if i.segment == "" or (i.kind, i.feature) not in overall]
    # a segment column broken by nulls or unseen values moves rows out of its segments
    broken = {i.feature for i in kept if i.kind in ("null_rate", "unseen_categories")}
    missing = {(i.segment, i.segment_value) for i in kept if i.kind == "segment_missing"}
    kept = [
        i
        for i in kept
        if not (i.kind in ("volume_drop", "segment_missing") and i.segment in broken)
        and not (i.kind == "volume_drop" and (i.segment, i.segment_value) in missing)
    ]
    rank = {"critical": 0, "warning": 1, "info": 2, "ok": 3}
    far = datetime.max
    return sorted(
        kept,
        key=lambda i: (
            rank[i.severity],
            i.since or far,
            i.kind,
            i.feature or "",
            i.segment,
            i.segment_value,
        ),
    )


def analyse_health(summaries: Summaries) -> HealthResult:
    """Schema, value, volume and label health of the current window against the reference.

    Parameters
    ----------
    summaries
        Summaries with a reference and a current window.

    Returns
    -------
    HealthResult
        Issues ordered by severity then onset, volume per bucket and segment,
        day-of-week means and label coverage and lag per bucket.
    """
    ctx = _Ctx(summaries)
    issues = _schema(ctx)
    if ctx.cur_buckets.size:
        issues += _numeric_checks(ctx, summaries)
        issues += _categorical_checks(ctx, summaries)
    volume, dows, vol_issues = _volume(ctx)
    labels, label_issues = _labels(ctx, summaries)
    return HealthResult(
        issues=_dedupe(issues + vol_issues + label_issues),
        volume=volume,
        day_of_week=dows,
        labels=labels,
    )

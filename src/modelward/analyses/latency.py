"""Latency percentiles per window, bucket and segment, from the log-spaced latency bins.

p50, p95 and p99 are read from the ``latency`` table with
:func:`modelward.stats.quantiles_from_log_bins` (rank definition
``"inverted_cdf"``: the ``ceil(q n)``-th smallest latency, as
``numpy.quantile(..., method="inverted_cdf")``); each is within relative
error ``meta.latency_accuracy`` (default 1 %) of that exact order statistic
(DDSketch). The maximum is exact (``volume.latency_max``).

**Regression rule.** The current window has *regressed* when both hold:

1. its p99 exceeds the reference p99 by more than :data:`REGRESSION_FACTOR`
   (1.2, i.e. +20 %), far beyond the 2 x accuracy the bins can blur;
2. it is not noise: let ``T`` be the reference p99 bin; the share of current
   rows above ``T`` minus the share of reference rows above ``T`` has a
   MOVER interval (from two Wilson intervals at ``confidence``) above 0.

Examples
--------
>>> import datetime as dt, numpy as np, pyarrow as pa
>>> from modelward.io import read_log
>>> from modelward.engine.duckdb_engine import DuckDBEngine
>>> rng = np.random.default_rng(0)
>>> n = 2000
>>> day = np.arange(n) % 10
>>> lat = rng.lognormal(3, 0.3, n) * np.where(day >= 5, 2.0, 1.0)
>>> t = pa.table({"prediction_id": [str(i) for i in range(n)],
...               "timestamp": [dt.datetime(2026, 1, 1 + int(d)) for d in day],
...               "prediction": rng.normal(size=n), "latency_ms": lat})
>>> res = analyse_latency(DuckDBEngine().summarise(read_log(t), reference_end="2026-01-05"))
>>> res.regressed, round(res.current.p50 / res.reference.p50, 1)
(True, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelward._exceptions import ConfigError
from modelward.analyses._cubes import group_index
from modelward.analyses.results import LatencyPoint, LatencyResult
from modelward.engine.summaries import Summaries
from modelward.stats import quantiles_from_log_bins, wilson_interval

__all__ = ["QUANTILES", "REGRESSION_FACTOR", "analyse_latency"]

#: The percentiles reported.
QUANTILES = (0.5, 0.95, 0.99)
#: Current p99 must exceed the reference p99 by this factor to count as a regression.
REGRESSION_FACTOR = 1.2


def _points(
    summaries: Summaries, cols: Sequence[str], all_traffic: bool, kind: str | None
) -> dict[tuple[Any, ...], tuple[LatencyPoint, np.ndarray, np.ndarray]]:
    """Latency points per group of ``cols``, with each group's merged (bins, counts)."""
    acc = summaries.meta.latency_accuracy
    lat = summaries.table("latency")
    vol = summaries.table("volume")
    seg_all = pc.equal(lat["segment"], "")
    lat = lat.filter(seg_all if all_traffic else pc.invert(seg_all))
    vseg = pc.equal(vol["segment"], "")
    vol = vol.filter(vseg if all_traffic else pc.invert(vseg))
    vgid, vkeys = group_index(vol, cols)
    n = np.bincount(vgid, weights=_f64(vol, "latency_n"), minlength=len(vkeys))
    mx_raw = _f64(vol, "latency_max")
    mx = np.full(len(vkeys), -np.inf)
    ok = ~np.isnan(mx_raw)
    np.maximum.at(mx, vgid[ok], mx_raw[ok])
    gid, keys = group_index(lat, cols)
    bins = np.asarray(lat["bin"].to_numpy(zero_copy_only=False), np.int64)
    counts = _f64(lat, "count")
    order = np.argsort(gid, kind="stable")
    splits = np.searchsorted(gid[order], np.arange(1, len(keys)))
    per_group: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {} if not keys else dict(
        zip(keys, zip(np.split(bins[order], splits), np.split(counts[order], splits),
                      strict=True), strict=True)
    )  # fmt: skip
    out = {}
    for i, key in enumerate(vkeys):
        if n[i] <= 0:
            continue
        b, c = per_group.get(key, (np.zeros(0, np.int64), np.zeros(0)))
        qs = (
            quantiles_from_log_bins(b, c, QUANTILES, accuracy=acc)
            if c.sum() > 0
            else np.full(len(QUANTILES), np.nan)
        )
        rec = dict(zip(cols, key, strict=True))
        bucket = rec.get("bucket")
        point = LatencyPoint(
            window=kind or str(rec["window"]),
            bucket=bucket if isinstance(bucket, datetime) else None,
            segment=str(rec.get("segment", "")),
            segment_value=str(rec.get("segment_value", "")),
            n=round(float(n[i])),
            p50=_num(qs[0]),
            p95=_num(qs[1]),
            p99=_num(qs[2]),
            max=_num(mx[i]),
        )
        out[key] = (point, b, c)
    return out


def _f64(tab: pa.Table, name: str) -> np.ndarray:
    arr = tab[name].to_numpy(zero_copy_only=False)
    return np.asarray(arr, dtype=np.float64)


def _num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _exceed(b: np.ndarray, c: np.ndarray, threshold_bin: int) -> tuple[float, float]:
    return float(c[b > threshold_bin].sum()), float(c.sum())


def _regressed(
    ref: tuple[LatencyPoint, np.ndarray, np.ndarray],
    cur: tuple[LatencyPoint, np.ndarray, np.ndarray],
    *,
    factor: float,
    confidence: float,
    accuracy: float,
) -> bool:
    rp, rb, rc = ref
    cp, cb, cc = cur
    if rp.p99 is None or cp.p99 is None or rp.p99 <= 0:
        return False
    if cp.p99 <= factor * rp.p99:
        return False
    gamma = (1 + accuracy) / (1 - accuracy)
    t_bin = round(math.log(rp.p99 * (gamma + 1) / 2) / math.log(gamma))
    kr, nr = _exceed(rb, rc, t_bin)
    kc, nc = _exceed(cb, cc, t_bin)
    _, r_hi = wilson_interval(kr, nr, confidence=confidence)
    c_lo, _ = wilson_interval(kc, nc, confidence=confidence)
    if nr == 0 or nc == 0:
        return False
    pr, pc_ = kr / nr, kc / nc
    lower = (pc_ - pr) - math.hypot(pc_ - c_lo, r_hi - pr)
    return lower > 0


def analyse_latency(
    summaries: Summaries,
    *,
    factor: float = REGRESSION_FACTOR,
    confidence: float = 0.95,
) -> LatencyResult | None:
    """Latency p50 / p95 / p99 / max per window, bucket and segment; regression vs reference.

    Parameters
    ----------
    summaries
        Summaries of a log (``modelward.engine``). The accuracy of the
        percentiles is ``summaries.meta.latency_accuracy``.
    factor
        Current p99 must exceed ``factor x`` the reference p99 (and the
        exceedance test must agree, see the module docstring) to regress.
    confidence
        Level of the exceedance test.

    Returns
    -------
    LatencyResult or None
        ``None`` when the log has no latency. ``by_bucket``: every bucket,
        all traffic (``window="bucket"``); ``by_segment``: per segment value,
        the reference and the current window.

    Raises
    ------
    ConfigError
        On ``factor < 1`` or ``confidence`` outside (0, 1).
    """
    if not float(factor) >= 1.0:
        raise ConfigError(
            f"The 'factor' parameter of analyse_latency must be >= 1. Got {factor!r} instead."
        )
    if not 0.0 < float(confidence) < 1.0:
        raise ConfigError(
            "The 'confidence' parameter of analyse_latency must be in (0, 1). "
            f"Got {confidence!r} instead."
        )
    if summaries.meta.roles.get("latency") is None or summaries.table("latency").num_rows == 0:
        return None
    whole = _points(summaries, ("window",), True, None)
    cur = whole.get(("current",))
    if cur is None:
        return None
    ref = whole.get(("reference",))
    by_bucket = sorted(
        (p for p, _, _ in _points(summaries, ("window", "bucket"), True, "bucket").values()),
        key=lambda p: p.bucket or datetime.min,
    )
    by_segment = [
        p for p, _, _ in _points(summaries, ("segment", "segment_value", "window"), False,
                                 None).values()
    ]  # fmt: skip
    regressed = ref is not None and _regressed(
        ref, cur, factor=factor, confidence=confidence, accuracy=summaries.meta.latency_accuracy
    )
    return LatencyResult(
        accuracy=summaries.meta.latency_accuracy,
        reference=ref[0] if ref is not None else None,
        current=cur[0],
        by_bucket=by_bucket,
        by_segment=by_segment,
        regressed=regressed,
    )

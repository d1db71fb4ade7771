"""Paired differences for release gates: both logs scored the same rows.

The engine's row sample is a bottom-k by a hash of ``prediction_id`` per
bucket, so when the candidate and the baseline score the same ids at the same
times their samples hold the same ids. :func:`paired_sample` joins the two
windows' samples on the id; :func:`_paired_difference` counts the pairs
(label, candidate prediction, baseline prediction, cost segment) into a small
table and resamples it as a whole (paired multinomial bootstrap) for the
metrics of :data:`PAIRED_METRICS`.

Examples
--------
>>> cells = np.zeros((1, 2, 2, 2))  # (group, label, candidate, baseline)
>>> cells[0, 1, 1, 1], cells[0, 1, 1, 0], cells[0, 1, 0, 0] = 6, 2, 2  # positives
>>> round(float(_paired_stat("recall", cells, None)), 3)  # 0.8 - 0.6
0.2
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from modelward._exceptions import ConfigError
from modelward.analyses.metrics import COUNT_METRICS, CostModel
from modelward.engine.summaries import Summaries

__all__ = ["N_BOOT", "PAIRED_METRICS", "PAIRED_MIN_SHARE", "PairedSample", "paired_sample"]

FloatArray = npt.NDArray[np.float64]

#: Metrics with a paired-bootstrap difference when both logs score the same rows.
PAIRED_METRICS = (*COUNT_METRICS, "f1", "expected_cost")
#: Paired bootstrap draws.
N_BOOT = 1000
#: Share of the candidate's sampled ids the baseline must hold for pairing.
PAIRED_MIN_SHARE = 0.5


@dataclass(frozen=True)
class PairedSample:
    """Rows sampled in both windows (same prediction id): labels and both predictions."""

    label: npt.NDArray[np.int64]
    candidate: npt.NDArray[np.int64]
    baseline: npt.NDArray[np.int64]
    columns: dict[str, npt.NDArray[np.object_]]
    share: float  # share of the candidate's sampled ids found in the baseline's sample


def paired_sample(summaries: Summaries) -> PairedSample | None:
    """Join the two windows' row samples on the prediction id (``None`` if they do not pair)."""
    sample = summaries.tables.get("sample")
    roles = summaries.meta.roles
    idc, lab, pred = roles.get("id"), roles.get("label"), roles.get("prediction")
    if sample is None or sample.num_rows == 0 or not idc or not lab or not pred:
        return None
    cur = sample.filter(pc.equal(sample["window"], "current"))
    ref = sample.filter(pc.equal(sample["window"], "reference"))
    if cur.num_rows == 0 or ref.num_rows == 0:
        return None
    segs = [s for s in summaries.meta.segments if s in sample.column_names]
    ref_small = pa.table({"_id": ref[idc], "_pb": ref[pred]})
    cur_small = pa.table(
        {"_id": cur[idc], "_pc": cur[pred], "_y": cur[lab], **{s: cur[s] for s in segs}}
    )
    joined = cur_small.join(ref_small, keys="_id", join_type="inner")
    share = joined.num_rows / cur.num_rows
    if share < PAIRED_MIN_SHARE:
        return None
    joined = joined.filter(pc.is_valid(joined["_y"]))

    def ints(name: str) -> npt.NDArray[np.int64]:
        return np.asarray(joined[name].cast(pa.int64()).to_numpy(zero_copy_only=False), np.int64)

    return PairedSample(
        label=ints("_y"),
        candidate=(ints("_pc") == 1).astype(np.int64),
        baseline=(ints("_pb") == 1).astype(np.int64),
        columns={
            s: np.asarray(
                joined[s].cast(pa.string()).fill_null("__null__").to_numpy(zero_copy_only=False),
                dtype=object,
            )
            for s in segs
        },
        share=share,
    )


def _paired_stat(metric: str, cells: FloatArray, weights: FloatArray | None) -> FloatArray:
    """Candidate - baseline of ``metric`` from cells shaped (..., G, label, cand, base)."""
    out = []
    for axis in (-1, -2):  # sum out the baseline axis (candidate), then the candidate axis
        t = cells.sum(axis=axis)  # (..., G, label, pred)
        tp, fp = t[..., 1, 1], t[..., 0, 1]
        fn, tn = t[..., 1, 0], t[..., 0, 0]
        if metric == "expected_cost":
            assert weights is not None
            n = (tp + fp + fn + tn).sum(axis=-1)
            total = (weights[:, 0] * fp + weights[:, 1] * fn - weights[:, 2] * tp).sum(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out.append(1000.0 * total / n)
            continue
        cnt = {"tp": tp.sum(-1), "fp": fp.sum(-1), "fn": fn.sum(-1), "tn": tn.sum(-1)}
        if metric == "f1":
            num, den = 2 * cnt["tp"], 2 * cnt["tp"] + cnt["fp"] + cnt["fn"]
        else:
            nk, dk = COUNT_METRICS[metric]
            num = sum((cnt[k] for k in nk), np.zeros_like(cnt["tp"]))
            den = sum((cnt[k] for k in dk), np.zeros_like(cnt["tp"]))
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(den > 0, num / np.where(den > 0, den, 1), np.nan))
    return out[0] - out[1]  # type: ignore[no-any-return]


def _paired_difference(
    pairs: PairedSample,
    metric: str,
    segment: tuple[str, str],
    costs: CostModel | None,
    confidence: float,
    seed: int,
) -> tuple[float, float, float, int] | None:
    keep = np.ones(pairs.label.size, bool)
    col, val = segment
    if col:
        if col not in pairs.columns:
            return None
        keep &= pairs.columns[col] == val
    y, c, b = pairs.label[keep], pairs.candidate[keep], pairs.baseline[keep]
    if y.size == 0:
        return None
    weights = None
    if metric == "expected_cost":
        if costs is None:
            raise ConfigError("The metric 'expected_cost' needs a cost model.")
        if costs.segment and costs.segment in pairs.columns:
            groups = pairs.columns[costs.segment][keep]
        else:
            groups = np.full(y.size, "", dtype=object)
        names, g = np.unique(groups.astype(str), return_inverse=True)
        specs = [costs.for_value(str(v) if costs.segment else None) for v in names]
        weights = np.array([[s.fp, s.fn, s.tp] for s in specs], np.float64)
    else:
        names, g = np.array([""]), np.zeros(y.size, np.int64)
    ng = len(names)
    cell = ((g * 2 + np.clip(y, 0, 1)) * 2 + c) * 2 + b
    counts = np.bincount(cell, minlength=ng * 8).astype(np.float64)
    shape = (ng, 2, 2, 2)
    d = float(_paired_stat(metric, counts.reshape(shape), weights))
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(int(counts.sum()), counts / counts.sum(), size=N_BOOT)
    stats = _paired_stat(metric, draws.reshape((N_BOOT, *shape)).astype(np.float64), weights)
    stats = stats[np.isfinite(stats)]
    if stats.size < N_BOOT // 2 or not math.isfinite(d):
        return None
    a = 1 - confidence
    lo, hi = np.quantile(stats, [a / 2, 1 - a / 2])
    return d, float(lo), float(hi), int(y.size)

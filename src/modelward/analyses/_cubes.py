"""Grouped count cubes of the score table, shared by performance and estimation.

Kept apart from :mod:`modelward.analyses.performance` so that modules the
result models import (estimation) do not import the result models back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from modelward.engine.summaries import Summaries

__all__ = ["MATURITY", "ScoreCube", "group_index", "mature_current"]

IntArray = npt.NDArray[np.int64]


def group_index(tab: pa.Table, cols: Sequence[str]) -> tuple[IntArray, list[tuple[Any, ...]]]:
    """Group id of every row of ``tab`` by ``cols``, and the key of each group.

    Groups are numbered in sorted key order. String columns are dictionary
    encoded and timestamps compared as integers, so no Python object is made
    per row.
    """
    n = tab.num_rows
    if n == 0 or not cols:
        return np.zeros(n, np.int64), ([()] if n else [])
    codes = []
    for c in cols:
        col = tab.column(c).combine_chunks()
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            enc = col.dictionary_encode()
            order = np.argsort(np.asarray(enc.dictionary.to_pylist(), dtype=object))
            rank = np.empty(len(order), np.int64)
            rank[order] = np.arange(len(order))
            codes.append(rank[np.asarray(enc.indices.to_numpy(zero_copy_only=False), np.int64)])
        else:
            codes.append(np.asarray(col.cast(pa.int64()).to_numpy(zero_copy_only=False), np.int64))
    stacked = np.stack(codes, axis=1)
    _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    keys = [tuple(r.values()) for r in tab.select(list(cols)).take(pa.array(first)).to_pylist()]
    return np.asarray(inverse, np.int64).reshape(-1), keys


class ScoreCube:
    """Per group: labelled positives and negatives per score bin, and the served confusion."""

    def __init__(self, tab: pa.Table, cols: Sequence[str], bins: int) -> None:
        gid, self.keys = group_index(tab, cols)
        g = len(self.keys)
        sb = np.asarray(tab["score_bin"].to_numpy(zero_copy_only=False), np.int64)
        lab = np.asarray(tab["label"].to_numpy(zero_copy_only=False), np.int64)
        pred = np.asarray(tab["prediction"].to_numpy(zero_copy_only=False), np.int64)
        cnt = np.asarray(tab["count"].to_numpy(zero_copy_only=False), np.float64)
        cell = gid * bins + np.clip(sb, 0, bins - 1)
        size = g * bins
        self.pos = np.bincount(cell, weights=cnt * (lab == 1), minlength=size).reshape(g, bins)
        self.neg = np.bincount(cell, weights=cnt * (lab == 0), minlength=size).reshape(g, bins)
        self.pred1 = np.bincount(cell, weights=cnt * (pred == 1), minlength=size).reshape(g, bins)
        self.pred0 = np.bincount(cell, weights=cnt * (pred != 1), minlength=size).reshape(g, bins)
        # labelled positives / negatives served as 1, per bin
        self.tp = np.bincount(cell, weights=cnt * (lab == 1) * (pred == 1), minlength=size)
        self.fp = np.bincount(cell, weights=cnt * (lab == 0) * (pred == 1), minlength=size)
        self.tp, self.fp = self.tp.reshape(g, bins), self.fp.reshape(g, bins)
        self.index = {k: i for i, k in enumerate(self.keys)}


#: A current bucket whose label coverage is below this fraction of the window's
#: typical (75th percentile) coverage is immature: labels still arriving.
MATURITY = 0.5


def mature_current(summaries: Summaries) -> tuple[Summaries, list[datetime]]:
    """Drop immature current buckets (labels still arriving) from ``volume`` and ``score``.

    Labels often arrive faster for one class (a churner is known at once, a
    stayer only after months), so the labelled rows of recent buckets are a
    biased sample. A current bucket is kept when its label coverage
    ``n_labelled / n`` is at least :data:`MATURITY` x the 75th percentile of
    the current buckets' coverage. Returns the filtered summaries and the
    dropped buckets.
    """
    vol = summaries.table("volume")
    if vol.num_rows == 0:
        return summaries, []
    cur = vol.filter(pc.and_(pc.equal(vol["segment"], ""), pc.equal(vol["window"], "current")))
    if cur.num_rows == 0:
        return summaries, []
    n = np.asarray(cur["n"].to_numpy(zero_copy_only=False), np.float64)
    lab = np.asarray(cur["n_labelled"].to_numpy(zero_copy_only=False), np.float64)
    cov = np.where(n > 0, lab / np.maximum(n, 1), 0.0)
    limit = MATURITY * float(np.quantile(cov, 0.75))
    drop = cur["bucket"].filter(pa.array(cov < limit))
    if len(drop) == 0:
        return summaries, []
    tables = dict(summaries.tables)
    for name in ("volume", "score"):
        tab = summaries.table(name)
        bad = pc.and_(pc.equal(tab["window"], "current"), pc.is_in(tab["bucket"], drop))
        tables[name] = tab.filter(pc.invert(bad))
    return Summaries(meta=summaries.meta, tables=tables), drop.to_pylist()

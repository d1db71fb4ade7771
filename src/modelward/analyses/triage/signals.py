"""Daily series of every triage signal, pulled from the summaries (no second scan).

A :class:`Days` axis orders the buckets: reference buckets first (``ref``),
then current ones. :func:`cube` turns one summaries table into a dense
``(day, key..., )`` array of sums with numpy only, which every cause scorer
reads.

Examples
--------
>>> import pyarrow as pa
>>> from datetime import datetime
>>> t = pa.table({"window": ["reference", "current", "current"],
...               "bucket": [datetime(2026, 1, 1), datetime(2026, 1, 2), datetime(2026, 1, 2)],
...               "segment": ["", "", ""], "segment_value": ["", "", ""],
...               "count": [3, 4, 5]})
>>> days = Days.from_table(t)
>>> days.n, int(days.n_ref)
(2, 1)
>>> cube(t, days, "count").tolist()
[3.0, 9.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Days", "FloatArray", "column", "cube", "select"]

FloatArray = npt.NDArray[np.float64]


def column(table: pa.Table, name: str) -> npt.NDArray[Any]:
    """A column as numpy (strings as objects, timestamps as ``datetime64[us]``, nulls as 0)."""
    col = table.column(name)
    typ = col.type
    if pa.types.is_timestamp(typ):
        return np.asarray(pc.cast(col, pa.timestamp("us")).to_numpy(), dtype="datetime64[us]")
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return np.asarray(col.to_pylist(), dtype=object)
    if pa.types.is_boolean(typ):
        return np.asarray(pc.fill_null(col, False).to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(pc.fill_null(col, 0).to_numpy(zero_copy_only=False))


def select(
    table: pa.Table, *, segment: str = "", value: str | None = "", **equal: object
) -> pa.Table:
    """Rows of one segment key (``value=None``: every value of ``segment``) and equalities."""
    mask = pc.equal(table["segment"], segment)
    if value is not None:
        mask = pc.and_(mask, pc.equal(table["segment_value"], value))
    for name, val in equal.items():
        mask = pc.and_(mask, pc.equal(table[name], val))
    return table.filter(mask)


@dataclass(frozen=True)
class Days:
    """The time axis: one entry per (window, bucket), reference first.

    Attributes
    ----------
    starts
        Bucket starts (``datetime64[us]``).
    ref
        True where the bucket belongs to the reference window.
    width
        Bucket width.
    """

    starts: npt.NDArray[np.datetime64]
    ref: npt.NDArray[np.bool_]
    width: np.timedelta64

    @classmethod
    def from_table(cls, table: pa.Table, width: str = "day") -> Days:
        """The axis of the (window, bucket) pairs present in ``table``."""
        win = column(table, "window") == "reference"
        buckets = column(table, "bucket")
        pairs = sorted({(not bool(w), b) for w, b in zip(win, buckets, strict=True)})
        starts = np.array([b for _, b in pairs], dtype="datetime64[us]")
        ref = np.array([not c for c, _ in pairs], dtype=bool)
        seconds = {"hour": 3600, "day": 86400, "week": 7 * 86400}.get(width, 86400)
        return cls(starts, ref, np.timedelta64(seconds * 1_000_000, "us"))

    @property
    def n(self) -> int:
        """Number of buckets."""
        return int(self.starts.size)

    @property
    def n_ref(self) -> int:
        """Number of reference buckets."""
        return int(self.ref.sum())

    def index(self, table: pa.Table) -> npt.NDArray[np.int64]:
        """Axis position of every row of ``table`` (-1 when absent)."""
        win = column(table, "window") == "reference"
        buckets = column(table, "bucket")
        out = np.full(buckets.size, -1, dtype=np.int64)
        for is_ref in (True, False):
            axis = np.flatnonzero(self.ref == is_ref)
            rows = np.flatnonzero(win == is_ref)
            if axis.size == 0 or rows.size == 0:
                continue
            starts = self.starts[axis]
            pos = np.clip(np.searchsorted(starts, buckets[rows]), 0, axis.size - 1)
            hit = starts[pos] == buckets[rows]
            out[rows[hit]] = axis[pos[hit]]
        return out

    @property
    def weekday(self) -> npt.NDArray[np.int64] | None:
        """Weekday of each bucket (Monday 0) for daily buckets, else None."""
        if self.width != np.timedelta64(86_400_000_000, "us"):
            return None
        return np.asarray((self.starts.astype("datetime64[D]").astype(np.int64) + 3) % 7)

    def reference_like(
        self, counts: FloatArray, post: npt.NDArray[np.bool_], rows: FloatArray | None = None
    ) -> FloatArray:
        """Reference sums of daily ``counts`` with the weekday mix of the ``post`` buckets.

        Most systems have a weekly rhythm (weekend traffic differs), so a few
        current days compared with whole reference weeks differ by their
        weekday mix alone. With daily buckets and every weekday of ``post``
        present in the reference, each reference weekday is reweighted to its
        share of ``post``'s rows, and the sums are scaled to the reweighted
        reference's effective size (Kish), so a test on them keeps its level.
        Otherwise: the plain reference sums.

        Parameters
        ----------
        counts
            Per-bucket counts, shape ``(n, ...)``.
        post
            The current buckets compared with the reference.
        rows
            Per-bucket rows whose weekday mix is matched (default: the sum of
            ``counts`` over its other axes).

        Returns
        -------
        numpy.ndarray
            Shape ``counts.shape[1:]``.

        Examples
        --------
        >>> starts = np.arange(14).astype("datetime64[D]").astype("datetime64[us]")
        >>> days = Days(starts, np.arange(14) < 7, np.timedelta64(86_400_000_000, "us"))
        >>> counts = np.where(np.arange(14) % 7 == 2, 9.0, 1.0)[:, None] * [1.0, 0.0] + [0.0, 1.0]
        >>> days.reference_like(counts, np.arange(14) >= 7).round(6).tolist()  # whole week
        [15.0, 7.0]
        >>> days.reference_like(counts, np.arange(14) == 9).round(6).tolist()  # one weekday
        [9.0, 1.0]
        """
        plain = counts[self.ref].sum(axis=0)
        weekday = self.weekday
        if weekday is None or not post.any():
            return np.asarray(plain, dtype=np.float64)
        if rows is None:
            rows = counts.reshape(counts.shape[0], -1).sum(axis=1)
        ref_w = np.bincount(weekday[self.ref], weights=rows[self.ref], minlength=7)
        post_w = np.bincount(weekday[post], weights=rows[post], minlength=7)
        if ref_w.sum() <= 0 or post_w.sum() <= 0 or np.any((post_w > 0) & (ref_w <= 0)):
            return np.asarray(plain, dtype=np.float64)
        share = np.divide(
            post_w / post_w.sum(), ref_w / ref_w.sum(), out=np.zeros(7), where=ref_w > 0
        )
        n_ref = float(ref_w.sum())
        n_eff = float((ref_w * share).sum() ** 2 / max((ref_w * share**2).sum(), 1e-300))
        w = share[weekday] * self.ref
        out = np.tensordot(w, counts, axes=(0, 0)) * (n_eff / n_ref)
        return np.asarray(out, dtype=np.float64)

    def iso(self, i: int) -> str:
        """Bucket ``i`` start as ISO 8601 UTC with a ``Z``."""
        return str(self.starts[min(max(i, 0), self.n - 1)].astype("datetime64[s]")) + "Z"


def cube(
    table: pa.Table,
    days: Days,
    value: str,
    keys: Sequence[tuple[str, Sequence[object]]] = (),
) -> FloatArray:
    """Dense sums of ``value`` by day and by each key column over its vocabulary.

    Rows whose key is not in the vocabulary (or whose bucket is not on the axis)
    are dropped.
    """
    shape = [days.n] + [len(v) for _, v in keys]
    out = np.zeros(shape, dtype=np.float64)
    if table.num_rows == 0:
        return out
    idx = [days.index(table)]
    ok = idx[0] >= 0
    for name, vocab in keys:
        col = table.column(name)
        value_set = pa.array(list(vocab), type=col.type)
        pos = pc.fill_null(pc.index_in(col, value_set=value_set), -1)
        idx.append(np.asarray(pos.to_numpy(zero_copy_only=False), dtype=np.int64))
        ok &= idx[-1] >= 0
    vals = column(table, value).astype(np.float64)
    np.add.at(out, tuple(i[ok] for i in idx), vals[ok])
    return out

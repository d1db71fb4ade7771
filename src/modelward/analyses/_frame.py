"""Small helpers that pull numpy arrays out of the summaries tables.

A :class:`Frame` holds the columns of one summaries table as numpy arrays
(strings as object arrays, ``bucket`` as ``datetime64[us]``, UTC) and offers
the three operations the analyses need: filter by a mask, group by key columns
and sum a column into a histogram. It needs numpy only (pandas is optional for
modelward). Nothing here computes a statistic.

Examples
--------
>>> import numpy as np
>>> import pyarrow as pa
>>> f = Frame.from_arrow(pa.table({"k": ["a", "b", "a"], "bin": [0, 2, 2], "count": [1, 4, 5]}))
>>> hist(f, "bin", 4).tolist()
[1.0, 0.0, 9.0, 0.0]
>>> [(key, len(g)) for key, g in f.groups("k")]
[(('a',), 2), (('b',), 1)]
>>> bool(bucket_width("day") == np.timedelta64(1, "D"))
True
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from modelward.engine.summaries import Summaries

__all__ = [
    "ALL",
    "FloatArray",
    "Frame",
    "bucket_width",
    "frame",
    "hist",
    "numeric_edges",
    "to_datetime",
]

FloatArray = npt.NDArray[np.float64]

#: The (segment, segment_value) key of all traffic.
ALL: tuple[str, str] = ("", "")


class Frame:
    """Columns of a table as equal-length numpy arrays."""

    def __init__(self, columns: dict[str, npt.NDArray[Any]]) -> None:
        self.columns = columns
        self._n = len(next(iter(columns.values()))) if columns else 0

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Frame:
        """Convert an Arrow table (timestamps -> naive ``datetime64[us]``)."""
        cols: dict[str, npt.NDArray[Any]] = {}
        for name in table.column_names:
            col = table.column(name)
            if pa.types.is_timestamp(col.type):
                col = col.cast(pa.timestamp("us"))
                cols[name] = col.to_numpy().astype("datetime64[us]")
            elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                cols[name] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)
            else:
                cols[name] = col.to_numpy(zero_copy_only=False)
        return cls(cols)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self.columns[name]

    def where(self, mask: npt.NDArray[np.bool_]) -> Frame:
        """Rows where ``mask`` is true."""
        return Frame({k: v[mask] for k, v in self.columns.items()})

    def eq(self, **values: object) -> Frame:
        """Rows whose columns equal the given values."""
        mask = np.ones(self._n, dtype=bool)
        for k, v in values.items():
            mask &= self.columns[k] == v
        return self.where(mask)

    def groups(self, *keys: str) -> Iterator[tuple[tuple[Any, ...], Frame]]:
        """``(key values, sub-frame)`` per distinct combination of ``keys``, sorted."""
        if self._n == 0:
            return
        codes = []
        uniques = []
        for k in keys:
            u, inv = np.unique(self.columns[k], return_inverse=True)
            uniques.append(u)
            codes.append(inv.ravel())
        combined = np.ravel_multi_index(codes, [u.size for u in uniques])
        order = np.argsort(combined, kind="stable")
        sorted_codes = combined[order]
        starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        ends = np.r_[starts[1:], sorted_codes.size]
        for s, e in zip(starts, ends, strict=True):
            idx = order[s:e]
            first = idx[0]
            key = tuple(
                u[c[first]].item() if hasattr(u[c[first]], "item") else u[c[first]]
                for u, c in zip(uniques, codes, strict=True)
            )
            yield key, Frame({k: v[idx] for k, v in self.columns.items()})


def frame(summaries: Summaries, name: str) -> Frame:
    """Table ``name`` of ``summaries`` as a :class:`Frame`."""
    return Frame.from_arrow(summaries.table(name))


def hist(f: Frame, column: str, size: int, *, value: str = "count") -> FloatArray:
    """Sum of ``value`` per integer ``column`` in ``[0, size)`` (other indices dropped)."""
    if len(f) == 0:
        return np.zeros(size)
    idx = np.asarray(f[column], dtype=np.int64)
    ok = (idx >= 0) & (idx < size)
    w = np.asarray(f[value], dtype=np.float64)
    return np.bincount(idx[ok], weights=w[ok], minlength=size).astype(np.float64)


def numeric_edges(summaries: Summaries, feature: str) -> FloatArray:
    """The reference bin edges of ``feature`` (its bins are ``len(edges) + 1``)."""
    return np.asarray(summaries.meta.numeric_edges.get(feature, []), dtype=np.float64)


def bucket_width(bucket: str) -> np.timedelta64:
    """Length of one bucket (``hour``, ``day`` or ``week``) in microseconds."""
    hours = {"hour": 1, "day": 24, "week": 168}.get(bucket, 24)
    return np.timedelta64(hours * 3_600_000_000, "us")


def to_datetime(value: object) -> datetime:
    """A ``datetime64`` (or datetime) as a naive ``datetime``."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    us = int(np.datetime64(value, "us").astype(np.int64))  # type: ignore[call-overload]
    return datetime(1970, 1, 1) + np.timedelta64(us, "us").item()

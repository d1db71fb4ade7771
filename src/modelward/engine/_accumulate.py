"""Dense, fixed-shape accumulators of the summaries tables, one per grouping set.

A grouping set is "all rows" or one segment column (never their cross product).
Its cells are ``(bw, v)`` with ``bw = 2 * bucket_index + window`` and ``v`` the
global code of the segment value, so every table is a numpy array of shape
``(n_bw, capacity, *inner)`` allocated once (and grown when a new segment value
appears). Each record batch is first reduced with ``numpy.bincount`` to the
batch's own distinct ``(bw, segment values...)`` groups (at most one per row of
the batch, usually a few dozen), then those small arrays are added into every
grouping set. Memory is bounded by the cells, never by rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Dense", "GroupingSet", "LogBins", "Reduction", "batch_groups", "count_keys"]

_INT = npt.NDArray[np.int64]
_FLT = npt.NDArray[np.float64]
#: Above this many possible (bw, segment values) keys a batch groups with np.unique.
_DENSE_LIMIT = 1 << 22


def count_keys(
    key: _INT, size: int, weights: dict[str, _FLT] | None = None
) -> tuple[_INT, _FLT, dict[str, _FLT]]:
    """Distinct non-negative ``key`` values below ``size``, their counts and weight sums.

    Examples
    --------
    >>> k, n, w = count_keys(np.array([3, 1, 3]), 5, {"x": np.array([1.0, 2.0, 4.0])})
    >>> k.tolist(), n.tolist(), w["x"].tolist()
    ([1, 3], [1.0, 2.0], [2.0, 5.0])
    """
    weights = weights or {}
    n = np.bincount(key, minlength=size).astype(np.float64)
    nz = np.nonzero(n)[0]
    sums = {
        k: np.asarray(np.bincount(key, weights=v, minlength=size)[nz], np.float64)
        for k, v in weights.items()
    }
    return nz.astype(np.int64), n[nz], sums


def batch_groups(bw: _INT, local: list[tuple[_INT, int]], n_bw: int) -> tuple[_INT, _INT]:
    """Group rows of a batch by ``bw`` and the batch-local codes of each segment.

    Returns ``(gid, keys)``: each row's group (0..G-1) and each group's combined
    key ``bw * prod(sizes) + ...`` (decode with the same sizes).

    Examples
    --------
    >>> gid, keys = batch_groups(np.array([3, 1, 3]), [(np.array([0, 1, 0]), 2)], 4)
    >>> gid.tolist(), keys.tolist()
    ([1, 0, 1], [3, 6])
    """
    key = bw
    space = n_bw
    for codes, size in local:
        key = key * size + codes
        space *= size
    if space <= _DENSE_LIMIT:
        present = np.bincount(key, minlength=space) > 0
        keys = np.flatnonzero(present).astype(np.int64)
        remap = np.zeros(space, np.int64)
        remap[keys] = np.arange(len(keys), dtype=np.int64)
        return remap[key], keys
    keys, gid = np.unique(key, return_inverse=True)
    return gid.reshape(-1).astype(np.int64), keys.astype(np.int64)


@dataclass
class GroupingSet:
    """The cells of one grouping set: ``segment`` (``""`` for all rows) and its values."""

    segment: str
    n_bw: int
    values: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    capacity: int = 8

    def codes(self, names: list[str]) -> tuple[_INT, bool]:
        """Global codes of ``names`` (new ones are added); also whether capacity grew."""
        out = np.empty(len(names), np.int64)
        for i, v in enumerate(names):
            c = self.index.get(v)
            if c is None:
                c = self.index[v] = len(self.values)
                self.values.append(v)
            out[i] = c
        grew = False
        while len(self.values) > self.capacity:
            self.capacity *= 2
            grew = True
        return out, grew


@dataclass(frozen=True)
class Reduction:
    """How batch groups fold into distinct cells: ``op.reduceat(values[order], starts)``.

    ``order`` is None when every group has its own cell already.
    """

    cells: npt.NDArray[np.int64]
    order: npt.NDArray[np.int64] | None
    starts: npt.NDArray[np.int64]

    @classmethod
    def of(cls, cell: npt.NDArray[np.int64]) -> Reduction:
        """The reduction of groups whose flat cells are ``cell``.

        Examples
        --------
        >>> r = Reduction.of(np.array([5, 2, 5]))
        >>> r.cells.tolist(), np.add.reduceat(np.array([1, 2, 4])[r.order], r.starts).tolist()
        ([2, 5], [2, 5])
        """
        order = np.argsort(cell, kind="stable")
        sc = cell[order]
        starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
        if len(starts) == len(cell):
            return cls(cell, None, starts)
        return cls(sc[starts], order, starts)


class Dense:
    """Named dense arrays ``(n_bw, capacity, *inner)`` of one grouping set.

    ``kind`` is ``"sum"``, ``"min"`` or ``"max"`` (how batch values combine).
    """

    def __init__(self, gs: GroupingSet) -> None:
        self.gs = gs
        self.arrays: dict[str, npt.NDArray[np.generic]] = {}
        self.kinds: dict[str, str] = {}
        self._cap = gs.capacity

    @staticmethod
    def _fill(kind: str, dtype: type[np.generic]) -> float | int:
        return {"sum": 0, "min": np.inf, "max": -np.inf}[kind]

    def regrow(self) -> None:
        """Follow the grouping set's capacity (after new segment values appeared)."""
        cap = self.gs.capacity
        if cap == self._cap:
            return
        for name, arr in self.arrays.items():
            new = np.full(
                (arr.shape[0], cap, *arr.shape[2:]),
                self._fill(self.kinds[name], arr.dtype.type),
                arr.dtype,
            )
            new[:, : self._cap] = arr
            self.arrays[name] = new
        self._cap = cap

    def add(self, name: str, kind: str, red: Reduction, values: npt.NDArray[np.generic]) -> None:
        """Combine ``values`` (one row per batch group) into their cells."""
        arr = self.arrays.get(name)
        if arr is None:
            arr = np.full(
                (self.gs.n_bw, self._cap, *values.shape[1:]),
                self._fill(kind, values.dtype.type),
                values.dtype,
            )
            self.arrays[name] = arr
            self.kinds[name] = kind
        flat = arr.reshape(self.gs.n_bw * self._cap, *arr.shape[2:])
        op = {"sum": np.add, "min": np.minimum, "max": np.maximum}[kind]
        v = values if red.order is None else op.reduceat(values[red.order], red.starts, axis=0)
        flat[red.cells] = op(flat[red.cells], v)

    def get(self, name: str) -> npt.NDArray[np.generic] | None:
        """The array ``name`` trimmed to the set's values, or None if never added."""
        arr = self.arrays.get(name)
        return None if arr is None else arr[:, : len(self.gs.values)]


class LogBins:
    """Counts over log bins whose range grows: slot 0 is the non-positive bin."""

    def __init__(self, nonpositive: int) -> None:
        self.nonpositive = nonpositive
        self.lo = 0
        self.width = 0

    def slots(self, bins: _INT) -> tuple[_INT, int, int]:
        """Slot of each bin (non-positive -> 0) and the (old lo, old width) before growth."""
        pos = bins != self.nonpositive
        old = (self.lo, self.width)
        if pos.any():
            b = bins[pos]
            lo, hi = int(b.min()), int(b.max())
            if self.width == 0:
                self.lo, self.width = lo, hi - lo + 1
            else:
                new_lo = min(lo, self.lo)
                self.width = max(hi, self.lo + self.width - 1) - new_lo + 1
                self.lo = new_lo
        out = np.where(pos, bins - self.lo + 1, 0)
        return out.astype(np.int64), old[0], old[1]

    def bin_values(self) -> _INT:
        """The log bin of each slot."""
        out: npt.NDArray[np.int64] = np.r_[
            self.nonpositive, np.arange(self.lo, self.lo + self.width)
        ].astype(np.int64)
        return out


def regrow_logbins(dense: Dense, name: str, old_lo: int, old_width: int, lb: LogBins) -> None:
    """Re-lay the last axis of ``dense.arrays[name]`` after ``lb`` grew."""
    arr = dense.arrays.get(name)
    if arr is None or (old_lo == lb.lo and old_width == lb.width):
        return
    new = np.zeros((*arr.shape[:-1], lb.width + 1), arr.dtype)
    new[..., 0] = arr[..., 0]
    off = old_lo - lb.lo
    new[..., 1 + off : 1 + off + old_width] = arr[..., 1 : 1 + old_width]
    dense.arrays[name] = new

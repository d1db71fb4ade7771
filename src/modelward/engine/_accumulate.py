"""Accumulators of the summaries tables, one per grouping set, one row per occupied cell.

A grouping set is "all rows" or one segment column (never their cross product).
Its cells are ``(bw, v)`` with ``bw = 2 * bucket_index + window`` and ``v`` the
global code of the segment value. A cell gets a row of the set's arrays
``(cells, *inner)`` the first time a batch holds it, so a bucket never pays for
the window it is not in, nor for segment values it never saw. A record batch is
first reduced with ``numpy.bincount`` to its own distinct ``(bw, segment
values...)`` groups when those are few, and the small group arrays are added into
every grouping set; when they are many (a batch spanning hundreds of buckets x
segment values), rows are scattered straight into each set's cells instead, so
no batch-sized dense array is ever built. Tables with one key per row and a large
inner shape (the score grid, the log bins) are counted straight into each set's
cells on both paths: a ``bincount`` over the rows costs less than folding a large
per-group array into every set. Memory is bounded by the cells, never by rows.
"""

from __future__ import annotations

from dataclasses import dataclass

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


class GroupingSet:
    """The occupied cells of one grouping set: ``segment`` (``""`` for all rows).

    A cell is one ``(bw, v)`` pair (``v`` the code of a segment value) and gets
    its row in the accumulators the first time a batch holds it, so memory
    follows the occupied cells, not ``n_bw x values``.
    """

    def __init__(self, segment: str, n_bw: int, values: list[str] | None = None) -> None:
        self.segment = segment
        self.n_bw = n_bw
        self.values: list[str] = list(values or [])
        self.index: dict[str, int] = {v: i for i, v in enumerate(self.values)}
        self._lookup: npt.NDArray[np.int64] = np.full((n_bw, max(len(self.values), 1)), -1)
        self._bw: list[_INT] = []
        self._v: list[_INT] = []
        self.n_cells = 0

    def codes(self, names: list[str]) -> _INT:
        """Global codes of the segment values ``names`` (new ones are added)."""
        out = np.empty(len(names), np.int64)
        for i, v in enumerate(names):
            c = self.index.get(v)
            if c is None:
                c = self.index[v] = len(self.values)
                self.values.append(v)
            out[i] = c
        width = self._lookup.shape[1]
        if len(self.values) > width:
            grown = np.full((self.n_bw, max(2 * width, len(self.values))), -1, np.int64)
            grown[:, :width] = self._lookup
            self._lookup = grown
        return out

    def cells(self, bw: _INT, v: _INT) -> _INT:
        """The cell of each ``(bw, v)`` pair, new cells numbered on first sight.

        Examples
        --------
        >>> gs = GroupingSet("country", 4, ["US", "DE"])
        >>> gs.cells(np.array([3, 1, 3]), np.array([1, 0, 1])).tolist()
        [1, 0, 1]
        >>> gs.cells(np.array([0, 3]), np.array([0, 1])).tolist(), gs.n_cells
        ([2, 1], 3)
        """
        out = self._lookup[bw, v]
        new = out < 0
        if new.any():
            key = np.unique(bw[new] * self._lookup.shape[1] + v[new])
            nb, nv = key // self._lookup.shape[1], key % self._lookup.shape[1]
            self._lookup[nb, nv] = np.arange(self.n_cells, self.n_cells + len(key))
            self.n_cells += len(key)
            self._bw.append(nb)
            self._v.append(nv)
            out = self._lookup[bw, v]
        res: _INT = out.astype(np.int64)
        return res

    def cell_keys(self) -> tuple[_INT, _INT]:
        """``(bw, v)`` of every cell, in cell order."""
        if not self._bw:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(self._bw), np.concatenate(self._v)


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

    def index(self) -> npt.NDArray[np.int64]:
        """Each group's position in :attr:`cells`.

        Examples
        --------
        >>> Reduction.of(np.array([5, 2, 5, 7])).index().tolist()
        [1, 0, 1, 2]
        """
        if self.order is None:
            return np.arange(len(self.cells), dtype=np.int64)
        sizes = np.diff(np.r_[self.starts, len(self.order)])
        out = np.empty(len(self.order), np.int64)
        out[self.order] = np.repeat(np.arange(len(self.starts), dtype=np.int64), sizes)
        return out


_OPS = {"sum": np.add, "min": np.minimum, "max": np.maximum}
_FILL = {"sum": 0, "min": np.inf, "max": -np.inf}


class Dense:
    """Named arrays ``(cells, *inner)`` of one grouping set, one row per occupied cell.

    ``kind`` is ``"sum"``, ``"min"`` or ``"max"`` (how values combine). Integer
    counts are kept as ``uint32`` while :meth:`widen` has not been called (the
    caller widens them to ``int64`` before any count could pass ``2**32 - 1``).
    Arrays grow by a quarter when cells are added, so at most one array is
    copied at a time.
    """

    def __init__(self, gs: GroupingSet) -> None:
        self.gs = gs
        self.arrays: dict[str, npt.NDArray[np.generic]] = {}
        self.kinds: dict[str, str] = {}
        self.wide = False

    def widen(self) -> None:
        """Hold counts as ``int64`` from now on."""
        self.wide = True
        for name, arr in self.arrays.items():
            if arr.dtype == np.uint32:
                self.arrays[name] = arr.astype(np.int64)

    def _dtype(self, dtype: np.dtype[np.generic]) -> np.dtype[np.generic]:
        if np.issubdtype(dtype, np.integer):
            return np.dtype(np.int64 if self.wide else np.uint32)
        return dtype

    def array(
        self, name: str, kind: str, inner: tuple[int, ...], dtype: np.dtype[np.generic]
    ) -> npt.NDArray[np.generic]:
        """The array ``name`` with room for every cell of the set (allocated or grown)."""
        arr = self.arrays.get(name)
        need = self.gs.n_cells
        if arr is None or arr.shape[0] < need:
            rows = max(need + need // 4, 8)
            new = np.full((rows, *inner), _FILL[kind], self._dtype(dtype))
            if arr is not None:
                new[: arr.shape[0]] = arr
            arr = self.arrays[name] = new
            self.kinds[name] = kind
        return arr

    def add(self, name: str, kind: str, red: Reduction, values: npt.NDArray[np.generic]) -> None:
        """Combine ``values`` (one row per batch group) into their cells."""
        arr = self.array(name, kind, values.shape[1:], values.dtype)
        op = _OPS[kind]
        v = values if red.order is None else op.reduceat(values[red.order], red.starts, axis=0)
        arr[red.cells] = op(arr[red.cells], v)

    def add_counts(
        self,
        name: str,
        inner: tuple[int, ...],
        cells: _INT,
        key: _INT,
        values: _FLT | None,
    ) -> None:
        """Add ``values`` (1 if None) at flat positions ``key`` of ``(len(cells), *inner)``.

        Row ``i`` of that local array is the set's cell ``cells[i]`` (distinct).
        One ``numpy.bincount`` over the local cells, added into them: counts are
        exact, float sums may differ from a row-by-row sum in the last bits. When
        the local cells would be far more positions than ``key`` has entries, the
        values are scattered straight into the cells instead.

        Examples
        --------
        >>> gs = GroupingSet("", 4, [""])
        >>> cells = gs.cells(np.array([3, 1]), np.array([0, 0]))
        >>> cells.tolist()  # bucket-window 3 is cell 1, 1 is cell 0
        [1, 0]
        >>> d = Dense(gs)
        >>> d.add_counts("n", (2,), cells, np.array([0, 3, 3, 1]), None)
        >>> d.get("n").tolist()
        [[0, 2], [1, 1]]
        """
        size = int(np.prod(inner, dtype=np.int64))
        dtype = np.dtype(np.int64) if values is None else values.dtype
        arr = self.array(name, "sum", inner, dtype)
        n = len(cells)
        if n * size > max(8 * len(key), 1 << 16):
            flat = arr.reshape(-1)
            where = cells[key // size] * size + key % size
            np.add.at(flat, where, 1 if values is None else values.astype(arr.dtype))
            return
        res = np.bincount(key, weights=values, minlength=n * size).reshape(n, *inner)
        arr[cells] = np.add(arr[cells], res.astype(arr.dtype, copy=False))

    def reduce(
        self,
        name: str,
        kind: str,
        cells: _INT,
        starts: _INT,
        values: npt.NDArray[np.generic],
    ) -> None:
        """Combine rows ``values`` sorted by cell, cell ``cells[i]`` from row ``starts[i]`` on.

        Examples
        --------
        >>> gs = GroupingSet("", 4, [""])
        >>> cells = gs.cells(np.array([3, 1]), np.array([0, 0]))
        >>> d = Dense(gs)
        >>> d.reduce("lo", "min", cells, np.array([0, 2]), np.array([5.0, 2.0, 7.0]))
        >>> d.get("lo").tolist()  # cells [1, 0]
        [7.0, 2.0]
        """
        arr = self.array(name, kind, values.shape[1:], values.dtype)
        op = _OPS[kind]
        arr[cells] = op(arr[cells], op.reduceat(values, starts, axis=0))

    def get(self, name: str) -> npt.NDArray[np.generic] | None:
        """The array ``name`` trimmed to the set's cells, or None if never added."""
        arr = self.arrays.get(name)
        return None if arr is None else arr[: self.gs.n_cells]


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

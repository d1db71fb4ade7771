"""One record batch of the scan -> additions to the dense accumulators.

The batch holds the raw values (``_x{i}`` numeric, ``_c{i}`` categorical, ``_s{j}``
segments) and a few per-row columns DuckDB computed (``_bw``, the log bins, the
id hash). Everything is reduced with ``numpy.bincount`` to the batch's groups
(:func:`batch_groups`), then added into each grouping set (:class:`Dense`).

For a binary task the labelled state and prediction of a row form one of six
states ``(label + 1) * 2 + prediction`` (label -1 = not yet labelled), so the
``feature_label`` counts, label, prediction and error sums all come from one
unweighted ``bincount``; only ``score_sum`` needs weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from modelward._exceptions import LogSchemaError
from modelward.engine._accumulate import (
    Dense,
    GroupingSet,
    LogBins,
    Reduction,
    batch_groups,
    regrow_logbins,
)
from modelward.engine.edges import NONPOSITIVE_BIN

__all__ = ["VOLUME_SUMS", "BatchAccumulator", "ScanPlan", "bin_codes"]

_INT = npt.NDArray[np.int64]
_FLT = npt.NDArray[np.float64]
_BOOL = npt.NDArray[np.bool_]
#: Unseen values kept per batch, group and feature before adding to the running counts.
UNSEEN_PER_BATCH = 200
#: Distinct unseen values remembered per cell and feature; beyond it, the least
#: frequent are dropped down to half of it.
UNSEEN_CAP = 1000
#: Above this many bytes of per-group arrays, a batch is scattered straight into
#: the cells of each grouping set instead of being reduced to its groups first.
GROUP_BYTES = 1 << 27
#: Rows per slice of a batch that is scattered.
SCATTER_ROWS = 1 << 16
#: Counts are held as uint32 until this many rows have been scanned.
_NARROW_ROWS = (1 << 32) - 1

VOLUME_SUMS = (
    "n",
    "n_labelled",
    "label_sum",
    "prediction_sum",
    "score_sum",
    "n_predicted_positive",
    "logloss_sum",
    "brier_sum",
    "abs_err_sum",
    "sq_err_sum",
    "err_sum",
    "latency_n",
    "latency_sum",
    "label_lag_n",
)


@dataclass(frozen=True)
class ScanPlan:
    """What one scan accumulates."""

    segments: tuple[str, ...]
    numeric: tuple[str, ...]
    edges: tuple[_FLT, ...]
    categorical: tuple[str, ...]
    categories: tuple[list[str], ...]
    known: tuple[pa.Array, ...]  # categories + other categories, as one string array
    binary: bool
    has_score: bool
    score_bins: int
    n_bw: int
    source: str
    roles: dict[str, str | None]


def _f64(col: pa.Array | pa.ChunkedArray) -> _FLT:
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def _int(col: pa.Array | pa.ChunkedArray, fill: int) -> _INT:
    return np.asarray(pc.fill_null(col, fill).to_numpy(zero_copy_only=False), dtype=np.int64)


def bin_codes(x: _FLT, edges: _FLT) -> npt.NDArray[np.integer[Any]]:
    """The ``numeric_bins`` bin of each value: 0 under, 1..m-1 inside, m over, m+1 NaN.

    ``edges`` are the ``m`` sorted, distinct edges; the last edge itself falls in
    bin ``m - 1`` and ``±inf`` in under- or overflow (see docs/summaries.md).

    Examples
    --------
    >>> e = np.array([0.0, 1.0, 2.0])
    >>> bin_codes(np.array([-np.inf, -1.0, 0.0, 0.5, 1.0, 2.0, 2.5, np.inf, np.nan]), e).tolist()
    [0, 0, 1, 1, 2, 2, 3, 3, 4]
    """
    m = len(edges)
    if m > 100:  # a binary search per value beats many passes over the values
        out = np.searchsorted(edges, x, side="right")
        out[x == edges[-1]] = m - 1
        out[np.isnan(x)] = m + 1
        return out
    # a few vectorised passes: count the edges at or below each value (the last
    # edge only if strictly below, so it lands in bin m - 1); NaN compares false
    # everywhere, so starting it at m + 1 is its final bin. int8 sums of boolean
    # views keep every pass in one SIMD loop without casts.
    out8 = np.empty(len(x), np.int8)
    hit = np.empty(len(x), np.bool_)
    np.isnan(x, out=hit)
    np.multiply(hit.view(np.int8), m + 1, out=out8)
    for k, e in enumerate(edges):
        (np.greater if k == m - 1 else np.greater_equal)(x, e, out=hit)
        out8 += hit.view(np.int8)
    return out8


class BatchAccumulator:
    """Accumulates every table of one scan into dense arrays per grouping set."""

    def __init__(self, plan: ScanPlan) -> None:
        self.plan = plan
        self.sets = [GroupingSet("", plan.n_bw, [""])] + [
            GroupingSet(s, plan.n_bw) for s in plan.segments
        ]
        self.dense = [Dense(gs) for gs in self.sets]
        self.latency = LogBins(NONPOSITIVE_BIN)
        self.lag = LogBins(NONPOSITIVE_BIN)
        # unseen[(set index, cell, feature index)] -> value -> count
        self.unseen: dict[tuple[int, int, int], dict[str, int]] = {}
        self.rows_seen = 0
        S, W = (6, 1) if plan.binary else (2, 4)
        kn = max((len(e) for e in plan.edges), default=0) + 2
        kc = max((len(c) for c in plan.categories), default=0) + 3
        #: values per batch group in the dense path (an estimate of its memory)
        self.per_group = (
            16
            + len(plan.numeric) * (kn * (S + 2 * W) + 5)
            + len(plan.categorical) * kc * (S + 2 * W)
            + (6 * (plan.score_bins + 1) if plan.binary and plan.has_score else 0)
        )
        self.sparse = False

    # -- per batch ---------------------------------------------------------------
    def add(self, b: pa.RecordBatch) -> None:
        """Add one record batch."""
        p = self.plan
        n = b.num_rows
        if self.rows_seen + n > _NARROW_ROWS and not self.dense[0].wide:
            for d in self.dense:
                d.widen()
        bw = _int(b.column("_bw"), 0)
        local: list[tuple[_INT, int]] = []
        gmaps: list[_INT] = []
        for j, gs in enumerate(self.sets[1:]):
            enc = b.column(f"_s{j}").dictionary_encode()
            codes = gs.codes(enc.dictionary.to_pylist())
            local.append((_int(enc.indices, 0), len(codes)))
            gmaps.append(codes)
        gid, keys = batch_groups(bw, local, p.n_bw)
        G = len(keys)
        # cells of each batch group in each grouping set
        rest = keys.copy()
        seg_codes: list[_INT] = []
        for _codes, size in reversed(local):
            seg_codes.insert(0, rest % size)
            rest //= size
        g_bw = rest
        self._bwv = [(g_bw, np.zeros(len(g_bw), np.int64))]
        for j in range(len(self.sets) - 1):
            self._bwv.append((g_bw, gmaps[j][seg_codes[j]]))
        cells = [gs.cells(gbw, v) for gs, (gbw, v) in zip(self.sets, self._bwv, strict=True)]
        self._gcells = cells
        self.G = G
        self.gid = gid
        self.bw = bw
        self.sparse = G * self.per_group * 8 > GROUP_BYTES
        if self.sparse and n > SCATTER_ROWS:
            # scattered batches go in slices: their row-sized temporaries stay small
            for off in range(0, n, SCATTER_ROWS):
                self.add(b.slice(off, SCATTER_ROWS))
            self.bw = bw
            return
        if self.sparse:
            # each set's rows ordered by cell: (order, distinct cells, their first
            # sorted row, each sorted row's index among the distinct cells)
            self._runs: list[tuple[_INT | None, _INT, _INT, _INT]] = []
            for c in cells:
                rc = c[gid]
                order = np.argsort(rc, kind="stable")
                sc = rc[order]
                change = sc[1:] != sc[:-1]
                starts = np.flatnonzero(np.r_[True, change])
                lid = np.r_[0, np.cumsum(change)].astype(np.int64)
                self._runs.append((order, sc[starts], starts, lid))
        else:
            self._cells = [Reduction.of(c) for c in cells]
            self._rows = Reduction.of(gid)
            # rows stay in batch order; each row's position among each set's cells
            self._runs = [(None, r.cells, r.starts, r.index()[gid]) for r in self._cells]

        pred = _f64(b.column("_pred"))
        label = _f64(b.column("_label"))
        score = _f64(b.column("_score"))
        lat = _f64(b.column("_lat"))
        L = ~np.isnan(label)
        p0 = np.nan_to_num(pred)
        y0 = np.where(L, label, 0.0)
        s0 = np.nan_to_num(score)
        if p.binary:
            bad_p = ~np.isin(pred, (0.0, 1.0))
            bad_y = L & ~np.isin(label, (0.0, 1.0))
            for bad, role in ((bad_p, "prediction"), (bad_y, "label")):
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise LogSchemaError(
                        "a binary task needs 0/1 predictions and labels",
                        source=p.source,
                        column=p.roles.get(role),
                        row=self.rows_seen + i,
                        value=float((pred if role == "prediction" else label)[i]),
                    )
            state = ((np.where(L, y0, -1.0) + 1.0) * 2.0 + p0).astype(np.int64)
            err = np.where(L, (p0 != y0).astype(np.float64), 0.0)
        else:
            state = L.astype(np.int64)
            err = np.where(L, np.abs(p0 - y0), 0.0)
        self._state = state
        self._S = 6 if p.binary else 2
        self._L = L.astype(np.int64)
        self._weights = [s0] if p.binary else [y0, p0, s0, err]

        self._volume(b, L, p0, y0, s0, lat, err)
        if p.numeric:
            self._numerics(b)
        if p.categorical:
            codes = np.empty((n, len(p.categorical)), np.int64, order="F")
            for i in range(len(p.categorical)):
                codes[:, i] = self._categorical(i, b.column(f"_c{i}"))
            self._feature_label("c", codes, max(len(c) for c in p.categories) + 3)
        if p.binary and p.has_score:
            B = p.score_bins
            sb = np.floor(np.round(score * B, 9))
            sb = np.where(np.isnan(sb), B, np.clip(sb, 0, B - 1)).astype(np.int64)
            # one key per row: counted straight into each set's cells on both paths
            self._scatter("score", (B, 6), sb * 6 + state, None, rows=sb < B)
        self._logbins("latency", self.latency, _int(b.column("_latbin"), NONPOSITIVE_BIN - 1), None)
        lagb = _int(b.column("_lagbin"), NONPOSITIVE_BIN - 1)
        lab01 = (y0 if p.binary else np.ones(n)).astype(np.int64)
        self._logbins("label_lag", self.lag, lagb, lab01)
        self.rows_seen += n

    def _add(self, name: str, kind: str, values: npt.NDArray[np.generic]) -> None:
        for d, cell in zip(self.dense, self._cells, strict=True):
            d.add(name, kind, cell, values)

    def _scatter(
        self,
        name: str,
        inner: tuple[int, ...],
        key: _INT,
        values: _FLT | None,
        *,
        rows: _BOOL | None = None,
    ) -> None:
        """Add per-row ``values`` (1 if None) at ``key`` of the inner shape of each row's cell.

        ``key`` and ``values`` are ``(rows,)`` or ``(rows, k)`` (k positions per row);
        ``rows`` keeps only some rows. One ``bincount`` per grouping set over the
        cells this batch touches (:meth:`Dense.add_counts`). Rows are taken in cell
        order when the batch is scattered, in batch order when it is grouped.
        """
        size = int(np.prod(inner, dtype=np.int64))
        for d, (order, cells, _starts, local) in zip(self.dense, self._runs, strict=True):
            v = values
            if order is None:
                lc, k = local, key
                if rows is not None:
                    lc, k = lc[rows], k[rows]
                    v = None if v is None else v[rows]
            elif rows is None:
                o, lc = order, local
                k = key[o]
                v = None if v is None else v[o]
            else:
                keep = rows[order]
                o, lc = order[keep], local[keep]
                k = key[o]
                v = None if v is None else v[o]
            flat = (lc * size).reshape(-1, *([1] * (k.ndim - 1))) + k
            v = None if v is None else v.reshape(-1)
            d.add_counts(name, inner, cells, flat.reshape(-1), v)

    def _reduce(self, name: str, kind: str, values: npt.NDArray[np.generic]) -> None:
        """Combine per-row ``values`` ``(rows, *inner)`` into each row's cell, every set."""
        for d, (order, cells, starts, _local) in zip(self.dense, self._runs, strict=True):
            assert order is not None  # only scattered batches reduce rows
            d.reduce(name, kind, cells, starts, values[order])

    def _bc(self, key: _INT, size: int, w: _FLT | None = None) -> npt.NDArray[np.generic]:
        return np.bincount(key, weights=w, minlength=size)

    def _volume(
        self, b: pa.RecordBatch, L: _BOOL, p0: _FLT, y0: _FLT, s0: _FLT, lat: _FLT, err: _FLT
    ) -> None:
        p, gid, G = self.plan, self.gid, self.G
        d = np.where(L, p0 - y0, 0.0)
        if p.binary and p.has_score:
            score_ok = L & (s0 == s0)
            sc = np.clip(s0, 1e-15, 1 - 1e-15)
            ll = np.where(score_ok, -(y0 * np.log(sc) + (1 - y0) * np.log1p(-sc)), 0.0)
            br = np.where(score_ok, (s0 - y0) ** 2, 0.0)
        else:
            ll = br = np.zeros(len(gid))
        lv = ~np.isnan(lat)
        lagv = b.column("_lagbin").is_valid()
        lagn = np.asarray(lagv.to_numpy(zero_copy_only=False), dtype=np.float64)
        cols = [
            None,
            L.astype(np.float64),
            y0,
            p0,
            s0,
            (p0 == 1).astype(np.float64) if p.binary else None,
            ll,
            br,
            np.abs(d),
            d * d,
            d,
            lv.astype(np.float64),
            np.where(lv, lat, 0.0),
            lagn,
        ]
        lo, hi = np.where(lv, lat, np.inf), np.where(lv, lat, -np.inf)
        if self.sparse:
            ones, zeros = np.ones(len(gid)), np.zeros(len(gid))
            vals = np.stack(
                [ones if k == 0 else zeros if w is None else w for k, w in enumerate(cols)], axis=1
            )
            self._reduce("volume", "sum", vals)
            self._reduce("volume_min", "min", lo)
            self._reduce("volume_max", "max", hi)
            return
        out = np.zeros((G, len(cols)))
        for k, w in enumerate(cols):
            if w is not None or k == 0:
                out[:, k] = self._bc(gid, G, w)
        self._add("volume", "sum", out)
        mn = np.full(G, np.inf)
        mx = np.full(G, -np.inf)
        np.minimum.at(mn, gid, lo)
        np.maximum.at(mx, gid, hi)
        self._add("volume_min", "min", mn)
        self._add("volume_max", "max", mx)

    def _feature_label(self, name: str, code: _INT, K: int) -> None:
        """Counts per (group, feature, code, state), weight sums per (group, feature, code, L).

        ``code`` is ``(rows, features)`` in Fortran order: every feature of a kind in
        one ``bincount``. On the grouped path it is overwritten with the flat keys.
        """
        G, gid = self.G, self.gid
        F = code.shape[1]
        S, W = self._S, len(self._weights)
        if self.sparse:
            fk = np.arange(F) * K + code
            self._scatter(f"{name}_n", (F, K, S), fk * S + self._state[:, None], None)
            k2 = (fk * 2 + self._L[:, None]) * W
            for i, x in enumerate(self._weights):
                xs = np.broadcast_to(x[:, None], code.shape)
                self._scatter(f"{name}_w", (F, K, 2, W), k2 + i, xs)
            return
        # key ((group * F + feature) * K + code) * S + state, built in place: a few
        # passes over the array instead of several temporaries of its size
        key = code
        key *= S
        key += (gid * (F * K * S) + self._state)[:, None]
        key += np.arange(F, dtype=np.int64) * (K * S)
        flat = key.ravel(order="F")  # a view: Fortran order keeps each feature contiguous
        size = G * F * K * S
        c = np.bincount(flat, minlength=size)
        self._add(f"{name}_n", "sum", c.reshape(G, F, K, S))
        # the weights are summed on the same key (no second key array), then the
        # states fold into labelled or not: binary states 0-1 are unlabelled rows,
        # 2-5 labelled; otherwise the state is the labelled flag already
        w = np.stack(
            [np.bincount(flat, weights=np.tile(x, F), minlength=size) for x in self._weights],
            axis=-1,
        ).reshape(G, F, K, S, W)
        if self.plan.binary:
            w = np.add.reduceat(w, [0, 2], axis=3)
        self._add(f"{name}_w", "sum", w)

    def _numerics(self, b: pa.RecordBatch) -> None:
        """Bins, moments, min and max of every numeric feature, a few calls in all."""
        G = self.G
        p = self.plan
        F = len(p.numeric)
        n = b.num_rows
        x = np.empty((F, n), np.float64)  # one row per feature: each feature contiguous
        for i in range(F):
            x[i] = _f64(b.column(f"_x{i}"))
        codes = np.empty((n, F), np.int64, order="F")
        for i, edges in enumerate(p.edges):
            codes[:, i] = bin_codes(x[i], edges)
        self._feature_label("x", codes, max(len(e) for e in p.edges) + 2)
        if self.sparse:
            xr = x.T  # (rows, features)
            fin = np.isfinite(xr)
            xf = np.where(fin, xr, 0.0)
            self._reduce("m", "sum", np.stack([xf, xf * xf, fin.astype(np.float64)], axis=-1))
            self._reduce("mn", "min", np.where(fin, xr, np.inf))
            self._reduce("mx", "max", np.where(fin, xr, -np.inf))
            return
        # per group: rows sorted by group once, then reduceat along each feature's
        # contiguous row (reduceat along the rows of a (rows, features) array is
        # several times slower: a short inner loop per row)
        red = self._rows
        xs = x if red.order is None else np.take(x, red.order, axis=1)  # ours to change
        bad = ~np.isfinite(xs)
        # non-finite values count in no moment: NaN for min and max (fmin and fmax
        # skip it), then 0 for the sums
        np.copyto(xs, np.nan, where=bad)
        mn = np.fmin.reduceat(xs, red.starts, axis=1)
        mx = np.fmax.reduceat(xs, red.starts, axis=1)
        np.copyto(xs, 0.0, where=bad)
        mom = np.empty((F, len(red.cells), 3))
        sizes = np.diff(np.r_[red.starts, n])
        mom[..., 2] = sizes - np.add.reduceat(bad, red.starts, axis=1, dtype=np.int64)
        np.add.reduceat(xs, red.starts, axis=1, out=mom[..., 0])
        np.multiply(xs, xs, out=xs)
        np.add.reduceat(xs, red.starts, axis=1, out=mom[..., 1])
        full = np.zeros((G, F, 3))
        full[red.cells] = mom.transpose(1, 0, 2)
        self._add("m", "sum", full)
        # a group without a finite value has NaN from fmin / fmax: the min / max fills
        lo = np.full((G, F), np.inf)
        hi = np.full((G, F), -np.inf)
        lo[red.cells] = np.where(np.isnan(mn), np.inf, mn).T
        hi[red.cells] = np.where(np.isnan(mx), -np.inf, mx).T
        self._add("mn", "min", lo)
        self._add("mx", "max", hi)

    def _categorical(self, i: int, col: pa.Array) -> _INT:
        """Codes: 0..k-1 the categories, k other, k+1 null, k+2 unseen."""
        k = len(self.plan.categories[i])
        enc = col.dictionary_encode()
        dic = enc.dictionary
        pos = pc.index_in(dic, value_set=self.plan.known[i])
        posn = _int(pos, -1)
        dcode = np.where(posn < 0, k + 2, np.where(posn < k, posn, k)).astype(np.int64)
        dcode = np.r_[dcode, k + 1]  # the null slot
        idx = _int(enc.indices, len(dic))
        code: _INT = dcode[idx]
        unseen_d = np.flatnonzero(dcode[:-1] == k + 2)
        if len(unseen_d):
            self._unseen(i, idx, code == k + 2, dic)
        return code

    def _unseen(self, i: int, idx: _INT, rows: _BOOL, dic: pa.Array) -> None:
        nd = len(dic)
        key = self.gid[rows] * nd + idx[rows]
        uk, cnt = np.unique(key, return_counts=True)
        g, v = uk // nd, uk % nd
        order = np.lexsort((-cnt, g))
        g, v, cnt = g[order], v[order], cnt[order]
        first = np.searchsorted(g, g, side="left")
        keep = (np.arange(len(g)) - first) < UNSEEN_PER_BATCH
        g, v, cnt = g[keep], v[keep], cnt[keep]
        names = dic.take(pa.array(v)).to_pylist()
        for s, gc in enumerate(self._gcells):
            for cell, name, c in zip(gc[g].tolist(), names, cnt.tolist(), strict=True):
                ck = (s, int(cell), i)
                d = self.unseen.setdefault(ck, {})
                d[name] = d.get(name, 0) + c
                if len(d) > UNSEEN_CAP:
                    top = sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[: UNSEEN_CAP // 2]
                    self.unseen[ck] = dict(top)

    def _logbins(self, name: str, lb: LogBins, bins: _INT, lab: _INT | None) -> None:
        ok = bins != NONPOSITIVE_BIN - 1
        if not ok.any():
            return
        slots, old_lo, old_w = lb.slots(bins[ok])
        for d in self.dense:
            regrow_logbins(d, name, old_lo, old_w, lb)
        W = lb.width + 1
        nl = 1 if lab is None else 2
        # one key per row: counted straight into each set's cells on both paths
        full = np.zeros(len(bins), np.int64)
        full[ok] = slots
        inner_key = full if lab is None else lab * W + full
        self._scatter(name, (nl, W), inner_key, None, rows=ok)

"""Accumulators -> the Arrow tables of ``docs/summaries.md``, once, at the end.

Only non-empty cells become rows, written straight into their sorted place: no
table is materialised twice and nothing is sorted row by row.

A table is a set of *blocks*: the rows of one cell of one grouping set for one
feature (or for no feature), whose inner keys (bin, label, ...) come in order
from ``numpy.flatnonzero`` over the accumulator. Blocks are few (cells x
features), so they alone are sorted by ``(window, bucket, segment,
segment_value, feature)`` ranks; that gives every block its first row, the key
columns are ``numpy.repeat`` of the block keys, and every value column is
allocated once at its final length and filled block by block. This takes two
passes over the accumulators (count, then fill), one feature at a time, so the
temporaries stay small. String columns are built as dictionary indices and cast
to plain strings, one column at a time (the schema has plain strings).

The accumulators are released table by table: :func:`to_tables` consumes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from modelward.engine._batch import VOLUME_SUMS, BatchAccumulator
from modelward.engine.summaries import TABLE_SPECS, UNSEEN_TOP, empty_table

__all__ = ["to_tables"]

_INT = npt.NDArray[np.int64]
_Arr = npt.NDArray[Any]
_Cols = dict[str, _Arr]
#: ``(flat indices, their cell, their inner position) -> value columns``
_ColFn = Callable[[_INT, _INT, _INT], _Cols]
#: one block family: ``(grouping set, feature index or -1, () -> (mask (cells, P), columns))``
_Part = tuple[int, int, Callable[[], tuple[_Arr, _ColFn]]]
_INT_COLS = {"n", "n_labelled", "n_predicted_positive", "latency_n", "label_lag_n"}
#: prefix of a value column's validity (a bool column; False is null)
_VALID = "_valid_"


def _rank(values: list[str]) -> _INT:
    """The rank of each string in sorted order.

    Examples
    --------
    >>> _rank(["b", "", "a"]).tolist()
    [2, 0, 1]
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = np.empty(len(values), np.int64)
    r[order] = np.arange(len(values))
    return r


def _strings(idx: _Arr, values: list[str]) -> pa.Array:
    """``values[idx]`` as a plain Arrow string array (built through a dictionary)."""
    ind = pa.array(np.asarray(idx, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(ind, pa.array(values, pa.string())).cast(pa.string())


def _order(ranks: list[_INT]) -> _INT:
    """The lexicographic order of ``ranks`` (first key first), as ``np.lexsort`` gives it.

    Non-negative ranks are packed into one int64 key when they fit (one stable
    argsort instead of a multi-key lexsort).

    Examples
    --------
    >>> _order([np.array([1, 0, 1, 0]), np.array([0, 2, -1, 1])]).tolist()
    [3, 1, 2, 0]
    """
    key = np.zeros(len(ranks[0]), np.int64)
    room = 1.0
    for r in ranks:
        r = np.asarray(r, np.int64)
        lo = int(r.min()) if len(r) else 0
        span = (int(r.max()) - lo + 1) if len(r) else 1
        room *= span
        if room >= 2.0**62:
            out: _INT = np.lexsort(ranks[::-1])
            return out
        key = key * span + (r - lo)
    res: _INT = np.argsort(key, kind="stable")
    return res


def _schema(name: str) -> pa.Schema:
    small = {
        "numeric_bins": {"bin": pa.int16()},
        "feature_label": {"bin": pa.int16()},
        "score": {"score_bin": pa.int16()},
    }.get(name, {})
    target = empty_table(name).schema
    return pa.schema([pa.field(f.name, small.get(f.name, f.type)) for f in target])


def _rows(mask: _Arr) -> _Arr:
    """``mask`` as ``(cells, P)``."""
    return mask.reshape(mask.shape[0], int(np.prod(mask.shape[1:], dtype=np.int64)))


def _np_dtype(t: pa.DataType) -> np.dtype[Any]:
    if pa.types.is_boolean(t):
        return np.dtype(np.bool_)
    if pa.types.is_string(t):
        return np.dtype(np.int32)  # a dictionary index
    out: np.dtype[Any] = np.dtype(t.to_pandas_dtype())
    return out


class _Builder:
    """Key ranks of every cell, and the table assembly of the module docstring."""

    def __init__(self, acc: BatchAccumulator, base_us: int, step_us: int) -> None:
        self.acc = acc
        self.base_us = base_us
        self.step_us = step_us
        self.segments = [gs.segment for gs in acc.sets]
        self.seg_rank = _rank(self.segments)
        self.values: list[str] = []
        self.val_off: list[int] = []
        for gs in acc.sets:
            self.val_off.append(len(self.values))
            self.values.extend(gs.values)
        self.val_rank = [_rank(gs.values) for gs in acc.sets]
        p = acc.plan
        self.features = [*p.numeric, *p.categorical]
        self.feat_rank = _rank(self.features)
        self.cell_keys = [gs.cell_keys() for gs in acc.sets]

    def table(
        self, name: str, parts: Callable[[], Iterator[_Part]], **dicts: list[str]
    ) -> pa.Table:
        """Table ``name`` from its block families; ``dicts``: string columns' dictionaries."""
        schema = _schema(name)
        # pass 1: rows per block
        counts: list[_INT] = []
        b_s, b_f, b_cell = [], [], []
        for s, f, fn in parts():
            mask, _ = fn()
            cnt = np.count_nonzero(_rows(mask), axis=1).astype(np.int64)
            counts.append(cnt)
            b_s.append(np.full(len(cnt), s, np.int64))
            b_f.append(np.full(len(cnt), f, np.int64))
            b_cell.append(np.arange(len(cnt), dtype=np.int64))
        total = int(sum(int(c.sum()) for c in counts))
        if total == 0:
            return empty_table(name).cast(schema)
        bs, bf, bc, bn = (np.concatenate(x) for x in (b_s, b_f, b_cell, counts))
        bw = np.zeros(len(bs), np.int64)
        bv = np.zeros(len(bs), np.int64)
        for s in np.unique(bs).tolist():
            sel = bs == s
            bw[sel] = self.cell_keys[s][0][bc[sel]]
            bv[sel] = self.cell_keys[s][1][bc[sel]]
        vrank = np.zeros(len(bs), np.int64)
        for s in np.unique(bs).tolist():
            sel = bs == s
            vrank[sel] = self.val_rank[s][bv[sel]]
        frank = np.where(bf >= 0, self.feat_rank[np.maximum(bf, 0)] if len(self.features) else 0, 0)
        order = _order([bw % 2, bw // 2, self.seg_rank[bs], vrank, frank])
        start = np.empty(len(bs), np.int64)
        sn = bn[order]
        start[order] = np.cumsum(sn) - sn
        cols: dict[str, Any] = {
            "window": np.repeat((bw % 2)[order].astype(np.int8), sn),
            "bucket": np.repeat(self.base_us + (bw // 2)[order] * self.step_us, sn),
            "segment": np.repeat(bs[order].astype(np.int16), sn),
            "segment_value": np.repeat(
                (np.asarray(self.val_off, np.int64)[bs] + bv)[order].astype(np.int32), sn
            ),
        }
        if "feature" in schema.names:
            cols["feature"] = np.repeat(bf[order].astype(np.int16), sn)
        del order, sn, bw, bv, vrank, frank
        # pass 2: fill every value column in place
        at = 0
        for i, (_s, _f, fn) in enumerate(parts()):
            cnt = counts[i]
            first = start[at : at + len(cnt)]
            at += len(cnt)
            mask, colfn = fn()
            m2 = _rows(mask)
            flat = np.flatnonzero(m2)
            if not len(flat):
                continue
            P = m2.shape[1]
            cell = flat // P
            pos = np.arange(len(flat), dtype=np.int64) + (first - (np.cumsum(cnt) - cnt))[cell]
            for c, vals in colfn(flat, cell, flat % P).items():
                out = cols.get(c)
                if out is None:
                    dt = np.dtype(np.bool_) if c.startswith(_VALID) else None
                    out = cols[c] = np.zeros(total, dt or _np_dtype(schema.field(c).type))
                out[pos] = vals
        return _assemble(schema, cols, {**dicts, **self._dicts()})

    def _dicts(self) -> dict[str, list[str]]:
        return {
            "window": ["current", "reference"],
            "segment": self.segments,
            "segment_value": self.values,
            "feature": self.features,
        }


def _assemble(schema: pa.Schema, cols: dict[str, Any], dicts: dict[str, list[str]]) -> pa.Table:
    """Arrow columns from the filled numpy columns (released one by one)."""
    arrays = []
    for f in schema:
        x = cols.pop(f.name)
        valid = cols.pop(_VALID + f.name, None)
        if pa.types.is_string(f.type):
            arrays.append(_strings(x, dicts[f.name]))
        elif pa.types.is_timestamp(f.type):
            arrays.append(pa.array(np.asarray(x, np.int64).view("datetime64[us]"), f.type))
        else:
            arrays.append(pa.array(x, f.type, mask=None if valid is None else ~valid))
        del x
    return pa.Table.from_arrays(arrays, schema=schema)


def to_tables(acc: BatchAccumulator, *, base_us: int, step_us: int) -> dict[str, pa.Table]:
    """The summaries tables of one scan (all but ``sample``); releases ``acc``'s arrays."""
    b = _Builder(acc, base_us, step_us)
    p = acc.plan
    dense = acc.dense
    live = [s for s, d in enumerate(dense) if d.get("volume") is not None]
    nn = len(p.numeric)
    cat_names = [[*c, "__other__", "__null__", "__unseen__"] for c in p.categories]
    cat_off = np.cumsum([0] + [len(c) for c in cat_names])
    out: dict[str, pa.Table] = {}

    def release(*names: str) -> None:
        for d in dense:
            for n in names:
                d.arrays.pop(n, None)

    out["score"] = b.table("score", lambda: (_score(dense[s], s) for s in live if s >= 0))
    release("score")
    for name, lb in (("latency", acc.latency), ("label_lag", acc.lag)):
        out[name] = b.table(name, partial(_logbin_parts, dense, live, name, lb.bin_values()))
        release(name)
    out["volume"] = b.table("volume", lambda: (_volume(dense[s], s) for s in live))
    release("volume_min", "volume_max")
    out["numeric_moments"] = b.table(
        "numeric_moments",
        lambda: (_moments(b, dense[s], s, i) for s in live for i in range(nn)),
    )
    release("m", "mn", "mx")
    out["numeric_bins"] = b.table(
        "numeric_bins",
        lambda: (_numeric_bins(b, dense[s], s, i) for s in live for i in range(nn)),
    )
    out["categorical"] = b.table(
        "categorical",
        lambda: (
            _categories(dense[s], s, i, nn, cat_names[i], int(cat_off[i]))
            for s in live
            for i in range(len(p.categorical))
        ),
        category=[c for names in cat_names for c in names],
    )
    out["feature_label"] = b.table("feature_label", lambda: _feature_label_parts(b, live))
    release(*list(dense[0].arrays) if dense else [])
    out["unseen"] = _unseen(b)
    return {name: out[name] for name in TABLE_SPECS}


def _get(d: Any, name: str) -> _Arr:
    arr = d.get(name)
    assert arr is not None, name
    return np.asarray(arr)


def _score(d: Any, s: int) -> _Part:
    def fn() -> tuple[_Arr, _ColFn]:
        sc = d.get("score")
        if sc is None:
            return np.zeros((0, 1), bool), lambda *a: {}
        flat_sc = sc.reshape(-1)

        def cols(flat: _INT, cell: _INT, p: _INT) -> _Cols:
            st = p % 6
            return {
                "score_bin": p // 6,
                "label": st // 2 - 1,
                "prediction": st % 2,
                "count": flat_sc[flat],
            }

        return sc, cols

    return s, -1, fn


def _logbin_parts(dense: list[Any], live: list[int], name: str, bins: _INT) -> Iterator[_Part]:
    for s in live:
        d = dense[s]

        def fn(d: Any = d) -> tuple[_Arr, _ColFn]:
            arr = d.get(name)
            if arr is None:
                return np.zeros((0, 1), bool), lambda *a: {}
            W = arr.shape[-1]
            flat_a = arr.reshape(-1)

            def cols(flat: _INT, cell: _INT, p: _INT) -> _Cols:
                c = {"bin": bins[p % W], "count": flat_a[flat]}
                if name == "label_lag":
                    c["label"] = p // W
                return c

            return arr, cols

        yield s, -1, fn


def _volume(d: Any, s: int) -> _Part:
    def fn() -> tuple[_Arr, _ColFn]:
        vol = _get(d, "volume")
        mn, mx = _get(d, "volume_min"), _get(d, "volume_max")
        lat = VOLUME_SUMS.index("latency_n")

        def cols(flat: _INT, cell: _INT, p: _INT) -> _Cols:
            sel = vol[cell]
            out: _Cols = {
                c: (np.rint(sel[:, k]) if c in _INT_COLS else sel[:, k])
                for k, c in enumerate(VOLUME_SUMS)
            }
            ok = sel[:, lat] > 0
            out["latency_min"] = np.where(ok, mn[cell], 0.0)
            out["latency_max"] = np.where(ok, mx[cell], 0.0)
            out[_VALID + "latency_min"] = out[_VALID + "latency_max"] = ok
            return out

        return vol[:, 0] > 0, cols

    return s, -1, fn


def _moments(b: _Builder, d: Any, s: int, i: int) -> _Part:
    m = len(b.acc.plan.edges[i])

    def fn() -> tuple[_Arr, _ColFn]:
        n = _get(d, "volume")[:, 0]

        def cols(flat: _INT, cell: _INT, p: _INT) -> _Cols:
            mom = _get(d, "m")[cell, i]
            binned = _get(d, "x_n")[cell, i, : m + 1].sum(axis=(1, 2), dtype=np.int64)
            cnt = np.rint(mom[:, 2]).astype(np.int64)
            ok = cnt > 0
            return {
                "count": cnt,
                "nulls": np.rint(n[cell]).astype(np.int64) - binned,
                "sum": mom[:, 0],
                "sum_sq": mom[:, 1],
                "min": np.where(ok, _get(d, "mn")[cell, i], 0.0),
                "max": np.where(ok, _get(d, "mx")[cell, i], 0.0),
                _VALID + "min": ok,
                _VALID + "max": ok,
            }

        return n > 0, cols

    return s, i, fn


def _numeric_bins(b: _Builder, d: Any, s: int, i: int) -> _Part:
    m = len(b.acc.plan.edges[i])

    def fn() -> tuple[_Arr, _ColFn]:
        binned = _get(d, "x_n")[:, i, : m + 1].sum(-1, dtype=np.int64)
        flat_b = binned.reshape(-1)
        return binned, lambda flat, cell, p: {"bin": p, "count": flat_b[flat]}

    return s, i, fn


def _categories(d: Any, s: int, i: int, nn: int, names: list[str], off: int) -> _Part:
    k = len(names) - 3
    order = np.argsort(_rank(names))  # category index by name order

    def fn() -> tuple[_Arr, _ColFn]:
        tot = _get(d, "c_n")[:, i, : k + 3].sum(-1, dtype=np.int64)[:, order]
        flat_t = tot.reshape(-1)
        return tot, lambda flat, cell, p: {"category": off + order[p], "count": flat_t[flat]}

    return s, nn + i, fn


def _feature_label_parts(b: _Builder, live: list[int]) -> Iterator[_Part]:
    p = b.acc.plan
    for s in live:
        d = b.acc.dense[s]
        for i in range(len(p.numeric)):
            yield s, i, _fl_fn(b, d, "x", i, len(p.edges[i]) + 1, 0)
        for i, cats in enumerate(p.categories):
            yield s, len(p.numeric) + i, _fl_fn(b, d, "c", i, len(cats), 1)


def _fl_fn(
    b: _Builder, d: Any, kind: str, i: int, k: int, shift: int
) -> Callable[[], tuple[_Arr, _ColFn]]:
    """Feature-label block of feature ``i`` of ``kind``: ``k`` bins (categories: + 1 other)."""
    binary = b.acc.plan.binary

    def fn() -> tuple[_Arr, _ColFn]:
        c = _get(d, f"{kind}_n")[:, i, : k + 3 * shift]
        w = _get(d, f"{kind}_w")[:, i, : k + 3 * shift]
        if shift:  # bin -1: other, null and unseen together, then the categories
            c = np.concatenate([c[:, k:].sum(1, keepdims=True, dtype=c.dtype), c[:, :k]], axis=1)
            w = np.concatenate([w[:, k:].sum(1, keepdims=True), w[:, :k]], axis=1)
        else:
            c, w = c[:, :k], w[:, :k]
        if binary:
            z = np.zeros_like(c[..., 0])
            cnt = np.stack([c[..., 0] + c[..., 1], c[..., 2:].sum(-1, dtype=c.dtype)], axis=-1)
            sums = [
                np.stack([z, c[..., 4] + c[..., 5]], axis=-1),
                np.stack([c[..., 1], c[..., 3] + c[..., 5]], axis=-1),
                w[..., 0],
                np.stack([z, c[..., 3] + c[..., 4]], axis=-1),
            ]
        else:
            cnt = c
            sums = [w[..., j] for j in range(4)]
        flats = [x.reshape(-1) for x in (cnt, *sums)]

        def cols(flat: _INT, cell: _INT, q: _INT) -> _Cols:
            return {
                "bin": q // 2 - shift,
                "labelled": (q % 2).astype(bool),
                "count": flats[0][flat],
                "label_sum": flats[1][flat],
                "prediction_sum": flats[2][flat],
                "score_sum": flats[3][flat],
                "error_sum": flats[4][flat],
            }

        return cnt, cols

    return fn


def _unseen(b: _Builder) -> pa.Table:
    """The (small) unseen table: top values per key and feature, sorted row by row."""
    acc = b.acc
    rows = [
        (s, cell, i, value, c)
        for (s, cell, i), vals in acc.unseen.items()
        for value, c in sorted(vals.items(), key=lambda kv: (-kv[1], kv[0]))[:UNSEEN_TOP]
    ]
    schema = _schema("unseen")
    if not rows:
        return empty_table("unseen").cast(schema)
    s = np.array([r[0] for r in rows], np.int64)
    cell = np.array([r[1] for r in rows], np.int64)
    fi = np.array([len(acc.plan.numeric) + r[2] for r in rows], np.int64)
    values = [r[3] for r in rows]
    bw = np.zeros(len(rows), np.int64)
    v = np.zeros(len(rows), np.int64)
    vrank = np.zeros(len(rows), np.int64)
    for k in np.unique(s).tolist():
        sel = s == k
        bw[sel], v[sel] = b.cell_keys[k][0][cell[sel]], b.cell_keys[k][1][cell[sel]]
        vrank[sel] = b.val_rank[k][v[sel]]
    order = _order([bw % 2, bw // 2, b.seg_rank[s], vrank, b.feat_rank[fi], _rank(values)])
    bw, s, v, fi = bw[order], s[order], v[order], fi[order]
    cols: dict[str, Any] = {
        "window": bw % 2,
        "bucket": b.base_us + (bw // 2) * b.step_us,
        "segment": s,
        "segment_value": np.asarray(b.val_off, np.int64)[s] + v,
        "feature": fi,
        "value": order,
        "count": np.array([r[4] for r in rows], np.int64)[order],
    }
    return _assemble(schema, cols, {**b._dicts(), "value": values})

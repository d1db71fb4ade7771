"""Dense accumulators -> the Arrow tables of ``docs/summaries.md``, once, at the end.

Only non-empty cells become rows. Rows are sorted by the table's keys using
integer ranks (window, bucket index, segment, value, feature, ...), not strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from modelward.engine._batch import VOLUME_SUMS, BatchAccumulator
from modelward.engine.summaries import TABLE_SPECS, UNSEEN_TOP, empty_table

__all__ = ["to_tables"]

_INT = npt.NDArray[np.int64]
_Cols = dict[str, Any]
_INT_COLS = {"n", "n_labelled", "n_predicted_positive", "latency_n", "label_lag_n"}


def _strings(idx: npt.ArrayLike, values: list[str]) -> pa.Array:
    """``values[idx]`` as an Arrow string array (built through a dictionary)."""
    ind = pa.array(np.asarray(idx, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(ind, pa.array(values, pa.string())).cast(pa.string())


def _const(value: str, n: int) -> pa.Array:
    return _strings(np.zeros(n, np.int32), [value])


def _rank(values: list[str]) -> _INT:
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = np.empty(len(values), np.int64)
    r[order] = np.arange(len(values))
    return r


class _Builder:
    def __init__(self, acc: BatchAccumulator, base_us: int, step_us: int) -> None:
        self.acc = acc
        self.base_us = base_us
        self.step_us = step_us
        self.seg_rank = _rank([gs.segment for gs in acc.sets])
        self.val_rank = [_rank(gs.values) for gs in acc.sets]
        p = acc.plan
        self.features = [*p.numeric, *p.categorical]
        self.feat_rank = _rank(self.features)
        self.parts: dict[str, list[_Cols]] = {n: [] for n in TABLE_SPECS}
        self.cell_keys = [gs.cell_keys() for gs in acc.sets]

    def keys(self, s: int, cell: _INT) -> _Cols:
        gs = self.acc.sets[s]
        bw, v = self.cell_keys[s][0][cell], self.cell_keys[s][1][cell]
        return {
            "window": _strings(bw % 2, ["current", "reference"]),
            "bucket": (self.base_us + (bw // 2) * self.step_us).astype("datetime64[us]"),
            "segment": _const(gs.segment, len(bw)),
            "segment_value": _strings(v, gs.values),
            "_r": [bw % 2, bw // 2, np.full(len(bw), self.seg_rank[s]), self.val_rank[s][v]],
        }

    def emit(self, name: str, s: int, idx: tuple[_INT, ...], cols: _Cols, ranks: list[Any]) -> None:
        """Rows of table ``name`` for the cells ``idx[0]`` of grouping set ``s``."""
        k = self.keys(s, idx[0])
        k["_r"] = [*k["_r"], *ranks]
        k.update(cols)
        self.parts[name].append(k)

    def table(self, name: str) -> pa.Table:
        parts = self.parts[name]
        target = empty_table(name).schema
        if not parts or sum(len(p["bucket"]) for p in parts) == 0:
            return empty_table(name).cast(_schema(name, target))
        ranks = [
            np.concatenate([np.asarray(p["_r"][i]) for p in parts])
            for i in range(len(parts[0]["_r"]))
        ]
        order = _order(ranks)
        schema = _schema(name, target)
        arrays = []
        for f in schema:
            col = [p[f.name] for p in parts]
            if isinstance(col[0], pa.Array):
                arr = pa.concat_arrays(col).take(pa.array(order))
            else:
                arr = pa.array(np.concatenate(col)[order], f.type)
            arrays.append(arr.cast(f.type))
        return pa.Table.from_arrays(arrays, schema=schema)


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


def _schema(name: str, target: pa.Schema) -> pa.Schema:
    small = {
        "numeric_bins": {"bin": pa.int16()},
        "feature_label": {"bin": pa.int16()},
        "score": {"score_bin": pa.int16()},
    }.get(name, {})
    return pa.schema([pa.field(f.name, small.get(f.name, f.type)) for f in target])


def _masked(x: npt.NDArray[np.float64], empty: npt.NDArray[np.bool_]) -> pa.Array:
    return pa.array(np.where(empty, 0.0, x), pa.float64(), mask=empty)


def to_tables(acc: BatchAccumulator, *, base_us: int, step_us: int) -> dict[str, pa.Table]:
    """The summaries tables of one scan (all but ``sample``)."""
    b = _Builder(acc, base_us, step_us)
    p = acc.plan
    for s, d in enumerate(acc.dense):
        vol: Any = d.get("volume")
        if vol is None:
            continue
        n = vol[..., 0]
        idx = np.nonzero(n > 0)
        sel = vol[idx]
        lat_n = sel[:, VOLUME_SUMS.index("latency_n")]
        cols: _Cols = {
            c: (np.rint(sel[:, k]).astype(np.int64) if c in _INT_COLS else sel[:, k])
            for k, c in enumerate(VOLUME_SUMS)
        }
        mn: Any = d.get("volume_min")
        mx: Any = d.get("volume_max")
        cols["latency_min"] = _masked(mn[idx], lat_n == 0)
        cols["latency_max"] = _masked(mx[idx], lat_n == 0)
        b.emit("volume", s, idx, cols, [])
        for i, f in enumerate(p.numeric):
            _numeric(b, s, d, i, f, idx, n)
        for i, f in enumerate(p.categorical):
            _categorical(b, s, d, i, f)
        sc = d.get("score")
        if sc is not None:
            j = np.nonzero(sc)
            b.emit(
                "score",
                s,
                j,
                {
                    "score_bin": j[1],
                    "label": j[2] // 2 - 1,
                    "prediction": j[2] % 2,
                    "count": sc[j].astype(np.int64),
                },
                [j[1], j[2] // 2, j[2] % 2],
            )
        for name, lb in (("latency", acc.latency), ("label_lag", acc.lag)):
            arr = d.get(name)
            if arr is None:
                continue
            bins = lb.bin_values()
            j = np.nonzero(arr)
            cols = {"bin": bins[j[2]], "count": arr[j].astype(np.int64)}
            ranks = [bins[j[2]]]
            if name == "label_lag":
                cols["label"] = j[1]
                ranks = [j[1], *ranks]
            b.emit(name, s, j, cols, ranks)
    _unseen(b)
    return {name: b.table(name) for name in TABLE_SPECS}


def _feature_label(b: _Builder, s: int, fi: int, feature: str, c: Any, w: Any, shift: int) -> None:
    """``c``: counts (cell, bin, state); ``w``: weight sums (cell, bin, labelled, W)."""
    binary = b.acc.plan.binary
    if binary:
        cnt = np.stack([c[..., 0] + c[..., 1], c[..., 2:].sum(-1)], axis=-1)
        lab = np.stack([np.zeros_like(c[..., 0]), c[..., 4] + c[..., 5]], axis=-1)
        pred = np.stack([c[..., 1], c[..., 3] + c[..., 5]], axis=-1)
        err = np.stack([np.zeros_like(c[..., 0]), c[..., 3] + c[..., 4]], axis=-1)
        ssum = w[..., 0]
    else:
        cnt = c
        lab, pred, ssum, err = (w[..., k] for k in range(4))
    j = np.nonzero(cnt)
    b.emit(
        "feature_label",
        s,
        j,
        {
            "feature": _const(feature, len(j[0])),
            "bin": j[1] - shift,
            "labelled": j[2].astype(bool),
            "count": cnt[j].astype(np.int64),
            "label_sum": lab[j].astype(np.float64),
            "prediction_sum": pred[j].astype(np.float64),
            "score_sum": ssum[j].astype(np.float64),
            "error_sum": err[j].astype(np.float64),
        },
        [np.full(len(j[0]), b.feat_rank[fi]), j[1], j[2]],
    )


def _numeric(b: _Builder, s: int, d: Any, i: int, f: str, idx: Any, n: Any) -> None:
    m = len(b.acc.plan.edges[i])
    fl_n, fl_w = d.get("x_n")[:, i], d.get("x_w")[:, i]
    mom, mn, mx = d.get("m")[:, i][idx], d.get("mn")[:, i][idx], d.get("mx")[:, i][idx]
    binned = fl_n[..., : m + 1, :].sum(-1)
    nonnan = binned.sum(-1)[idx].astype(np.int64)
    cnt = np.rint(mom[:, 2]).astype(np.int64)
    b.emit(
        "numeric_moments",
        s,
        idx,
        {
            "feature": _const(f, len(cnt)),
            "count": cnt,
            "nulls": (np.rint(n[idx]).astype(np.int64) - nonnan).astype(np.int64),
            "sum": mom[:, 0],
            "sum_sq": mom[:, 1],
            "min": _masked(mn, cnt == 0),
            "max": _masked(mx, cnt == 0),
        },
        [np.full(len(cnt), b.feat_rank[i])],
    )
    j = np.nonzero(binned)
    b.emit(
        "numeric_bins",
        s,
        j,
        {
            "feature": _const(f, len(j[0])),
            "bin": j[1],
            "count": binned[j].astype(np.int64),
        },
        [np.full(len(j[0]), b.feat_rank[i]), j[1]],
    )
    _feature_label(b, s, i, f, fl_n[..., : m + 1, :], fl_w[..., : m + 1, :, :], 0)


def _categorical(b: _Builder, s: int, d: Any, i: int, f: str) -> None:
    p = b.acc.plan
    cats = p.categories[i]
    k = len(cats)
    fi = len(p.numeric) + i
    c, w = d.get("c_n")[:, i, : k + 3], d.get("c_w")[:, i, : k + 3]
    tot = c.sum(-1)
    names = [*cats, "__other__", "__null__", "__unseen__"]
    rank = _rank(names)
    j = np.nonzero(tot)
    b.emit(
        "categorical",
        s,
        j,
        {
            "feature": _const(f, len(j[0])),
            "category": _strings(j[1], names),
            "count": tot[j].astype(np.int64),
        },
        [np.full(len(j[0]), b.feat_rank[fi]), rank[j[1]]],
    )
    c2 = np.concatenate([c[:, k:].sum(1, keepdims=True, dtype=c.dtype), c[:, :k]], axis=1)
    w2 = np.concatenate([w[:, k:].sum(1, keepdims=True), w[:, :k]], axis=1)
    _feature_label(b, s, fi, f, c2, w2, 1)


def _unseen(b: _Builder) -> None:
    acc = b.acc
    rows: dict[int, list[tuple[int, int, str, int]]] = {}
    for (s, cell, i), vals in acc.unseen.items():
        top = sorted(vals.items(), key=lambda kv: (-kv[1], kv[0]))[:UNSEEN_TOP]
        for value, c in top:
            rows.setdefault(s, []).append((cell, i, value, c))
    for s, rs in rows.items():
        cells = np.array([r[0] for r in rs], np.int64)
        fi = np.array([len(acc.plan.numeric) + r[1] for r in rs], np.int64)
        values = [r[2] for r in rs]
        b.emit(
            "unseen",
            s,
            (cells,),
            {
                "feature": pa.array([acc.plan.categorical[r[1]] for r in rs], pa.string()),
                "value": pa.array(values, pa.string()),
                "count": np.array([r[3] for r in rs], np.int64),
            },
            [b.feat_rank[fi], _rank(values)],
        )

"""Per-batch accumulation of the summaries tables at the finest grain.

One record batch of per-row codes (from the engine's scan query) is turned into
small Arrow tables keyed by ``_w`` (1 = reference), ``bucket`` and one column
``_s{j}`` per segment column, using ``numpy.bincount`` on combined integer keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from modelward.engine.duckdb_engine import _Scan

__all__ = ["count_keys"]

_INT = npt.NDArray[np.int64]
_FLT = npt.NDArray[np.float64]
_DENSE_LIMIT = 1 << 22
#: Unseen values kept per batch, group and feature (the final top list is exact
#: whenever no batch holds more distinct unseen values than this).
_UNSEEN_PER_BATCH = 200


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
    if size <= _DENSE_LIMIT:
        n = np.bincount(key, minlength=size).astype(np.float64)
        nz = np.nonzero(n)[0]
        sums = {
            k: np.bincount(key, weights=v, minlength=size)[nz].astype(np.float64)
            for k, v in weights.items()
        }
        return nz.astype(np.int64), n[nz], sums
    uniq, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(-1)
    n = np.bincount(inv, minlength=len(uniq)).astype(np.float64)
    sums = {
        k: np.bincount(inv, weights=v, minlength=len(uniq)).astype(np.float64)
        for k, v in weights.items()
    }
    return uniq.astype(np.int64), n, sums


def _num(col: pa.Array) -> _FLT:
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


class _Accumulator:
    def __init__(
        self,
        scan: _Scan,
        groups: dict[str, pa.Array],
        gid: _INT,
        G: int,
        cols: dict[str, pa.Array],
        f64: dict[str, _FLT],
    ) -> None:
        self.scan = scan
        self.groups = groups
        self.gid = gid
        self.G = G
        self.cols = cols
        self.pred = f64["_pred"]
        self.label = f64["_label"]
        self.score = f64["_score"]
        self.lat = f64["_lat"]
        self.L = ~np.isnan(self.label)
        self.binary = scan.log.task == "binary"
        self.has_score = scan.log.roles.score is not None
        p0 = np.nan_to_num(self.pred)
        y0 = np.where(self.L, self.label, 0.0)
        if self.binary:
            self.err = np.where(self.L, (p0 != y0).astype(np.float64), 0.0)
        else:
            self.err = np.where(self.L, np.abs(p0 - y0), 0.0)
        self.p0, self.y0 = p0, y0
        self.s0 = np.nan_to_num(self.score)

    def emit(self, name: str, g: _INT, extra: dict[str, Any], values: dict[str, Any]) -> None:
        idx = pa.array(g)
        data = {k: v.take(idx) for k, v in self.groups.items()}
        data.update(extra)
        data.update(values)
        self.scan.parts[name].append(pa.table(data))

    def run(self) -> None:
        self.volume()
        for i, c in enumerate(self.scan.numeric):
            self.numeric(i, c)
        for i, c in enumerate(self.scan.categorical):
            self.categorical(i, c)
        if self.binary and self.has_score:
            self.score_table()
        self.log_bins("latency", _num(self.cols["_latbin"]), None)
        self.log_bins("label_lag", _num(self.cols["_lagbin"]), self.label)

    def _minmax(self, x: _FLT, valid: npt.NDArray[np.bool_]) -> tuple[_FLT, _FLT]:
        mn = np.full(self.G, np.inf)
        mx = np.full(self.G, -np.inf)
        np.minimum.at(mn, self.gid[valid], x[valid])
        np.maximum.at(mx, self.gid[valid], x[valid])
        return mn, mx

    def volume(self) -> None:
        gid, G, L = self.gid, self.G, self.L

        def bc(w: _FLT | None = None) -> _FLT:
            return np.bincount(gid, weights=w, minlength=G).astype(np.float64)

        n = np.bincount(gid, minlength=G)
        Lf = L.astype(np.float64)
        d = np.where(L, self.p0 - self.y0, 0.0)
        if self.binary and self.has_score:
            ls = L & ~np.isnan(self.score)
            p = np.clip(self.s0, 1e-15, 1 - 1e-15)
            ll = np.where(ls, -(self.y0 * np.log(p) + (1 - self.y0) * np.log1p(-p)), 0.0)
            br = np.where(ls, (self.s0 - self.y0) ** 2, 0.0)
        else:
            ll = br = np.zeros(len(gid))
        lv = ~np.isnan(self.lat)
        mn, mx = self._minmax(self.lat, lv)
        lat_n = np.bincount(gid, weights=lv, minlength=G)
        empty = lat_n == 0
        lagb = _num(self.cols["_lagbin"])
        vals: dict[str, Any] = {
            "n": pa.array(n.astype(np.int64)),
            "n_labelled": pa.array(bc(Lf).astype(np.int64)),
            "label_sum": bc(self.y0),
            "prediction_sum": bc(self.p0),
            "score_sum": bc(self.s0),
            "n_predicted_positive": pa.array(
                bc((self.p0 == 1).astype(np.float64) if self.binary else None).astype(np.int64)
                if self.binary
                else np.zeros(G, np.int64)
            ),
            "logloss_sum": bc(ll),
            "brier_sum": bc(br),
            "abs_err_sum": bc(np.abs(d)),
            "sq_err_sum": bc(d * d),
            "err_sum": bc(d),
            "latency_n": pa.array(lat_n.astype(np.int64)),
            "latency_sum": bc(np.where(lv, self.lat, 0.0)),
            "latency_min": pa.array(mn, mask=empty),
            "latency_max": pa.array(mx, mask=empty),
            "label_lag_n": pa.array(bc((~np.isnan(lagb)).astype(np.float64)).astype(np.int64)),
        }
        self.emit("volume", np.arange(G, dtype=np.int64), {}, vals)

    def numeric(self, i: int, feature: str) -> None:
        x = _num(self.cols[f"_x{i}"])
        G, gid = self.G, self.gid
        nan = np.isnan(x)
        fin = np.isfinite(x)
        xf = np.where(fin, x, 0.0)
        cnt = np.bincount(gid, weights=fin, minlength=G)
        mn, mx = self._minmax(x, fin)
        empty = cnt == 0
        g_all = np.arange(G, dtype=np.int64)
        self.emit(
            "numeric_moments",
            g_all,
            {"feature": pa.array([feature] * G)},
            {
                "count": pa.array(cnt.astype(np.int64)),
                "nulls": pa.array(np.bincount(gid, weights=nan, minlength=G).astype(np.int64)),
                "sum": np.bincount(gid, weights=xf, minlength=G),
                "sum_sq": np.bincount(gid, weights=xf * xf, minlength=G),
                "min": pa.array(mn, mask=empty),
                "max": pa.array(mx, mask=empty),
            },
        )
        edges = np.asarray(self.scan.bins.numeric_edges[feature], dtype=np.float64)
        ok = ~nan
        xo = x[ok]
        b = np.searchsorted(edges, xo, side="right").astype(np.int64)
        if len(edges):
            b[xo == edges[-1]] = len(edges) - 1
        nb = len(edges) + 1
        self._binned("numeric_bins", feature, gid[ok], b, nb, ok)

    def _binned(
        self,
        _name: str,
        feature: str,
        g: _INT,
        b: _INT,
        nb: int,
        rows: npt.NDArray[np.bool_],
        *,
        fl_bin: _INT | None = None,
        fl_nb: int | None = None,
    ) -> None:
        keys, n, _ = count_keys(g * nb + b, self.G * nb)
        self.emit(
            "numeric_bins",
            keys // nb,
            {
                "feature": pa.array([feature] * len(keys)),
                "bin": pa.array((keys % nb).astype(np.int16)),
            },
            {"count": pa.array(n.astype(np.int64))},
        )
        self._feature_label(feature, g, b, nb, rows)

    def _feature_label(
        self, feature: str, g: _INT, b: _INT, nb: int, rows: npt.NDArray[np.bool_], shift: int = 0
    ) -> None:
        L = self.L[rows]
        key = (g * nb + b) * 2 + L
        keys, n, s = count_keys(
            key,
            self.G * nb * 2,
            {
                "label_sum": self.y0[rows],
                "prediction_sum": self.p0[rows],
                "score_sum": self.s0[rows],
                "error_sum": self.err[rows],
            },
        )
        self.emit(
            "feature_label",
            keys // (2 * nb),
            {
                "feature": pa.array([feature] * len(keys)),
                "bin": pa.array(((keys // 2) % nb - shift).astype(np.int16)),
                "labelled": pa.array((keys % 2).astype(bool)),
            },
            {"count": pa.array(n.astype(np.int64)), **s},
        )

    def categorical(self, i: int, feature: str) -> None:
        code = np.asarray(self.cols[f"_c{i}"].to_numpy(zero_copy_only=False), dtype=np.int64)
        cats = self.scan.bins.categories[feature]
        K = len(cats) + 3
        keys, n, _ = count_keys(self.gid * K + code + 3, self.G * K)
        v = keys % K - 3
        names = np.array(["__unseen__", "__null__", "__other__", *cats], dtype=object)
        self.emit(
            "categorical",
            keys // K,
            {
                "feature": pa.array([feature] * len(keys)),
                "category": pa.array(names[v + 3].tolist(), pa.string()),
            },
            {"count": pa.array(n.astype(np.int64))},
        )
        fb = np.maximum(code, -1) + 1  # -1 (other/null/unseen) -> 0
        rows = np.ones(len(code), dtype=bool)
        self._feature_label(feature, self.gid, fb, len(cats) + 1, rows, shift=1)
        u = self.cols[f"_u{i}"]
        if u.null_count < len(u):
            t = pa.table({"g": pa.array(self.gid), "value": u}).filter(pc.is_valid(u))
            agg = t.group_by(["g", "value"], use_threads=False).aggregate([("value", "count")])
            agg = agg.sort_by([("g", "ascending"), ("value_count", "descending")])
            g = np.asarray(agg["g"].to_numpy(), dtype=np.int64)
            first = np.searchsorted(g, g, side="left")
            keep = (np.arange(len(g)) - first) < _UNSEEN_PER_BATCH
            agg = agg.filter(pa.array(keep))
            self.emit(
                "unseen",
                g[keep],
                {
                    "feature": pa.array([feature] * agg.num_rows),
                    "value": agg["value"].combine_chunks().cast(pa.string()),
                },
                {"count": agg["value_count"].combine_chunks().cast(pa.int64())},
            )

    def score_table(self) -> None:
        B = self.scan.B
        sb = _num(self.cols["_sbin"])
        ok = ~np.isnan(sb)
        ls = np.where(self.L, self.y0, -1.0)[ok].astype(np.int64) + 1
        pr = self.p0[ok].astype(np.int64)
        key = ((self.gid[ok] * B + sb[ok].astype(np.int64)) * 3 + ls) * 2 + pr
        keys, n, _ = count_keys(key, self.G * B * 6)
        self.emit(
            "score",
            keys // (B * 6),
            {
                "score_bin": pa.array(((keys // 6) % B).astype(np.int16)),
                "label": pa.array(((keys // 2) % 3 - 1).astype(np.int8)),
                "prediction": pa.array((keys % 2).astype(np.int8)),
            },
            {"count": pa.array(n.astype(np.int64))},
        )

    def log_bins(self, name: str, lb: _FLT, label: _FLT | None) -> None:
        ok = ~np.isnan(lb)
        if not ok.any():
            return
        bins = lb[ok].astype(np.int64)
        lo = int(bins.min())
        K = int(bins.max()) - lo + 1
        g = self.gid[ok]
        if label is None:
            keys, n, _ = count_keys(g * K + bins - lo, self.G * K)
            self.emit(
                name,
                keys // K,
                {"bin": pa.array((keys % K + lo).astype(np.int32))},
                {"count": pa.array(n.astype(np.int64))},
            )
            return
        y = (label[ok] if self.binary else np.ones(int(ok.sum()))).astype(np.int64)
        keys, n, _ = count_keys((g * 2 + y) * K + bins - lo, self.G * 2 * K)
        self.emit(
            name,
            keys // (2 * K),
            {
                "label": pa.array(((keys // K) % 2).astype(np.int8)),
                "bin": pa.array((keys % K + lo).astype(np.int32)),
            },
            {"count": pa.array(n.astype(np.int64))},
        )

"""The summaries container: Arrow tables of mergeable counts plus a meta record.

Every table is merged with another of its kind by grouping on its key
columns and adding (sums, counts), taking min of mins and max of maxes, and,
for the row sample, keeping the ``k`` rows of smallest hash (see
``docs/summaries.md``).

Examples
--------
>>> import pyarrow as pa
>>> from datetime import datetime
>>> keys = {"window": ["current"], "bucket": [datetime(2026, 1, 1)],
...         "segment": [""], "segment_value": [""]}
>>> t = pa.table({**keys, "feature": ["x"], "bin": pa.array([1], pa.int16()),
...               "count": pa.array([3], pa.int64())})
>>> merge_table("numeric_bins", [t, t]).column("count").to_pylist()
[6]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelward._exceptions import ConfigError

__all__ = [
    "KEYS",
    "TABLE_SPECS",
    "Bins",
    "Summaries",
    "SummariesMeta",
    "TableSpec",
    "merge_table",
]

#: Key columns common to every table except ``sample``.
KEYS: tuple[str, ...] = ("window", "bucket", "segment", "segment_value")

#: Number of unseen values kept per key and feature.
UNSEEN_TOP = 20


@dataclass(frozen=True)
class TableSpec:
    """How a summaries table merges: its keys and how each value column combines."""

    keys: tuple[str, ...]
    sums: tuple[str, ...] = ()
    mins: tuple[str, ...] = ()
    maxs: tuple[str, ...] = ()


TABLE_SPECS: dict[str, TableSpec] = {
    "volume": TableSpec(
        KEYS,
        sums=(
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
        ),
        mins=("latency_min",),
        maxs=("latency_max",),
    ),
    "numeric_moments": TableSpec(
        (*KEYS, "feature"),
        sums=("count", "nulls", "sum", "sum_sq"),
        mins=("min",),
        maxs=("max",),
    ),
    "numeric_bins": TableSpec((*KEYS, "feature", "bin"), sums=("count",)),
    "categorical": TableSpec((*KEYS, "feature", "category"), sums=("count",)),
    "unseen": TableSpec((*KEYS, "feature", "value"), sums=("count",)),
    "score": TableSpec((*KEYS, "score_bin", "label", "prediction"), sums=("count",)),
    "feature_label": TableSpec(
        (*KEYS, "feature", "bin", "labelled"),
        sums=("count", "label_sum", "prediction_sum", "score_sum", "error_sum"),
    ),
    "latency": TableSpec((*KEYS, "bin"), sums=("count",)),
    "label_lag": TableSpec((*KEYS, "label", "bin"), sums=("count",)),
}


@dataclass(frozen=True)
class Bins:
    """Bin edges and category lists fixed from a reference window.

    Attributes
    ----------
    numeric_edges
        Feature -> strictly increasing edges ``e_0 < ... < e_m``.
    categories
        Feature -> the reference's most frequent values (index = bin).
    other_categories
        Feature -> further reference values beyond the cap (counted as
        ``"__other__"``), themselves capped (see ``docs/summaries.md``).
    """

    numeric_edges: dict[str, list[float]] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)
    other_categories: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SummariesMeta:
    """What was summarised, and how. JSON-serialisable through :meth:`to_dict`."""

    bucket: str
    reference_start: str | None
    reference_end: str | None
    reference_source: str | None
    source: str
    roles: dict[str, str | None]
    task: str
    features: list[dict[str, str]]
    segments: list[str]
    schema: dict[str, str]
    reference_schema: dict[str, str]
    numeric_edges: dict[str, list[float]]
    categories: dict[str, list[str]]
    other_categories: dict[str, list[str]]
    score_bins: int
    latency_accuracy: float
    sample_size: int
    n_rows: int
    engine: str

    @property
    def bins(self) -> Bins:
        """The edges and categories, to summarise another log on the same bins."""
        return Bins(
            numeric_edges=self.numeric_edges,
            categories=self.categories,
            other_categories=self.other_categories,
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummariesMeta:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def _empty_value_type(name: str) -> pa.DataType:
    if name in ("bin", "score_bin"):
        return pa.int32()
    if name in ("label", "prediction"):
        return pa.int8()
    if name == "labelled":
        return pa.bool_()
    if name in (
        "count",
        "n",
        "n_labelled",
        "nulls",
        "latency_n",
        "label_lag_n",
        "n_predicted_positive",
    ):
        return pa.int64()
    if name in ("feature", "category", "value", "window", "segment", "segment_value"):
        return pa.string()
    if name == "bucket":
        return pa.timestamp("us")
    return pa.float64()


def empty_table(name: str) -> pa.Table:
    """An empty table of kind ``name`` with the right columns."""
    spec = TABLE_SPECS[name]
    cols = [*spec.keys, *spec.sums, *spec.mins, *spec.maxs]
    return pa.table({c: pa.array([], _empty_value_type(c)) for c in cols})


def merge_table(name: str, tables: Sequence[pa.Table]) -> pa.Table:
    """Merge tables of kind ``name`` (group on keys; sum, min, max).

    ``unseen`` keeps the :data:`UNSEEN_TOP` most frequent values per key and feature.
    """
    spec = TABLE_SPECS[name]
    tables = [t for t in tables if t.num_rows > 0]
    if not tables:
        return empty_table(name)
    schema = tables[0].schema
    tab = pa.concat_tables([t.cast(schema) for t in tables])
    aggs = (
        [(c, "sum") for c in spec.sums]
        + [(c, "min") for c in spec.mins]
        + [(c, "max") for c in spec.maxs]
    )
    out = tab.group_by(list(spec.keys), use_threads=False).aggregate(aggs)
    rename = {f"{c}_{op}": c for c, op in aggs}
    out = out.rename_columns([rename.get(c, c) for c in out.column_names])
    out = out.select([*spec.keys, *spec.sums, *spec.mins, *spec.maxs]).cast(
        pa.schema([schema.field(c) for c in [*spec.keys, *spec.sums, *spec.mins, *spec.maxs]])
    )
    if name == "unseen":
        out = _top_unseen(out)
    return _sort(out, spec.keys)


def _sort(tab: pa.Table, keys: Iterable[str]) -> pa.Table:
    return tab.sort_by([(k, "ascending") for k in keys])


def _top_unseen(tab: pa.Table) -> pa.Table:
    if tab.num_rows == 0:
        return tab
    con = duckdb.connect()
    con.register("u", tab)
    cols = ", ".join(f'"{c}"' for c in tab.column_names)
    part = ", ".join(f'"{c}"' for c in (*KEYS, "feature"))
    res = con.sql(
        f"SELECT {cols} FROM u QUALIFY row_number() OVER "
        f"(PARTITION BY {part} ORDER BY count DESC, value) <= {UNSEEN_TOP}"
    ).to_arrow_table()
    con.close()
    return res.cast(tab.schema)


def merge_sample(tables: Sequence[pa.Table], k: int) -> pa.Table | None:
    """Bottom-``k`` by ``_hash`` per (window, bucket) of the union of samples."""
    tables = [t for t in tables if t is not None]
    if not tables:
        return None
    schema = tables[0].schema
    tab = pa.concat_tables([t.cast(schema) for t in tables])
    if tab.num_rows == 0:
        return tab
    con = duckdb.connect()
    con.register("s", tab)
    res = con.sql(
        "SELECT * FROM s QUALIFY row_number() OVER "
        f'(PARTITION BY "window", bucket ORDER BY _hash) <= {int(k)} '
        'ORDER BY "window", bucket, _hash'
    ).to_arrow_table()
    con.close()
    return res.cast(schema)


@dataclass(frozen=True)
class Summaries:
    """A ``meta`` record and the Arrow tables of counts of ``docs/summaries.md``."""

    meta: SummariesMeta
    tables: dict[str, pa.Table]

    def table(self, name: str) -> pa.Table:
        """The table called ``name`` (an empty one of the right shape if absent)."""
        if name in self.tables:
            return self.tables[name]
        if name in TABLE_SPECS:
            return empty_table(name)
        raise ConfigError(
            f"Unknown summaries table {name!r}. Tables: {', '.join(sorted(TABLE_SPECS))}, sample."
        )

    def merge(self, other: Summaries) -> Summaries:
        """The summaries of the union of both logs (they must share their bins)."""
        return Summaries.merge_all([self, other])

    @staticmethod
    def merge_all(items: Sequence[Summaries]) -> Summaries:
        """Merge several summaries computed on the same bins."""
        if not items:
            raise ConfigError("merge_all needs at least one Summaries.")
        first = items[0]
        for s in items[1:]:
            if s.meta.bins != first.meta.bins or s.meta.score_bins != first.meta.score_bins:
                raise ConfigError(
                    "Summaries can only be merged when computed on the same bins; "
                    "pass bins=first.meta.bins to summarise()."
                )
        names = sorted({n for s in items for n in s.tables})
        tables: dict[str, pa.Table] = {}
        for n in names:
            parts = [s.tables[n] for s in items if n in s.tables]
            if n == "sample":
                merged = merge_sample(parts, first.meta.sample_size)
                if merged is not None:
                    tables[n] = merged
            else:
                tables[n] = merge_table(n, parts)
        meta = replace(first.meta, n_rows=sum(s.meta.n_rows for s in items))
        return Summaries(meta=meta, tables=tables)

    def filter(
        self,
        *,
        window: str | None = None,
        segment: tuple[str, str] | str | None = None,
        buckets: tuple[datetime | None, datetime | None] | None = None,
    ) -> Summaries:
        """Keep only rows of a window, a segment and/or a bucket range.

        ``segment`` is ``""`` for all traffic, a column name for every value of
        that column, or ``(column, value)``. ``buckets`` is ``(start, end)``,
        start inclusive, end exclusive, either may be ``None``.
        """
        tables = {}
        for name, tab in self.tables.items():
            part = tab
            seg = segment if name != "sample" else None
            if seg is not None and not isinstance(seg, str) and window is not None:
                # the common (window, segment, value) slice comes from a one-off index
                part = self._partition(name).get((window, seg[0], seg[1]), tab.slice(0, 0))
                win, seg = None, None
            else:
                win = window
            mask = None
            if win is not None:
                mask = pc.equal(part["window"], win)
            if seg is not None:
                col, val = (seg, None) if isinstance(seg, str) else seg
                m = pc.equal(part["segment"], col)
                if val is not None:
                    m = pc.and_(m, pc.equal(part["segment_value"], val))
                mask = m if mask is None else pc.and_(mask, m)
            if buckets is not None:
                start, end = buckets
                if start is not None:
                    m = pc.greater_equal(part["bucket"], pa.scalar(start))
                    mask = m if mask is None else pc.and_(mask, m)
                if end is not None:
                    m = pc.less(part["bucket"], pa.scalar(end))
                    mask = m if mask is None else pc.and_(mask, m)
            tables[name] = part if mask is None else part.filter(mask)
        return Summaries(meta=self.meta, tables=tables)

    def _partition(self, name: str) -> dict[tuple[str, str, str], pa.Table]:
        """Rows of table ``name`` split by (window, segment, segment_value), built once."""
        cache: dict[str, dict[tuple[str, str, str], pa.Table]] = self.__dict__.setdefault(
            "_partitions", {}
        )
        if name not in cache:
            tab = self.tables[name]
            keys = ["window", "segment", "segment_value"]
            order = pc.sort_indices(tab, sort_keys=[(k, "ascending") for k in keys])
            tab = tab.take(order)
            parts: dict[tuple[str, str, str], pa.Table] = {}
            if tab.num_rows:
                cols = [
                    np.asarray(tab[k].to_numpy(zero_copy_only=False), dtype=object) for k in keys
                ]
                change = np.flatnonzero(
                    (cols[0][1:] != cols[0][:-1])
                    | (cols[1][1:] != cols[1][:-1])
                    | (cols[2][1:] != cols[2][:-1])
                )
                starts = np.concatenate([[0], change + 1])
                ends = np.concatenate([change + 1, [tab.num_rows]])
                for a, b in zip(starts, ends, strict=True):
                    parts[(str(cols[0][a]), str(cols[1][a]), str(cols[2][a]))] = tab.slice(
                        int(a), int(b - a)
                    )
            cache[name] = parts
        return cache[name]

    def empty_like(self) -> Summaries:
        """Summaries with the same meta and no rows."""
        return Summaries(
            meta=replace(self.meta, n_rows=0),
            tables={n: t.slice(0, 0) for n, t in self.tables.items()},
        )

    def to_arrow_dict(self) -> tuple[dict[str, Any], dict[str, pa.Table]]:
        """``(meta as a dict, tables)`` for the store."""
        return self.meta.to_dict(), dict(self.tables)

    @classmethod
    def from_arrow_dict(cls, meta: dict[str, Any], tables: dict[str, pa.Table]) -> Summaries:
        """Inverse of :meth:`to_arrow_dict`."""
        return cls(meta=SummariesMeta.from_dict(meta), tables=dict(tables))

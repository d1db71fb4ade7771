"""The DuckDB engine: reference bins, then one streaming scan -> summaries.

The scan asks DuckDB for compact per-row codes (bucket, segment values, category
indices, score and log bins, the portable id hash of ``edges.sample_hash_sql``)
and streams them as Arrow record batches; numpy ``bincount`` adds them up per
batch at the finest grain (window x bucket x every segment column). A GROUPING
SETS query over those small tables then yields the all-traffic and per-segment
rows from the same pass.
Memory is bounded by the batch size and the number of groups, never by rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from modelward._exceptions import ConfigError, LogSchemaError
from modelward.engine._batch import BatchAccumulator, ScanPlan
from modelward.engine._tables import to_tables
from modelward.engine._time import check_parameters, parse_bound, scan_meta
from modelward.engine.edges import compute_bins, log_bin_sql, quote, sample_hash_sql
from modelward.engine.summaries import (
    Bins,
    Summaries,
    merge_table,
)
from modelward.io.log import PredictionLog

__all__ = ["DuckDBEngine"]

BATCH_ROWS = 1 << 19
_STEP_US = {"hour": 3_600_000_000, "day": 86_400_000_000, "week": 7 * 86_400_000_000}
_INT = npt.NDArray[np.int64]


class DuckDBEngine:
    """Summarise prediction logs with DuckDB (see :class:`modelward.engine.Engine`)."""

    name = "duckdb"

    def summarise(
        self,
        log: PredictionLog,
        *,
        reference_end: str | date | datetime | None = None,
        reference_start: str | date | datetime | None = None,
        reference: PredictionLog | None = None,
        bucket: str = "day",
        numeric_bins: int = 20,
        max_categories: int = 50,
        score_bins: int = 1000,
        sample_size: int = 500,
        latency_accuracy: float = 0.01,
        bins: Bins | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Summaries:
        """One scan of ``log`` (and of ``reference``, if given) -> :class:`Summaries`."""
        check_parameters(
            bucket=bucket,
            numeric_bins=numeric_bins,
            max_categories=max_categories,
            score_bins=score_bins,
            sample_size=sample_size,
            latency_accuracy=latency_accuracy,
            two_references=reference is not None
            and (reference_end is not None or reference_start is not None),
        )
        con = log.con
        con.execute(f"SET threads = {os.cpu_count() or 1}")
        t = quote(_req(log.roles.time, "time"))
        start = parse_bound(reference_start, end=False)
        end = parse_bound(reference_end, end=True)
        where = f"{t} >= TIMESTAMP '{start.isoformat()}'" if start is not None else "TRUE"
        ref_where = where + (f" AND {t} < TIMESTAMP '{end.isoformat()}'" if end else "")
        numeric = [f.name for f in log.features if f.kind == "numeric"]
        categorical = [f.name for f in log.features if f.kind == "categorical"]
        if bins is None:
            if reference is not None:
                rel = f"SELECT * FROM {quote(reference.view)}"
                ref_con = reference.con
            else:
                rel = f"SELECT * FROM {quote(log.view)} WHERE {ref_where}"
                ref_con = con
            bins = compute_bins(
                ref_con,
                rel,
                numeric=numeric,
                categorical=categorical,
                numeric_bins=numeric_bins,
                max_categories=max_categories,
                sample_key=(reference if reference is not None else log).roles.id,
            )
        if progress is not None:
            progress(0.05)
        window = f"CASE WHEN {t} < TIMESTAMP '{end.isoformat()}' THEN 1 ELSE 0 END" if end else "0"
        scan = _Scan(
            log,
            bins=bins,
            bucket=bucket,
            where=where,
            window_sql=window,
            score_bins=score_bins,
            sample_size=sample_size,
            accuracy=latency_accuracy,
        )
        parts = [scan.run(progress, 0.05, 0.95)]
        if reference is not None:
            ref_scan = _Scan(
                reference,
                bins=bins,
                bucket=bucket,
                where="TRUE",
                window_sql="1",
                score_bins=score_bins,
                sample_size=sample_size,
                accuracy=latency_accuracy,
                segments=log.segments,
            )
            parts.append(ref_scan.run(None, 0.0, 0.0))
        tables: dict[str, pa.Table] = {}
        for name in parts[0]:
            if name == "sample":
                continue
            got = [p[name] for p in parts if p[name].num_rows]
            tables[name] = got[0] if len(got) == 1 else merge_table(name, [p[name] for p in parts])
        samples = [p["sample"] for p in parts if "sample" in p]
        if samples:
            tables["sample"] = pa.concat_tables(samples, promote_options="permissive")
        meta = scan_meta(
            log,
            reference,
            engine=self.name,
            bucket=bucket,
            start=start,
            end=end,
            bins=bins,
            score_bins=score_bins,
            latency_accuracy=latency_accuracy,
            sample_size=sample_size,
            n_rows=scan.n_rows + (ref_scan.n_rows if reference is not None else 0),
        )
        if progress is not None:
            progress(1.0)
        return Summaries(meta=meta, tables=tables)


def _req(column: str | None, role: str) -> str:
    if column is None:
        raise ConfigError(f"The log has no column for the required role {role!r}.")
    return column


class _Scan:
    """One streaming pass over a log into dense accumulators (see ``_accumulate``)."""

    def __init__(
        self,
        log: PredictionLog,
        *,
        bins: Bins,
        bucket: str,
        where: str,
        window_sql: str,
        score_bins: int,
        sample_size: int,
        accuracy: float,
        segments: tuple[str, ...] | None = None,
    ) -> None:
        self.log = log
        self.bins = bins
        self.bucket = bucket
        self.where = where
        self.window_sql = window_sql
        self.B = score_bins
        self.k = sample_size
        self.accuracy = accuracy
        self.segments = tuple(segments if segments is not None else log.segments)
        self.numeric = [f.name for f in log.features if f.kind == "numeric"]
        self.categorical = [f.name for f in log.features if f.kind == "categorical"]
        for c in self.numeric:
            if c not in bins.numeric_edges:
                raise ConfigError(f"No bin edges for numeric feature {c!r}.")
        for c in self.categorical:
            if c not in bins.categories:
                raise ConfigError(f"No category list for categorical feature {c!r}.")
        self.n_rows = 0
        self.step_us = _STEP_US[bucket]
        self.base_us = 0
        self.n_bw = 2
        self._thr: npt.NDArray[np.uint64] = np.zeros(0, np.uint64)
        self._cand_wb: _INT = np.zeros(0, np.int64)
        self._cand_h: npt.NDArray[np.uint64] = np.zeros(0, np.uint64)
        #: log column -> the batch column that carries it unchanged
        self._raw: dict[str, str] = {}
        self._pending: list[tuple[_INT, npt.NDArray[np.uint64], pa.RecordBatch]] = []
        self._pending_rows = 0
        self._raw_schema: pa.Schema | None = None

    # -- SQL --------------------------------------------------------------------
    def _time_range(self) -> None:
        """First bucket start and the number of buckets, from one min/max query."""
        t = quote(_req(self.log.roles.time, "time"))
        try:
            lo, hi = self.log.con.execute(
                f"SELECT epoch_us(date_trunc('{self.bucket}', min({t}))), epoch_us(max({t})) "
                f"FROM {quote(self.log.view)} WHERE {self.where}"
            ).fetchall()[0]
        except duckdb.Error as exc:
            raise LogSchemaError(str(exc), source=self.log.source) from exc
        if lo is None:
            return
        self.base_us = int(lo)
        self.n_bw = 2 * ((int(hi) - self.base_us) // self.step_us + 1)

    def _select(self) -> str:
        r = self.log.roles
        t = quote(_req(r.time, "time"))
        cols = [
            f"CAST((epoch_us({t}) - {self.base_us}) // {self.step_us} * 2 + "
            f"({self.window_sql}) AS BIGINT) AS _bw",
        ]
        for j, s in enumerate(self.segments):
            if s in self.log.schema or not self.log.schema:
                cols.append(f"coalesce(CAST({quote(s)} AS VARCHAR), '__null__') AS _s{j}")
            else:
                cols.append(f"'__null__' AS _s{j}")
        for i, c in enumerate(self.numeric):
            cols.append(f"CAST({quote(c)} AS DOUBLE) AS _x{i}")
        for i, c in enumerate(self.categorical):
            cols.append(f"CAST({quote(c)} AS VARCHAR) AS _c{i}")
        if self.k:
            # the sample keeps whole rows: carry every log column through the scan,
            # reusing a computed column where it is the column unchanged
            schema = {k.lower(): v.upper() for k, v in self.log.schema.items()}
            same = {c: f"_x{i}" for i, c in enumerate(self.numeric)}
            same_t = {c: "DOUBLE" for c in self.numeric}
            same.update({c: f"_c{i}" for i, c in enumerate(self.categorical)})
            same_t.update({c: "VARCHAR" for c in self.categorical})
            names = self.log.con.sql(f"SELECT * FROM {quote(self.log.view)} LIMIT 0").columns
            self._raw = {}
            for j, c in enumerate(names):
                if c in same and schema.get(c.lower()) == same_t[c]:
                    self._raw[c] = same[c]
                else:
                    self._raw[c] = f"_r{j}"
                    cols.append(f"{quote(c)} AS _r{j}")
        pred = quote(_req(r.prediction, "prediction"))
        cols.append(f"CAST({pred} AS DOUBLE) AS _pred")
        lab = f"CAST({quote(r.label)} AS DOUBLE)" if r.label else "CAST(NULL AS DOUBLE)"
        cols.append(f"{lab} AS _label")
        score = f"CAST({quote(r.score)} AS DOUBLE)" if r.score else "CAST(NULL AS DOUBLE)"
        cols.append(f"{score} AS _score")
        lat = f"CAST({quote(r.latency)} AS DOUBLE)" if r.latency else "CAST(NULL AS DOUBLE)"
        cols.append(f"{lat} AS _lat")
        cols.append(f"{log_bin_sql(lat, accuracy=self.accuracy)} AS _latbin")
        if r.label_time and r.label:
            lag = f"(date_diff('microsecond', {t}, {quote(r.label_time)}) / 1e6)"
            lagbin = (
                f"CASE WHEN {lab} IS NOT NULL THEN {log_bin_sql(lag, accuracy=self.accuracy)} END"
            )
        else:
            lagbin = "CAST(NULL AS INTEGER)"
        cols.append(f"{lagbin} AS _lagbin")
        if self.k:
            cols.append(f"{sample_hash_sql(quote(_req(r.id, 'id')))} AS _h")
        return f"SELECT {', '.join(cols)} FROM {quote(self.log.view)} WHERE {self.where}"

    def _plan(self) -> ScanPlan:
        known = tuple(
            pa.array(self.bins.categories[c] + self.bins.other_categories.get(c, []), pa.string())
            for c in self.categorical
        )
        return ScanPlan(
            segments=self.segments,
            numeric=tuple(self.numeric),
            edges=tuple(np.asarray(self.bins.numeric_edges[c], np.float64) for c in self.numeric),
            categorical=tuple(self.categorical),
            categories=tuple(list(self.bins.categories[c]) for c in self.categorical),
            known=known,
            binary=self.log.task == "binary",
            has_score=self.log.roles.score is not None,
            score_bins=self.B,
            n_bw=self.n_bw,
            source=self.log.source,
            roles=self.log.roles.as_dict(),
        )

    # -- the pass ---------------------------------------------------------------
    def run(
        self, progress: Callable[[float], None] | None, lo: float, hi: float
    ) -> dict[str, pa.Table]:
        con = self.log.con
        self._time_range()
        acc = BatchAccumulator(self._plan())
        try:
            reader = con.sql(self._select()).to_arrow_reader(BATCH_ROWS)
        except duckdb.Error as exc:
            raise LogSchemaError(str(exc), source=self.log.source) from exc
        if self.k:
            self._raw_schema = pa.schema(
                [reader.schema.field(b).with_name(c) for c, b in self._raw.items()]
            )
        total = max(self.log.n_rows, 1)
        for batch in reader:
            if batch.num_rows:
                acc.add(batch)
                if self.k:
                    self._sample_candidates(acc.bw, batch)
            self.n_rows += batch.num_rows
            if progress is not None:
                progress(lo + (hi - lo) * min(self.n_rows / total, 1.0))
        out = to_tables(acc, base_us=self.base_us, step_us=self.step_us)
        if self.k:
            out["sample"] = self._sample()
        return out

    def _sample_candidates(self, bw: _INT, batch: pa.RecordBatch) -> None:
        """Keep, per (window, bucket), the rows of the k smallest hashes seen so far.

        Rows are taken from the batch itself (no second read of the log): a row
        is kept if its hash is at most the bucket's current k-th smallest and it
        is among the k smallest of its bucket in this batch. The kept rows are
        compacted to the bottom k per bucket now and then and at the end.
        """
        if len(self._thr) == 0:
            self._thr = np.full(self.n_bw, np.iinfo(np.uint64).max, np.uint64)
        hh = np.asarray(batch.column("_h").to_numpy(zero_copy_only=False), dtype=np.uint64)
        idx = np.flatnonzero(hh <= self._thr[bw])
        if len(idx) == 0:
            return
        idx = idx[_bottom_k(bw[idx], hh[idx], self.k)]
        wb_new, h_new = bw[idx], hh[idx]
        cols = list(self._raw.values())
        rows = batch.select(cols).take(pa.array(idx))
        self._pending.append((wb_new, h_new, rows))
        self._pending_rows += len(idx)
        wb_all = np.concatenate([self._cand_wb, wb_new])
        h_all = np.concatenate([self._cand_h, h_new])
        keep = _bottom_k(wb_all, h_all, self.k)
        self._cand_wb, self._cand_h = wb_all[keep], h_all[keep]
        # _bottom_k returns indices sorted by (wb, h): the last of a full bucket is its k-th
        wb_s = self._cand_wb
        last = np.r_[wb_s[1:] != wb_s[:-1], True]
        first = np.searchsorted(wb_s, wb_s, side="left")
        full = last & (np.arange(len(wb_s)) - first == self.k - 1)
        self._thr[wb_s[full]] = self._cand_h[full]
        if self._pending_rows > 4 * len(self._cand_wb) + 65_536:
            self._compact()

    def _compact(self) -> None:
        """Reduce the pending rows to the bottom k per (window, bucket)."""
        if len(self._pending) <= 1 and self._pending_rows <= len(self._cand_wb):
            return
        wb = np.concatenate([p[0] for p in self._pending])
        h = np.concatenate([p[1] for p in self._pending])
        tab = pa.Table.from_batches([p[2] for p in self._pending]).combine_chunks()
        keep = _bottom_k(wb, h, self.k)
        rows = tab.take(pa.array(keep)).to_batches()
        batch = rows[0] if len(rows) == 1 else pa.Table.from_batches(rows).combine_chunks()
        if isinstance(batch, pa.Table):
            batch = batch.to_batches()[0]
        self._pending = [(wb[keep], h[keep], batch)] if len(keep) else []
        self._pending_rows = len(keep)

    def _sample(self) -> pa.Table:
        """The bottom-k rows per (window, bucket), sorted by window, bucket and hash."""
        assert self._raw_schema is not None
        self._compact()
        if not self._pending:
            wb: _INT = np.zeros(0, np.int64)
            h: npt.NDArray[np.uint64] = np.zeros(0, np.uint64)
            raw = self._raw_schema.empty_table()
        else:
            wb, h, rows = self._pending[0]
            raw = pa.Table.from_batches([rows]).rename_columns(list(self._raw))
            raw = raw.cast(self._raw_schema)
        # sort by (window, bucket, hash): window 0 is "current", which sorts first
        order = np.lexsort((h, wb // 2, wb % 2))
        wb, h = wb[order], h[order]
        raw = raw.take(pa.array(order, pa.int64()))
        head = {
            "window": pa.array(
                np.where(wb % 2 == 1, "reference", "current").astype(object), pa.string()
            ),
            "bucket": pa.array(self.base_us + (wb // 2) * self.step_us, pa.int64()).cast(
                pa.timestamp("us")
            ),
        }
        out = pa.table(
            {
                **head,
                **{c: raw.column(c) for c in raw.column_names},
                "_hash": pa.array(h, pa.uint64()),
            }
        )
        return out


def _bottom_k(wb: _INT, h: npt.NDArray[np.uint64], k: int) -> _INT:
    """Indices of the ``k`` smallest ``h`` per ``wb``, sorted by ``(wb, h)``.

    Examples
    --------
    >>> _bottom_k(np.array([1, 0, 1, 1]), np.array([5, 9, 2, 7], np.uint64), 2).tolist()
    [1, 2, 0]
    """
    order = np.lexsort((h, wb))
    ws = wb[order]
    first = np.searchsorted(ws, ws, side="left")
    out: _INT = order[(np.arange(len(ws)) - first) < k]
    return out

"""The Spark engine: the summaries of ``docs/summaries.md`` with Spark SQL aggregations.

Each row of the log becomes a few compact codes (window, bucket, segment values,
numeric and category bins, score and log bins, the portable sample hash), kept
with ``persist(MEMORY_AND_DISK)``; each summaries table is then one
``GROUP BY GROUPING SETS`` over those codes (all traffic plus one set per
segment column), so nothing but the summaries (and the bounded bottom-k
sample) ever reaches the driver. Bins come from :mod:`._spark_bins` and equal
the DuckDB engine's; every formula (bins, log bins, clipping, sums) is the
DuckDB engine's, so both engines give the same counts and sums equal within
float rounding (the summation order differs).

The sample hash is portable (:func:`modelward.engine.edges.sample_hash_sql`):
the first 8 bytes of ``md5(id)`` as a little-endian unsigned 64-bit integer, so
both engines keep exactly the same sample rows.

Examples
--------
>>> target_schema("score").field("score_bin").type
DataType(int16)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from modelward._exceptions import ConfigError
from modelward.engine._spark_bins import sample_hash_hex, spark_bins
from modelward.engine._spark_log import SparkLog, read_spark_log
from modelward.engine._time import check_parameters, parse_bound, scan_meta
from modelward.engine.edges import NONPOSITIVE_BIN, log_gamma
from modelward.engine.summaries import (
    TABLE_SPECS,
    UNSEEN_TOP,
    Bins,
    Summaries,
    empty_table,
)
from modelward.io.log import PredictionLog

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["SparkEngine", "local_spark_session", "target_schema"]
_counter = itertools.count()


def local_spark_session(
    *, cores: int = 2, driver_memory: str = "2g", shuffle_partitions: int = 4
) -> SparkSession:
    """A modest local Spark session (UTC, no UI) for one machine or tests."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("modelward")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def _log_bin(x: Column, accuracy: float) -> Column:
    from pyspark.sql import functions as F

    return F.when(x > 0, F.ceil(F.ln(x) / F.lit(log_gamma(accuracy))).cast("int")).when(
        x <= 0, F.lit(NONPOSITIVE_BIN)
    )


def _nan_null(c: Column) -> Column:
    from pyspark.sql import functions as F

    return F.when(~F.isnan(c), c)


class SparkEngine:
    """Summarise prediction logs with Spark (see :class:`modelward.engine.Engine`).

    Parameters
    ----------
    spark
        The session to use; default: the active one, or :func:`local_spark_session`.
    """

    name = "spark"

    def __init__(self, *, spark: SparkSession | None = None) -> None:
        self.spark = spark

    def _session(self) -> SparkSession:
        if self.spark is None:
            from pyspark.sql import SparkSession

            self.spark = SparkSession.getActiveSession() or local_spark_session()
        return self.spark

    def _as_log(self, log: Any) -> SparkLog:
        if isinstance(log, SparkLog):
            return log
        return read_spark_log(log, spark=self._session())

    def summarise(
        self,
        log: PredictionLog | SparkLog | Any,
        *,
        reference_end: str | date | datetime | None = None,
        reference_start: str | date | datetime | None = None,
        reference: PredictionLog | SparkLog | Any | None = None,
        bucket: str = "day",
        numeric_bins: int = 20,
        max_categories: int = 50,
        score_bins: int = 1000,
        sample_size: int = 500,
        latency_accuracy: float = 0.01,
        bins: Bins | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Summaries:
        """One pass of ``log`` (a :class:`SparkLog`, a pyspark DataFrame, a path, or a
        :class:`~modelward.io.PredictionLog` read from a path) -> :class:`Summaries`."""
        from pyspark import StorageLevel

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
        slog = self._as_log(log)
        sref = self._as_log(reference) if reference is not None else None
        from pyspark.sql import functions as F

        t = F.col(str(slog.roles.time))
        start = parse_bound(reference_start, end=False)
        end = parse_bound(reference_end, end=True)
        df = slog.df
        if start is not None:
            df = df.where(t >= F.lit(start).cast("timestamp_ntz"))
        numeric = [f.name for f in slog.features if f.kind == "numeric"]
        categorical = [f.name for f in slog.features if f.kind == "categorical"]
        if bins is None:
            if sref is not None:
                ref_df = sref.df
            else:
                ref_df = df.where(t < F.lit(end).cast("timestamp_ntz")) if end else df
            bins = spark_bins(
                ref_df,
                numeric=numeric,
                categorical=categorical,
                numeric_bins=numeric_bins,
                max_categories=max_categories,
                sample_key=(sref if sref is not None else slog).roles.id,
            )
        for c in numeric:
            if c not in bins.numeric_edges:
                raise ConfigError(f"No bin edges for numeric feature {c!r}.")
        for c in categorical:
            if c not in bins.categories:
                raise ConfigError(f"No category list for categorical feature {c!r}.")
        if progress is not None:
            progress(0.05)
        window = F.when(t < F.lit(end).cast("timestamp_ntz"), 1).otherwise(0) if end else F.lit(0)
        codes = _Codes(
            slog,
            bins=bins,
            bucket=bucket,
            score_bins=score_bins,
            accuracy=latency_accuracy,
            segments=slog.segments,
        )
        rows = codes.rows(df, window)
        samples = [codes.sample(df, window, sample_size)] if sample_size else []
        if sref is not None:
            rcodes = _Codes(
                sref,
                bins=bins,
                bucket=bucket,
                score_bins=score_bins,
                accuracy=latency_accuracy,
                segments=slog.segments,
                features=slog.features,
                task=slog.task,
            )
            rows = rows.unionByName(rcodes.rows(sref.df, F.lit(1)))
            if sample_size:
                samples.append(rcodes.sample(sref.df, F.lit(1), sample_size))
        rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
        view = f"_mw_rows_{next(_counter)}"
        rows.createOrReplaceTempView(view)
        try:
            tables = _aggregate(
                self._session(),
                view,
                codes,
                numeric=numeric,
                categorical=categorical,
                progress=progress,
            )
        finally:
            self._session().catalog.dropTempView(view)
            rows.unpersist()
        if samples:
            sample = samples[0]
            for s in samples[1:]:
                sample = sample.unionByName(s, allowMissingColumns=True)
            tables["sample"] = _sample_table(sample)
        vol = tables["volume"]
        n_rows = int(pc.sum(vol.filter(pc.equal(vol["segment"], ""))["n"]).as_py() or 0)
        meta = scan_meta(
            slog,
            sref,
            engine=self.name,
            bucket=bucket,
            start=start,
            end=end,
            bins=bins,
            score_bins=score_bins,
            latency_accuracy=latency_accuracy,
            sample_size=sample_size,
            n_rows=n_rows,
        )
        if progress is not None:
            progress(1.0)
        return Summaries(meta=meta, tables=tables)


class _Codes:
    """The per-row codes of one log (the Spark twin of the DuckDB scan's SELECT)."""

    def __init__(
        self,
        log: SparkLog,
        *,
        bins: Bins,
        bucket: str,
        score_bins: int,
        accuracy: float,
        segments: tuple[str, ...],
        features: tuple[Any, ...] | None = None,
        task: str | None = None,
    ) -> None:
        self.log = log
        self.bins = bins
        self.bucket = bucket
        self.B = score_bins
        self.accuracy = accuracy
        self.segments = segments
        feats = features if features is not None else log.features
        self.numeric = [f.name for f in feats if f.kind == "numeric"]
        self.categorical = [f.name for f in feats if f.kind == "categorical"]
        self.binary = (task or log.task) == "binary"
        self.has_score = log.roles.score is not None

    def _col(self, name: str | None, cast: str = "double") -> Column:
        from pyspark.sql import functions as F

        if name is None or name not in self.log.df.columns:
            return F.lit(None).cast(cast)
        return F.col(name).cast(cast)

    def _bucket(self) -> Column:
        from pyspark.sql import functions as F

        t = F.col(str(self.log.roles.time))
        return F.date_trunc(self.bucket, t).cast("timestamp_ntz")

    def rows(self, df: DataFrame, window: Column) -> DataFrame:
        from pyspark.sql import functions as F

        r = self.log.roles
        cols: list[Column] = [window.cast("int").alias("_w"), self._bucket().alias("bucket")]
        for j, s in enumerate(self.segments):
            cols.append(F.coalesce(self._col(s, "string"), F.lit("__null__")).alias(f"_g{j}"))
        pred = self._col(r.prediction)
        lab = self._col(r.label)
        score = self._col(r.score)
        lat = _nan_null(self._col(r.latency))
        L = lab.isNotNull() & ~F.isnan(lab)
        p0 = F.coalesce(_nan_null(pred), F.lit(0.0))
        y0 = F.when(L, lab).otherwise(0.0)
        s0 = F.coalesce(_nan_null(score), F.lit(0.0))
        d = F.when(L, p0 - y0).otherwise(0.0)
        err = (
            F.when(L, (p0 != y0).cast("double")).otherwise(0.0)
            if self.binary
            else F.when(L, F.abs(p0 - y0)).otherwise(0.0)
        )
        cols += [
            L.alias("_L"),
            p0.alias("_p0"),
            y0.alias("_y0"),
            s0.alias("_s0"),
            d.alias("_d"),
            err.alias("_err"),
            lat.alias("_lat"),
            _log_bin(lat, self.accuracy).alias("_latbin"),
        ]
        if self.binary and self.has_score:
            ok = L & score.isNotNull() & ~F.isnan(score)
            sc = F.least(F.greatest(s0, F.lit(1e-15)), F.lit(1 - 1e-15))
            ll = -(y0 * F.log(sc) + (F.lit(1.0) - y0) * F.log1p(-sc))
            cols.append(F.when(ok, ll).otherwise(0.0).alias("_ll"))
            cols.append(F.when(ok, (s0 - y0) * (s0 - y0)).otherwise(0.0).alias("_br"))
            sb = F.floor(F.rint(score * F.lit(float(self.B)) * F.lit(1e9)) / F.lit(1e9))
            sb = F.least(F.greatest(sb, F.lit(0)), F.lit(self.B - 1))
            cols.append(F.when(score.isNotNull() & ~F.isnan(score), sb.cast("int")).alias("_sb"))
            cols.append(F.when(L, y0.cast("int")).otherwise(-1).alias("_lab"))
            cols.append(p0.cast("int").alias("_pred"))
        else:
            cols += [F.lit(0.0).alias("_ll"), F.lit(0.0).alias("_br")]
        if r.label_time and r.label and r.label_time in self.log.df.columns:
            lag = (
                F.unix_micros(F.col(r.label_time).cast("timestamp"))
                - F.unix_micros(F.col(str(r.time)).cast("timestamp"))
            ) / F.lit(1e6)
            cols.append(F.when(L, _log_bin(lag, self.accuracy)).alias("_lagbin"))
        else:
            cols.append(F.lit(None).cast("int").alias("_lagbin"))
        cols.append((y0.cast("int") if self.binary else F.lit(1)).alias("_lab01"))
        for i, c in enumerate(self.numeric):
            x = self._col(c)
            edges = self.bins.numeric_edges[c]
            m = len(edges)
            if m:
                b = sum((F.when(x >= F.lit(e), 1).otherwise(0) for e in edges), F.lit(0))
                b = F.when(x == F.lit(edges[-1]), m - 1).otherwise(b)
            else:
                b = F.lit(0)
            notnan = x.isNotNull() & ~F.isnan(x)
            fin = notnan & (F.abs(x) != F.lit(math.inf))
            cols.append(F.when(fin, x).alias(f"_xf{i}"))
            cols.append(notnan.alias(f"_xn{i}"))
            cols.append(F.when(notnan, b).cast("int").alias(f"_xb{i}"))
        for i, c in enumerate(self.categorical):
            v = self._col(c, "string")
            top = self.bins.categories[c]
            oth = self.bins.other_categories.get(c, [])
            pos = F.array_position(F.array(*[F.lit(x) for x in top]), v) if top else F.lit(0)
            in_oth = v.isin(oth) if oth else F.lit(False)
            name = (
                F.when(v.isNull(), "__null__")
                .when(pos > 0, v)
                .when(in_oth, "__other__")
                .otherwise("__unseen__")
            )
            cols.append(name.alias(f"_cc{i}"))
            cols.append(F.when(v.isNotNull() & (pos > 0), pos - 1).otherwise(-1).alias(f"_ci{i}"))
            cols.append(F.when(v.isNotNull() & (pos == 0) & ~in_oth, v).alias(f"_u{i}"))
        return df.select(*cols)

    def sample(self, df: DataFrame, window: Column, k: int) -> DataFrame:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        h = sample_hash_hex(F.col(str(self.log.roles.id)))
        out = df.select(
            F.when(window == 1, "reference").otherwise("current").alias("window"),
            self._bucket().alias("bucket"),
            *[F.col(c) for c in df.columns],
            h.alias("_hash"),
        )
        # 16 lowercase hex digits: string order is the unsigned order of the hash
        w = Window.partitionBy("window", "bucket").orderBy(F.col("_hash"))
        out = out.withColumn("_rn", F.row_number().over(w)).where(F.col("_rn") <= k).drop("_rn")
        return out.withColumn("_hash", F.conv(F.col("_hash"), 16, 10))


def _sample_table(df: DataFrame) -> pa.Table:
    tab = df.toArrow()
    tab = tab.set_column(
        tab.column_names.index("_hash"), "_hash", pc.cast(tab["_hash"], pa.uint64())
    )
    keys = [("window", "ascending"), ("bucket", "ascending"), ("_hash", "ascending")]
    return tab.sort_by(keys)


def _lit(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_VOLUME_AGGS = (
    "count(*) AS n",
    "sum(CAST(_L AS BIGINT)) AS n_labelled",
    "sum(_y0) AS label_sum",
    "sum(_p0) AS prediction_sum",
    "sum(_s0) AS score_sum",
    "{npp} AS n_predicted_positive",
    "sum(_ll) AS logloss_sum",
    "sum(_br) AS brier_sum",
    "sum(abs(_d)) AS abs_err_sum",
    "sum(_d * _d) AS sq_err_sum",
    "sum(_d) AS err_sum",
    "count(_lat) AS latency_n",
    "coalesce(sum(_lat), 0D) AS latency_sum",
    "count(_lagbin) AS label_lag_n",
    "min(_lat) AS latency_min",
    "max(_lat) AS latency_max",
)
_KEYS = "`window`, bucket, segment, segment_value"


def _aggregate(
    spark: SparkSession,
    view: str,
    codes: _Codes,
    *,
    numeric: list[str],
    categorical: list[str],
    progress: Callable[[float], None] | None,
) -> dict[str, pa.Table]:
    """Every summaries table from three Spark jobs over the persisted codes.

    Each job is one ``GROUP BY GROUPING SETS`` (all traffic and each segment
    column, times the table keys): the row-level codes, the numeric features
    exploded to one row per (row, feature), the categorical ones likewise. The
    numeric and categorical jobs group at the ``feature_label`` grain; the
    driver rolls those small results up into ``numeric_bins``,
    ``numeric_moments``, ``categorical`` and ``unseen`` with DuckDB.
    """
    import duckdb

    segs = codes.segments
    gcols = [f"_g{j}" for j in range(len(segs))]

    def query(src: str, key_sets: list[list[str]], aggs: list[str], flags: list[str]) -> pa.Table:
        sets = [
            "(" + ", ".join(["_w", "bucket", *g, *keys]) + ")"
            for g in [[], *([c] for c in gcols)]
            for keys in key_sets
        ]
        if gcols:
            name = (
                "CASE "
                + " ".join(
                    f"WHEN grouping({c}) = 0 THEN {_lit(s)}"
                    for c, s in zip(gcols, segs, strict=True)
                )
                + " ELSE '' END"
            )
            value = "coalesce(" + ", ".join(gcols) + ", '')"
        else:
            name = value = "''"
        cols = sorted({k for keys in key_sets for k in keys})
        sql = (
            "SELECT CASE _w WHEN 1 THEN 'reference' ELSE 'current' END AS `window`, bucket, "
            f"{name} AS segment, {value} AS segment_value"
            + "".join(f", {c}" for c in cols)
            + "".join(f", grouping({f}) AS _k_{f}" for f in flags)
            + "".join(f", {a}" for a in aggs)
            + f" FROM {src} GROUP BY GROUPING SETS ({', '.join(sets)})"
        )
        return spark.sql(sql).toArrow()

    out: dict[str, pa.Table] = {}
    con = duckdb.connect()
    try:
        # job 1: volume, score, latency and label lag (key columns absent from a set are null,
        # so the grouping() flags tell the sets apart)
        npp = "sum(CAST(_p0 = 1 AS BIGINT))" if codes.binary else "CAST(0 AS BIGINT)"
        key_sets: list[list[str]] = [[], ["_latbin"], ["_lab01", "_lagbin"]]
        if codes.binary and codes.has_score:
            key_sets.append(["_sb", "_lab", "_pred"])
        flags = [keys[-1] for keys in key_sets[1:]]
        aggs = [a.format(npp=npp) for a in _VOLUME_AGGS]
        con.register("v", query(view, key_sets, aggs, flags))
        no_keys = " AND ".join(f"_k_{f} = 1" for f in flags)
        out["volume"] = con.sql(f"SELECT * FROM v WHERE {no_keys}").to_arrow_table()
        out["latency"] = con.sql(
            f"SELECT {_KEYS}, _latbin AS bin, n AS count FROM v "
            "WHERE _k__latbin = 0 AND _latbin IS NOT NULL"
        ).to_arrow_table()
        out["label_lag"] = con.sql(
            f"SELECT {_KEYS}, _lab01 AS label, _lagbin AS bin, n AS count FROM v "
            "WHERE _k__lagbin = 0 AND _lagbin IS NOT NULL"
        ).to_arrow_table()
        if codes.binary and codes.has_score:
            out["score"] = con.sql(
                f"SELECT {_KEYS}, _sb AS score_bin, _lab AS label, _pred AS prediction, "
                "n AS count FROM v WHERE _k__pred = 0 AND _sb IS NOT NULL"
            ).to_arrow_table()
        if progress is not None:
            progress(0.4)
        seg_sel = "".join(f", {c}" for c in gcols)
        label_cols = "_L, _y0, _p0, _s0, _err"
        label_aggs = [
            "count(*) AS n",
            "sum(_y0) AS label_sum",
            "sum(_p0) AS prediction_sum",
            "sum(_s0) AS score_sum",
            "sum(_err) AS error_sum",
        ]
        fl_sum = (
            "sum(n) AS count, sum(label_sum) AS label_sum, sum(prediction_sum) AS "
            "prediction_sum, sum(score_sum) AS score_sum, sum(error_sum) AS error_sum"
        )
        fl_parts: list[str] = []
        if numeric:
            # job 2: numeric features at the (feature, bin, labelled) grain
            structs = ", ".join(
                f"named_struct('f', {_lit(c)}, 'xf', _xf{i}, 'xn', _xn{i}, 'b', _xb{i})"
                for i, c in enumerate(numeric)
            )
            nsrc = (
                f"(SELECT _w, bucket{seg_sel}, {label_cols}, e.f AS feature, e.xf AS xf, "
                f"e.xn AS xn, e.b AS b FROM {view} LATERAL VIEW explode(array({structs})) t AS e)"
            )
            mom = [
                "count(xf) AS nx",
                "sum(CAST(xn AS BIGINT)) AS nn",
                "sum(xf) AS sx",
                "sum(xf * xf) AS sxx",
                "min(xf) AS lo",
                "max(xf) AS hi",
            ]
            con.register("nx", query(nsrc, [["feature", "b", "_L"]], label_aggs + mom, []))
            k = f"{_KEYS}, feature"
            out["numeric_moments"] = con.sql(
                f"SELECT {k}, sum(nx) AS count, sum(n) - sum(nn) AS nulls, "
                "coalesce(sum(sx), 0) AS sum, coalesce(sum(sxx), 0) AS sum_sq, "
                f"min(lo) AS min, max(hi) AS max FROM nx GROUP BY {k}"
            ).to_arrow_table()
            out["numeric_bins"] = con.sql(
                f"SELECT {k}, b AS bin, sum(n) AS count FROM nx WHERE b IS NOT NULL GROUP BY {k}, b"
            ).to_arrow_table()
            fl_parts.append(
                f"SELECT {k}, b AS bin, _L AS labelled, {fl_sum} FROM nx WHERE b IS NOT NULL "
                f"GROUP BY {k}, b, _L"
            )
        if progress is not None:
            progress(0.6)
        if categorical:
            # job 3: categorical features at the (feature, category, unseen value, labelled) grain
            structs = ", ".join(
                f"named_struct('f', {_lit(c)}, 'cc', _cc{i}, 'ci', _ci{i}, 'u', _u{i})"
                for i, c in enumerate(categorical)
            )
            csrc = (
                f"(SELECT _w, bucket{seg_sel}, {label_cols}, e.f AS feature, e.cc AS cc, "
                f"e.ci AS ci, e.u AS u FROM {view} LATERAL VIEW explode(array({structs})) t AS e)"
            )
            con.register("cx", query(csrc, [["feature", "cc", "ci", "u", "_L"]], label_aggs, []))
            k = f"{_KEYS}, feature"
            out["categorical"] = con.sql(
                f"SELECT {k}, cc AS category, sum(n) AS count FROM cx GROUP BY {k}, cc"
            ).to_arrow_table()
            out["unseen"] = con.sql(
                f"SELECT {k}, u AS value, sum(n) AS count FROM cx WHERE u IS NOT NULL "
                f"GROUP BY {k}, u QUALIFY row_number() OVER (PARTITION BY {k} "
                f"ORDER BY count DESC, value) <= {UNSEEN_TOP}"
            ).to_arrow_table()
            fl_parts.append(
                f"SELECT {k}, ci AS bin, _L AS labelled, {fl_sum} FROM cx GROUP BY {k}, ci, _L"
            )
        if fl_parts:
            out["feature_label"] = con.sql(" UNION ALL ".join(fl_parts)).to_arrow_table()
    finally:
        con.close()
    if progress is not None:
        progress(0.9)
    return {name: _conform(name, tab) for name, tab in out.items()}


#: Narrow integer types of some columns (as the DuckDB engine writes them).
_NARROW = {
    "numeric_bins": {"bin": pa.int16()},
    "feature_label": {"bin": pa.int16()},
    "score": {"score_bin": pa.int16()},
}


def target_schema(name: str) -> pa.Schema:
    """The Arrow schema of table ``name`` as both engines write it."""
    small = _NARROW.get(name, {})
    return pa.schema(
        [pa.field(f.name, small.get(f.name, f.type)) for f in empty_table(name).schema]
    )


def _conform(name: str, tab: pa.Table) -> pa.Table:
    """Columns in the documented order and types, rows sorted by the keys."""
    schema = target_schema(name)
    tab = tab.select([f.name for f in schema])
    arrays = []
    for f in schema:
        col = tab[f.name]
        if pa.types.is_timestamp(f.type):
            col = col.cast(pa.timestamp("us"))
        arrays.append(col.cast(f.type))
    out = pa.Table.from_arrays(arrays, schema=schema)
    return out.sort_by([(k, "ascending") for k in TABLE_SPECS[name].keys])

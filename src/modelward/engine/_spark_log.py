"""A prediction log behind a Spark DataFrame: :class:`SparkLog` and :func:`read_spark_log`.

The Spark twin of :class:`modelward.io.PredictionLog`: the rows stay in Spark
(never collected to the driver); column roles, features, segments and the task
are resolved once, with the same rules as :func:`modelward.io.read_log`, from
one aggregate Spark pass. Time columns are normalised to ``TIMESTAMP_NTZ`` in
UTC (a zoned ``TIMESTAMP`` is converted from the session time zone), score and
latency to ``DOUBLE``.

Examples
--------
>>> duckdb_type_name("DecimalType(10,2)")
'DECIMAL(10,2)'
>>> duckdb_type_name("StringType()")
'VARCHAR'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelward._exceptions import ConfigError, LogNotFoundError, LogSchemaError
from modelward.io.columns import REQUIRED_ROLES, ColumnRoles
from modelward.io.log import Feature, PredictionLog, Task
from modelward.io.reader import ID_LIKE_MIN_VALUES, id_like, infer_features

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkLog", "duckdb_type_name", "read_spark_log"]

_SIMPLE_TYPES = {
    "StringType()": "VARCHAR",
    "CharType()": "VARCHAR",
    "VarcharType()": "VARCHAR",
    "DoubleType()": "DOUBLE",
    "FloatType()": "FLOAT",
    "LongType()": "BIGINT",
    "IntegerType()": "INTEGER",
    "ShortType()": "SMALLINT",
    "ByteType()": "TINYINT",
    "BooleanType()": "BOOLEAN",
    "TimestampNTZType()": "TIMESTAMP",
    "TimestampType()": "TIMESTAMP WITH TIME ZONE",
    "DateType()": "DATE",
    "BinaryType()": "BLOB",
}


def duckdb_type_name(spark_type: str) -> str:
    """The DuckDB name of a Spark type (given as ``repr(dtype)``), for ``meta.schema``."""
    if spark_type in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[spark_type]
    m = re.fullmatch(r"DecimalType\((\d+),\s*(\d+)\)", spark_type)
    if m:
        return f"DECIMAL({m.group(1)},{m.group(2)})"
    return spark_type


@dataclass
class SparkLog:
    """A prediction log behind a Spark DataFrame (see :class:`modelward.io.PredictionLog`).

    Attributes
    ----------
    df
        The rows, with normalised time, score and latency columns.
    source
        Where the log came from, used in messages.
    roles, features, segments, task
        As in :class:`modelward.io.PredictionLog`.
    n_rows
        Number of rows.
    schema
        Column -> DuckDB type name of the normalised columns.
    identifiers
        Id-like string columns left unmonitored (as in ``PredictionLog``).
    """

    df: DataFrame
    source: str
    roles: ColumnRoles
    features: tuple[Feature, ...]
    segments: tuple[str, ...]
    task: Task
    n_rows: int
    schema: dict[str, str]
    identifiers: tuple[str, ...] = ()


def _spark_schema(df: DataFrame) -> dict[str, str]:
    return {f.name: duckdb_type_name(repr(f.dataType)) for f in df.schema.fields}


def _load(source: Any, spark: SparkSession | None) -> tuple[DataFrame, str]:
    from pyspark.sql import DataFrame

    if isinstance(source, DataFrame):
        return source, "<pyspark.sql.DataFrame>"
    if isinstance(source, PredictionLog):
        source = source.source
    if isinstance(source, str | Path):
        if spark is None:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.getOrCreate()
        text = str(source)
        path = Path(text).expanduser()
        if "://" not in text and not any(ch in text for ch in "*?[") and not path.exists():
            raise LogNotFoundError("no such file or folder", source=text)
        files = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        is_csv = any(p.name.lower().endswith((".csv", ".csv.gz")) for p in files) or text.endswith(
            (".csv", ".csv.gz")
        )
        if is_csv:
            df = spark.read.csv(text, header=True, inferSchema=True)
        else:
            df = spark.read.parquet(text)
        return df, text
    raise ConfigError(
        "The Spark engine reads a pyspark DataFrame, a Parquet/CSV path or a PredictionLog "
        f"read from a path. Got {type(source).__name__}."
    )


def _normalise(df: DataFrame, roles: ColumnRoles, source: str) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql.types import (
        DateType,
        NumericType,
        StringType,
        TimestampNTZType,
        TimestampType,
    )

    tz = df.sparkSession.conf.get("spark.sql.session.timeZone") or "UTC"
    types = {f.name: f.dataType for f in df.schema.fields}
    out = df
    for role in ("time", "label_time"):
        col = getattr(roles, role)
        if col is None:
            continue
        dtype = types[col]
        if isinstance(dtype, TimestampNTZType):
            continue
        if isinstance(dtype, TimestampType):
            expr = F.to_utc_timestamp(F.col(col), tz).cast("timestamp_ntz")
        elif isinstance(dtype, DateType | StringType):
            expr = F.to_utc_timestamp(F.col(col).cast("timestamp"), tz).cast("timestamp_ntz")
        else:
            raise LogSchemaError(
                f"the {role} column must be a timestamp, a date or a string; it is {dtype}",
                source=source,
                column=col,
            )
        out = out.withColumn(col, expr)
    for role in ("score", "latency"):
        col = getattr(roles, role)
        if col is None:
            continue
        if not isinstance(types[col], NumericType):
            raise LogSchemaError(
                f"the {role} column must be numeric; it is {types[col]}", source=source, column=col
            )
        out = out.withColumn(col, F.col(col).cast("double"))
    return out


def read_spark_log(
    source: Any,
    *,
    spark: SparkSession | None = None,
    columns: Mapping[str, str] | None = None,
    segments: Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    like: PredictionLog | None = None,
    max_segment_cardinality: int = 20,
) -> SparkLog:
    """A :class:`SparkLog` over a pyspark DataFrame, or a Parquet/CSV path read by Spark.

    Parameters
    ----------
    source
        A pyspark ``DataFrame``, a path (file, folder, glob or URI such as
        ``s3://...``), or a :class:`~modelward.io.PredictionLog` read from a path.
    spark
        The session to read a path with (default: the active one).
    columns
        Role -> column name.
    segments
        Segment columns. Default: categorical features with 2 to
        ``max_segment_cardinality`` distinct values (counted approximately, as
        the DuckDB reader does).
    features
        Columns to monitor. Default: every numeric or categorical column without a role.
    like
        A :class:`~modelward.io.PredictionLog` whose roles, features, segments
        and task are reused (so both engines summarise exactly the same thing).
    max_segment_cardinality
        Largest number of values of an inferred segment.

    Raises
    ------
    LogNotFoundError, LogSchemaError, ConfigError
        A missing path, a missing required column, a null id or time, a score
        outside [0, 1] (with the column and an offending value; Spark has no
        stable row numbers).
    """
    from pyspark.sql import functions as F

    if isinstance(source, PredictionLog) and like is None:
        like = source
    df, desc = _load(source, spark)
    if like is not None:
        roles = like.roles
    else:
        roles = ColumnRoles.from_mapping(dict(columns or {})).resolve(df.columns)
    for role in REQUIRED_ROLES:
        col = getattr(roles, role)
        if col not in df.columns:
            raise LogSchemaError(
                f"missing the required {role} column {col!r}; remap it with columns={{...}}. "
                f"Columns are: {', '.join(df.columns)}",
                source=desc,
                column=col,
            )
    df = _normalise(df, roles, desc)
    schema = _spark_schema(df)
    if like is not None:
        feats = like.features
        for f in feats:
            if f.name not in schema:
                raise LogSchemaError("feature is not in the log", source=desc, column=f.name)
    else:
        feats = infer_features(
            schema, roles, declared=features, categorical=(), segments=segments or (), source=desc
        )
    cand = (
        []
        if segments is not None or like is not None
        else [f.name for f in feats if f.kind == "categorical"]
    )
    checks = _checks(roles)
    aggs = [F.count(F.lit(1)).alias("_n")]
    aggs += [F.sum(cond.cast("long")).alias(f"_bad{i}") for i, (_, _, cond) in enumerate(checks)]
    aggs += [
        F.first(F.col(col), ignorenulls=True).alias(f"_v{i}")
        for i, (col, _, _) in enumerate(checks)
    ]
    pred = F.col(str(roles.prediction)).cast("double")
    aggs.append(F.sum((pred.isNotNull() & ~pred.isin(0.0, 1.0)).cast("long")).alias("_nonbin"))
    aggs += [F.approx_count_distinct(F.col(c)).alias(f"_d{j}") for j, c in enumerate(cand)]
    row = df.agg(*aggs).collect()[0]
    for i, (col, problem, cond) in enumerate(checks):
        if row[f"_bad{i}"]:
            value = df.where(cond).select(F.col(col)).limit(1).collect()[0][0]
            raise LogSchemaError(problem, source=desc, column=col, value=value)
    identifiers: tuple[str, ...] = ()
    if like is None and features is None:
        # as read_log does: an id-like string column is not monitored
        identifiers = tuple(
            c
            for j, c in enumerate(cand)
            if id_like(int(row[f"_d{j}"]), int(row["_n"]), floor=ID_LIKE_MIN_VALUES)
        )
        feats = tuple(f for f in feats if f.name not in identifiers)
    if like is not None:
        segs = like.segments
        task: Task = like.task
    else:
        segs = (
            tuple(segments)
            if segments is not None
            else tuple(
                c for j, c in enumerate(cand) if 2 <= int(row[f"_d{j}"]) <= max_segment_cardinality
            )
        )
        task = "regression" if row["_nonbin"] else "binary"
    return SparkLog(
        df=df,
        source=desc,
        roles=roles,
        features=tuple(feats),
        segments=tuple(segs),
        task=task,
        n_rows=int(row["_n"]),
        schema=schema,
        identifiers=like.identifiers if like is not None else identifiers,
    )


def _checks(roles: ColumnRoles) -> list[tuple[str, str, Any]]:
    from pyspark.sql import functions as F

    out: list[tuple[str, str, Any]] = [
        (str(roles.id), "prediction id is null", F.col(str(roles.id)).isNull()),
        (str(roles.time), "timestamp is null or unparseable", F.col(str(roles.time)).isNull()),
    ]
    if roles.score is not None:
        s = F.col(roles.score)
        out.append((roles.score, "score outside [0, 1]", s.isNotNull() & ((s < 0) | (s > 1))))
    if roles.latency is not None:
        lat = F.col(roles.latency).cast("double")
        out.append(
            (
                roles.latency,
                "latency is NaN or infinite (leave it empty when unknown)",
                lat.isNotNull() & (F.isnan(lat) | (F.abs(lat) == F.lit(float("inf")))),
            )
        )
    return out

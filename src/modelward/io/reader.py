"""Read a prediction log from any supported source into a :class:`PredictionLog`.

The log is never loaded into Python: :func:`read_log` puts a DuckDB view over
the source that normalises types (time columns to UTC ``TIMESTAMP``, score and
latency to ``DOUBLE``), checks the contract in one aggregate scan
(:mod:`modelward.io.validate`) and infers features, segments and the task.

A ``modelward.yaml`` beside the log is *not* loaded unless passed as
``config=``: explicit is better than implicit, and a log copied with a stale
config beside it must not silently change meaning.

Examples
--------
>>> import pyarrow as pa
>>> table = pa.table({
...     "prediction_id": ["a", "b", "c"],
...     "timestamp": pa.array([0, 86_400_000_000, 2 * 86_400_000_000], pa.timestamp("us")),
...     "prediction": [0, 1, 1],
...     "country": ["FR", "US", "US"],
... })
>>> log = read_log(table)
>>> log.task, log.n_rows, log.feature_names, log.segments
('binary', 3, ('country',), ('country',))
"""

from __future__ import annotations

import glob as globlib
import itertools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa

from modelward._exceptions import (
    ConfigError,
    LogFormatError,
    LogNotFoundError,
    LogSchemaError,
)
from modelward.io.columns import REQUIRED_ROLES, ColumnRoles, load_config
from modelward.io.log import Feature, FeatureKind, PredictionLog
from modelward.io.validate import FILE_COLUMN, INTEGER_TYPES, quote, scan_log

__all__ = ["read_log"]

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".csv.zst")
_INTEGER_TYPES = INTEGER_TYPES
_NUMERIC_TYPES = _INTEGER_TYPES | {"FLOAT", "DOUBLE", "BOOLEAN"}
_TIME_TYPES = frozenset(
    {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE", "NULL"}
)
_TZ_TYPE = "TIMESTAMP WITH TIME ZONE"
# A string timestamp that carries its own offset ("...10:00:00+02", "...Z").
_OFFSET_RE = r"\d[T ]\d{1,2}:\d{2}.*([zZ]|[+-]\d{2}(:?\d{2})?)$"
_counter = itertools.count()
#: An inferred categorical column with more distinct values than this share of
#: the rows, and more than ``ID_LIKE_MIN_VALUES``, is taken for an identifier.
ID_LIKE_SHARE = 0.5
#: Below this many values a column cannot be told from an ordinary category by
#: its counts (in a 40-row log, ``country`` is mostly distinct too); it is also
#: the number of categories the summaries keep by default.
ID_LIKE_MIN_VALUES = 50


def is_numeric_type(dtype: str) -> bool:
    """Whether a DuckDB type is numeric (integers, floats, decimals, booleans).

    Examples
    --------
    >>> is_numeric_type("DECIMAL(10,2)"), is_numeric_type("VARCHAR")
    (True, False)
    """
    return dtype in _NUMERIC_TYPES or dtype.startswith("DECIMAL")


def is_categorical_type(dtype: str) -> bool:
    """Whether a DuckDB type is a string or an enum.

    Examples
    --------
    >>> is_categorical_type("ENUM('a', 'b')"), is_categorical_type("BIGINT")
    (True, False)
    """
    return dtype == "VARCHAR" or dtype.startswith("ENUM")


@dataclass(frozen=True)
class _Source:
    """A resolved source: the SQL relation to read and how to name it."""

    sql: str
    description: str
    files: tuple[str, ...] = ()


def _unique(prefix: str) -> str:
    return f"_mw_{prefix}_{next(_counter)}_{uuid.uuid4().hex[:8]}"


def _sql_list(items: Sequence[str]) -> str:
    return "[" + ", ".join("'" + s.replace("'", "''") + "'" for s in items) + "]"


def _file_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise LogFormatError(f"cannot read the file: {exc.strerror}", source=str(path)) from exc
    if magic == b"PAR1":
        return "parquet"
    raise LogFormatError(
        "not a Parquet or CSV file (expected a .parquet or .csv file, or a folder of them)",
        source=str(path),
    )


def _files_source(files: Sequence[Path], description: str) -> _Source:
    formats = {_file_format(f) for f in files}
    if len(formats) > 1:
        raise LogFormatError(
            "mixes Parquet and CSV files; a log must be one format", source=description
        )
    names = [str(f) for f in files]
    reader = "read_parquet" if formats == {"parquet"} else "read_csv"
    options = f"filename = '{FILE_COLUMN}'"
    if len(names) > 1:
        options += ", union_by_name = true"
    return _Source(f"{reader}({_sql_list(names)}, {options})", description, tuple(names))


def _path_source(text: str) -> _Source:
    path = Path(text).expanduser()
    if any(ch in text for ch in "*?["):
        matches = sorted(Path(p) for p in globlib.glob(str(path), recursive=True))
        files = [p for p in matches if p.is_file() and not p.name.startswith((".", "_"))]
        if not files:
            raise LogNotFoundError("the glob matches no file", source=text)
        return _files_source(files, text)
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
            and p.name.lower().endswith(_PARQUET_SUFFIXES + _CSV_SUFFIXES)
        )
        if not files:
            raise LogNotFoundError("the folder holds no Parquet or CSV file", source=str(path))
        return _files_source(files, str(path))
    if path.is_file():
        return _files_source([path], str(path))
    raise LogNotFoundError("no such file or folder", source=str(path))


def _table_name(name: str) -> str:
    return ".".join(quote(part) for part in name.split("."))


def _resolve_source(
    source: object, con: duckdb.DuckDBPyConnection | None
) -> tuple[_Source, duckdb.DuckDBPyConnection]:
    """The SQL to read ``source`` and the connection that can run it."""
    if isinstance(source, tuple):
        if len(source) != 2 or not isinstance(source[1], str):
            raise ConfigError("A DuckDB table source must be a (connection, table_name) tuple.")
        table_con, table = source
        if con is not None and con is not table_con:
            raise ConfigError("Pass either con= or a (connection, table) tuple, not both.")
        tcon = cast(duckdb.DuckDBPyConnection, table_con)
        return _table_source(tcon, _table_name(table), table), tcon
    con = con if con is not None else duckdb.connect()
    if isinstance(source, str) and source.startswith("duckdb:"):
        db_path, sep, table = source[len("duckdb:") :].rpartition(":")
        if not sep or not db_path or not table:
            raise ConfigError(
                f"A DuckDB table source must look like duckdb:PATH.duckdb:TABLE. Got {source!r}."
            )
        if not Path(db_path).expanduser().is_file():
            raise LogNotFoundError("no such DuckDB database file", source=db_path)
        alias = _unique("db")
        path_sql = str(Path(db_path).expanduser()).replace("'", "''")
        try:
            con.execute(f"ATTACH '{path_sql}' AS {quote(alias)} (READ_ONLY)")
        except duckdb.Error as exc:
            raise LogFormatError(f"cannot open the DuckDB database: {exc}", source=db_path) from exc
        return _table_source(con, f"{quote(alias)}.{_table_name(table)}", source), con
    if isinstance(source, str | Path):
        return _path_source(str(source)), con
    if isinstance(source, duckdb.DuckDBPyRelation):
        name = _unique("rel")
        source.to_view(name, replace=False)
        try:
            con.execute(f"SELECT * FROM {quote(name)} LIMIT 0")
        except duckdb.CatalogException as exc:
            raise ConfigError(
                "A DuckDB relation must be read with con= set to the connection that made it."
            ) from exc
        return _Source(quote(name), "<duckdb relation>"), con
    module = type(source).__module__.split(".")[0]
    kind = type(source).__name__
    if isinstance(source, pa.Table):
        obj: Any = source
        description = "<pyarrow.Table>"
    elif module == "polars" and kind == "DataFrame":
        obj = cast(Any, source).to_arrow()
        description = "<polars.DataFrame>"
    elif module == "pandas" and kind == "DataFrame":
        obj = source
        description = "<pandas.DataFrame>"
    else:
        raise ConfigError(
            "A log source must be a path, glob, 'duckdb:PATH:TABLE', a (connection, table) "
            "tuple, a pyarrow Table, a pandas or polars DataFrame or a DuckDB relation. "
            f"Got {type(source).__name__} instead."
        )
    name = _unique("src")
    con.register(name, obj)
    return _Source(quote(name), description), con


def _table_source(con: duckdb.DuckDBPyConnection, table_sql: str, description: str) -> _Source:
    sql = table_sql
    try:
        con.execute(f"SELECT * FROM {sql} LIMIT 0")
    except duckdb.CatalogException as exc:
        raise LogNotFoundError("no such table in the DuckDB database", source=description) from exc
    return _Source(sql, description)


def _time_expr(column: str, dtype: str, role: str, source: str) -> str:
    q = quote(column)
    if dtype == _TZ_TYPE or dtype.startswith("TIMESTAMPTZ"):
        return f"timezone('UTC', CAST({q} AS TIMESTAMPTZ))"
    if dtype in _TIME_TYPES:
        return f"CAST({q} AS TIMESTAMP)"
    if dtype == "VARCHAR":
        return (
            f"CASE WHEN regexp_matches({q}, '{_OFFSET_RE}') "
            f"THEN timezone('UTC', TRY_CAST({q} AS TIMESTAMPTZ)) "
            f"ELSE TRY_CAST({q} AS TIMESTAMP) END"
        )
    raise LogSchemaError(
        f"the {role} column must hold timestamps; it has type {dtype}", source=source, column=column
    )


def _double_expr(column: str, dtype: str, role: str, source: str) -> str:
    q = quote(column)
    if is_numeric_type(dtype) or dtype == "NULL":
        return f"CAST({q} AS DOUBLE)"
    if dtype == "VARCHAR":
        return f"TRY_CAST({q} AS DOUBLE)"
    raise LogSchemaError(
        f"the {role} column must hold numbers; it has type {dtype}", source=source, column=column
    )


def _roles(mapping: Mapping[str, str], schema: Mapping[str, str], source: str) -> ColumnRoles:
    """Resolve roles against the columns, raising for missing required or remapped ones."""
    roles = ColumnRoles.from_mapping(mapping)
    mapped = [(r, c) for r, c in mapping.items() if c is not None]
    seen: dict[str, str] = {}
    for role, column in mapped:
        if column in seen:
            raise ConfigError(f"Roles {seen[column]!r} and {role!r} both map to column {column!r}.")
        seen[column] = role
    present = ", ".join(schema)
    for role in ColumnRoles.role_names():
        column = getattr(roles, role)
        if column is None or column in schema:
            continue
        if role in REQUIRED_ROLES or role in mapping:
            kind = "required" if role in REQUIRED_ROLES else "remapped"
            raise LogSchemaError(
                f"missing the {kind} {role} column {column!r}; if it has another name, "
                f"remap it with --col {role}=NAME (or columns: in modelward.yaml). "
                f"Columns are: {present}",
                source=source,
                column=column,
            )
    return roles.resolve(schema)


def infer_features(
    schema: Mapping[str, str],
    roles: ColumnRoles,
    *,
    declared: Sequence[str] | None,
    categorical: Sequence[str],
    segments: Sequence[str],
    source: str,
) -> tuple[Feature, ...]:
    role_columns = roles.role_columns()
    for name in [*(declared or ()), *categorical, *segments]:
        if name not in schema:
            raise LogSchemaError(
                f"declared column {name!r} is not in the log. Columns are: {', '.join(schema)}",
                source=source,
                column=name,
            )
    forced = set(categorical) | {s for s in segments if schema[s] in _INTEGER_TYPES}
    names = list(declared) if declared is not None else [c for c in schema if c not in role_columns]
    features: list[Feature] = []
    for name in names:
        dtype = schema[name]
        kind: FeatureKind
        if is_categorical_type(dtype) or (name in forced and dtype in _INTEGER_TYPES):
            kind = "categorical"
        elif is_numeric_type(dtype):
            kind = "numeric"
        elif declared is not None:
            raise LogSchemaError(
                f"feature {name!r} has type {dtype}; features must be numeric or categorical",
                source=source,
                column=name,
            )
        else:
            continue  # dates, lists, blobs...: not monitored unless asked for
        features.append(Feature(name=name, kind=kind, dtype=dtype))
    return tuple(features)


def id_like(distinct: int, n_rows: int, *, floor: int) -> bool:
    """Whether a categorical column with ``distinct`` values in ``n_rows`` looks like an id.

    A user, session or request id is not a category: most of its values are
    new every day, so the drift and unseen-category checks on it would fire on
    every healthy log. Such columns are not inferred as features (declaring
    them with ``features:`` or ``categorical:`` still monitors them).

    Parameters
    ----------
    distinct
        Approximate number of distinct values in the log.
    n_rows
        Rows of the log.
    floor
        Fewest distinct values an identifier has, so that a tiny log's ordinary
        categories are never taken for ids.

    Returns
    -------
    bool

    Examples
    --------
    >>> id_like(2_300, 3_000, floor=50), id_like(30, 30, floor=50), id_like(2_300, 90_000, floor=50)
    (True, False, False)
    """
    return distinct > floor and distinct > ID_LIKE_SHARE * n_rows


def read_log(
    source: object,
    *,
    columns: Mapping[str, str] | None = None,
    config: str | Path | None = None,
    segments: Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    max_segment_cardinality: int = 20,
    max_inferred_segments: int = 3,
) -> PredictionLog:
    """Read and validate a prediction log.

    Parameters
    ----------
    source
        A Parquet or CSV file, a folder of them, a glob, ``"duckdb:PATH:TABLE"``,
        a ``(connection, table_name)`` tuple, a pyarrow Table, a pandas or polars
        DataFrame, or a DuckDB relation (read with ``con`` set to its connection).
    columns
        Role -> column name; overrides ``config``'s ``columns:``.
    config
        A ``modelward.yaml``. Never loaded implicitly, even when one sits beside
        the log.
    segments
        Segment columns; overrides ``config``'s ``segments:``. Default: inferred
        as categorical features with 2 to ``max_segment_cardinality`` values.
    features
        Columns to monitor; overrides ``config``'s ``features:``. Default: every
        numeric or categorical column without a role.
    con
        The DuckDB connection to put the view in (default: a new in-memory one).
    max_segment_cardinality
        Largest (approximate) number of values of an inferred segment.
    max_inferred_segments
        Most segment columns inferred (the first in column order). Every
        segment column multiplies the summaries (buckets x segment values x
        features x bins), so a log with many small categorical columns would
        otherwise summarise into more cells than it has rows; declare more
        with ``segments`` (``--segment``).

    Returns
    -------
    PredictionLog
        A lazy view over the log with a unique name.

    Raises
    ------
    LogNotFoundError, LogFormatError, LogSchemaError, ConfigError
        With the file, column, first offending row and value where known.
    """
    if (
        isinstance(max_segment_cardinality, bool)
        or not isinstance(max_segment_cardinality, int)
        or max_segment_cardinality < 2
    ):
        raise ConfigError(
            "The 'max_segment_cardinality' parameter of read_log must be an int >= 2. "
            f"Got {max_segment_cardinality!r} instead."
        )
    cfg: dict[str, Any] = load_config(config) if config is not None else {}
    mapping: dict[str, str] = {**cfg.get("columns", {}), **(columns or {})}
    ColumnRoles.from_mapping(mapping)  # unknown roles fail before any I/O
    declared_segments = segments if segments is not None else cfg.get("segments")
    declared_features = features if features is not None else cfg.get("features")
    categorical: list[str] = list(cfg.get("categorical") or [])

    src, con = _resolve_source(source, con)
    raw = _unique("raw")
    try:
        con.execute(f"CREATE TEMP VIEW {quote(raw)} AS SELECT * FROM {src.sql}")
        described = con.execute(f"DESCRIBE {quote(raw)}").fetchall()
    except duckdb.Error as exc:
        raise LogFormatError(
            f"cannot read the log: {str(exc).splitlines()[0]}", source=src.description
        ) from exc
    schema = {str(r[0]): str(r[1]) for r in described if r[0] != FILE_COLUMN}
    roles = _roles(mapping, schema, src.description)

    norm: dict[str, str] = {}
    for role in ("time", "label_time"):
        col = getattr(roles, role)
        if col is not None:
            norm[col] = _time_expr(col, schema[col], role, src.description)
    for role in ("score", "latency"):
        col = getattr(roles, role)
        if col is not None:
            norm[col] = _double_expr(col, schema[col], role, src.description)

    segs = list(declared_segments or [])
    feats = infer_features(
        schema,
        roles,
        declared=declared_features,
        categorical=categorical,
        segments=segs,
        source=src.description,
    )
    candidates = (
        [] if declared_segments is not None else [f.name for f in feats if f.kind == "categorical"]
    )
    scan = scan_log(
        con,
        raw,
        source=src.description,
        files=src.files,
        roles=roles,
        schema=schema,
        norm=norm,
        distinct=candidates,
    )
    identifiers: tuple[str, ...] = ()
    if declared_features is None:
        kept = set(categorical) | set(segs)
        identifiers = tuple(
            c
            for c in candidates
            if c not in kept and id_like(scan.distinct[c], scan.n_rows, floor=ID_LIKE_MIN_VALUES)
        )
        feats = tuple(f for f in feats if f.name not in identifiers)
    if declared_segments is None:
        segs = [c for c in candidates if 2 <= scan.distinct[c] <= max_segment_cardinality]
        segs = segs[:max_inferred_segments]
    else:
        for s in segs:
            dtype = schema[s]
            if not (is_categorical_type(dtype) or dtype in _INTEGER_TYPES or dtype == "BOOLEAN"):
                raise LogSchemaError(
                    f"segment column {s!r} has type {dtype}; segments must be strings, "
                    "enums, integers or booleans",
                    source=src.description,
                    column=s,
                )

    view = _unique("log")
    select = ", ".join(f"{norm[c]} AS {quote(c)}" if c in norm else quote(c) for c in schema)
    con.execute(f"CREATE TEMP VIEW {quote(view)} AS SELECT {select} FROM {quote(raw)}")
    view_schema = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {quote(view)}").fetchall()}
    return PredictionLog(
        con=con,
        view=view,
        source=src.description,
        roles=roles,
        features=feats,
        segments=tuple(segs),
        task=scan.task,
        n_rows=scan.n_rows,
        schema=view_schema,
        identifiers=identifiers,
    )

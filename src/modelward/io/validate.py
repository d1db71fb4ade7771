"""Validation of a prediction log's values, in one aggregate scan.

:func:`scan_log` counts every contract violation (and the numbers the reader
needs to infer the task and segments) in a single DuckDB aggregate query, so a
100M-row log is read once. Only when a count is not zero does a second query
find the first offending row, to name it in the error.

:func:`reference_window` turns a user's ``--reference-end`` (and optional
start) into a half-open time range of the log and checks it holds rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from modelward._exceptions import ConfigError, LogFormatError, LogSchemaError
from modelward.io.columns import ColumnRoles
from modelward.io.log import PredictionLog, Task

__all__ = ["FILE_COLUMN", "INTEGER_TYPES", "ScanResult", "quote", "reference_window", "scan_log"]

#: Name of the column holding each row's file, in the reader's raw view.
FILE_COLUMN = "__mw_file"
_ROW = "__mw_row"
#: DuckDB integer types.
INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
_NUMERIC = INTEGER_TYPES | {"FLOAT", "DOUBLE", "BOOLEAN", "NULL"}


def quote(name: str) -> str:
    """A SQL identifier, double-quoted.

    Examples
    --------
    >>> quote('my col')
    '"my col"'
    """
    return '"' + name.replace('"', '""') + '"'


def _numeric(dtype: str) -> bool:
    return dtype in _NUMERIC or dtype.startswith("DECIMAL")


@dataclass(frozen=True)
class _Check:
    """A row-level rule: ``condition`` is true on a bad row."""

    column: str
    problem: str
    condition: str
    value: str


@dataclass(frozen=True)
class ScanResult:
    """What one validation scan learned about a log."""

    n_rows: int
    task: Task
    distinct: dict[str, int] = field(default_factory=dict)


def _checks(roles: ColumnRoles, schema: Mapping[str, str], norm: Mapping[str, str]) -> list[_Check]:
    """The row rules in reporting order (the first failing one is reported)."""
    checks: list[_Check] = []

    def add(column: str | None, problem: str, condition: str) -> None:
        if column is not None:
            checks.append(_Check(column, problem, condition, quote(column)))

    rid, time, pred = roles.id, roles.time, roles.prediction
    assert rid is not None
    assert time is not None
    assert pred is not None
    add(rid, "missing prediction id (null)", f"{quote(rid)} IS NULL")
    add(time, "missing timestamp (null)", f"{quote(time)} IS NULL")
    if time in norm and schema[time] == "VARCHAR":
        add(time, "unparseable timestamp", f"{quote(time)} IS NOT NULL AND ({norm[time]}) IS NULL")
    pred_numeric = _numeric(schema[pred])
    if not pred_numeric:
        add(
            pred,
            f"predictions must be 0/1 or numbers; the column has type {schema[pred]}",
            f"{quote(pred)} IS NOT NULL",
        )
    add(pred, "missing prediction (null, NaN or infinite)", _null_or_nan(pred, schema[pred]))
    if roles.score is not None:
        s, e = roles.score, norm[roles.score]
        if schema[s] == "VARCHAR":
            add(s, "score is not a number", f"{quote(s)} IS NOT NULL AND ({e}) IS NULL")
        add(
            s,
            "score outside [0, 1] or NaN",
            f"({e}) IS NOT NULL AND (NOT isfinite({e}) OR ({e}) < 0 OR ({e}) > 1)",
        )
    label = roles.label
    if label is not None and pred_numeric and not _numeric(schema[label]):
        add(
            label,
            f"labels must have the prediction's type: label column has type {schema[label]}, "
            f"prediction column {pred!r} has type {schema[pred]}",
            f"{quote(label)} IS NOT NULL",
        )
    for role, problem in (
        ("label_time", "unparseable label timestamp"),
        ("latency", "latency is not a number"),
    ):
        col = getattr(roles, role)
        if col is not None and schema[col] == "VARCHAR":
            add(col, problem, f"{quote(col)} IS NOT NULL AND ({norm[col]}) IS NULL")
    lat = roles.latency
    if lat is not None:
        # DuckDB orders NaN above every number, so NaN and inf would both
        # reach the log-bin cast and fail there with no row named.
        add(
            lat,
            "latency is NaN or infinite (leave it empty when unknown)",
            f"({norm[lat]}) IS NOT NULL AND NOT isfinite({norm[lat]})",
        )
    return checks


def _null_or_nan(column: str, dtype: str) -> str:
    """Null, or NaN/inf for float columns.

    Never ``isnan``: DuckDB (2.0) folds ``isnan(x)`` to false from Parquet
    min/max statistics, which leave NaN out; ``isfinite`` is not folded.
    """
    q = quote(column)
    if dtype in ("FLOAT", "DOUBLE"):
        return f"{q} IS NULL OR NOT isfinite({q})"
    return f"{q} IS NULL"


def _not01(column: str) -> str:
    return f"{quote(column)} IS NOT NULL AND CAST({quote(column)} AS DOUBLE) NOT IN (0, 1)"


def scan_log(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    *,
    source: str,
    files: Sequence[str],
    roles: ColumnRoles,
    schema: Mapping[str, str],
    norm: Mapping[str, str],
    distinct: Sequence[str] = (),
) -> ScanResult:
    """Check every value rule in one aggregate query over the view ``raw``.

    Parameters
    ----------
    con, raw
        The connection and the name of the view with the log's raw columns
        (plus :data:`FILE_COLUMN` when read from files).
    source, files
        Description of the log and its files, for messages.
    roles, schema, norm
        Resolved roles, column -> DuckDB type, and column -> SQL expression of
        the normalised value (time, label time, score, latency).
    distinct
        Columns whose approximate number of distinct values to count.

    Raises
    ------
    LogSchemaError
        On the first failing rule, naming the file, column, row and value.
    LogFormatError
        If the scan itself fails (a corrupt file).
    """
    checks = _checks(roles, schema, norm)
    rid, pred, label = roles.id, roles.prediction, roles.label
    assert rid is not None
    assert pred is not None
    pred_numeric = _numeric(schema[pred])
    aggs = ["count(*)"]
    aggs += [f"count(*) FILTER (WHERE {c.condition})" for c in checks]
    aggs.append(f"count({quote(rid)}) - count(DISTINCT {quote(rid)})")
    aggs.append(f"count(*) FILTER (WHERE {_not01(pred)})" if pred_numeric else "1")
    label_ok = label is not None and pred_numeric and _numeric(schema[label])
    aggs.append(f"count(*) FILTER (WHERE {_not01(label)})" if label_ok and label else "0")
    aggs += [f"approx_count_distinct({quote(c)})" for c in distinct]
    try:
        row = con.execute(f"SELECT {', '.join(aggs)} FROM {quote(raw)}").fetchone()
    except duckdb.Error as exc:
        raise LogFormatError(
            f"cannot read the log: {str(exc).splitlines()[0]}", source=source
        ) from exc
    assert row is not None
    n_rows = int(row[0])
    counts = [int(v) for v in row[1 : 1 + len(checks)]]
    n_dup, n_pred_not01, n_label_not01 = (int(v) for v in row[1 + len(checks) : 4 + len(checks)])
    approx = [int(v) for v in row[4 + len(checks) :]]
    if n_rows == 0:
        raise LogSchemaError("the log has no rows", source=source)
    locate = _Locator(con, raw, source, files)
    # checks[0] is the missing-id rule; duplicates are reported right after it.
    if counts[0]:
        locate.raise_first(checks[0], counts[0])
    if n_dup:
        locate.duplicate(rid)
    for check, count in zip(checks[1:], counts[1:], strict=True):
        if count:
            locate.raise_first(check, count)
    task: Task = "binary" if n_pred_not01 == 0 else "regression"
    if task == "binary" and n_label_not01 and label is not None:
        locate.raise_first(
            _Check(
                label,
                "labels of a binary task must be 0/1 (or null until they arrive)",
                _not01(label),
                quote(label),
            ),
            n_label_not01,
        )
    return ScanResult(n_rows=n_rows, task=task, distinct=dict(zip(distinct, approx, strict=True)))


class _Locator:
    """Finds the first offending row of a failed rule (only on the error path)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, raw: str, source: str, files: Sequence[str]
    ) -> None:
        self.con, self.raw, self.source, self.files = con, raw, source, files

    def _numbered(self) -> str:
        return f"(SELECT row_number() OVER () - 1 AS {_ROW}, * FROM {quote(self.raw)})"

    def _where(self, row: int, file: str | None) -> tuple[str, int]:
        """(file to name, row within it) for global row ``row``."""
        if file is None or len(self.files) <= 1:
            return (file or self.source), row
        first = self.con.execute(
            f"SELECT min({_ROW}) FROM {self._numbered()} WHERE {FILE_COLUMN} = ?", [file]
        ).fetchone()
        return file, row - int(first[0]) if first and first[0] is not None else row

    def _file_expr(self) -> str:
        return FILE_COLUMN if self.files else "NULL"

    def raise_first(self, check: _Check, count: int) -> None:
        # An aggregate FILTER, not a WHERE: DuckDB prunes Parquet row groups
        # by their min/max statistics, which leave NaN out, so a WHERE that
        # looks for NaN can come back empty while the count saw the rows.
        first = self.con.execute(
            f"SELECT min({_ROW}) FILTER (WHERE {check.condition}) FROM {self._numbered()}"
        ).fetchone()
        assert first is not None
        assert first[0] is not None
        hit = self.con.execute(
            f"SELECT {_ROW}, {check.value}, {self._file_expr()} FROM {self._numbered()} "
            f"WHERE {_ROW} = ?",
            [int(first[0])],
        ).fetchone()
        assert hit is not None
        where, row = self._where(int(hit[0]), hit[2])
        rows = "row" if count == 1 else "rows"
        raise LogSchemaError(
            f"{check.problem} ({count} {rows} in all)",
            source=where,
            column=check.column,
            row=row,
            value=_display(hit[1]),
        )

    def duplicate(self, column: str) -> None:
        q = quote(column)
        hit = self.con.execute(
            f"WITH r AS (SELECT {_ROW}, {q} AS v, {self._file_expr()} AS f FROM {self._numbered()}"
            f" WHERE {q} IS NOT NULL), first AS (SELECT v, min({_ROW}) AS m FROM r GROUP BY v "
            f"HAVING count(*) > 1) SELECT r.{_ROW}, r.v, r.f, first.m FROM r JOIN first USING (v) "
            f"WHERE r.{_ROW} > first.m ORDER BY r.{_ROW} LIMIT 1"
        ).fetchone()
        assert hit is not None
        where, row = self._where(int(hit[0]), hit[2])
        raise LogSchemaError(
            f"duplicate prediction id (first seen at row {int(hit[3])} of the log)",
            source=where,
            column=column,
            row=row,
            value=_display(hit[1]),
        )


def _display(value: Any) -> Any:
    if isinstance(value, str | int | float) or value is None:
        return value
    return str(value)


def _as_datetime(value: dt.date | dt.datetime | str, name: str) -> tuple[dt.datetime, bool]:
    """(naive UTC datetime, whether it was a date) from a date, datetime or ISO string."""
    if isinstance(value, str):
        try:
            value = (
                dt.date.fromisoformat(value)
                if len(value) == 10
                else dt.datetime.fromisoformat(value)
            )
        except ValueError as exc:
            raise ConfigError(
                f"The '{name}' parameter must be an ISO date or datetime. Got {value!r} instead."
            ) from exc
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value, False
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), True
    raise ConfigError(
        f"The '{name}' parameter must be a date, datetime or ISO string. Got {value!r} instead."
    )


def reference_window(
    log: PredictionLog,
    *,
    reference_end: dt.date | dt.datetime | str,
    reference_start: dt.date | dt.datetime | str | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """The reference window of a log as a half-open range ``start <= time < end``.

    Parameters
    ----------
    log
        The log.
    reference_end
        Last day (a date: the whole day is included) or last instant (a
        datetime, included) of the reference window.
    reference_start
        First day or instant (included). Default: the log's first timestamp.

    Returns
    -------
    tuple of datetime
        ``(start, end)``, naive UTC, ``end`` exclusive.

    Raises
    ------
    LogSchemaError
        If the window does not overlap the log, or holds no rows.

    Examples
    --------
    >>> import datetime as dt, pyarrow as pa
    >>> from modelward.io.reader import read_log
    >>> days = [dt.datetime(2026, 1, d) for d in (1, 2, 3)]
    >>> log = read_log(pa.table({"prediction_id": ["a", "b", "c"], "timestamp": days,
    ...                          "prediction": [0, 1, 0]}))
    >>> reference_window(log, reference_end="2026-01-02")
    (datetime.datetime(2026, 1, 1, 0, 0), datetime.datetime(2026, 1, 3, 0, 0))
    """
    end, end_is_date = _as_datetime(reference_end, "reference_end")
    end = end + (dt.timedelta(days=1) if end_is_date else dt.timedelta(microseconds=1))
    time = log.roles.time
    assert time is not None
    q = quote(time)
    row = log.con.execute(f"SELECT min({q}), max({q}) FROM {quote(log.view)}").fetchone()
    assert row is not None
    first, last = row
    start = (
        first if reference_start is None else _as_datetime(reference_start, "reference_start")[0]
    )
    if reference_start is not None and start >= end:
        raise ConfigError(f"The reference window is empty: start {start} is not before end {end}.")
    if first is None or end <= first or start > last or start >= end:
        raise LogSchemaError(
            f"the reference window [{start}, {end}) does not overlap the log, which runs "
            f"from {first} to {last}",
            source=log.source,
            column=time,
        )
    n = log.con.execute(
        f"SELECT count(*) FROM {quote(log.view)} WHERE {q} >= ? AND {q} < ?", [start, end]
    ).fetchone()
    if n is None or n[0] == 0:
        raise LogSchemaError(
            f"the reference window [{start}, {end}) holds no rows", source=log.source, column=time
        )
    return start, end

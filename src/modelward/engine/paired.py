"""The join of two prediction logs on ``prediction_id``, as counts only.

A retraining diff compares two versions of a model. When both scored the same
rows, the comparison is *paired*: each row contributes one (baseline, candidate)
pair, and the pairing makes the difference of two metrics far more precise than
two independent samples would. The join runs in DuckDB and returns only counts
per (segment, baseline score bin, candidate score bin, baseline prediction,
candidate prediction, label state): one query, with an output bounded by
``segments x values x bins^2 x 2 x 2 x 3`` rows whatever the size of the logs.

When the logs cover different periods, :func:`log_counts` gives the same kind
of table for each log alone (score bin x prediction x label per segment).

Conventions of the count tables:

- ``segment`` / ``segment_value``: ``""`` / ``""`` for all traffic, else the
  segment column and its value (``"(null)"`` for a missing value);
- score bins ``floor(score * bins)`` clipped to ``bins - 1``; ``-1`` when the
  log has no score or the score is null;
- predictions 0/1, ``-1`` when null; label 0/1 and ``-1`` for not (yet)
  labelled. A row of the join takes the baseline's label, or the candidate's
  when the baseline has none yet (labels arrive late).

Examples
--------
>>> import duckdb, pyarrow as pa, datetime as dt
>>> from modelward.io import read_log
>>> con = duckdb.connect()
>>> t0 = dt.datetime(2026, 1, 1)
>>> a = pa.table({"prediction_id": ["1", "2", "3"], "timestamp": [t0] * 3,
...               "score": [0.1, 0.6, 0.9], "prediction": [0, 1, 1], "label": [0, 1, None]})
>>> b = a.set_column(2, "score", pa.array([0.7, 0.6, 0.2])).set_column(
...     3, "prediction", pa.array([1, 1, 0]))
>>> counts = paired_counts(read_log(a, con=con), read_log(b, con=con), bins=10)
>>> counts.n_shared, counts.n_baseline, counts.n_candidate
(3, 3, 3)
>>> sorted(counts.table.column("n").to_pylist())
[1, 1, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from modelward._exceptions import ConfigError, LogSchemaError
from modelward.io.log import PredictionLog

__all__ = ["DEFAULT_PAIR_BINS", "LogCounts", "PairedCounts", "log_counts", "paired_counts"]

#: Score bins per version in the paired table (``bins^2`` cells per segment value at most).
DEFAULT_PAIR_BINS = 50

NULL_SEGMENT = "(null)"


@dataclass(frozen=True)
class PairedCounts:
    """Counts of the rows both logs scored, per pair of outcomes.

    Attributes
    ----------
    table
        Columns ``segment``, ``segment_value`` (str), ``b_bin``, ``c_bin``,
        ``b_pred``, ``c_pred``, ``label`` (int) and ``n`` (int): see the module
        docstring for the codes.
    bins
        Score bins per version.
    segments
        The segment columns counted.
    n_baseline, n_candidate
        Rows of each log.
    n_shared
        Rows whose id is in both logs.
    has_score, has_label
        Whether both logs have a score (resp. either has a label) column.
    baseline_versions, candidate_versions
        Distinct model versions of each log (at most 5, sorted), if the role is present.
    """

    table: pa.Table
    bins: int
    segments: tuple[str, ...]
    n_baseline: int
    n_candidate: int
    n_shared: int
    has_score: bool
    has_label: bool
    baseline_versions: tuple[str, ...] = ()
    candidate_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogCounts:
    """Counts of one log alone, per segment, score bin, prediction and label.

    Attributes
    ----------
    table
        Columns ``segment``, ``segment_value`` (str), ``bin``, ``pred``,
        ``label`` (int) and ``n`` (int).
    bins
        Score bins.
    n_rows
        Rows of the log.
    has_score, has_label
        Whether the log has a score (resp. label) column.
    """

    table: pa.Table
    bins: int
    n_rows: int
    has_score: bool
    has_label: bool


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_bins(bins: int, func: str) -> None:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ConfigError(f"The 'bins' parameter of {func} must be an int >= 2. Got {bins!r}.")


def _check_binary(log: PredictionLog, func: str) -> None:
    if log.task != "binary":
        raise ConfigError(
            f"{log.source}: {func} compares binary classifiers (0/1 predictions); "
            f"this log's task is {log.task!r}."
        )


def _segments(logs: Sequence[PredictionLog], segments: Sequence[str] | None) -> tuple[str, ...]:
    if segments is None:
        common = set.intersection(*(set(lg.segments) for lg in logs))
        return tuple(s for s in logs[0].segments if s in common)
    for log in logs:
        names = set(log.schema) if log.schema else set(log.relation().columns)
        for s in segments:
            if s not in names:
                raise LogSchemaError(
                    "segment column not found in the log", source=log.source, column=s
                )
    return tuple(dict.fromkeys(segments))


def _bin_expr(col: str | None, alias: str, bins: int) -> str:
    if col is None:
        return "-1"
    c = f"{alias}.{_q(col)}"
    binned = f"least(CAST(floor({c} * {bins}) AS INTEGER), {bins - 1})"
    return f"CASE WHEN {c} IS NULL THEN -1 ELSE {binned} END"


def _int_expr(col: str | None, alias: str) -> str:
    if col is None:
        return "-1"
    return f"coalesce(CAST({alias}.{_q(col)} AS INTEGER), -1)"


def _grouping(keys: Sequence[str], segments: Sequence[str]) -> tuple[str, str, str]:
    """SELECT items for segment / value, and the GROUPING SETS clause."""
    seg_case = " ".join(
        f"WHEN GROUPING(s{i}) = 0 THEN {_sql_str(s)}" for i, s in enumerate(segments)
    )
    val_case = " ".join(f"WHEN GROUPING(s{i}) = 0 THEN s{i}" for i in range(len(segments)))
    segment = f"CASE {seg_case} ELSE '' END" if segments else "''"
    value = f"CASE {val_case} ELSE '' END" if segments else "''"
    base = ", ".join(keys)
    sets = [f"({base})"] + [f"(s{i}, {base})" for i in range(len(segments))]
    return segment, value, "GROUPING SETS (" + ", ".join(sets) + ")"


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _seg_cols(segments: Sequence[str], alias: str) -> str:
    return "".join(
        f", coalesce(CAST({alias}.{_q(s)} AS VARCHAR), '{NULL_SEGMENT}') AS s{i}"
        for i, s in enumerate(segments)
    )


def _versions(log: PredictionLog) -> tuple[str, ...]:
    col = log.roles.model_version
    if col is None:
        return ()
    rows = log.con.sql(
        f"SELECT DISTINCT CAST({_q(col)} AS VARCHAR) AS v FROM {_q(log.view)} "
        "WHERE v IS NOT NULL ORDER BY v LIMIT 5"
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def paired_counts(
    baseline: PredictionLog,
    candidate: PredictionLog,
    *,
    segments: Sequence[str] | None = None,
    bins: int = DEFAULT_PAIR_BINS,
) -> PairedCounts:
    """Join two logs on their id column in DuckDB and count the pairs of outcomes.

    Parameters
    ----------
    baseline, candidate
        Binary-task logs read into the **same** DuckDB connection
        (``read_log(..., con=con)``).
    segments
        Segment columns to count by (taken from the baseline's rows). Default:
        the segments both logs have.
    bins
        Score bins per version.

    Returns
    -------
    PairedCounts
        Counts only; at most ``(1 + values) x bins^2 x 12`` rows.

    Raises
    ------
    ConfigError
        If the logs are in different connections, not binary, or ``bins < 2``.
    LogSchemaError
        If a segment column is missing.
    """
    func = "paired_counts"
    _check_bins(bins, func)
    if baseline.con is not candidate.con:
        raise ConfigError(
            "The baseline and candidate logs of paired_counts must be read into the same "
            "DuckDB connection (read_log(..., con=con))."
        )
    for log in (baseline, candidate):
        _check_binary(log, func)
    segs = _segments((baseline, candidate), segments)
    n_b, n_c = baseline.n_rows, candidate.n_rows  # ids are unique: the reader checks it
    rb, rc = baseline.roles, candidate.roles
    assert rb.id is not None
    assert rc.id is not None
    has_score = rb.score is not None and rc.score is not None
    has_label = rb.label is not None or rc.label is not None
    b_label, c_label = _int_expr(rb.label, "b"), _int_expr(rc.label, "c")
    label = f"CASE WHEN {b_label} >= 0 THEN {b_label} ELSE {c_label} END"
    keys = ["b_bin", "c_bin", "b_pred", "c_pred", "label"]
    segment, value, sets = _grouping(keys, segs)
    sql = f"""
        WITH j AS (
            SELECT {_bin_expr(rb.score if has_score else None, "b", bins)} AS b_bin,
                   {_bin_expr(rc.score if has_score else None, "c", bins)} AS c_bin,
                   {_int_expr(rb.prediction, "b")} AS b_pred,
                   {_int_expr(rc.prediction, "c")} AS c_pred,
                   {label} AS label{_seg_cols(segs, "b")}
            FROM {_q(baseline.view)} AS b
            JOIN {_q(candidate.view)} AS c
              ON CAST(b.{_q(rb.id)} AS VARCHAR) = CAST(c.{_q(rc.id)} AS VARCHAR)
        )
        SELECT {segment} AS segment, {value} AS segment_value, {", ".join(keys)},
               count(*) AS n
        FROM j GROUP BY {sets}
        ORDER BY segment, segment_value, {", ".join(keys)}
    """
    table = _fetch(baseline.con, sql)
    whole = table.filter(pc.equal(table["segment"], ""))
    n_shared = int(pc.sum(whole["n"]).as_py() or 0)
    return PairedCounts(
        table=table,
        bins=bins,
        segments=segs,
        n_baseline=n_b,
        n_candidate=n_c,
        n_shared=n_shared,
        has_score=has_score,
        has_label=has_label,
        baseline_versions=_versions(baseline),
        candidate_versions=_versions(candidate),
    )


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    table = con.sql(sql).to_arrow_table()
    casts = {
        "segment": pa.string(),
        "segment_value": pa.string(),
        "n": pa.int64(),
    }
    fields = [pa.field(f.name, casts.get(f.name, pa.int32())) for f in table.schema]
    return table.cast(pa.schema(fields))


def log_counts(
    log: PredictionLog,
    *,
    segments: Sequence[str] | None = None,
    bins: int = DEFAULT_PAIR_BINS,
) -> LogCounts:
    """Count one binary-task log per segment, score bin, prediction and label (one query).

    Parameters
    ----------
    log
        A binary-task log.
    segments
        Segment columns. Default: the log's segments.
    bins
        Score bins.

    Returns
    -------
    LogCounts
        Counts only; at most ``(1 + values) x bins x 2 x 3`` rows.

    Examples
    --------
    >>> import pyarrow as pa, datetime as dt
    >>> from modelward.io import read_log
    >>> t = pa.table({"prediction_id": ["1", "2"], "timestamp": [dt.datetime(2026, 1, 1)] * 2,
    ...               "score": [0.2, 0.8], "prediction": [0, 1], "label": [0, 1]})
    >>> log_counts(read_log(t), bins=4).table.column("bin").to_pylist()
    [0, 3]
    """
    func = "log_counts"
    _check_bins(bins, func)
    _check_binary(log, func)
    segs = _segments((log,), segments)
    r = log.roles
    keys = ["bin", "pred", "label"]
    segment, value, sets = _grouping(keys, segs)
    sql = f"""
        WITH j AS (
            SELECT {_bin_expr(r.score, "t", bins)} AS bin,
                   {_int_expr(r.prediction, "t")} AS pred,
                   {_int_expr(r.label, "t")} AS label{_seg_cols(segs, "t")}
            FROM {_q(log.view)} AS t
        )
        SELECT {segment} AS segment, {value} AS segment_value, {", ".join(keys)},
               count(*) AS n
        FROM j GROUP BY {sets}
        ORDER BY segment, segment_value, {", ".join(keys)}
    """
    table = _fetch(log.con, sql)
    return LogCounts(
        table=table,
        bins=bins,
        n_rows=log.n_rows,
        has_score=r.score is not None,
        has_label=r.label is not None,
    )

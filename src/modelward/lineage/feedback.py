"""The feedback loop: user corrections and late labels joined onto predictions.

``modelward feedback add FILE`` loads a CSV or Parquet file with columns
``prediction_id, label, timestamp, source``. Nothing is ever overwritten: a
row identical to one already stored (same prediction, label, time and source)
is a duplicate and is skipped, any other row for a prediction is kept as its
next version. Loading a file twice therefore adds nothing the second time, and
two files that disagree keep both answers.

:func:`feedback_report` joins the feedback onto a prediction log and measures
the loop: coverage by segment and by prediction age, the label-lag
distribution (first feedback minus prediction time), the source mix,
disagreement between sources, and the share of predictions that will never get
a label, estimated as the unlabelled share of predictions older than the p99
label lag (by then, 99% of the labels that come have come).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from modelward._exceptions import (
    ConfigError,
    LogFormatError,
    LogNotFoundError,
    LogSchemaError,
    ModelwardWarning,
)
from modelward.io import PredictionLog
from modelward.lineage._store import connection, now_utc, transaction
from modelward.store import Store

__all__ = [
    "AGE_EDGES_DAYS",
    "FEEDBACK_COLUMNS",
    "LAG_EDGES_HOURS",
    "FeedbackLoad",
    "FeedbackRecord",
    "FeedbackReport",
    "add_feedback",
    "feedback_history",
    "feedback_report",
]

FEEDBACK_COLUMNS = ("prediction_id", "label", "timestamp", "source")
"""The columns a feedback file must have."""

AGE_EDGES_DAYS = (0.0, 1.0, 7.0, 30.0)
"""Left edges of the prediction-age buckets of coverage (days); the last is open."""

LAG_EDGES_HOURS = (0.0, 1.0, 6.0, 24.0, 72.0, 168.0, 720.0)
"""Left edges of the label-lag histogram (hours); the last bucket is open."""

_INCOMING = "_mw_feedback_in"
_TZ_SUFFIX = r"(Z|[+-]\d\d(:?\d\d)?)$"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class FeedbackLoad:
    """What one ``feedback add`` did: rows read, added, duplicates skipped, new versions."""

    file: str
    rows: int
    added: int
    duplicates: int
    revisions: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class FeedbackRecord:
    """One stored version of the feedback on a prediction."""

    prediction_id: str
    version: int
    label: float
    timestamp: dt.datetime
    source: str
    file: str
    loaded_at: dt.datetime


def _stage(con: Any, path: Path) -> int:
    """Read the file into a temp table of text columns with a 0-based ``_row``; validate it."""
    source = str(path)
    if not path.exists():
        raise LogNotFoundError("no such feedback file", source=source)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        reader = f"read_csv({_lit(source)}, all_varchar = true, header = true)"
    elif suffix in (".parquet", ".pq"):
        reader = f"read_parquet({_lit(source)})"
    else:
        raise LogFormatError("feedback must be a .csv or .parquet file", source=source)
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
    except duckdb.Error as exc:
        raise LogFormatError(f"cannot read it: {exc}", source=source) from exc
    for col in FEEDBACK_COLUMNS:
        if col not in cols:
            raise LogSchemaError(
                f"missing required column (feedback needs {', '.join(FEEDBACK_COLUMNS)}; "
                f"found {', '.join(map(str, cols))})",
                source=source,
                column=col,
            )
    ts = 'CAST("timestamp" AS VARCHAR)'
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_INCOMING} AS SELECT "
        "row_number() OVER () - 1 AS _row, "
        "trim(CAST(prediction_id AS VARCHAR)) AS prediction_id, "
        "CAST(label AS VARCHAR) AS label_text, TRY_CAST(label AS DOUBLE) AS label, "
        f"{ts} AS ts_text, "
        f"CASE WHEN regexp_matches(trim({ts}), '{_TZ_SUFFIX}') "
        f"THEN timezone('UTC', TRY_CAST(trim({ts}) AS TIMESTAMPTZ)) "
        f"ELSE TRY_CAST(trim({ts}) AS TIMESTAMP) END AS feedback_at, "
        "trim(CAST(source AS VARCHAR)) AS source "
        f"FROM {reader}"
    )
    checks = (
        (
            "prediction_id",
            "prediction_id IS NULL OR prediction_id = ''",
            "prediction_id",
            "empty prediction id",
        ),
        (
            "label",
            "label IS NULL OR NOT isfinite(label)",
            "label_text",
            "label is missing or not a number",
        ),
        ("timestamp", "feedback_at IS NULL", "ts_text", "timestamp is missing or unparseable"),
        ("source", "source IS NULL OR source = ''", "source", "empty source"),
    )
    for column, bad, shown, problem in checks:
        row = con.execute(
            f"SELECT _row, {shown} FROM {_INCOMING} WHERE {bad} ORDER BY _row LIMIT 1"
        ).fetchone()
        if row is not None:
            raise LogSchemaError(
                problem, source=source, column=column, row=int(row[0]), value=row[1]
            )
    n = con.execute(f"SELECT count(*) FROM {_INCOMING}").fetchone()
    return int(n[0])


def add_feedback(store: Store, path: str | Path) -> FeedbackLoad:
    """Load a feedback file into the store's history, never overwriting.

    Raises
    ------
    LogNotFoundError, LogFormatError
        If the file is missing or unreadable.
    LogSchemaError
        On a missing column or a bad value (file, column and first bad row
        named); nothing is stored then.
    """
    p = Path(path)
    con = connection(store)
    try:
        rows = _stage(con, p)
        now = now_utc()

        def write(con: Any) -> tuple[int, int]:
            before = con.execute(
                "SELECT count(*), count(DISTINCT prediction_id) FROM feedback"
            ).fetchone()
            con.execute(
                "INSERT INTO feedback "
                "SELECT n.prediction_id, "
                "coalesce(m.top, 0) + row_number() OVER (PARTITION BY n.prediction_id "
                "ORDER BY n.feedback_at, n.source, n.label), "
                "n.label, n.feedback_at, n.source, ?, ? "
                f"FROM (SELECT DISTINCT prediction_id, label, feedback_at, source FROM {_INCOMING} "
                "      ) n "
                "ANTI JOIN feedback f ON f.prediction_id = n.prediction_id "
                "AND f.feedback_at = n.feedback_at AND f.source = n.source AND f.label = n.label "
                "LEFT JOIN (SELECT prediction_id, max(version) AS top FROM feedback GROUP BY 1) m "
                "ON m.prediction_id = n.prediction_id",
                [str(p), now],
            )
            after = con.execute(
                "SELECT count(*), count(DISTINCT prediction_id) FROM feedback"
            ).fetchone()
            return int(after[0] - before[0]), int(after[1] - before[1])

        added, new_predictions = transaction(store, write, what=f"load feedback from {p}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_INCOMING}")
    return FeedbackLoad(str(p), rows, added, rows - added, added - new_predictions)


def feedback_history(store: Store, prediction_id: str) -> list[FeedbackRecord]:
    """Every stored version of the feedback on one prediction, oldest version first."""
    rows = (
        connection(store)
        .execute(
            "SELECT prediction_id, version, label, feedback_at, source, file, loaded_at "
            "FROM feedback WHERE prediction_id = ? ORDER BY version",
            [prediction_id],
        )
        .fetchall()
    )
    return [FeedbackRecord(r[0], int(r[1]), float(r[2]), r[3], r[4], r[5], r[6]) for r in rows]


@dataclass(frozen=True)
class FeedbackReport:
    """How well feedback flows back onto a prediction log (see :func:`feedback_report`).

    ``coverage_by_segment`` rows are ``{"segment", "value", "predictions",
    "labelled", "coverage"}``; ``coverage_by_age`` rows ``{"age", ...}``; lag
    figures are in hours.
    """

    as_of: dt.datetime
    predictions: int
    labelled: int
    coverage: float | None
    coverage_by_segment: list[dict[str, Any]] = field(default_factory=list)
    coverage_by_age: list[dict[str, Any]] = field(default_factory=list)
    lag_quantiles_hours: dict[str, float | None] = field(default_factory=dict)
    lag_histogram: list[dict[str, Any]] = field(default_factory=list)
    negative_lags: int = 0
    source_mix: list[dict[str, Any]] = field(default_factory=list)
    disagreement: dict[str, Any] = field(default_factory=dict)
    never_labelled: dict[str, Any] = field(default_factory=dict)
    unmatched_feedback: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        out = dict(self.__dict__)
        out["as_of"] = self.as_of.isoformat() + "Z"
        return out


def _fetch(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _bucket_sql(expr: str, edges: tuple[float, ...], unit: str) -> str:
    parts = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        label = f"{low:g}-{high:g}{unit}" if high is not None else f">={low:g}{unit}"
        cond = f"{expr} < {high}" if high is not None else "TRUE"
        parts.append(f"WHEN {cond} THEN {i} || '|' || {_lit(label)}")
    return "CASE " + " ".join(parts) + " END"


def feedback_report(
    store: Store, log: PredictionLog, *, as_of: dt.datetime | None = None
) -> FeedbackReport:
    """Measure the feedback loop of a prediction log from the stored feedback.

    Parameters
    ----------
    store
        The store holding the feedback.
    log
        The predictions (from :func:`modelward.io.read_log`); their segments
        are the log's segment columns.
    as_of
        "Now" for prediction ages (naive UTC); default the latest prediction
        or feedback time.

    Notes
    -----
    The feedback rows are copied into the log's DuckDB connection as one Arrow
    table (memory grows with the number of feedback rows, not of predictions);
    every figure is a DuckDB aggregate over the join.
    """
    cursor = connection(store).cursor()
    try:
        fb_table = cursor.sql(
            "SELECT prediction_id, version, label, feedback_at, source FROM feedback"
        ).to_arrow_table()
    finally:
        cursor.close()
    con = log.con
    id_col, time_col = log.roles.id, log.roles.time
    if id_col is None or time_col is None:
        raise ConfigError(f"{log.source}: the feedback report needs the id and time columns")
    fb = "_mw_fb"
    con.register(fb, fb_table)
    try:
        return _report(con, log, fb, id_col, time_col, as_of)
    finally:
        con.unregister(fb)


def _report(
    con: Any, log: PredictionLog, fb: str, id_col: str, time_col: str, as_of: dt.datetime | None
) -> FeedbackReport:
    segs = ", ".join(f"p.{_q(s)}" for s in log.segments)
    if as_of is None:
        row = con.execute(
            f"SELECT greatest(max({_q(time_col)}), (SELECT max(feedback_at) FROM {fb})) "
            f"FROM {_q(log.view)}"
        ).fetchone()
        as_of = row[0] if row and row[0] is not None else now_utc()
    assert as_of is not None
    joined = "_mw_fb_joined"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {joined} AS SELECT "
        f"CAST(p.{_q(id_col)} AS VARCHAR) AS pid, p.{_q(time_col)} AS ts{',' if segs else ''} "
        f"{segs}, f.first_at, epoch(f.first_at - p.{_q(time_col)}) / 3600.0 AS lag_h, "
        f"epoch(CAST(? AS TIMESTAMP) - p.{_q(time_col)}) / 86400.0 AS age_d "
        f"FROM {_q(log.view)} p LEFT JOIN (SELECT prediction_id, min(feedback_at) AS first_at "
        f"FROM {fb} GROUP BY 1) f ON CAST(p.{_q(id_col)} AS VARCHAR) = f.prediction_id",
        [as_of],
    )
    try:
        total = con.execute(
            f"SELECT count(*), count(first_at), count(*) FILTER (WHERE lag_h < 0) FROM {joined}"
        ).fetchone()
        n, labelled, negative = int(total[0]), int(total[1]), int(total[2])
        by_segment: list[dict[str, Any]] = []
        for seg in log.segments:
            by_segment += _fetch(
                con,
                f"SELECT {_lit(seg)} AS segment, CAST({_q(seg)} AS VARCHAR) AS value, "
                "count(*) AS predictions, count(first_at) AS labelled, "
                f"count(first_at) / count(*) AS coverage FROM {joined} GROUP BY 2 ORDER BY 2",
            )
        by_age = _fetch(
            con,
            f"SELECT {_bucket_sql('age_d', AGE_EDGES_DAYS, 'd')} AS age, count(*) AS predictions, "
            f"count(first_at) AS labelled, count(first_at) / count(*) AS coverage "
            f"FROM {joined} WHERE age_d >= 0 GROUP BY 1 ORDER BY 1",
        )
        for r in by_age:
            r["age"] = r["age"].split("|", 1)[1]
        q = con.execute(
            f"SELECT quantile_cont(lag_h, [0.5, 0.9, 0.99]), max(lag_h) FROM {joined} "
            "WHERE lag_h >= 0"
        ).fetchone()
        quantiles = list(q[0]) if q[0] is not None else [None, None, None]
        lag_q = {"p50": quantiles[0], "p90": quantiles[1], "p99": quantiles[2], "max": q[1]}
        hist = _fetch(
            con,
            f"SELECT {_bucket_sql('lag_h', LAG_EDGES_HOURS, 'h')} AS lag, count(*) AS predictions "
            f"FROM {joined} WHERE lag_h >= 0 GROUP BY 1 ORDER BY 1",
        )
        for r in hist:
            r["lag"] = r["lag"].split("|", 1)[1]
        mix = _fetch(
            con,
            "SELECT f.source, count(*) AS feedback, "
            "count(DISTINCT f.prediction_id) AS predictions, "
            "count(*) / sum(count(*)) OVER () AS share, "
            "median(epoch(f.feedback_at - j.ts) / 3600.0) AS median_lag_h "
            f"FROM {fb} f JOIN {joined} j ON j.pid = f.prediction_id GROUP BY 1 ORDER BY 2 DESC",
        )
        disagreement = _disagreement(con, fb, joined)
        never = _never(con, joined, lag_q["p99"])
        unmatched = con.execute(
            f"SELECT count(DISTINCT prediction_id) FROM {fb} ANTI JOIN {joined} j "
            "ON j.pid = prediction_id"
        ).fetchone()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {joined}")
    return FeedbackReport(
        as_of=as_of,
        predictions=n,
        labelled=labelled,
        coverage=labelled / n if n else None,
        coverage_by_segment=by_segment,
        coverage_by_age=by_age,
        lag_quantiles_hours=lag_q,
        lag_histogram=hist,
        negative_lags=negative,
        source_mix=mix,
        disagreement=disagreement,
        never_labelled=never,
        unmatched_feedback=int(unmatched[0]),
    )


def _disagreement(con: Any, fb: str, joined: str) -> dict[str, Any]:
    latest = (
        f"SELECT prediction_id, source, arg_max(label, (feedback_at, version)) AS label "
        f"FROM {fb} SEMI JOIN {joined} j ON j.pid = prediction_id GROUP BY 1, 2"
    )
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE n_sources >= 2), "
        f"count(*) FILTER (WHERE n_sources >= 2 AND n_labels > 1) "
        f"FROM (SELECT prediction_id, count(*) AS n_sources, count(DISTINCT label) AS n_labels "
        f"FROM ({latest}) GROUP BY 1)"
    ).fetchone()
    multi, disagree = int(row[0]), int(row[1])
    pairs = _fetch(
        con,
        f"WITH l AS ({latest}) SELECT a.source AS source_a, b.source AS source_b, "
        "count(*) AS predictions, count(*) FILTER (WHERE a.label <> b.label) AS disagree, "
        "count(*) FILTER (WHERE a.label <> b.label) / count(*) AS rate "
        "FROM l a JOIN l b ON a.prediction_id = b.prediction_id AND a.source < b.source "
        "GROUP BY 1, 2 ORDER BY 1, 2",
    )
    relabelled = con.execute(
        f"SELECT count(*) FROM (SELECT prediction_id FROM {fb} SEMI JOIN {joined} j "
        "ON j.pid = prediction_id GROUP BY 1 HAVING count(DISTINCT label) > 1)"
    ).fetchone()
    return {
        "predictions_with_several_sources": multi,
        "disagreeing": disagree,
        "rate": disagree / multi if multi else None,
        "pairs": pairs,
        "predictions_relabelled": int(relabelled[0]),
    }


def _never(con: Any, joined: str, p99: float | None) -> dict[str, Any]:
    if p99 is None:
        warnings.warn(
            "no label lag observed: the never-labelled share cannot be estimated",
            ModelwardWarning,
            stacklevel=3,
        )
        return {"p99_lag_hours": None, "eligible": 0, "unlabelled": 0, "share": None}
    row = con.execute(
        f"SELECT count(*), count(*) - count(first_at) FROM {joined} WHERE age_d * 24 > ?",
        [p99],
    ).fetchone()
    eligible, unlabelled = int(row[0]), int(row[1])
    if eligible == 0:
        warnings.warn(
            f"no prediction is older than the p99 label lag ({p99:.1f} h): the "
            "never-labelled share cannot be estimated yet",
            ModelwardWarning,
            stacklevel=3,
        )
    return {
        "p99_lag_hours": p99,
        "eligible": eligible,
        "unlabelled": unlabelled,
        "share": unlabelled / eligible if eligible else None,
    }

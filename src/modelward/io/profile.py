"""A one-screen profile of a prediction log (what ``modelward inspect`` prints).

Two aggregate queries: one for rows, time span, daily buckets, segment sizes,
label coverage and label lag; one for rows per model version.

Examples
--------
>>> import datetime as dt, pyarrow as pa
>>> from modelward.io.reader import read_log
>>> t0 = dt.datetime(2026, 1, 1)
>>> log = read_log(pa.table({
...     "prediction_id": ["a", "b", "c", "d"],
...     "timestamp": [t0, t0, t0 + dt.timedelta(days=1), t0 + dt.timedelta(days=1)],
...     "prediction": [0, 1, 1, 0],
...     "label": [0, 1, None, None],
...     "label_timestamp": [t0 + dt.timedelta(hours=2), t0 + dt.timedelta(hours=4), None, None],
... }))
>>> p = describe(log)
>>> p.rows, p.days, p.label_coverage, p.median_label_lag
(4, 2, 0.5, '3.0 h')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from modelward.io.log import Feature, PredictionLog, Task
from modelward.io.validate import quote

__all__ = ["LogProfile", "describe", "humanize_seconds"]


def humanize_seconds(seconds: float) -> str:
    """A duration in the largest fitting unit, to one decimal.

    Examples
    --------
    >>> humanize_seconds(42), humanize_seconds(5400), humanize_seconds(3 * 86400)
    ('42.0 s', '1.5 h', '3.0 d')
    """
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


@dataclass(frozen=True)
class LogProfile:
    """What a prediction log holds.

    Attributes
    ----------
    source, task, rows
        Where the log came from, ``"binary"`` or ``"regression"``, row count.
    first_timestamp, last_timestamp
        Time span (naive UTC).
    days
        Number of daily buckets holding rows.
    features
        Monitored features with kinds and DuckDB types.
    segments
        ``(column, number of distinct values)`` per segment.
    label_coverage
        Share of rows with a label (``None`` without a label column).
    median_label_lag_seconds
        Approximate median of ``label_timestamp - timestamp`` over labelled rows
        (``None`` without a label-time column or labels).
    model_versions
        ``(version, rows)``, most rows first (``None`` for a null version is
        shown as ``"<null>"``).
    identifiers
        Categorical columns not monitored because they look like ids.
    """

    source: str
    task: Task
    rows: int
    first_timestamp: dt.datetime | None
    last_timestamp: dt.datetime | None
    days: int
    features: tuple[Feature, ...]
    segments: tuple[tuple[str, int], ...]
    label_coverage: float | None
    median_label_lag_seconds: float | None
    model_versions: tuple[tuple[str, int], ...]
    identifiers: tuple[str, ...] = ()

    @property
    def median_label_lag(self) -> str | None:
        """The median label lag in words (``"3.0 h"``)."""
        s = self.median_label_lag_seconds
        return None if s is None else humanize_seconds(s)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (timestamps as ISO strings with ``Z``)."""
        out = asdict(self)
        for key in ("first_timestamp", "last_timestamp"):
            value = out[key]
            out[key] = None if value is None else value.isoformat() + "Z"
        out["features"] = [asdict(f) for f in self.features]
        out["segments"] = [{"name": n, "values": k} for n, k in self.segments]
        out["model_versions"] = [{"version": v, "rows": k} for v, k in self.model_versions]
        out["median_label_lag"] = self.median_label_lag
        return out


def describe(log: PredictionLog) -> LogProfile:
    """Profile a log in two aggregate queries.

    Parameters
    ----------
    log
        A log from :func:`modelward.io.read_log`.

    Returns
    -------
    LogProfile
    """
    roles = log.roles
    assert roles.time is not None
    t = quote(roles.time)
    aggs = [
        "count(*)",
        f"min({t})",
        f"max({t})",
        f"count(DISTINCT date_trunc('day', {t}))",
        f"count({quote(roles.label)})" if roles.label else "NULL",
    ]
    if roles.label and roles.label_time:
        lt, lab = quote(roles.label_time), quote(roles.label)
        aggs.append(
            f"approx_quantile((epoch_us({lt}) - epoch_us({t})) / 1e6, 0.5) "
            f"FILTER (WHERE {lab} IS NOT NULL AND {lt} IS NOT NULL)"
        )
    else:
        aggs.append("NULL")
    aggs += [f"count(DISTINCT {quote(s)})" for s in log.segments]
    row = log.con.execute(f"SELECT {', '.join(aggs)} FROM {quote(log.view)}").fetchone()
    assert row is not None
    rows = int(row[0])
    versions: tuple[tuple[str, int], ...] = ()
    if roles.model_version:
        mv = quote(roles.model_version)
        versions = tuple(
            ("<null>" if v is None else str(v), int(n))
            for v, n in log.con.execute(
                f"SELECT {mv}, count(*) AS n FROM {quote(log.view)} GROUP BY {mv} "
                f"ORDER BY n DESC, {mv}"
            ).fetchall()
        )
    return LogProfile(
        source=log.source,
        task=log.task,
        rows=rows,
        first_timestamp=row[1],
        last_timestamp=row[2],
        days=int(row[3]),
        features=log.features,
        segments=tuple((s, int(n)) for s, n in zip(log.segments, row[6:], strict=True)),
        label_coverage=None if row[4] is None or rows == 0 else int(row[4]) / rows,
        median_label_lag_seconds=None if row[5] is None else float(row[5]),
        model_versions=versions,
        identifiers=log.identifiers,
    )

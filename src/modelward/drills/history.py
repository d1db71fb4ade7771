"""Drill history in the run store: every graded attempt, and progress by cause and dimension.

The table lives in the store's DuckDB file (``Store(path).connection``),
created by this module's own idempotent migration (``CREATE TABLE IF NOT
EXISTS``) and written in one transaction per attempt::

    drill_attempts  attempt_id, created_at, seed, domain, cause, answer_cause,
                    magnitude, total, diagnosis, mapping, containment,
                    coverage, time, elapsed_seconds, scenario, answers, grade

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from modelward.store import Store
>>> with Store(Path(tempfile.mkdtemp()) / "s.duckdb") as store:
...     _ = record_attempt(store, scenario={"seed": 1, "domain": "fraud", "cause": "data_gap",
...                        "magnitude": 0.5}, answers={"cause": "data_gap"},
...                        grade={"total": 0.8, "elapsed_seconds": 60.0, "dimensions": [
...                            {"name": "diagnosis", "score": 1.0}]})
...     progress(store)["by_cause"]["data_gap"]["total"]
...     [(a.cause, a.total) for a in list_attempts(store)]
0.8
[('data_gap', 0.8)]
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelward._exceptions import ConfigError, StoreError
from modelward.drills.catalogue import CAUSES
from modelward.drills.grading import DIMENSIONS
from modelward.drills.scenario import cause_weights
from modelward.store import Store

__all__ = [
    "AttemptRecord",
    "ensure_tables",
    "list_attempts",
    "progress",
    "record_attempt",
    "scores_by_cause",
]

_DDL = """
CREATE TABLE IF NOT EXISTS drill_attempts (
    attempt_id      VARCHAR PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    seed            BIGINT NOT NULL,
    domain          VARCHAR NOT NULL,
    cause           VARCHAR NOT NULL,
    answer_cause    VARCHAR,
    magnitude       DOUBLE,
    total           DOUBLE NOT NULL,
    diagnosis       DOUBLE,
    mapping         DOUBLE,
    containment     DOUBLE,
    coverage        DOUBLE,
    time            DOUBLE,
    elapsed_seconds DOUBLE,
    scenario        VARCHAR NOT NULL,
    answers         VARCHAR NOT NULL,
    grade           VARCHAR NOT NULL
)
"""


def ensure_tables(store: Store) -> None:
    """Create the drill tables if missing (idempotent; one transaction)."""
    con = store.connection
    if store.read_only:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_DDL)
        con.execute("COMMIT")
    except Exception as exc:
        con.execute("ROLLBACK")
        raise StoreError(f"{store.path}: cannot create the drill tables: {exc}") from exc


def _has_table(store: Store) -> bool:
    rows = store.connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'drill_attempts'"
    ).fetchone()
    return bool(rows and rows[0])


def record_attempt(
    store: Store,
    *,
    scenario: Mapping[str, Any],
    answers: Mapping[str, Any],
    grade: Mapping[str, Any],
) -> str:
    """Store one graded attempt in a single transaction; return its id."""
    ensure_tables(store)
    dims = {d["name"]: d["score"] for d in grade.get("dimensions", [])}
    attempt_id = uuid.uuid4().hex[:12]
    con = store.connection
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO drill_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                attempt_id,
                datetime.now(UTC).replace(tzinfo=None),
                int(scenario["seed"]),
                str(scenario["domain"]),
                str(scenario["cause"]),
                answers.get("cause"),
                scenario.get("magnitude"),
                float(grade["total"]),
                *(dims.get(name) for name in DIMENSIONS),
                grade.get("elapsed_seconds"),
                json.dumps(dict(scenario), default=str),
                json.dumps(dict(answers), default=str),
                json.dumps(dict(grade), default=str),
            ],
        )
        con.execute("COMMIT")
    except Exception as exc:
        con.execute("ROLLBACK")
        raise StoreError(f"{store.path}: cannot record the drill attempt: {exc}") from exc
    return attempt_id


def scores_by_cause(store: Store) -> dict[str, list[float]]:
    """Total scores of every attempt, per true cause, oldest first."""
    if not _has_table(store):
        return {}
    out: dict[str, list[float]] = {}
    for cause, total in store.connection.execute(
        "SELECT cause, total FROM drill_attempts ORDER BY created_at"
    ).fetchall():
        out.setdefault(str(cause), []).append(float(total))
    return out


def progress(store: Store, *, recent: int = 5) -> dict[str, Any]:
    """Scores by cause and dimension, the trend, and the causes to practise next.

    Returns
    -------
    dict
        ``attempts``; ``by_cause`` (cause -> attempts, mean total and mean per
        dimension); ``by_dimension`` (mean over all attempts); ``trend`` (mean
        total of the first and the last ``recent`` attempts); ``practise_next``
        (the three causes of highest weight for the next drill).
    """
    cols = ", ".join(DIMENSIONS)
    rows: list[tuple[Any, ...]] = []
    if _has_table(store):
        rows = store.connection.execute(
            f"SELECT cause, total, {cols} FROM drill_attempts ORDER BY created_at"
        ).fetchall()
    by_cause: dict[str, dict[str, Any]] = {}
    for cause in sorted({str(r[0]) for r in rows}):
        mine = [r for r in rows if r[0] == cause]
        entry: dict[str, Any] = {
            "attempts": len(mine),
            "total": round(sum(float(r[1]) for r in mine) / len(mine), 4),
        }
        for i, name in enumerate(DIMENSIONS):
            vals = [float(r[2 + i]) for r in mine if r[2 + i] is not None]
            entry[name] = round(sum(vals) / len(vals), 4) if vals else None
        by_cause[cause] = entry
    by_dim: dict[str, float | None] = {}
    for i, name in enumerate(DIMENSIONS):
        vals = [float(r[2 + i]) for r in rows if r[2 + i] is not None]
        by_dim[name] = round(sum(vals) / len(vals), 4) if vals else None
    totals = [float(r[1]) for r in rows]
    trend = {
        "first": round(sum(totals[:recent]) / len(totals[:recent]), 4) if totals else None,
        "last": round(sum(totals[-recent:]) / len(totals[-recent:]), 4) if totals else None,
    }
    history: dict[str, list[float]] = {}
    for r in rows:
        history.setdefault(str(r[0]), []).append(float(r[1]))
    w = cause_weights(history)
    nxt = sorted((c for c in CAUSES if c != "none"), key=lambda c: (-w[c], c))[:3]
    return {
        "attempts": len(rows),
        "by_cause": by_cause,
        "by_dimension": by_dim,
        "trend": trend,
        "practise_next": nxt,
    }


@dataclass(frozen=True)
class AttemptRecord:
    """One graded attempt as stored in the drill history (the summary columns)."""

    attempt_id: str
    created_at: datetime  # UTC, naive
    seed: int
    domain: str
    cause: str
    answer_cause: str | None
    magnitude: float | None
    total: float
    elapsed_seconds: float | None
    scores: dict[str, float | None]  # rubric dimension -> score


@contextmanager
def _reading(store: Store | str | Path) -> Iterator[Store | None]:
    """``store`` itself, or the store at a path opened read-only (``None`` if there is none)."""
    if isinstance(store, Store):
        yield store
        return
    if not Path(store).exists():
        yield None
        return
    with Store(store, read_only=True) as opened:
        yield opened


def list_attempts(store: Store | str | Path, *, limit: int | None = 20) -> list[AttemptRecord]:
    """The stored attempts, newest first.

    Parameters
    ----------
    store
        An open :class:`~modelward.store.Store`, or the path of a store file
        (opened read-only and closed again; a missing file has no attempts).
    limit
        At most this many attempts (``None``: all of them).

    Returns
    -------
    list of AttemptRecord
        Newest first; empty when no drill was ever graded in this store.

    Raises
    ------
    ConfigError
        If ``limit`` is not ``None`` or an int >= 0.
    StoreError
        If the store cannot be opened.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "s.duckdb"
    >>> list_attempts(path)
    []
    >>> with Store(path) as store:
    ...     for total in (0.5, 0.9):
    ...         _ = record_attempt(store, scenario={"seed": 7, "domain": "churn",
    ...                            "cause": "prior_shift"}, answers={"cause": "prior_shift"},
    ...                            grade={"total": total, "dimensions": [
    ...                                {"name": "coverage", "score": total}]})
    >>> [(a.total, a.scores["coverage"], a.scores["time"]) for a in list_attempts(path)]
    [(0.9, 0.9, None), (0.5, 0.5, None)]
    >>> len(list_attempts(path, limit=1))
    1
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ConfigError(
            f"The 'limit' parameter of list_attempts must be None or an int >= 0. "
            f"Got {limit!r} instead."
        )
    cols = ", ".join(DIMENSIONS)
    with _reading(store) as st:
        if st is None or not _has_table(st):
            return []
        sql = (
            "SELECT attempt_id, created_at, seed, domain, cause, answer_cause, magnitude, total, "
            f"elapsed_seconds, {cols} FROM drill_attempts ORDER BY created_at DESC, attempt_id"
        )
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = st.connection.execute(sql, params).fetchall()
    return [
        AttemptRecord(
            attempt_id=str(r[0]),
            created_at=r[1],
            seed=int(r[2]),
            domain=str(r[3]),
            cause=str(r[4]),
            answer_cause=None if r[5] is None else str(r[5]),
            magnitude=None if r[6] is None else float(r[6]),
            total=float(r[7]),
            elapsed_seconds=None if r[8] is None else float(r[8]),
            scores={
                n: None if v is None else float(v) for n, v in zip(DIMENSIONS, r[9:], strict=True)
            },
        )
        for r in rows
    ]

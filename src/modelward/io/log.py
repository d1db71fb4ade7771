"""The prediction log as the rest of modelward sees it.

A :class:`PredictionLog` is what every reader returns and what every engine
scans: a DuckDB view over the rows (never loaded into Python), the resolved
column roles, and the monitored features with their kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import duckdb

from modelward.io.columns import ColumnRoles

__all__ = ["Feature", "FeatureKind", "PredictionLog", "Task"]

FeatureKind = Literal["numeric", "categorical"]
Task = Literal["binary", "regression"]


@dataclass(frozen=True)
class Feature:
    """A monitored feature column.

    Attributes
    ----------
    name
        Column name in the log.
    kind
        ``"numeric"`` or ``"categorical"``.
    dtype
        The DuckDB type of the column, as DuckDB prints it (``"DOUBLE"``).
    """

    name: str
    kind: FeatureKind
    dtype: str


@dataclass
class PredictionLog:
    """A validated prediction log behind a DuckDB view.

    The view exposes the log's own column names. The time and label-time
    columns are ``TIMESTAMP`` (UTC, without zone), score and latency ``DOUBLE``.

    Attributes
    ----------
    con
        The DuckDB connection that owns the view.
    view
        Name of the view in ``con``.
    source
        Where the log came from (a path, or a description such as
        ``"<pandas.DataFrame>"``), used in messages.
    roles
        Column roles resolved against the log: absent optional roles are ``None``.
    features
        Monitored features, in column order.
    segments
        Segment columns (categorical features declared or inferred as segments).
    task
        ``"binary"`` when predictions are 0/1, else ``"regression"``.
    n_rows
        Number of rows.
    schema
        Column name -> DuckDB type of the view.
    identifiers
        Categorical columns not monitored because they look like ids (nearly
        every value distinct; see :func:`modelward.io.reader.id_like`).
    """

    con: duckdb.DuckDBPyConnection
    view: str
    source: str
    roles: ColumnRoles
    features: tuple[Feature, ...]
    segments: tuple[str, ...]
    task: Task
    n_rows: int
    schema: dict[str, str] = field(default_factory=dict)
    identifiers: tuple[str, ...] = ()

    def relation(self) -> duckdb.DuckDBPyRelation:
        """The rows as a lazy DuckDB relation."""
        return self.con.view(self.view)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the monitored features."""
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> Feature:
        """The monitored feature called ``name``."""
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

"""The store's versioned schema: its tables and the migrations that build them.

A store records the migrations applied to it in ``schema_version`` (one row per
migration, ``version`` 1, 2, ...). Opening a store applies the missing ones in
order, each in its own transaction together with its ``schema_version`` row,
so a crash during an upgrade leaves the store at the previous version, intact.
A store whose version is above :data:`SCHEMA_VERSION` was written by a newer
modelward and is refused rather than misread.

Migrations are append-only: never edit one that has shipped, add the next.
A migration is SQL text (statements separated by ``;``) or a Python callable
taking the open connection, for changes SQL alone cannot express.

Tables (latest version)::

    schema_version  version, applied_at                      one row per migration
    systems         name, created_at                         monitored systems
    runs            run_id, system, created_at, kind, source,
                    status, parameters, meta, results        one row per run (JSON columns)
    summaries       run_id, table_name, storage, position,
                    n_rows, arrow_schema                     the Arrow tables of a run
    alerts          alert_id, run_id, system, name, severity,
                    since, status, detail, created_at        (v2) alerts raised by runs
    dataset_versions name, version, hash, path, source, created_at,
                    n_rows, n_files, n_bytes, schema, profile,
                    manifest                                 (v3) content-addressed datasets
    lineage_nodes   node_id, kind, name, version, attrs,
                    created_at                               (v3) sources, datasets, models...
    lineage_edges   src, dst, kind, attrs, created_at        (v3) upstream -> downstream
    feedback        prediction_id, version, label,
                    feedback_at, source, file, loaded_at     (v3) every feedback version

The rows of the Arrow tables live in real DuckDB tables, one per table name and
column layout (see :mod:`modelward.store.store`), created on first use; the
``summaries`` row says which one holds a run's table and keeps its exact
Arrow schema.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelward._exceptions import StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "current_version", "migrate"]

Migration = str | Callable[[Any], None]
"""SQL text, or a callable receiving the DuckDB connection inside the transaction."""

_V1 = """
CREATE TABLE systems (
    name        VARCHAR PRIMARY KEY,
    created_at  TIMESTAMP NOT NULL
);
CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    system      VARCHAR NOT NULL REFERENCES systems (name),
    created_at  TIMESTAMP NOT NULL,
    kind        VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,
    parameters  JSON NOT NULL,
    meta        JSON NOT NULL,
    results     JSON NOT NULL
);
CREATE INDEX runs_system ON runs (system, run_id);
CREATE TABLE summaries (
    run_id        VARCHAR NOT NULL,
    table_name    VARCHAR NOT NULL,
    storage       VARCHAR NOT NULL,
    position      INTEGER NOT NULL,
    n_rows        BIGINT NOT NULL,
    arrow_schema  BLOB NOT NULL,
    PRIMARY KEY (run_id, table_name)
);
"""

# v2: alerts raised by a run (gates evaluated as live rollback triggers). One row
# per alert, kept with the run that raised it so deleting a run deletes its alerts.
_V2 = """
CREATE SEQUENCE alert_ids START 1;
CREATE TABLE alerts (
    alert_id    BIGINT PRIMARY KEY DEFAULT nextval('alert_ids'),
    run_id      VARCHAR NOT NULL,
    system      VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,
    since       TIMESTAMP,
    status      VARCHAR NOT NULL,
    detail      JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX alerts_system ON alerts (system, status);
"""

# v3: provenance. Content-addressed dataset versions, the lineage graph (nodes and
# upstream -> downstream edges) and the feedback history (every version of every
# correction or late label; a row is never updated, a new one gets the next version).
_V3 = """
CREATE TABLE dataset_versions (
    name        VARCHAR NOT NULL,
    version     INTEGER NOT NULL,
    hash        VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,
    source      VARCHAR,
    created_at  TIMESTAMP NOT NULL,
    n_rows      BIGINT,
    n_files     INTEGER NOT NULL,
    n_bytes     BIGINT NOT NULL,
    schema      JSON NOT NULL,
    profile     JSON NOT NULL,
    manifest    JSON NOT NULL,
    PRIMARY KEY (name, version),
    UNIQUE (name, hash)
);
CREATE TABLE lineage_nodes (
    node_id     VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    version     VARCHAR,
    attrs       JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE TABLE lineage_edges (
    src         VARCHAR NOT NULL,
    dst         VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    attrs       JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (src, dst)
);
CREATE TABLE feedback (
    prediction_id  VARCHAR NOT NULL,
    version        INTEGER NOT NULL,
    label          DOUBLE NOT NULL,
    feedback_at    TIMESTAMP NOT NULL,
    source         VARCHAR NOT NULL,
    file           VARCHAR NOT NULL,
    loaded_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (prediction_id, version),
    UNIQUE (prediction_id, feedback_at, source, label)
);
"""

MIGRATIONS: Sequence[Migration] = (_V1, _V2, _V3)
"""Every migration, in order: ``MIGRATIONS[i]`` takes a store from version i to i + 1."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this modelward writes."""


def current_version(con: Any, *, path: str | Path = "<store>") -> int:
    """Return the schema version of an open store (0 for an empty database).

    Parameters
    ----------
    con
        An open DuckDB connection.
    path
        The store's path, for error messages.

    Raises
    ------
    StoreError
        If the database holds tables but is not a modelward store.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> current_version(con)
    0
    >>> migrate(con, target=1)
    1
    >>> current_version(con)
    1
    """
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    if "schema_version" not in tables:
        if tables:
            shown = ", ".join(sorted(tables)[:5])
            raise StoreError(
                f"{path} is a DuckDB database but not a modelward store "
                f"(no schema_version table; it holds {shown}). Choose another store path."
            )
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row is not None else 0


def migrate(
    con: Any,
    *,
    path: str | Path = "<store>",
    target: int | None = None,
    migrations: Sequence[Migration] | None = None,
) -> int:
    """Bring a store up to ``target`` (default: the latest version), one transaction per step.

    Parameters
    ----------
    con
        An open, writable DuckDB connection not inside a transaction.
    path
        The store's path, for error messages.
    target
        The version to reach; ``None`` for ``len(migrations)``.
    migrations
        The migration list; ``None`` for :data:`MIGRATIONS`.

    Returns
    -------
    int
        The version of the store afterwards.

    Raises
    ------
    StoreError
        If the store is newer than this modelward, or a migration fails (the
        store is then left at the last version that completed).

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> migrate(con) == SCHEMA_VERSION
    True
    >>> migrate(con) == SCHEMA_VERSION  # nothing left to do
    True
    """
    steps = MIGRATIONS if migrations is None else migrations
    latest = len(steps)
    goal = latest if target is None else target
    if not 0 <= goal <= latest:
        raise StoreError(f"cannot migrate {path} to version {goal}: known versions are 0..{latest}")
    version = current_version(con, path=path)
    if version > latest:
        raise StoreError(
            f"{path} was written by a newer modelward (store schema version {version}; "
            f"this modelward reads up to version {latest}). Upgrade modelward to use this store."
        )
    while version < goal:
        step = steps[version]
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            if callable(step):
                step(con)
            else:
                for statement in step.split(";"):
                    if statement.strip():
                        con.execute(statement)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?)",
                [version + 1, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except BaseException as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, Exception) and not isinstance(exc, StoreError):
                raise StoreError(
                    f"{path}: migration to schema version {version + 1} failed, the store "
                    f"is left at version {version}: {exc}"
                ) from exc
            raise
        version += 1
    return version

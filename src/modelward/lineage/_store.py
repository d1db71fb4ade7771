"""The store tables of provenance and the one way lineage code writes to them.

The tables (``dataset_versions``, ``lineage_nodes``, ``lineage_edges``,
``feedback``) are created by migration 3 of :mod:`modelward.store.schema`, in
the same DuckDB file as the runs. Every write goes through :func:`transaction`:
all of it or nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import duckdb

from modelward._exceptions import StoreError
from modelward.store import Store

__all__ = ["connection", "decode", "encode", "now_utc", "transaction"]

T = TypeVar("T")


def connection(store: Store) -> Any:
    """The open DuckDB connection of ``store`` (raises if it is closed)."""
    return store.connection


def writable(store: Store) -> Any:
    """The connection of ``store``, refusing a read-only store."""
    if store.read_only:
        raise StoreError(f"{store.path}: the store is open read-only")
    return connection(store)


def transaction(store: Store, body: Callable[[Any], T], *, what: str) -> T:
    """Run ``body(con)`` in one transaction of ``store``; roll back on any error.

    Raises
    ------
    StoreError
        If DuckDB fails (nothing is written then); other exceptions pass through
        after the rollback.
    """
    con = writable(store)
    con.execute("BEGIN TRANSACTION")
    try:
        result = body(con)
        con.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise StoreError(f"{store.path}: cannot {what}: {exc}") from exc
        raise
    return result


def now_utc() -> datetime:
    """Now, as the naive UTC timestamp the store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)


def encode(value: Any) -> str:
    """JSON text of a value, keys sorted."""
    return json.dumps(value, sort_keys=True, default=str)


def decode(text: Any) -> Any:
    """A JSON column back to Python (DuckDB may already give a str)."""
    if text is None:
        return None
    return json.loads(text) if isinstance(text, str) else text

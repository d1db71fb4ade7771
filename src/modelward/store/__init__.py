"""The run store: every run kept in one DuckDB file, versioned and transactional.

See :mod:`modelward.store.store` for how runs and their Arrow tables are laid
out, and :mod:`modelward.store.schema` for the schema and its migrations.
"""

from __future__ import annotations

from modelward.store.records import Alert, RunInfo, StoredAlert, StoredRun
from modelward.store.schema import SCHEMA_VERSION
from modelward.store.store import DEFAULT_STORE_PATH, Store

__all__ = [
    "DEFAULT_STORE_PATH",
    "SCHEMA_VERSION",
    "Alert",
    "RunInfo",
    "Store",
    "StoredAlert",
    "StoredRun",
]

"""The store's versioned schema: fresh stores, upgrades from v1, newer stores, failed steps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from modelward import StoreError
from modelward.store import SCHEMA_VERSION, Alert, Store
from modelward.store._codec import storage_name, to_storage
from modelward.store.schema import MIGRATIONS, Migration, current_version, migrate


def _versions(path: Path) -> list[int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [
            r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        ]
    finally:
        con.close()


def test_fresh_store_is_at_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS) == 3
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
    with Store(path) as store:  # reopening applies nothing twice
        assert store.schema_version == SCHEMA_VERSION
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))


def _write_v1_store(path: Path, table: pa.Table) -> None:
    """A store as modelward with schema version 1 wrote it: a run with one table, no alerts."""
    con = duckdb.connect(str(path))
    assert migrate(con, target=1) == 1
    created = datetime(2026, 1, 2, 3, 4, 5)
    con.execute("INSERT INTO systems VALUES ('fraud', ?)", [created])
    con.execute(
        "INSERT INTO runs VALUES ('01abcdefghjkm', 'fraud', ?, 'check', 'log.parquet', 'ok', "
        """'{"bucket": "day"}', '{}', '{"auc": 0.91}')""",
        [created],
    )
    storage = storage_name("volume", table.schema)
    con.register("incoming", to_storage(table, name="volume"))
    con.execute(
        f"CREATE TABLE \"{storage}\" AS SELECT '01abcdefghjkm' AS _mw_run_id, * FROM incoming"
    )
    con.execute(
        "INSERT INTO summaries VALUES ('01abcdefghjkm', 'volume', ?, 0, ?, ?)",
        [storage, table.num_rows, table.schema.serialize().to_pybytes()],
    )
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert "alerts" not in tables
    con.close()


def test_upgrade_from_version_1(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    table = pa.table({"n": pa.array([3, 4], pa.int16()), "h": pa.array([1, 2], pa.uint64())})
    _write_v1_store(path, table)
    assert _versions(path) == [1]
    with pytest.raises(StoreError, match="needs upgrading"):
        Store(path, read_only=True)
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        old = store.load_run("01abc")
        assert old.results == {"auc": 0.91}
        assert old.tables["volume"].equals(table)
        assert old.info.created_at.isoformat() == "2026-01-02T03:04:05+00:00"
        # what version 2 added works on the upgraded store, for old and new runs
        store.save_alerts(old.run_id, [Alert("auc >= 0.9", "warning")])
        new = store.save_run(
            system="fraud",
            kind="check",
            source="log.parquet",
            parameters={},
            meta={},
            results={},
            tables={"volume": table},
            alerts=[Alert("p99", "critical")],
        )
        assert [a.run_id for a in store.list_alerts("fraud")] == [new, old.run_id]
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
    with Store(path, read_only=True) as store:
        assert len(store.list_runs()) == 2


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [SCHEMA_VERSION + 1])
    con.close()
    for read_only in (False, True):
        with pytest.raises(StoreError, match="newer modelward") as info:
            Store(path, read_only=read_only)
        message = str(info.value)
        assert str(path) in message
        assert f"version {SCHEMA_VERSION + 1}" in message
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 2))  # untouched


def test_python_migration_and_failed_step_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.save_run(
            system="fraud", kind="check", source="x", parameters={}, meta={}, results={}, tables={}
        )

    def add_notes(con: Any) -> None:
        con.execute("ALTER TABLE runs ADD COLUMN note VARCHAR DEFAULT ''")
        con.execute("UPDATE runs SET note = 'from v' || 2")

    def broken(con: Any) -> None:
        con.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("disk full")

    steps: Sequence[Migration] = (*MIGRATIONS, add_notes, broken)
    con = duckdb.connect(str(path))
    with pytest.raises(
        StoreError,
        match=rf"version {SCHEMA_VERSION + 2} failed.*"
        rf"left at version {SCHEMA_VERSION + 1}.*disk full",
    ):
        migrate(con, path=path, migrations=steps)
    assert current_version(con) == SCHEMA_VERSION + 1
    assert con.execute("SELECT note FROM runs").fetchall() == [("from v2",)]
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert "half_done" not in tables
    with pytest.raises(StoreError, match=rf"known versions are 0\.\.{SCHEMA_VERSION}"):
        migrate(con, path=path, target=SCHEMA_VERSION + 1)
    con.close()


def test_current_version_of_empty_database() -> None:
    con = duckdb.connect()
    assert current_version(con) == 0
    assert migrate(con, target=0) == 0
    assert current_version(con) == 0

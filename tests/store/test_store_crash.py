"""A run is saved all or nothing: kill -9, exceptions and Ctrl-C mid-save leave no trace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from modelward import StoreError
from modelward.store import Alert, Store

VOLUME = pa.table({"n": pa.array([1, 2, 3], pa.int64())})


def _save(store: Store, system: str = "fraud", **tables: pa.Table) -> str:
    return store.save_run(
        system=system,
        kind="check",
        source="log.parquet",
        parameters={},
        meta={},
        results={"system": system},
        tables=tables or {"volume": VOLUME},
        alerts=[Alert("p99", "warning")],
    )


def _count_rows(con: Any) -> dict[str, int]:
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1"
        ).fetchall()
    ]
    return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _footprint(path: Path) -> dict[str, int]:
    """Everything runs leave behind: the row count of every table of the store."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return _count_rows(con)
    finally:
        con.close()


# The child saves one run (committed, left in DuckDB's write-ahead log since the store
# is never closed), then starts a second run whose save blocks after its first table
# is written inside the open transaction, and tells the parent, which kills it.
CHILD = """
import sys, time
import numpy as np, pyarrow as pa
from modelward.store import Alert, Store
from modelward.store.store import Store as Impl

store = Store(sys.argv[1])
committed = store.save_run(system="fraud", kind="check", source="child", parameters={},
                           meta={}, results={"child": True},
                           tables={"volume": pa.table({"n": [7]})})
print("committed", committed, flush=True)

original = Impl._write_table
def write_then_block(self, run_id, name, position, table, stored):
    original(self, run_id, name, position, table, stored)
    if name == "inflight_big":
        print("blocked", run_id, flush=True)
        time.sleep(60)
Impl._write_table = write_then_block

n = 500_000
big = pa.table({"x": np.arange(n, dtype=np.float64), "h": np.arange(n, dtype=np.uint64)})
store.save_run(system="never", kind="check", source="child", parameters={}, meta={},
               results={}, tables={"inflight_big": big, "inflight_more": big},
               alerts=[Alert("never", "critical")])
print("finished", flush=True)
"""


def test_kill_mid_save_leaves_no_partial_run(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        earlier = [_save(store), _save(store, "churn")]
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline().split()
        second = child.stdout.readline().split()
        assert first[0] == "committed", child.stderr.read() if child.stderr else ""
        assert second[0] == "blocked"
        inflight = second[1]
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL

    footprint = _footprint(path)
    assert not any(name.startswith("summary_inflight") for name in footprint)
    with Store(path) as store:
        runs = store.list_runs()
        assert sorted(r.run_id for r in runs) == sorted([*earlier, first[1]])
        assert inflight not in {r.run_id for r in runs}
        assert store.list_systems() == ["churn", "fraud"]
        assert [a.name for a in store.list_alerts()] == ["p99", "p99"]
        assert store.load_run(first[1]).tables["volume"].column("n").to_pylist() == [7]
        for run_id in earlier:
            assert store.load_run(run_id).tables["volume"].equals(VOLUME)
        assert store._con.execute("SELECT count(*) FROM summaries").fetchone() == (3,)
        # the store is fully usable after the crash
        again = _save(store, "never")
        assert store.load_run(again).results == {"system": "never"}


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_exception_mid_save_leaves_no_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        kept = _save(store)
    before = _footprint(path)
    original = Store._write_table
    written: list[str] = []

    def fail_on_second(self: Store, run_id: str, name: str, *args: Any) -> None:
        if written:
            raise error
        original(self, run_id, name, *args)
        written.append(name)

    monkeypatch.setattr(Store, "_write_table", fail_on_second)
    new_layout = pa.table({"z": np.arange(10, dtype=np.int16)})
    with Store(path) as store:
        with pytest.raises(type(error)):
            _save(store, "other", fresh=new_layout, volume=VOLUME)
        assert written == ["fresh"]  # one table was in when it failed
        monkeypatch.undo()
        # no new table, system, run, summary or alert: exactly as before
        assert _count_rows(store._con) == before
        again = _save(store, "other", fresh=new_layout)  # the connection still works
        assert store.load_run(again).tables["fresh"].equals(new_layout)
    with Store(path) as store:
        assert [r.run_id for r in store.list_runs()] == [again, kept]


def test_database_error_mid_save_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        kept = _save(store)

        def fail(*args: Any) -> None:
            raise duckdb.IOException("No space left on device")

        monkeypatch.setattr(Store, "_write_table", fail)
        with pytest.raises(StoreError, match=r"cannot save a run of system 'fraud'.*No space"):
            _save(store)
        monkeypatch.undo()
        assert [r.run_id for r in store.list_runs()] == [kept]

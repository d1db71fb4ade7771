"""Dataset versions: content addressing, no duplicate versions, schema evolution."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelward._exceptions import ConfigError
from modelward.lineage import LineageGraph, add_dataset, dataset_log


def test_identical_content_makes_no_new_version(tmp_path: Path, store: object) -> None:
    from modelward.store import Store

    assert isinstance(store, Store)
    folder = tmp_path / "d"
    folder.mkdir()
    pq.write_table(pa.table({"a": [1, 2, None], "b": ["x", "y", "z"]}), folder / "p1.parquet")
    v1 = add_dataset(store, folder, name="train", source="s3://bucket/train")
    assert v1.created
    assert v1.version == 1
    assert v1.hash.endswith(".dir")
    assert v1.rows == 3
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "p1.parquet").write_bytes((folder / "p1.parquet").read_bytes())
    same = add_dataset(store, copy, name="train")
    assert not same.created
    assert same.version == 1
    pq.write_table(pa.table({"a": [1.5, 2.5], "c": [True, False]}), folder / "p1.parquet")
    v2 = add_dataset(store, folder, name="train")
    assert v2.version == 2
    assert v2.hash != v1.hash
    log = dataset_log(store, "train")
    assert [v.version for v, _ in log] == [1, 2]
    change = log[1][1]
    assert change.added == ("c",)
    assert change.removed == ("b",)
    assert change.retyped == (("a", "BIGINT", "DOUBLE"),)
    assert log[0][0].profile["columns"]["a"] == {"nulls": 1, "min": 1.0, "max": 2.0}
    # data add links the version to its source
    trace = LineageGraph(store).trace("dataset:train@1")
    assert trace.of_kind("source") == ["source:s3://bucket/train"]


def test_non_tabular_and_missing(tmp_path: Path, store: object) -> None:
    from modelward.store import Store

    assert isinstance(store, Store)
    model = tmp_path / "model.bin"
    model.write_bytes(b"\x00\x01")
    v = add_dataset(store, model, name="weights")
    assert v.rows is None
    assert v.schema == {}
    assert v.files == 1
    with pytest.raises(ConfigError, match="no such file"):
        add_dataset(store, tmp_path / "nope.csv", name="x")
    with pytest.raises(ConfigError, match="No dataset 'wieghts'"):
        dataset_log(store, "wieghts")

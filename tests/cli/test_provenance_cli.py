"""``modelward data``, ``lineage`` and ``feedback`` through the real entry point."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import modelward.cli._data
import modelward.cli._feedback
import modelward.cli._lineage  # noqa: F401  (register the sub-apps until app.py lists them)
from modelward._exceptions import ModelwardWarning
from modelward.cli.app import main

PROJECT = Path(__file__).parents[1] / "lineage" / "fixtures" / "dvc_project"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    main(args)
    return capsys.readouterr().out


def test_data_lineage_round(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = ["--store", str(tmp_path / "s.duckdb")]
    data = tmp_path / "t.csv"
    data.write_text("a\n1\n")
    assert "added dataset:t@1" in _run(["data", "add", str(data), "--name", "t", *s], capsys)
    assert "unchanged" in _run(["data", "add", str(data), "--name", "t", *s], capsys)
    data.write_text("a,b\n1,x\n")
    _run(["data", "add", str(data), "--name", "t", *s], capsys)
    log = _run(["data", "log", "t", *s], capsys)
    assert "v2" in log
    assert "+ b VARCHAR" in log
    out = _run(["data", "import-dvc", str(PROJECT), *s], capsys)
    assert "DIFFERS" not in out
    _run(["lineage", "add", "dataset:t@2", "model:m@1", *s], capsys)
    _run(["lineage", "add", "model:m@1", "deployment:prod", *s], capsys)
    impact = json.loads(_run(["lineage", "impact", "dataset:t", "--format", "json", *s], capsys))
    assert impact["by_kind"] == {"model": ["model:m@1"], "deployment": ["deployment:prod"]}
    trace = _run(["lineage", "trace", "model:models/model.pkl", *s], capsys)
    assert "dataset:data/raw.csv@1" in trace
    assert _run(["lineage", "show", "--format", "mermaid", *s], capsys).startswith("flowchart")
    assert "digraph" in _run(["lineage", "show", "--format", "dot", *s], capsys)
    events = tmp_path / "e.jsonl"
    _run(["lineage", "export", "-o", str(events), *s], capsys)
    other = ["--store", str(tmp_path / "o.duckdb")]
    assert "skipped" not in _run(["lineage", "import", str(events), *other], capsys)
    with pytest.raises(SystemExit) as info:
        main(["lineage", "impact", "model:nope", *s])
    assert info.value.code == 2


def test_feedback_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = ["--store", str(tmp_path / "s.duckdb")]
    t0 = dt.datetime(2026, 1, 1)
    log = tmp_path / "log.parquet"
    pq.write_table(
        pa.table(
            {
                "prediction_id": ["a", "b"],
                "timestamp": [t0, t0],
                "prediction": [1, 0],
            }
        ),
        log,
    )
    fb = tmp_path / "fb.csv"
    fb.write_text("prediction_id,label,timestamp,source\na,1,2026-01-01T02:00:00,user\n")
    assert "1 added" in _run(["feedback", "add", str(fb), *s], capsys)
    assert "0 added" in _run(["feedback", "add", str(fb), *s], capsys)
    assert "v1" in _run(["feedback", "history", "a", *s], capsys)
    with pytest.warns(ModelwardWarning, match="older than the p99 label lag"):
        report = json.loads(_run(["feedback", "report", str(log), "--format", "json", *s], capsys))
    assert report["labelled"] == 1
    assert report["coverage"] == 0.5

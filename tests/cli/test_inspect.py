"""``modelward inspect`` through the real entry point."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelward.cli.app import main


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    n = 12
    t0 = dt.datetime(2026, 1, 1)
    table = pa.table(
        {
            "pid": [f"p{i}" for i in range(n)],
            "timestamp": [t0 + dt.timedelta(hours=12 * i) for i in range(n)],
            "model_version": ["v1"] * 8 + ["v2"] * 4,
            "score": [i / n for i in range(n)],
            "prediction": [int(i >= n / 2) for i in range(n)],
            "label": [i % 2 for i in range(n)],
            "country": ["FR", "US"] * (n // 2),
        }
    )
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    return path


def test_inspect_json(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["inspect", str(log_path), "--col", "id=pid", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == 12
    assert out["days"] == 6
    assert out["task"] == "binary"
    assert out["segments"] == [{"name": "country", "values": 2}]
    assert out["model_versions"] == [{"version": "v1", "rows": 8}, {"version": "v2", "rows": 4}]
    assert out["label_coverage"] == 1.0


def test_inspect_text_with_config(
    log_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "modelward.yaml"
    cfg.write_text("columns:\n  id: pid\n")
    main(["inspect", str(log_path), "--config", str(cfg), "--segment", "model_version"])
    out = capsys.readouterr().out
    assert "12" in out
    assert "binary" in out
    assert "country" in out
    assert "v1" in out


def test_inspect_bad_input_exits_2(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["inspect", str(log_path)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "missing the required id column 'prediction_id'" in err
    assert "--col id=NAME" in err
    with pytest.raises(SystemExit) as info:
        main(["inspect", str(log_path), "--col", "identifier=pid"])
    assert info.value.code == 2
    assert "Unknown column role 'identifier'" in capsys.readouterr().err


def test_inspect_bad_format(log_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["inspect", str(log_path), "--col", "id=pid", "--format", "xml"])
    assert info.value.code == 2

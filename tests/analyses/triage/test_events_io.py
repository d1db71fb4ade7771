"""The events-file reader: good files parse, bad ones name the row."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelward._exceptions import LogNotFoundError, LogSchemaError
from modelward.io.events import read_events


def test_reads_and_sorts(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text(
        "timestamp,kind,description\n2026-01-05T00:00:00Z,deploy,b\n2026-01-02,config_change,a\n"
    )
    ev = read_events(p)
    assert [e["kind"] for e in ev] == ["config_change", "deploy"]
    assert ev[0]["timestamp"] == "2026-01-02T00:00:00Z"


def test_bad_timestamp_names_row(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text("timestamp,kind,description\n2026-01-05T00:00:00Z,deploy,b\nsoon,deploy,x\n")
    with pytest.raises(LogSchemaError, match="row 1"):
        read_events(p)


def test_missing_column(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text("when,kind\n2026-01-05,deploy\n")
    with pytest.raises(LogSchemaError, match="timestamp"):
        read_events(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LogNotFoundError):
        read_events(tmp_path / "nope.csv")

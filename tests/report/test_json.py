"""report.json: stable, lossless round trip; bad files raise one clear StoreError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward import StoreError
from modelward.analyses.results import CheckResult
from modelward.report import load_json, to_json, write_json

from .conftest import make_result


def test_round_trip(tmp_path: Path, result: CheckResult) -> None:
    path = write_json(result, tmp_path / "report.json")
    assert load_json(path) == result


def test_round_trip_minimal(tmp_path: Path, minimal: CheckResult) -> None:
    assert load_json(write_json(minimal, tmp_path / "report.json")) == minimal


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_round_trip_any_seed(seed: int) -> None:
    result = make_result(seed=seed)
    assert CheckResult.model_validate_json(to_json(result)) == result


def test_keys_sorted_and_deterministic(result: CheckResult) -> None:
    text = to_json(result)
    assert text == to_json(make_result())  # same content -> byte-identical file
    assert text.endswith("\n")

    def check(node: object) -> None:
        if isinstance(node, dict):
            assert list(node) == sorted(node)
            for v in node.values():
                check(v)
        elif isinstance(node, list):
            for v in node:
                check(v)

    data = json.loads(text)
    check(data)
    assert data["schema_version"] == 1
    assert data["performance"]["current"]["metrics"]["recall"]["n"] > 0


def test_nan_written_as_null(result: CheckResult) -> None:
    drift = result.drift.model_copy(
        update={
            "features": [result.drift.features[0].model_copy(update={"statistic": float("nan")})]
        }
    )
    text = to_json(result.model_copy(update={"drift": drift}))
    assert json.loads(text)["drift"]["features"][0]["statistic"] is None
    assert "NaN" not in text


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"nope\.json"):
        load_json(tmp_path / "nope.json")


def test_not_a_report(tmp_path: Path, result: CheckResult) -> None:
    data = json.loads(to_json(result))
    data["n_rows"] = "many"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match=r"bad\.json.*field 'n_rows'"):
        load_json(path)
    path.write_text("{not json")
    with pytest.raises(StoreError, match="not a modelward report"):
        load_json(path)

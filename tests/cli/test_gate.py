from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pyarrow.parquet as pq
import pytest

import modelward.cli._gate  # noqa: F401  (registers the commands)
from modelward.cli.app import main
from tests.analyses._gate_fixtures import make_log

POLICY = (
    "constraints:\n  - metric: recall\n    min: 0.6\n    for_each: country\n    min_samples: 50\n"
)


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, log in {
        "good": make_log(n=6000, seed=1),
        "bad": make_log(n=6000, seed=1, recall_drop={"BR": 0.7}),
        "tiny": make_log(n=40, seed=1),
    }.items():
        out[name] = tmp_path / f"{name}.parquet"
        pq.write_table(log, out[name])
    out["policy"] = tmp_path / "policy.yaml"
    out["policy"].write_text(POLICY)
    return out


def test_exit_codes(files: dict[str, Path], tmp_path: Path, capsys) -> None:
    p = ["gate", "--policy", str(files["policy"]), "--candidate"]
    assert _run([*p, str(files["good"])]) == 0
    junit = tmp_path / "gate.xml"
    assert _run([*p, str(files["bad"]), "--junit", str(junit)]) == 1
    root = ET.parse(junit).getroot()
    assert root.find("testsuite").get("failures") == "1"
    assert _run([*p, str(files["tiny"])]) == 3
    capsys.readouterr()
    assert _run([*p, str(files["bad"]), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 1
    assert data["constraints"][0]["rows"][0]["segment_value"] == "BR"


def test_bad_input_exit_2(files: dict[str, Path], tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("constraints:\n  - metric: recall\n    min: x\n")
    assert _run(["gate", "--policy", str(bad), "--candidate", str(files["good"])]) == 2
    assert "line 3" in capsys.readouterr().err
    assert _run(["gate", "--policy", str(tmp_path / "nope.yaml"), "--candidate", "x"]) == 2
    rel = tmp_path / "rel.yaml"
    rel.write_text("constraints:\n  - metric: recall\n    max_drop: 0.02\n")
    assert _run(["gate", "--policy", str(rel), "--candidate", str(files["good"])]) == 2


def test_evaluate_writes_reports(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = _run(["evaluate", str(files["good"]), "--cost", "fp=5", "--cost", "fn=120",
                 "--segment", "country", "--out", str(out)])  # fmt: skip
    assert code == 0
    data = json.loads((out / "costs.json").read_text())
    assert {s["segment_value"] for s in data["segments"]} == {"", "US", "BR", "DE"}
    assert "cost-curve" in (out / "costs.html").read_text()
    assert _run(["evaluate", str(files["good"]), "--cost", "fp=5"]) == 2

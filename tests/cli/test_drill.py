from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

import modelward.cli._drill  # noqa: F401  (registers the command until app.py lists it)
from modelward.cli.app import app
from modelward.drills.scenario import scenario_from_seed
from modelward.drills.session import prepare
from tests.drills.conftest import perfect_answer

runner = CliRunner()
ARGS = [
    "--seed",
    "5",
    "--cause",
    "latency_regression",
    "--domain",
    "fraud",
    "--days",
    "18",
    "--rows-per-day",
    "300",
]


def _run(tmp_path: Path, *extra: str, input: str | None = None):
    return runner.invoke(
        app,
        [
            "drill",
            *ARGS,
            "--store",
            str(tmp_path / "s.duckdb"),
            "--out",
            str(tmp_path / "out"),
            *extra,
        ],
        input=input,
    )


def test_prepared_answer_graded_as_json(tmp_path: Path) -> None:
    drill = prepare(
        scenario_from_seed(5, cause="latency_regression", domain="fraud", days=18, rows_per_day=300)
    )
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(perfect_answer(drill)))
    res = _run(tmp_path, "--answers", str(answers), "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["grade"]["total"] == 1.0
    assert out["debrief"]["triage_top"]["cause"] == "latency_regression"
    assert Path(out["report"]).exists()
    prog = runner.invoke(
        app, ["drill", "--progress", "--format", "json", "--store", str(tmp_path / "s.duckdb")]
    )
    assert prog.exit_code == 0, prog.output
    assert json.loads(prog.output)["by_cause"]["latency_regression"]["total"] == 1.0


def test_interactive_flow_from_stdin(tmp_path: Path) -> None:
    lines = [
        "covariate_drift",  # cause (wrong)
        "2026-01-10",  # onset
        "",  # segment: all traffic
        "amount",  # features
        "1",  # containment: retrain_recent
        "{metric: latency_p99, max: 1000000}",  # a trigger that never fires
        "{metric: recall}",  # invalid (no limit): re-asked
        "{metric: latency_p99, max: 1000000}",
        "",
    ]
    res = _run(tmp_path, input="\n".join(lines) + "\n")
    assert res.exit_code == 0, res.output
    assert "Score" in res.output
    assert "Debrief" in res.output
    assert "latency_regression" in res.output  # the truth, revealed after grading
    assert "never fires" in res.output


def test_quiz_from_stdin() -> None:
    res = runner.invoke(app, ["drill", "--quiz", "--questions", "2", "--seed", "1"], input="1\n2\n")
    assert res.exit_code == 0, res.output
    assert "of 2 right" in res.output


def test_bad_answers_file_is_one_error(tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("cause: gremlins\n")
    res = _run(tmp_path, "--answers", str(bad), "--format", "json")
    assert res.exit_code != 0
    assert "unknown cause" in str(res.exception)

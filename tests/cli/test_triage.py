"""``modelward triage`` end to end on a simulated incident."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelward.cli.app import app
from modelward.simulate import simulate


def test_triage_json_and_incident_report(tmp_path: Path) -> None:
    sim = simulate(
        domain="churn", fault="latency_regression", magnitude=0.6, days=24, rows_per_day=500, seed=4
    )
    paths = sim.write(tmp_path / "sim")
    out = tmp_path / "incident"
    res = CliRunner().invoke(
        app,
        [
            "triage",
            str(paths["log"]),
            "--reference-end",
            str(sim.truth["reference_end"]),
            "--events",
            str(paths["events"]),
            "--format",
            "json",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout[res.stdout.index("{") : res.stdout.rindex("}") + 1])
    assert data["findings"][0]["cause"] == "latency_regression"
    html = (out / "incident.html").read_text()
    assert "Plotly" in html
    assert "<script src=" not in html
    assert "latency_regression" in (out / "incident.md").read_text()

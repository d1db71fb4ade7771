"""``modelward simulate`` and ``modelward inject`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from modelward.cli.app import main


def run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_simulate_writes_log_events_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        [
            "simulate",
            "--domain",
            "churn",
            "--fault",
            "schema_change",
            "--variant",
            "unit_x100",
            "--magnitude",
            "1",
            "--onset-day",
            "4",
            "--days",
            "8",
            "--rows-per-day",
            "100",
            "--seed",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["cause"] == "schema_change"
    assert truth["onset"] == "2026-01-05T00:00:00Z"
    assert pq.read_table(tmp_path / "log.parquet").num_rows == truth["rows"]
    assert (tmp_path / "events.csv").read_text().startswith("timestamp,kind,description")
    out = capsys.readouterr().out
    assert "schema_change" in out
    assert "log.parquet" in out


def test_inject_on_a_csv_log_with_mapped_columns(tmp_path: Path) -> None:
    from modelward.simulate import simulate

    log = simulate(domain="fraud", days=9, rows_per_day=100, seed=0).log
    log = log.rename_columns(["lat" if c == "latency_ms" else c for c in log.column_names])
    pacsv.write_csv(log, tmp_path / "mine.csv")
    code = run(
        [
            "inject",
            str(tmp_path / "mine.csv"),
            "--fault",
            "latency_regression",
            "--magnitude",
            "1",
            "--onset",
            "2026-01-06",
            "--col",
            "latency=lat",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    out = pq.read_table(tmp_path / "out" / "log.parquet")
    lat0, lat1 = log.column("lat").to_numpy(), out.column("lat").to_numpy()
    ts = out.column("timestamp").to_numpy().astype("datetime64[us]")
    after = ts >= np.datetime64("2026-01-06")
    np.testing.assert_allclose(lat1[after] / lat0[after], 4.0, rtol=1e-6)
    truth = json.loads((tmp_path / "out" / "truth.json").read_text())
    assert truth["onset"] == "2026-01-06T00:00:00Z"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--domain", "weather"], "Valid domains: churn"),
        (["simulate", "--fault", "gremlins"], "Valid faults: covariate_drift"),
        (["simulate", "--segment", "country"], "column=value"),
        (["inject", "nowhere.parquet", "--fault", "none"], "nowhere.parquet"),
        (["inject", "x.csv", "--fault", "none", "--col", "nonsense"], "role=name"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err

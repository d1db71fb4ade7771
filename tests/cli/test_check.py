"""``modelward check``, ``runs`` and ``report`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelward.cli.app import main
from modelward.simulate import simulate
from modelward.store import Store


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("sim")
    result = simulate(
        domain="fraud", fault="latency_regression", magnitude=1.0, days=24, rows_per_day=400, seed=3
    )
    result.write(out)
    return out, str(result.truth["reference_end"])


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_check_stores_a_run_and_report_rerenders_it(
    sim_dir: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, ref_end = sim_dir
    store = tmp_path / "store.duckdb"
    out = tmp_path / "report"
    code = _run(
        [
            "check",
            str(folder / "log.parquet"),
            "--reference-end",
            ref_end,
            "--store",
            str(store),
            "--out",
            str(out),
            "--system",
            "fraud",
        ]
    )
    assert code == 1  # the injected latency regression is critical
    report = json.loads((out / "report.json").read_text())
    assert report["latency"]["regressed"] is True
    html = (out / "report.html").read_text()
    assert "<script src=" not in html
    capsys.readouterr()
    assert _run(["runs", "--store", str(store)]) == 0
    listing = capsys.readouterr().out
    with Store(store, read_only=True) as st:
        (info,) = st.list_runs()
    assert info.system == "fraud"
    run_id = info.run_id
    assert run_id in listing
    assert _run(["report", run_id[:8], "--store", str(store), "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["latency"] == report["latency"]


@pytest.mark.parametrize(
    ("reference_end", "message"),
    [("2020-01-01", "does not overlap the log"), ("2030-01-01", "current window is empty")],
)
def test_reference_window_outside_the_log_is_one_clear_error(
    sim_dir: tuple[Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    reference_end: str,
    message: str,
) -> None:
    folder, _ = sim_dir
    store = tmp_path / "store.duckdb"
    argv = ["check", str(folder / "log.parquet"), "--reference-end", reference_end]
    code = _run([*argv, "--store", str(store)])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "log.parquet" in err
    assert "timestamp" in err
    assert not store.exists()  # nothing half-written


def test_check_needs_exactly_one_reference(
    sim_dir: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = sim_dir
    assert _run(["check", str(folder / "log.parquet"), "--no-store"]) == 2
    assert "exactly one of --reference-end" in capsys.readouterr().err

"""``modelward diff`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import modelward.cli._diff  # noqa: F401  (registers the command until app.py lists it)
from modelward.cli.app import main
from modelward.simulate import simulate


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("diff")
    r = simulate(domain="content_moderation", days=6, rows_per_day=400, seed=8)
    log, thr = r.log, float(r.truth["serving_threshold"])  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    s = np.clip(log["score"].to_numpy() + rng.normal(0, 0.3, log.num_rows), 0, 1)
    worse = log.set_column(log.schema.get_field_index("score"), "score", pa.array(s))
    worse = worse.set_column(
        worse.schema.get_field_index("prediction"),
        "prediction",
        pa.array((s >= thr).astype(np.int64)),
    )
    paths = folder / "base.parquet", folder / "same.csv", folder / "worse.parquet"
    pq.write_table(log, paths[0])
    log.to_pandas().to_csv(paths[1], index=False)
    pq.write_table(worse, paths[2])
    return paths


def test_identical_logs_json(
    logs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, same, _ = logs
    main(["diff", "--baseline", str(base), "--candidate", str(same), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "paired"
    assert out["flip"]["rate"] == 0.0
    assert all(m["delta"] == pytest.approx(0.0) for m in out["metrics"])


def test_worse_candidate_writes_reports_and_fails(
    logs: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _, worse = logs
    with pytest.raises(SystemExit) as exc:
        main(
            ["diff", "--baseline", str(base), "--candidate", str(worse), "--out", str(tmp_path),
             "--segment", "language", "--fail-on-worse"]
        )  # fmt: skip
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert "What changed since the last version" in out
    assert "worse" in out
    for name in ("diff.json", "diff.md", "diff.html"):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "diff.json").read_text())
    assert {f["segment"] for f in data["flips_by_segment"]} == {"language"}


def test_markdown_on_stdout(
    logs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, _, worse = logs
    main(["diff", "--baseline", str(base), "--candidate", str(worse), "--format", "md"])
    out = capsys.readouterr().out
    assert out.startswith("# modelward diff:")
    assert "## Metric deltas" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "--format"),
        (["--segment", "nope"], "nope"),
    ],
)
def test_bad_input_exits_2(
    logs: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    base, same, _ = logs
    with pytest.raises(SystemExit) as exc:
        main(["diff", "--baseline", str(base), "--candidate", str(same), *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_log_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["diff", "--baseline", str(tmp_path / "a.parquet"), "--candidate", "b.parquet"])
    assert exc.value.code == 2
    assert "a.parquet" in capsys.readouterr().err

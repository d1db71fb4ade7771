"""Robustness sweep: the main commands on prediction logs of unusual but legal shapes.

Each shape is a small log built with numpy/pyarrow in ``tmp_path``. Every
command must either work (exit 0, or 1 for ``check`` when it reports a critical
finding) with sane output, or fail with exit code 2 and one clear error line
naming the file, column or row. A Python traceback or an unhandled exception
fails the test.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from modelward.cli.app import main

DAYS = 20
ROWS_PER_DAY = 150
START = np.datetime64("2026-01-01T00:00:00", "s")
REFERENCE_END = "2026-01-10"
FINDING_KEYS = {"cause", "confidence", "onset", "segment", "features", "evidence"}
CAUSES = {
    "covariate_drift",
    "prior_shift",
    "concept_drift",
    "label_noise",
    "schema_change",
    "data_gap",
    "label_delay",
    "latency_regression",
    "none",
}

Columns = dict[str, object]


def base_columns(days: int = DAYS, rows_per_day: int = ROWS_PER_DAY, seed: int = 0) -> Columns:
    """A healthy binary-classification log in the contract, as column arrays."""
    rng = np.random.default_rng(seed)
    n = days * rows_per_day
    day = np.repeat(np.arange(days), rows_per_day)
    seconds = day * 86_400 + rng.integers(0, 86_400, n)
    ts = START + seconds.astype("timedelta64[s]")
    amount = rng.lognormal(3.0, 1.0, n)
    country = rng.choice(["US", "FR", "DE"], n, p=[0.5, 0.3, 0.2])
    channel = rng.choice(["web", "app"], n)
    logit = -1.0 + 0.8 * (np.log(amount) - 3.0) + (country == "FR") * 0.5
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    score = np.clip(1 / (1 + np.exp(-(logit + rng.normal(0, 0.7, n)))), 0.0, 1.0)
    lag = rng.exponential(2 * 86_400, n).astype("int64")
    label_ts = ts + lag.astype("timedelta64[s]")
    arrived = label_ts <= ts.max()
    return {
        "prediction_id": [f"p{i:06d}" for i in range(n)],
        "timestamp": pa.array(ts.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
        "model_version": np.where(day < days // 2, "v1", "v2"),
        "score": score,
        "prediction": (score >= 0.5).astype("int64"),
        "label": pa.array(y.astype("int64"), mask=~arrived),
        "label_timestamp": pa.array(
            label_ts.astype("datetime64[us]"), pa.timestamp("us", tz="UTC"), mask=~arrived
        ),
        "latency_ms": rng.gamma(4.0, 20.0, n),
        "amount": amount,
        "country": country,
        "channel": channel,
    }


def _n(cols: Columns) -> int:
    return len(cols["prediction_id"])  # type: ignore[arg-type]


def drop(*names: str) -> Callable[[Columns], Columns]:
    def f(cols: Columns) -> Columns:
        return {k: v for k, v in cols.items() if k not in names}

    return f


def only_categorical(cols: Columns) -> Columns:
    return drop("amount")(cols)


def constant_feature(cols: Columns) -> Columns:
    return {**cols, "constant": np.full(_n(cols), 7.0)}


def null_feature(cols: Columns) -> Columns:
    return {**cols, "empty": pa.nulls(_n(cols), pa.float64())}


def user_ids(cols: Columns) -> Columns:
    rng = np.random.default_rng(1)
    return {**cols, "user_id": [f"u{i}" for i in rng.integers(0, 5000, _n(cols))]}


def odd_names(cols: Columns) -> Columns:
    out = dict(cols)
    out["amount in €"] = out.pop("amount")
    out["geo.country"] = out.pop("country")
    out["canal de vente"] = out.pop("channel")
    out["größe"] = np.random.default_rng(2).normal(170, 10, _n(cols))
    return out


def iso_strings(cols: Columns) -> Columns:
    """Timestamps as ISO-8601 strings with a +02:00 offset."""
    out = dict(cols)
    for name in ("timestamp", "label_timestamp"):
        arr = out[name]
        assert isinstance(arr, pa.Array)
        local = pa.compute.add(arr, pa.scalar(7_200_000_000, pa.duration("us")))
        text = pa.compute.strftime(
            pa.compute.cast(local, pa.timestamp("us")), format="%Y-%m-%dT%H:%M:%S"
        )
        out[name] = pa.compute.binary_join_element_wise(text, pa.scalar("+02:00"), "")
    return out


def regression(cols: Columns) -> Columns:
    rng = np.random.default_rng(3)
    n = _n(cols)
    amount = np.asarray(cols["amount"])
    target = 10.0 + 2.0 * np.log(amount) + rng.normal(0, 1.0, n)
    pred = target + rng.normal(0, 0.8, n)
    label = cols["label"]
    assert isinstance(label, pa.Array)
    out = drop("score")(cols)
    out["prediction"] = pred
    out["label"] = pa.array(target, mask=label.is_null().to_numpy(zero_copy_only=False))
    return out


def no_reference_labels(cols: Columns) -> Columns:
    """No label arrives before the reference window ends."""
    ts = cols["timestamp"]
    label = cols["label"]
    assert isinstance(ts, pa.Array) and isinstance(label, pa.Array)
    cut = np.datetime64(REFERENCE_END) + np.timedelta64(1, "D")
    early = ts.to_numpy(zero_copy_only=False).astype("datetime64[s]") < cut
    late = label.is_null().to_numpy(zero_copy_only=False) | early
    out = dict(cols)
    out["label"] = pa.array(label.to_numpy(zero_copy_only=False), mask=late)
    lts = cols["label_timestamp"]
    assert isinstance(lts, pa.Array)
    out["label_timestamp"] = pa.array(
        lts.to_numpy(zero_copy_only=False), pa.timestamp("us", tz="UTC"), mask=late
    )
    return out


def one_class(cols: Columns) -> Columns:
    label = cols["label"]
    assert isinstance(label, pa.Array)
    mask = label.is_null().to_numpy(zero_copy_only=False)
    return {**cols, "label": pa.array(np.zeros(_n(cols), "int64"), mask=mask)}


def one_segment_value(cols: Columns) -> Columns:
    return {**cols, "region": np.full(_n(cols), "EU")}


def duplicate_ids(cols: Columns) -> Columns:
    ids = list(cols["prediction_id"])  # type: ignore[call-overload]
    ids[123] = ids[45]
    return {**cols, "prediction_id": ids}


def hard_predictions(cols: Columns) -> Columns:
    return drop("score")(cols)


def no_features(cols: Columns) -> Columns:
    return drop("amount", "country", "channel")(cols)


@dataclass(frozen=True)
class Shape:
    """One odd log: how to build it, how to write it, and what to expect."""

    name: str
    transform: Callable[[Columns], Columns] = lambda c: c
    fmt: str = "parquet"  # parquet, csv or folder
    days: int = DAYS
    rows_per_day: int = ROWS_PER_DAY
    reference_end: str = REFERENCE_END
    #: Commands expected to fail with exit 2, and a word the error must contain.
    errors: dict[str, str] = field(default_factory=dict)
    xfail: dict[str, str] = field(default_factory=dict)


SHAPES = [
    Shape("baseline"),
    Shape("no_score", hard_predictions),
    Shape("no_label", drop("label", "label_timestamp")),
    Shape("no_label_timestamp", drop("label_timestamp")),
    Shape("no_latency", drop("latency_ms")),
    Shape("no_model_version", drop("model_version")),
    Shape("required_only", drop("score", "label", "label_timestamp", "latency_ms", "model_version", "amount", "country", "channel")),
    Shape("no_features", no_features),
    Shape("only_categorical", only_categorical),
    Shape("constant_numeric", constant_feature),
    Shape("all_null_feature", null_feature),
    Shape("high_cardinality_string", user_ids),
    Shape("odd_column_names", odd_names),
    Shape("iso_string_timestamps", iso_strings),
    Shape("csv", fmt="csv"),
    Shape("iso_csv", iso_strings, fmt="csv"),
    Shape("regression", regression),
    Shape("single_day", days=1, rows_per_day=400, reference_end="2026-01-01"),
    Shape("tiny", days=10, rows_per_day=4, reference_end="2026-01-05"),
    Shape("no_reference_labels", no_reference_labels),
    Shape("one_class", one_class),
    Shape("one_segment_value", one_segment_value),
    Shape("parquet_folder", fmt="folder"),
    Shape(
        "reference_before_log",
        reference_end="2025-06-01",
        errors=dict.fromkeys(("check", "triage", "forecast"), "timestamp"),
    ),
    Shape(
        "reference_after_log",
        reference_end="2027-01-01",
        errors=dict.fromkeys(("check", "triage", "forecast"), "timestamp"),
    ),
    Shape(
        "duplicate_ids",
        duplicate_ids,
        errors=dict.fromkeys(("inspect", "check", "triage", "evaluate", "forecast"), "prediction_id"),
    ),
]


def write(shape: Shape, folder: Path) -> Path:
    cols = shape.transform(base_columns(shape.days, shape.rows_per_day))
    table = pa.table(cols)
    if shape.fmt == "csv":
        path = folder / "log.csv"
        pacsv.write_csv(table, path)
        return path
    if shape.fmt == "folder":
        path = folder / "log"
        path.mkdir()
        step = math.ceil(table.num_rows / 4)
        for i in range(4):
            pq.write_table(table.slice(i * step, step), path / f"part-{i}.parquet")
        return path
    path = folder / "log.parquet"
    pq.write_table(table, path)
    return path


@dataclass
class Ran:
    code: int
    out: str
    err: str


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Ran:
    """Run the CLI entry point; an unhandled exception propagates and fails the test."""
    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return Ran(code, got.out, got.err)


def assert_clear_error(ran: Ran, word: str, path: Path) -> None:
    assert ran.code == 2, (ran.code, ran.out, ran.err)
    assert "Traceback" not in ran.err
    lines = [line for line in ran.err.splitlines() if line.strip()]
    assert len(lines) == 1, ran.err
    assert lines[0].startswith("error:"), ran.err
    assert word in lines[0], ran.err
    assert path.name in lines[0], ran.err


POLICY = """\
name: odd
constraints:
  - metric: volume
    min: 10
  - metric: psi:score
    max: 0.2
  - metric: roc_auc
    min: 0.55
    min_samples: 30
"""


@pytest.fixture(params=SHAPES, ids=lambda s: s.name)
def shape_log(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Shape, Path]:
    shape: Shape = request.param
    return shape, write(shape, tmp_path)


COMMANDS = ["inspect", "check", "triage", "evaluate", "forecast"]


def argv_for(command: str, shape: Shape, log: Path, tmp_path: Path) -> list[str]:
    ref = ["--reference-end", shape.reference_end]
    if command == "inspect":
        return ["inspect", str(log), "--format", "json"]
    if command == "check":
        return ["check", str(log), *ref, "--no-store", "--out", str(tmp_path / "report")]
    if command == "triage":
        return ["triage", str(log), *ref, "--format", "json", "--out", str(tmp_path / "incident")]
    if command == "evaluate":
        return ["evaluate", str(log), "--cost", "fp=5", "--cost", "fn=50"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return ["forecast", str(log), *ref, "--policy", str(policy), "--no-store", "--format", "json"]


@pytest.mark.parametrize("command", COMMANDS)
def test_odd_log(
    shape_log: tuple[Shape, Path],
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shape, log = shape_log
    ran = run(argv_for(command, shape, log, tmp_path), capsys)
    if command in shape.errors:
        assert_clear_error(ran, shape.errors[command], log)
        return
    if ran.code == 2:  # a refusal must still be one clear line
        assert_clear_error(ran, "", log)
        pytest.skip(f"refused: {ran.err.strip()}")
    assert ran.code == (ran.code if command == "check" and ran.code == 1 else 0), ran.err
    rows = shape.days * shape.rows_per_day
    if command == "inspect":
        data = json.loads(ran.out)
        assert data["rows"] == rows
    elif command == "check":
        report = json.loads((tmp_path / "report" / "report.json").read_text())
        assert report["n_rows"] == rows
        assert (tmp_path / "report" / "report.html").stat().st_size > 0
    elif command == "triage":
        data = json.loads(ran.out)
        for finding in data["findings"]:
            assert set(finding) >= FINDING_KEYS
            assert finding["cause"] in CAUSES
            assert 0.0 <= finding["confidence"] <= 1.0
        assert (tmp_path / "incident" / "incident.md").exists()
        assert (tmp_path / "incident" / "incident.html").exists()
    elif command == "forecast":
        data = json.loads(ran.out)
        assert data["rows"]

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

from modelward.analyses.triage import CAUSES as TRIAGE_CAUSES
from modelward.cli.app import main

DAYS = 16
ROWS_PER_DAY = 60
START = np.datetime64("2026-01-01T00:00:00", "s")
REFERENCE_END = "2026-01-08"
FINDING_KEYS = {"cause", "confidence", "onset", "segment", "features", "evidence"}
CAUSES = {*TRIAGE_CAUSES, "none"}

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
    assert isinstance(ts, pa.Array)
    assert isinstance(label, pa.Array)
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


ALL = ("inspect", "check", "triage", "evaluate", "forecast")
CORE = ("inspect", "check", "triage")


@dataclass(frozen=True)
class Shape:
    """One odd log: how to build and write it, which commands to run, what to expect."""

    name: str
    transform: Callable[[Columns], Columns] = lambda c: c
    fmt: str = "parquet"  # parquet, csv or folder
    days: int = DAYS
    rows_per_day: int = ROWS_PER_DAY
    reference_end: str = REFERENCE_END
    commands: tuple[str, ...] = ALL
    #: Command -> a word its one-line error (exit 2) must contain.
    errors: dict[str, str] = field(default_factory=dict)
    #: Command -> reason of a known bug (strict xfail).
    xfail: dict[str, str] = field(default_factory=dict)
    #: check also writes report.json/.md/.html (slow: keep to a few shapes).
    reports: bool = False

    @property
    def rows(self) -> int:
        return self.days * self.rows_per_day


REQUIRED_ONLY = ("score", "label", "label_timestamp", "latency_ms", "model_version")
SHAPES = [
    Shape("baseline", reports=True),
    Shape("no_score", hard_predictions, errors={"evaluate": "score"}, reports=True),
    Shape("no_label", drop("label", "label_timestamp"), errors={"evaluate": "label"}, reports=True),
    Shape("no_label_timestamp", drop("label_timestamp")),
    Shape("no_latency", drop("latency_ms"), commands=CORE),
    Shape("no_model_version", drop("model_version"), commands=(*CORE, "evaluate")),
    Shape(
        "required_only",
        drop(*REQUIRED_ONLY, "amount", "country", "channel"),
        errors={"evaluate": "score"},
    ),
    Shape("no_features", no_features, commands=CORE),
    Shape("only_categorical", only_categorical, commands=CORE),
    Shape("constant_numeric", constant_feature, commands=CORE, reports=True),
    Shape("all_null_feature", null_feature, commands=CORE, reports=True),
    Shape("high_cardinality_string", user_ids, commands=CORE),
    Shape("odd_column_names", odd_names, reports=True),
    Shape("iso_string_timestamps", iso_strings, commands=CORE),
    Shape("csv", fmt="csv", commands=CORE),
    Shape("iso_offset_csv", iso_strings, fmt="csv", commands=(*CORE, "evaluate")),
    Shape("regression", regression, errors={"evaluate": "regression"}, reports=True),
    Shape(
        "single_day",
        days=1,
        rows_per_day=400,
        reference_end="2026-01-01",
        errors=dict.fromkeys(("check", "triage", "forecast"), "current window is empty"),
    ),
    Shape(
        "tiny",
        days=10,
        rows_per_day=4,
        reference_end="2026-01-05",
    ),
    Shape("no_reference_labels", no_reference_labels, reports=True),
    Shape("one_class", one_class, reports=True),
    Shape("one_segment_value", one_segment_value, commands=CORE),
    Shape("parquet_folder", fmt="folder"),
    Shape(
        "reference_before_log",
        reference_end="2025-06-01",
        commands=("check", "triage", "forecast"),
        errors=dict.fromkeys(("check", "triage", "forecast"), "does not overlap the log"),
    ),
    Shape(
        "reference_after_log",
        reference_end="2027-01-01",
        commands=("check", "triage", "forecast"),
        errors=dict.fromkeys(("check", "triage", "forecast"), "current window is empty"),
    ),
    Shape(
        "duplicate_ids",
        duplicate_ids,
        commands=CORE,
        errors=dict.fromkeys(CORE, "duplicate prediction id"),
    ),
]


def write(shape: Shape, folder: Path) -> Path:
    """Write the shape's log into ``folder`` as Parquet, CSV or a folder of Parquet files."""
    table = pa.table(shape.transform(base_columns(shape.days, shape.rows_per_day)))
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
    """Run the real entry point; an unhandled exception propagates and fails the test."""
    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return Ran(code, got.out, got.err)


def strict_json(text: str) -> object:
    """JSON that refuses NaN and Infinity (they are not JSON; browsers reject them)."""

    def refuse(name: str) -> object:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


def assert_clear_error(ran: Ran, word: str, path: Path) -> None:
    """Exit 2 with exactly one line on stderr: ``error: <file>...: <word>...``."""
    assert ran.code == 2, (ran.code, ran.out, ran.err)
    lines = [line for line in ran.err.splitlines() if line.strip()]
    assert len(lines) == 1, ran.err
    assert lines[0].startswith("error:"), ran.err
    assert "Traceback" not in ran.err
    assert word in lines[0], ran.err
    assert path.name in lines[0], ran.err


POLICY = """\
name: odd
constraints:
  - metric: volume
    min: 2
  - metric: roc_auc
    min: 0.55
    min_samples: 30
"""


def argv_for(command: str, shape: Shape, log: Path, tmp_path: Path) -> list[str]:
    ref = ["--reference-end", shape.reference_end]
    if command == "inspect":
        return ["inspect", str(log), "--format", "json"]
    if command == "check":
        out = ["--out", str(tmp_path / "report")] if shape.reports else []
        return ["check", str(log), *ref, "--no-store", *out]
    if command == "triage":
        return ["triage", str(log), *ref, "--format", "json", "--out", str(tmp_path / "incident")]
    if command == "evaluate":
        return ["evaluate", str(log), "--cost", "fp=5", "--cost", "fn=50"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return ["forecast", str(log), *ref, "--policy", str(policy), "--no-store", "--format", "json"]


def _cases() -> list[object]:
    cases: list[object] = []
    for shape in SHAPES:
        for command in shape.commands:
            marks = []
            if command in shape.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=shape.xfail[command]))
            cases.append(pytest.param(shape, command, id=f"{shape.name}-{command}", marks=marks))
    return cases


def _metric(report: dict[str, object], window: str, name: str) -> object:
    perf = report["performance"]
    assert isinstance(perf, dict)
    return perf[window]["metrics"][name]["value"]


def check_inspect(shape: Shape, data: dict[str, object]) -> None:
    assert data["rows"] == shape.rows
    assert data["days"] == shape.days
    # the span is the generated one, whatever the timestamps' encoding (UTC after offsets)
    assert str(data["first_timestamp"]).startswith("2026-01-01T")
    last = np.datetime64("2026-01-01") + np.timedelta64(shape.days - 1, "D")
    assert str(data["last_timestamp"]).startswith(str(last))
    features = {f["name"]: f["kind"] for f in data["features"]}  # type: ignore[attr-defined]
    segments = {s["name"] for s in data["segments"]}  # type: ignore[attr-defined]
    expect_task = "regression" if shape.name == "regression" else "binary"
    assert data["task"] == expect_task
    if shape.name in ("no_label", "required_only"):
        assert data["label_coverage"] is None
    else:
        assert 0.0 < float(data["label_coverage"]) <= 1.0  # type: ignore[arg-type]
    if shape.name in ("no_label_timestamp", "no_label", "required_only"):
        assert data["median_label_lag"] is None
    if shape.name in ("no_model_version", "required_only"):
        assert data["model_versions"] == []
    if shape.name in ("no_features", "required_only"):
        assert features == {}
    if shape.name == "only_categorical":
        assert features == {"country": "categorical", "channel": "categorical"}
    if shape.name == "constant_numeric":
        assert features["constant"] == "numeric"
    if shape.name == "all_null_feature":
        assert "empty" in features
    if shape.name == "high_cardinality_string":
        # an id column is not a category: not monitored, and said so
        assert "user_id" not in features
        assert data["identifiers"] == ["user_id"]
    if shape.name == "odd_column_names":
        assert set(features) == {"amount in €", "geo.country", "canal de vente", "größe"}
        assert segments == {"geo.country", "canal de vente"}
    if shape.name == "one_segment_value":
        assert "region" in features
        assert "region" not in segments


def check_report(shape: Shape, report: dict[str, object], folder: Path) -> None:
    assert report["n_rows"] == shape.rows
    for name in ("report.md", "report.html"):
        assert (folder / name).stat().st_size > 0
    messages = " | ".join(i["message"] for i in report["summary"])  # type: ignore[attr-defined]
    if shape.name == "no_score":
        # hard 0/1 predictions: the served confusion is exact without a score
        assert _metric(report, "current", "accuracy") is not None
        assert _metric(report, "current", "recall") is not None
        assert _metric(report, "current", "roc_auc") is None
        assert _metric(report, "current", "brier") is None
    if shape.name == "no_label":
        assert report["performance"] is None
        assert "no labels yet" in messages
    if shape.name == "regression":
        assert _metric(report, "current", "mae") is not None
    if shape.name == "no_reference_labels":
        assert "no labelled rows in the reference window" in messages
        assert "performance holds" not in messages
    if shape.name == "one_class":
        assert _metric(report, "current", "roc_auc") is None
        assert _metric(report, "current", "recall") is None
        assert _metric(report, "current", "accuracy") is not None
    if shape.name == "odd_column_names":
        drift = report["drift"]
        assert isinstance(drift, dict)
        tested = {d["feature"] for d in drift["features"]}
        assert {"amount in €", "geo.country", "canal de vente", "größe"} <= tested


@pytest.mark.parametrize(("shape", "command"), _cases())
def test_odd_log(
    shape: Shape, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write(shape, tmp_path)
    ran = run(argv_for(command, shape, log, tmp_path), capsys)
    assert "Traceback" not in ran.err
    if command in shape.errors:
        assert_clear_error(ran, shape.errors[command], log)
        return
    if command == "check":
        # 1 = a critical finding: these logs are healthy, so none may be reported
        assert ran.code == 0, ran.out + ran.err
        assert f"{shape.rows:,} rows checked" in ran.out
        if shape.reports:
            report = strict_json((tmp_path / "report" / "report.json").read_text())
            assert isinstance(report, dict)
            check_report(shape, report, tmp_path / "report")
        return
    assert ran.code == 0, ran.out + ran.err
    if command == "inspect":
        data = strict_json(ran.out)
        assert isinstance(data, dict)
        check_inspect(shape, data)
    elif command == "triage":
        data = strict_json(ran.out)
        assert isinstance(data, dict)
        findings = data["findings"]
        for finding in findings:
            assert set(finding) >= FINDING_KEYS
            assert finding["cause"] in CAUSES
            assert 0.0 <= finding["confidence"] <= 1.0
        # a healthy system: no findings, or a first finding "none"
        assert not findings or findings[0]["cause"] == "none", findings[0]
        assert (tmp_path / "incident" / "incident.md").stat().st_size > 0
        assert (tmp_path / "incident" / "incident.html").stat().st_size > 0
    elif command == "evaluate":
        assert "Costs (FP 5, FN 50" in ran.out
        if shape.name == "one_class":
            # recall and ROC-AUC are undefined with one class: shown as a dash, never 0
            versions = ran.out.split("Latency vs quality")[-1]
            assert "—" in versions
            assert "0.000" not in versions
    elif command == "forecast":
        data = strict_json(ran.out)
        assert isinstance(data, dict)
        rows = {r["constraint"]: r for r in data["rows"]}  # type: ignore[attr-defined]
        assert len(rows) == 2
        statuses = {r["status"] for r in rows.values()}
        assert statuses <= {"no_crossing", "insufficient_data", "will_cross", "crossed"}
        assert rows["volume >= 2"]["status"] == "no_crossing"

"""The feedback loop: nothing lost or duplicated, disagreement, never-labelled share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest

from modelward._exceptions import LogSchemaError
from modelward.io import read_log
from modelward.lineage import add_feedback, feedback_history, feedback_report
from modelward.simulate import DOMAINS, simulate
from modelward.store import Store

T0 = dt.datetime(2026, 1, 1)


def _write(path: Path, rows: list[tuple[str, float, str, str]]) -> Path:
    lines = ["prediction_id,label,timestamp,source"] + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _log() -> pa.Table:
    n = 6
    return pa.table(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "timestamp": [T0 + dt.timedelta(days=i) for i in range(n)],
            "prediction": [i % 2 for i in range(n)],
            "country": ["FR", "US"] * 3,
        }
    )


def test_loading_twice_loses_and_duplicates_nothing(tmp_path: Path, store: Store) -> None:
    f = _write(
        tmp_path / "a.csv",
        [
            ("p0", 1, "2026-01-01T05:00:00", "user"),
            ("p1", 0, "2026-01-02T03:00:00+00:00", "review"),
            ("p1", 0, "2026-01-02T03:00:00+00:00", "review"),  # duplicate inside the file
        ],
    )
    first = add_feedback(store, f)
    assert (first.rows, first.added, first.duplicates) == (3, 2, 1)
    second = add_feedback(store, f)
    assert (second.added, second.duplicates) == (0, 3)
    assert [r.version for r in feedback_history(store, "p1")] == [1]


def test_disagreeing_files_keep_both_versions(tmp_path: Path, store: Store) -> None:
    add_feedback(store, _write(tmp_path / "a.csv", [("p1", 1, "2026-01-02T05:00:00", "user")]))
    load = add_feedback(
        store, _write(tmp_path / "b.csv", [("p1", 0, "2026-01-03T05:00:00", "review")])
    )
    assert (load.added, load.revisions) == (1, 1)
    history = feedback_history(store, "p1")
    assert [(r.version, r.label, r.source) for r in history] == [
        (1, 1.0, "user"),
        (2, 0.0, "review"),
    ]
    report = feedback_report(store, read_log(_log()))
    d = report.disagreement
    assert (d["predictions_with_several_sources"], d["disagreeing"], d["rate"]) == (1, 1, 1.0)
    assert d["pairs"][0]["source_a"] == "review"
    assert d["predictions_relabelled"] == 1
    assert report.labelled == 1
    assert report.predictions == 6
    assert report.lag_quantiles_hours["p50"] == pytest.approx(5.0)
    by_country = {r["value"]: r["coverage"] for r in report.coverage_by_segment}
    assert by_country == {"FR": 0.0, "US": pytest.approx(1 / 3)}
    assert {r["source"] for r in report.source_mix} == {"user", "review"}


def test_bad_rows_are_named(tmp_path: Path, store: Store) -> None:
    bad = _write(
        tmp_path / "bad.csv",
        [
            ("p0", 1, "2026-01-01T05:00:00", "user"),
            ("p1", 1, "not a time", "user"),
        ],
    )
    with pytest.raises(LogSchemaError, match=r"bad.csv: column 'timestamp', row 1"):
        add_feedback(store, bad)
    (tmp_path / "nolabel.csv").write_text("prediction_id,timestamp,source\np0,2026-01-01,u\n")
    with pytest.raises(LogSchemaError, match="column 'label'"):
        add_feedback(store, tmp_path / "nolabel.csv")
    assert feedback_history(store, "p0") == []  # nothing stored from a bad file


def test_never_labelled_share_on_a_simulated_system(tmp_path: Path, store: Store) -> None:
    sim = simulate(domain="content_moderation", days=30, rows_per_day=400, seed=3)
    log = sim.log
    got = log.filter(pc.is_valid(log.column("label")))
    feedback = pa.table(
        {
            "prediction_id": got.column("prediction_id"),
            "label": pc.cast(got.column("label"), pa.float64()),
            "timestamp": got.column("label_timestamp"),
            "source": got.column("label_source"),
        }
    )
    pcsv.write_csv(feedback, tmp_path / "fb.csv")
    add_feedback(store, tmp_path / "fb.csv")
    report = feedback_report(store, read_log(log.drop(["label", "label_timestamp"])))
    dom = DOMAINS["content_moderation"]
    base = dom.base_rate
    truth = base * (1 - dom.positive_labels.coverage) + (1 - base) * (
        1 - dom.negative_labels.coverage
    )
    never = report.never_labelled
    assert never["eligible"] > 0.8 * report.predictions
    assert never["share"] == pytest.approx(truth, abs=0.03)
    assert report.unmatched_feedback == 0
    assert sum(r["predictions"] for r in report.lag_histogram) == report.labelled

from __future__ import annotations

from pathlib import Path

import pytest

from modelward._exceptions import ConfigError
from modelward.drills.history import list_attempts, progress, record_attempt, scores_by_cause
from modelward.store import Store


def _grade(total: float, diagnosis: float) -> dict[str, object]:
    return {
        "total": total,
        "elapsed_seconds": 100.0,
        "dimensions": [{"name": "diagnosis", "score": diagnosis}, {"name": "time", "score": 1.0}],
    }


def test_attempts_persist_and_progress_points_at_weak_causes(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        assert progress(store)["attempts"] == 0
        for total, cause in ((0.2, "label_noise"), (0.9, "data_gap"), (0.4, "label_noise")):
            record_attempt(
                store,
                scenario={"seed": 1, "domain": "fraud", "cause": cause, "magnitude": 0.5},
                answers={"cause": cause},
                grade=_grade(total, total),
            )
    with Store(path) as store:  # reopened: the attempts were committed
        assert scores_by_cause(store) == {"label_noise": [0.2, 0.4], "data_gap": [0.9]}
        p = progress(store, recent=1)
    assert p["attempts"] == 3
    assert p["by_cause"]["label_noise"]["total"] == 0.3
    assert p["by_cause"]["label_noise"]["diagnosis"] == 0.3
    assert p["by_cause"]["data_gap"]["coverage"] is None
    assert p["trend"] == {"first": 0.2, "last": 0.4}
    assert p["practise_next"][0] == "label_noise"
    assert "data_gap" not in p["practise_next"]


def test_list_attempts_newest_first_with_limit(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    assert list_attempts(path) == []  # no store file yet: no attempts, nothing created
    assert not path.exists()
    with Store(path) as store:
        assert list_attempts(store) == []  # a store without the drill table
        ids = [
            record_attempt(
                store,
                scenario={"seed": i, "domain": "fraud", "cause": "label_noise", "magnitude": 0.5},
                answers={"cause": "concept_drift"},
                grade=_grade(0.1 * i, 0.5),
            )
            for i in range(1, 4)
        ]
    got = list_attempts(path, limit=2)  # by path: opened read-only
    assert [a.attempt_id for a in got] == ids[::-1][:2]
    assert [a.seed for a in got] == [3, 2]
    first = got[0]
    assert (first.cause, first.answer_cause, first.domain) == (
        "label_noise",
        "concept_drift",
        "fraud",
    )
    assert first.total == pytest.approx(0.3)
    assert first.scores["diagnosis"] == 0.5
    assert first.scores["coverage"] is None
    assert first.elapsed_seconds == 100.0
    assert len(list_attempts(path, limit=None)) == 3
    assert list_attempts(path, limit=0) == []
    with pytest.raises(ConfigError, match="'limit' parameter"):
        list_attempts(path, limit=-1)

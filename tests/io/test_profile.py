"""describe(): checked against values computed directly from the Arrow table."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelward.io import describe, read_log
from modelward.io.profile import humanize_seconds

Make = Callable[..., pa.Table]


def test_profile_matches_the_table(make: Make) -> None:
    t = make()
    p = describe(read_log(t))
    assert p.rows == 30
    assert p.first_timestamp == dt.datetime(2026, 1, 1)
    assert p.last_timestamp == dt.datetime(2026, 1, 10, 16)
    assert p.days == 10
    labels = t["label"].to_pylist()
    assert p.label_coverage == sum(v is not None for v in labels) / 30
    lags = [
        (lt - ts).total_seconds()
        for ts, lt, lab in zip(
            t["timestamp"].to_pylist(), t["label_timestamp"].to_pylist(), labels, strict=True
        )
        if lt is not None and lab is not None
    ]
    assert p.median_label_lag_seconds is not None
    assert abs(p.median_label_lag_seconds - float(np.median(lags))) <= 0.05 * np.median(lags)
    assert p.model_versions == (("v1", 15), ("v2", 15))
    assert p.segments == (("country", 3),)
    assert {f.name: (f.kind, f.dtype) for f in p.features}["count_items"] == ("numeric", "INTEGER")
    d = p.to_dict()
    assert json.loads(json.dumps(d))["first_timestamp"] == "2026-01-01T00:00:00Z"


def test_profile_without_optional_roles(make: Make) -> None:
    t = make(label=None, label_timestamp=None, model_version=None)
    p = describe(read_log(t))
    assert (p.label_coverage, p.median_label_lag, p.model_versions) == (None, None, ())


def test_humanize_seconds() -> None:
    assert humanize_seconds(59.94) == "59.9 s"
    assert humanize_seconds(90) == "1.5 min"
    assert humanize_seconds(-7200) == "-2.0 h"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3, 60),
    rename=st.booleans(),
)
def test_shuffled_and_remapped_log_has_the_same_profile(
    make: Make, seed: int, n: int, rename: bool
) -> None:
    t = make(n=n)
    rng = np.random.default_rng(seed)
    shuffled = t.take(pa.array(rng.permutation(n)))
    columns: dict[str, str] = {}
    if rename:
        new = {"prediction_id": "pid", "timestamp": "ts", "label": "y", "score": "proba"}
        shuffled = shuffled.rename_columns([new.get(c, c) for c in shuffled.column_names])
        columns = {"id": "pid", "time": "ts", "label": "y", "score": "proba"}
    a = describe(read_log(t))
    b = describe(read_log(shuffled, columns=columns))
    assert a == b

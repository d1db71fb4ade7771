from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward._exceptions import ConfigError
from modelward.drills.catalogue import CAUSES
from modelward.drills.scenario import MIN_DAYS, cause_weights, pick_scenario, scenario_from_seed


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(MIN_DAYS, 60))
def test_seed_replays_and_onset_leaves_room(seed: int, days: int) -> None:
    s = scenario_from_seed(seed, days=days)
    assert s == scenario_from_seed(seed, days=days)
    assert pick_scenario(seed=seed, days=days) == s
    ref = max(1, days // 3)
    assert ref + 3 <= s.onset_day <= max(ref + 3, days - 8)
    assert s.cause in CAUSES
    assert 0 < s.magnitude <= 1
    if s.cause == "data_gap":
        assert s.segment is not None
        assert "=" in s.segment


def test_focus_on_cause_and_domain() -> None:
    s = scenario_from_seed(3, cause="prior_shift", domain="churn")
    assert (s.cause, s.domain) == ("prior_shift", "churn")
    assert s.replay.endswith("--seed 3 --cause prior_shift --domain churn")


def test_bad_input_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="Unknown cause 'drift'"):
        scenario_from_seed(1, cause="drift")
    with pytest.raises(ConfigError, match="Unknown domain"):
        scenario_from_seed(1, domain="retail")
    with pytest.raises(ConfigError, match="'days' parameter"):
        scenario_from_seed(1, days=5)


def test_weak_areas_weighted_up() -> None:
    w = cause_weights({"label_noise": [0.1, 0.2], "data_gap": [1.0, 0.9]})
    assert w["label_noise"] > w["prior_shift"] > w["data_gap"]
    assert w["none"] < w["data_gap"]


def test_picker_prefers_weak_causes() -> None:
    hist = {c: [1.0] * 5 for c in CAUSES}
    hist["concept_drift"] = [0.0] * 5
    picks = [pick_scenario(history=hist, days=MIN_DAYS).cause for _ in range(200)]
    share = picks.count("concept_drift") / len(picks)
    # weight 3 against 1 for each of 7 others and 0.25 for none: expected share 3 / 10.25
    assert 0.18 < share < 0.42

from __future__ import annotations

from pathlib import Path

import pytest

from modelward._exceptions import ConfigError, PolicyError
from modelward.drills.answers import constraints_of, load_answers, parse_answers


def test_full_answer_file(tmp_path: Path) -> None:
    p = tmp_path / "answers.yaml"
    p.write_text(
        "cause: Label noise\nonset: 2026-01-16\nsegment: {country: US}\n"
        "features: amount, distance_km\ncontainment: quarantine_labels\n"
        'rollback_trigger: "{metric: accuracy, max_drop: 0.03}"\n'
        "monitoring:\n  - {metric: accuracy, max_drop: 0.03}\n"
        "  - constraints: [{metric: psi:amount, max: 0.1}]\nelapsed_seconds: 120\n"
    )
    a = load_answers(p)
    assert a.cause == "label_noise"
    assert a.segment == {"country": "US"}
    assert a.features == ["amount", "distance_km"]
    assert [c.label for c in constraints_of(a.monitoring, where="m")] == [
        "accuracy drop <= 0.03",
        "psi:amount <= 0.1",
    ]


def test_unknown_cause_names_file_and_key(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text("cause: gremlins\n")
    with pytest.raises(ConfigError, match=r"a\.yaml, cause: unknown cause 'gremlins'"):
        load_answers(p)


def test_bad_constraint_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match=r"monitoring\[0\].*metric"):
        parse_answers("cause: none\nmonitoring: [{metric: happiness, min: 1}]\n", source="a.yaml")
    with pytest.raises(PolicyError, match="exactly one limit"):
        parse_answers("cause: none\nrollback_trigger: {metric: recall}\n")


def test_bad_action_and_segment() -> None:
    with pytest.raises(ConfigError, match="unknown action"):
        parse_answers("cause: none\ncontainment: panic\n")
    with pytest.raises(ConfigError, match="column=value"):
        parse_answers("cause: none\nsegment: US\n")


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_answers("/nonexistent/answers.yaml")

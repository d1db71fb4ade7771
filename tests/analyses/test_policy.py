from __future__ import annotations

from pathlib import Path

import pytest

from modelward._exceptions import PolicyError
from modelward.analyses.policy import parse_policy

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "policies").glob("*.yaml"))


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("constraints: [\n", 2, "not valid YAML"),
        ("", None, "empty"),
        ("- a\n- b\n", 1, "must be a mapping"),
        (
            "constraints:\n  - metric: recall\n    min: lots\n",
            3,
            "constraints[0].min: Input should be a valid number",
        ),
        (
            "constraints:\n  - metric: recall\n    mni: 0.5\n    min: 0.5\n",
            3,
            "constraints[0].mni: Extra inputs",
        ),
        ("constraints:\n  - min: 0.5\n", 2, "constraints[0].metric: Field required"),
        ("constraints:\n  - metric: recal\n    min: 0.5\n", 2, "Unknown metric 'recal'"),
        ("constraints:\n  - metric: recall\n", 2, "exactly one limit"),
        ("constraints:\n  - metric: recall\n    min: 0.5\n    max: 0.9\n", 2, "got min, max"),
        (
            "constraints:\n  - metric: recall\n    min: 0.5\n    for_each: a\n    gap_between: a\n",
            2,
            "cannot both",
        ),
        ("constraints:\n  - metric: recall\n    min: 0.5\n    gap_between: a\n", 2, "needs 'max'"),
        ("constraints:\n  - metric: expected_cost\n    max: 5\n", 1, "needs a 'costs' section"),
        (
            "costs: {fp: 1, fn: 2, by_segment: {BR: {fn: 3}}}\n"
            "constraints:\n  - metric: recall\n    min: 0.5\n",
            1,
            "needs costs.segment",
        ),
        (
            "constraints:\n  - metric: recall\n    min: 0.5\n    confidence: 1.5\n",
            4,
            "constraints[0].confidence",
        ),
        ("constraints:\n  - metric: recall\n    min: 0.5\n    severity: panic\n", 4, "severity"),
        (
            "costs:\n  fp: -1\n  fn: 2\nconstraints:\n  - metric: recall\n    min: 0.5\n",
            2,
            "costs.fp",
        ),
        ("constraints: []\n", 1, "constraints: List should have at least 1 item"),
        ("version: 2\nconstraints:\n  - metric: recall\n    min: 0.5\n", 1, "version"),
        ("constraints:\n  - metric: recall\n    max_drop: -0.1\n", 3, "max_drop"),
    ],
)
def test_every_error_class_names_line_and_key(text: str, line: int | None, fragment: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, source="policy.yaml")
    msg = str(info.value)
    assert msg.startswith("policy.yaml")
    assert fragment in msg
    if line is not None:
        assert f"line {line}" in msg


def test_defaults_and_labels() -> None:
    p = parse_policy("constraints:\n  - metric: latency_p99\n    max: 200\n")
    c = p.constraints[0]
    assert (c.confidence, c.min_samples, c.severity) == (0.95, 30, "block")
    assert c.label == "latency_p99 <= 200"
    assert p.triggers.k == 3


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid(path: Path) -> None:
    assert parse_policy(path.read_text(), source=str(path)).constraints

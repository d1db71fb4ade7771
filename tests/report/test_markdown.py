"""Markdown report: verdict by severity, drift, performance with intervals, empty sections."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelward.analyses.results import CheckResult
from modelward.report import render_markdown
from modelward.report._format import fmt_metric, fmt_num
from modelward.report.markdown import escape_md

from .conftest import HOSTILE


def test_sections_in_order(result: CheckResult) -> None:
    md = render_markdown(result)
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads == [
        "## Verdict",
        "## Health issues",
        "## Drift",
        "## Performance",
        "## Latency",
        "## Label coverage",
    ]


def test_verdict_most_severe_first(result: CheckResult) -> None:
    md = render_markdown(result)
    positions = [md.index(escape_md(item.message)) for item in result.summary]
    by_level = {item.severity: md.index(escape_md(item.message)) for item in result.summary}
    assert by_level["critical"] < by_level["warning"] < by_level["info"] < by_level["ok"]
    assert len(set(positions)) == len(result.summary)


def test_drifted_feature_row(result: CheckResult) -> None:
    md = render_markdown(result)
    drifted = next(f for f in result.drift.features if f.drifted and f.segment == "")
    row = next(line for line in md.splitlines() if line.startswith(f"| {drifted.feature} | all"))
    assert fmt_num(drifted.statistic) in row
    assert fmt_num(drifted.p_adjusted) in row
    assert drifted.method in row
    stable = [f.feature for f in result.drift.features if not f.drifted]
    assert not any(line.startswith(f"| {name} |") for name in stable for line in md.splitlines())


def test_performance_values_and_counts(result: CheckResult) -> None:
    md = render_markdown(result)
    assert result.performance is not None
    current = result.performance.current
    row = next(line for line in md.splitlines() if line.startswith("| current | all |"))
    assert f"{current.n_labelled:,}" in row
    for name, metric in current.metrics.items():
        assert fmt_metric(metric) in row, name
    assert "[" in fmt_metric(current.metrics["recall"])
    assert "Degraded: recall" in md
    for seg in result.performance.by_segment:
        assert f"| {seg.segment}={seg.segment_value} |" in md


def test_latency_and_labels(result: CheckResult) -> None:
    md = render_markdown(result)
    assert result.latency is not None
    assert result.latency.current.p99 is not None
    assert fmt_num(result.latency.current.p99) in md
    assert "Latency regressed" in md
    assert "Latest bucket 2026-01-30: coverage" in md


def test_minimal(minimal: CheckResult) -> None:
    md = render_markdown(minimal)
    assert "No findings." in md
    assert "No data-health issues." in md
    assert "Performance\n\nNot computed: no labelled rows." in md
    assert "Not computed: the log has no latency column." in md


def test_hostile_names_escaped(hostile: CheckResult) -> None:
    md = render_markdown(hostile)
    assert HOSTILE not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "| a\\|b |" in md


@given(st.text())
def test_escape_md_is_inert(text: str) -> None:
    out = escape_md(text)
    assert "<" not in out
    assert ">" not in out
    assert "\n" not in out
    assert "|" not in out.replace("\\|", "")


@pytest.mark.parametrize(("raw", "expected"), [("a|b", "a\\|b"), ("x  \n y", "x y")])
def test_escape_md_examples(raw: str, expected: str) -> None:
    assert escape_md(raw) == expected

"""Terminal summary: severity order, key numbers, compact tables, one screen."""

from __future__ import annotations

from rich.console import Console

from modelward.analyses.results import CheckResult, CheckSummaryItem
from modelward.report import render_terminal
from modelward.report._format import fmt_metric, fmt_num


def text_of(result: CheckResult, width: int = 100) -> str:
    console = Console(record=True, width=width, color_system=None)
    render_terminal(result, console)
    return console.export_text()


def test_severity_lines_in_order(result: CheckResult) -> None:
    text = text_of(result)
    lines = text.splitlines()
    order = []
    for item in result.summary:
        (line,) = [ln for ln in lines if item.message in ln]
        order.append((lines.index(line), item.severity))
        assert item.area in line
    assert [sev for _, sev in sorted(order)] == ["critical", "warning", "warning", "info", "ok"]
    assert lines[next(i for i, s in sorted(order))].lstrip().startswith("✖ CRITICAL")


def test_tables_hold_key_numbers(result: CheckResult) -> None:
    text = text_of(result)
    assert result.performance is not None
    assert result.performance.reference is not None
    assert result.latency is not None
    assert result.latency.reference is not None
    drifted = next(f for f in result.drift.features if f.drifted)
    assert "Top drifted columns" in text
    assert drifted.feature in text
    recall_line = next(ln for ln in text.splitlines() if ln.startswith("recall"))
    assert fmt_metric(result.performance.current.metrics["recall"]) in recall_line
    assert fmt_metric(result.performance.reference.metrics["recall"]) in recall_line
    assert "degraded" in recall_line
    assert "regressed" in text
    assert fmt_num(result.latency.current.p99) in text
    assert fmt_num(result.latency.reference.p99) in text


def test_fits_one_screen(result: CheckResult) -> None:
    assert len(text_of(result).splitlines()) <= 40


def test_minimal(minimal: CheckResult) -> None:
    text = text_of(minimal)
    assert "No findings." in text
    assert "not computed" in text
    assert "Top drifted" not in text
    assert "Latency" not in text


def test_markup_in_data_is_literal(result: CheckResult) -> None:
    item = CheckSummaryItem(severity="warning", area="drift", message="[bold]x[/bold] drifted")
    drifted = result.drift.features[0].model_copy(update={"feature": "[red]amount[/red]"})
    drift = result.drift.model_copy(update={"features": [drifted]})
    text = text_of(result.model_copy(update={"summary": [item], "drift": drift}))
    assert "[bold]x[/bold] drifted" in text
    assert "[red]amount[/red]" in text

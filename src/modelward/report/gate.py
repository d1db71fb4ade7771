"""Gate and trigger rendering: a Rich table, JSON, and JUnit XML for CI.

JUnit: one ``<testsuite>`` per gate, one ``<testcase>`` per constraint row
(segment value); a failing row is a ``<failure>``, an inconclusive one a
``<skipped>`` with the reason, so CI dashboards show all three outcomes.

Examples
--------
>>> from modelward.analyses.gates import ConstraintResult, ConstraintRow, GateResult
>>> row = ConstraintRow(compared="value", value=0.5, estimate=0.5, low=0.4, high=0.6,
...                     confidence=0.95, limit=0.7, n=100, outcome="fail",
...                     reason="interval below the floor")
>>> g = GateResult(policy="p.yaml", candidate="c.parquet", baseline=None, outcome="fail",
...                exit_code=1, constraints=[ConstraintResult(name="recall >= 0.7",
...                metric="recall", severity="block", limit_kind="min", limit=0.7,
...                confidence=0.95, outcome="fail", rows=[row])])
>>> "<failure" in to_junit(g)
True
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.table import Table

from modelward.analyses.gates import ConstraintResult, ConstraintRow, GateResult
from modelward.analyses.triggers import TriggerState

__all__ = ["gate_table", "render_gate", "render_triggers", "to_json", "to_junit"]

_STYLE = {"pass": "green", "fail": "bold red", "inconclusive": "yellow"}
_OPS = {"min": ">=", "max": "<=", "max_drop": "drop <=", "max_rise": "rise <="}


def _f(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.4g}"


def _where(row: ConstraintRow) -> str:
    if not row.segment:
        return "all"
    return f"{row.segment}={row.segment_value}" if row.segment_value else row.segment


def _limit(c: ConstraintResult) -> str:
    return f"{_OPS[c.limit_kind]} {c.limit:g}"


def gate_table(result: GateResult) -> Table:
    """The gate as a Rich table: one line per constraint row."""
    t = Table(title=f"Release gate: {result.outcome.upper()}", title_justify="left")
    for col in ("constraint", "segment", "value", "compared", "interval", "limit", "n", "outcome"):
        t.add_column(col, justify="right" if col in ("value", "n") else "left")
    for c in result.constraints:
        for row in c.rows:
            compared = _f(row.estimate) if row.compared != "value" else ""
            if row.compared == "difference":
                compared = f"Δ {compared} (base {_f(row.baseline)})"
            elif row.compared == "gap":
                compared = f"gap {compared}"
            sev = "" if c.severity == "block" else " (warn)"
            t.add_row(
                c.name + sev,
                _where(row),
                _f(row.value),
                compared,
                f"[{_f(row.low)}, {_f(row.high)}] @{row.confidence:.3g}",
                _limit(c),
                str(row.n),
                f"[{_STYLE[row.outcome]}]{row.outcome}[/]",
            )
    return t


def render_gate(result: GateResult, console: Console) -> None:
    """Print the gate table and a one-line verdict."""
    console.print(gate_table(result))
    console.print(
        f"candidate {result.candidate}"
        + (f" vs baseline {result.baseline}" if result.baseline else "")
        + f": [{_STYLE[result.outcome]}]{result.outcome}[/] (exit {result.exit_code})"
    )


def render_triggers(states: list[TriggerState], console: Console) -> None:
    """Firing rollback triggers first, with since-when; one line each."""
    firing = [s for s in states if s.status == "firing"]
    if not firing:
        console.print("[green]No rollback trigger firing.[/]")
        return
    for s in firing:
        where = f" [{s.segment}={s.segment_value}]" if s.segment_value else ""
        console.print(
            f"[bold red]ROLLBACK TRIGGER[/] {s.constraint}{where}: {s.consecutive_failures} "
            f"failing windows in a row since {s.since:%Y-%m-%d}"
            if s.since
            else f"[bold red]ROLLBACK TRIGGER[/] {s.constraint}{where}"
        )


def to_json(result: GateResult) -> str:
    """The gate as indented JSON."""
    return json.dumps(result.model_dump(mode="json"), indent=2)


def to_junit(result: GateResult) -> str:
    """The gate as JUnit XML."""
    rows = [(c, r) for c in result.constraints for r in c.rows]
    suite = ET.Element(
        "testsuite",
        name=f"modelward gate {result.policy or ''}".strip(),
        tests=str(len(rows)),
        failures=str(sum(r.outcome == "fail" for _, r in rows)),
        skipped=str(sum(r.outcome == "inconclusive" for _, r in rows)),
        errors="0",
    )
    for c, r in rows:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"modelward.gate.{c.metric}",
            name=f"{c.name} [{_where(r)}]",
        )
        detail = (
            f"{r.compared} {_f(r.estimate)} interval [{_f(r.low)}, {_f(r.high)}] "
            f"at {r.confidence:.3g}, limit {_limit(c)}, n={r.n}: {r.reason}"
        )
        if r.outcome == "fail":
            ET.SubElement(case, "failure", message=r.reason, type=c.severity).text = detail
        elif r.outcome == "inconclusive":
            ET.SubElement(case, "skipped", message=f"inconclusive: {r.reason}").text = detail
        ET.SubElement(case, "system-out").text = detail
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)

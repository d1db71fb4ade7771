"""Renderers of a check: ``report.json``, Markdown, a self-contained HTML page, the terminal.

The report layer only presents what a
:class:`~modelward.analyses.results.CheckResult` holds; it computes no
statistic, and a stored ``report.json`` re-renders in every format without the log.

Examples
--------
>>> from datetime import datetime, timezone
>>> from modelward.analyses.results import CheckResult, DriftResult, HealthResult
>>> result = CheckResult(
...     created_at=datetime(2026, 2, 1, tzinfo=timezone.utc), source="log.parquet",
...     reference="2026-01-01 .. 2026-01-14", bucket="day", n_rows=0, n_reference_rows=0,
...     n_current_rows=0, features=[], segments=[], summary=[],
...     health=HealthResult(issues=[], volume=[], day_of_week=[], labels=[]),
...     drift=DriftResult(rule="", alpha=0.05, features=[], score=[], heatmap=[],
...                       distributions=[], multivariate=[]),
...     performance=None, latency=None)
>>> "## Verdict" in render_markdown(result)
True
"""

from __future__ import annotations

from modelward.report.html import SECTIONS, render_html, write_html
from modelward.report.json import load_json, to_json, write_json
from modelward.report.markdown import render_markdown
from modelward.report.terminal import render_terminal

__all__ = [
    "SECTIONS",
    "load_json",
    "render_html",
    "render_markdown",
    "render_terminal",
    "to_json",
    "write_html",
    "write_json",
]

"""Plotly figures of a check, built only from the series the result models hold.

Each function takes one part of a :class:`~modelward.analyses.results.CheckResult`
and returns a ``plotly.graph_objects.Figure``, or ``None`` when the part holds
nothing to plot. Text from the data is HTML-escaped before it reaches Plotly
(Plotly renders a subset of HTML in labels and decodes entities back for display).

Figures live in modules named for the part they draw: :mod:`.plots_health`
(volume, day of week, latency, labels), :mod:`.plots_drift` (PSI heatmap,
distributions, multivariate AUC) and :mod:`.plots_performance` (confusion,
ROC/PR, calibration, metrics per bucket); the shared look is in
:mod:`.plots_style`. This module re-exports them all.

Examples
--------
>>> from datetime import datetime
>>> from modelward.analyses.results import LabelPoint
>>> fig = labels_figure([LabelPoint(bucket=datetime(2026, 1, 1), coverage=0.9,
...                                 median_lag_seconds=3600.0, p90_lag_seconds=7200.0)])
>>> [trace.name for trace in fig.data]
['coverage', 'median lag (h)', 'p90 lag (h)']
>>> labels_figure([]) is None
True
"""

from __future__ import annotations

from modelward.report.plots_drift import (
    distribution_figure,
    drift_heatmap_figure,
    multivariate_figure,
    score_figure,
)
from modelward.report.plots_health import (
    day_of_week_figure,
    labels_figure,
    latency_figure,
    volume_figure,
)
from modelward.report.plots_performance import (
    calibration_figure,
    confusion_figure,
    performance_figure,
    roc_pr_figure,
)
from modelward.report.plots_style import ALERT_COLOR as ALERT_COLOR
from modelward.report.plots_style import CURRENT_COLOR as CURRENT_COLOR
from modelward.report.plots_style import PALETTE as PALETTE
from modelward.report.plots_style import REFERENCE_COLOR as REFERENCE_COLOR
from modelward.report.plots_style import _band as _band
from modelward.report.plots_style import _dropdown as _dropdown
from modelward.report.plots_style import _hline as _hline
from modelward.report.plots_style import _layout as _layout
from modelward.report.plots_style import _t as _t

__all__ = [
    "calibration_figure",
    "confusion_figure",
    "day_of_week_figure",
    "distribution_figure",
    "drift_heatmap_figure",
    "labels_figure",
    "latency_figure",
    "multivariate_figure",
    "performance_figure",
    "roc_pr_figure",
    "score_figure",
    "volume_figure",
]

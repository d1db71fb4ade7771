"""Analyses: everything computed from summaries (never from files).

Each analysis takes :class:`~modelward.engine.Summaries` and returns a result
model from :mod:`modelward.analyses.results`.
"""

from __future__ import annotations

from modelward.analyses.check import run_check, verdict
from modelward.analyses.drift import analyse_drift
from modelward.analyses.health import analyse_health
from modelward.analyses.latency import analyse_latency
from modelward.analyses.multivariate import analyse_multivariate
from modelward.analyses.performance import analyse_performance
from modelward.analyses.results import CheckResult

__all__ = [
    "CheckResult",
    "analyse_drift",
    "analyse_health",
    "analyse_latency",
    "analyse_multivariate",
    "analyse_performance",
    "run_check",
    "verdict",
]

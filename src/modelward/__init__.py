"""modelward: watch the behaviour of a production ML system from its prediction log.

The public API is re-exported here; everything else is private.
"""

from __future__ import annotations

from modelward._api import check, read_policy, save_check, summarise
from modelward._diff_api import diff
from modelward._exceptions import (
    ConfigError,
    LogError,
    LogFormatError,
    LogNotFoundError,
    LogSchemaError,
    ModelwardError,
    ModelwardWarning,
    PolicyError,
    SimulationError,
    StoreError,
)
from modelward._triage_api import triage
from modelward.analyses.results import CheckResult
from modelward.engine import Summaries
from modelward.io import PredictionLog, describe, read_log
from modelward.io.columns import ColumnRoles
from modelward.simulate import inject, simulate
from modelward.store import Store

__version__ = "0.1.0"

__all__ = [
    "CheckResult",
    "ColumnRoles",
    "ConfigError",
    "LogError",
    "LogFormatError",
    "LogNotFoundError",
    "LogSchemaError",
    "ModelwardError",
    "ModelwardWarning",
    "PolicyError",
    "PredictionLog",
    "SimulationError",
    "Store",
    "StoreError",
    "Summaries",
    "__version__",
    "check",
    "describe",
    "diff",
    "inject",
    "read_log",
    "read_policy",
    "save_check",
    "simulate",
    "summarise",
    "triage",
]

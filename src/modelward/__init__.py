"""modelward: watch the behaviour of a production ML system from its prediction log.

The public API is re-exported here; everything else is private.
"""

from __future__ import annotations

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
from modelward.io.columns import ColumnRoles

__version__ = "0.1.0"

__all__ = [
    "ColumnRoles",
    "ConfigError",
    "LogError",
    "LogFormatError",
    "LogNotFoundError",
    "LogSchemaError",
    "ModelwardError",
    "ModelwardWarning",
    "PolicyError",
    "SimulationError",
    "StoreError",
    "__version__",
]

"""Readers of the prediction log, its column roles and its validation.

Examples
--------
>>> import datetime as dt, pyarrow as pa
>>> log = read_log(pa.table({"prediction_id": ["a"], "timestamp": [dt.datetime(2026, 1, 1)],
...                          "prediction": [0.7]}))
>>> log.task, describe(log).rows
('regression', 1)
"""

from __future__ import annotations

from modelward.io.columns import ColumnRoles, load_config, parse_col_options
from modelward.io.log import Feature, PredictionLog
from modelward.io.profile import LogProfile, describe
from modelward.io.reader import read_log
from modelward.io.validate import reference_window

__all__ = [
    "ColumnRoles",
    "Feature",
    "LogProfile",
    "PredictionLog",
    "describe",
    "load_config",
    "parse_col_options",
    "read_log",
    "reference_window",
]

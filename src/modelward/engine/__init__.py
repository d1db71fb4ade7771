"""The engine: one scan of a prediction log -> mergeable summaries."""

from __future__ import annotations

from modelward.engine.base import ENGINES, Engine, get_engine
from modelward.engine.edges import log_bin_numpy, log_bin_sql
from modelward.engine.summaries import Bins, Summaries, SummariesMeta

__all__ = [
    "ENGINES",
    "Bins",
    "Engine",
    "Summaries",
    "SummariesMeta",
    "get_engine",
    "log_bin_numpy",
    "log_bin_sql",
]

"""The engine protocol, and the one place an engine is chosen.

Examples
--------
>>> get_engine().name
'duckdb'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from modelward._exceptions import ConfigError
from modelward.engine.summaries import Bins, Summaries
from modelward.io.log import PredictionLog

__all__ = ["ENGINES", "Engine", "get_engine"]

#: Names of the available engines.
ENGINES: tuple[str, ...] = ("duckdb", "spark")


class Engine(Protocol):
    """Something that turns a prediction log into :class:`Summaries` in one scan."""

    name: str

    def summarise(
        self,
        log: PredictionLog,
        *,
        reference_end: str | date | datetime | None = None,
        reference_start: str | date | datetime | None = None,
        reference: PredictionLog | None = None,
        bucket: str = "day",
        numeric_bins: int = 20,
        max_categories: int = 50,
        score_bins: int = 1000,
        sample_size: int = 500,
        latency_accuracy: float = 0.01,
        bins: Bins | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Summaries:
        """Summarise ``log`` (see ``docs/summaries.md``).

        ``reference_end`` (a date is inclusive of that day) and ``reference_start``
        mark the reference window inside ``log``; ``reference`` is a separate
        reference log instead. Without either, every row is ``current`` and the
        bins come from the whole log. ``bins`` (e.g. ``other.meta.bins``) reuses
        fixed edges and categories so the result merges with ``other``.
        """
        ...


def get_engine(name: str = "duckdb") -> Engine:
    """The engine called ``name``."""
    if name == "duckdb":
        from modelward.engine.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    if name == "spark":
        try:
            from modelward.engine.spark_engine import SparkEngine
        except ImportError as exc:
            raise ConfigError(
                "The spark engine needs PySpark: pip install 'modelward[spark]'."
            ) from exc
        return SparkEngine()
    raise ConfigError(f"Unknown engine {name!r}. Engines: {', '.join(ENGINES)}.")

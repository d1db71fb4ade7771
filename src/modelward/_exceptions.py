"""Every exception and warning modelward raises.

The tree::

    ModelwardError                 base of everything raised on purpose
    ├── ConfigError                bad parameter, role mapping or config file (also ValueError)
    ├── LogError                   a prediction log cannot be used
    │   ├── LogNotFoundError       file, folder or glob matches nothing
    │   ├── LogFormatError         not Parquet/CSV, corrupt, unreadable
    │   └── LogSchemaError         missing column, wrong type, bad values, empty window
    ├── PolicyError                bad policy file
    ├── StoreError                 the store cannot be read or written
    └── SimulationError            a simulation or injection cannot be done as asked

    ModelwardWarning               degenerate statistic, too little data

Errors about a log name the file, the column and the first offending row, so a
person can go straight to the problem. Interfaces map ``ModelwardError`` to exit
code 2.
"""

from __future__ import annotations

__all__ = [
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
]


class ModelwardError(Exception):
    """Base class of every error modelward raises on purpose."""


class ConfigError(ModelwardError, ValueError):
    """A parameter, column-role mapping or configuration file is invalid."""


class LogError(ModelwardError):
    """A prediction log cannot be used.

    Parameters
    ----------
    problem
        What is wrong, in plain words.
    source
        The file, folder or object the log came from.
    column
        The column at fault, if one is.
    row
        The 0-based row number of the first offending row, if known.
    value
        The first offending value, if known.

    Examples
    --------
    >>> str(LogSchemaError("score outside [0, 1]", source="log.csv", column="score",
    ...                    row=7, value=1.5))
    "log.csv: column 'score', row 7 (value 1.5): score outside [0, 1]"
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: object = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.column = column
        self.row = row
        self.value = value
        super().__init__(self._format())

    def _format(self) -> str:
        where: list[str] = []
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            row = f"row {self.row}"
            if self.value is not None:
                row += (
                    f" (value {self.value!r})"
                    if isinstance(self.value, str)
                    else (f" (value {self.value})")
                )
            where.append(row)
        head = self.source or "<log>"
        if where:
            head += ": " + ", ".join(where)
        return f"{head}: {self.problem}"


class LogNotFoundError(LogError, FileNotFoundError):
    """The file, folder or glob of a log matches nothing."""


class LogFormatError(LogError):
    """The log is not a readable Parquet or CSV file (or is corrupt)."""


class LogSchemaError(LogError):
    """The log's columns or values break the prediction-log contract."""


class PolicyError(ModelwardError):
    """A policy file is invalid."""


class StoreError(ModelwardError):
    """The store cannot be read or written."""


class SimulationError(ModelwardError):
    """A simulation or fault injection cannot be done as asked."""


class ModelwardWarning(UserWarning):
    """A statistic is degenerate or rests on too little data."""

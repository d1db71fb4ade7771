"""Column roles of the prediction log (the public contract of DESIGN.md).

A role is what a column *means* (the label, the score); the column name is
what a given log calls it. Every role has a default name and can be remapped
with ``--col role=name`` or a ``modelward.yaml`` holding a ``columns:`` mapping.

Examples
--------
>>> roles = ColumnRoles.from_mapping({"label": "is_fraud"})
>>> roles.label, roles.score
('is_fraud', 'score')
>>> parse_col_options(["label=is_fraud", "time=ts"])
{'label': 'is_fraud', 'time': 'ts'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

from modelward._exceptions import ConfigError

__all__ = [
    "DEFAULT_COLUMNS",
    "REQUIRED_ROLES",
    "ColumnRoles",
    "load_config",
    "parse_col_options",
]

#: Role -> default column name.
DEFAULT_COLUMNS: dict[str, str] = {
    "id": "prediction_id",
    "time": "timestamp",
    "model_version": "model_version",
    "score": "score",
    "prediction": "prediction",
    "label": "label",
    "label_time": "label_timestamp",
    "latency": "latency_ms",
    "label_source": "label_source",
}

#: Roles a log must have.
REQUIRED_ROLES: tuple[str, ...] = ("id", "time", "prediction")


@dataclass(frozen=True)
class ColumnRoles:
    """The column name of each role.

    Optional roles whose column is absent from a log are resolved to ``None``
    by :meth:`resolve`.
    """

    id: str | None = DEFAULT_COLUMNS["id"]
    time: str | None = DEFAULT_COLUMNS["time"]
    model_version: str | None = DEFAULT_COLUMNS["model_version"]
    score: str | None = DEFAULT_COLUMNS["score"]
    prediction: str | None = DEFAULT_COLUMNS["prediction"]
    label: str | None = DEFAULT_COLUMNS["label"]
    label_time: str | None = DEFAULT_COLUMNS["label_time"]
    latency: str | None = DEFAULT_COLUMNS["latency"]
    label_source: str | None = DEFAULT_COLUMNS["label_source"]

    @classmethod
    def role_names(cls) -> tuple[str, ...]:
        """All role names, in contract order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str | None] | None = None) -> ColumnRoles:
        """Defaults overridden by ``mapping`` (role -> column name).

        Raises
        ------
        ConfigError
            If a key is not a role.
        """
        mapping = dict(mapping or {})
        known = set(cls.role_names())
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ConfigError(
                f"Unknown column role {unknown[0]!r}. Roles are: {', '.join(cls.role_names())}."
            )
        for role, column in mapping.items():
            if column is not None and (not isinstance(column, str) or not column):
                raise ConfigError(
                    f"The column for role {role!r} must be a non-empty string. Got {column!r}."
                )
        return replace(cls(), **mapping)

    def as_dict(self) -> dict[str, str | None]:
        """Role -> column name (``None`` for an absent optional role)."""
        return {name: getattr(self, name) for name in self.role_names()}

    def resolve(self, columns: Iterable[str]) -> ColumnRoles:
        """These roles with every optional role whose column is absent set to ``None``.

        Required roles are kept as they are; the reader reports them missing.
        """
        present = set(columns)
        update = {
            role: None
            for role, column in self.as_dict().items()
            if role not in REQUIRED_ROLES and column is not None and column not in present
        }
        return replace(self, **update)

    def role_columns(self) -> set[str]:
        """Names of the columns that hold a role (not features)."""
        return {c for c in self.as_dict().values() if c is not None}


def parse_col_options(options: Iterable[str]) -> dict[str, str]:
    """Parse repeated ``role=name`` options into a mapping.

    Raises
    ------
    ConfigError
        If an option is not of the form ``role=name`` or names an unknown role.
    """
    mapping: dict[str, str] = {}
    for option in options:
        role, sep, name = option.partition("=")
        role, name = role.strip(), name.strip()
        if not sep or not role or not name:
            raise ConfigError(f"A column option must look like role=name. Got {option!r} instead.")
        mapping[role] = name
    ColumnRoles.from_mapping(mapping)  # validates the role names
    return mapping


def load_config(path: str | Path) -> dict[str, object]:
    """Read a ``modelward.yaml`` file.

    Recognised keys: ``columns`` (role -> column name), ``segments`` (list of
    column names), ``features`` (list of column names to monitor; default all).

    Raises
    ------
    ConfigError
        If the file cannot be read or has the wrong shape.
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: a config file must be a mapping at the top level.")
    allowed = {"columns", "segments", "features", "categorical"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{p}: unknown key {unknown[0]!r}. Known keys: {', '.join(sorted(allowed))}."
        )
    columns = data.get("columns", {})
    if not isinstance(columns, dict):
        raise ConfigError(f"{p}: 'columns' must be a mapping of role: column_name.")
    try:
        ColumnRoles.from_mapping(columns)
    except ConfigError as exc:
        raise ConfigError(f"{p}: columns: {exc}") from exc
    for key in ("segments", "features", "categorical"):
        value = data.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise ConfigError(f"{p}: '{key}' must be a list of column names.")
    return dict(data)

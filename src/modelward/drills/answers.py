"""A learner's answer to a drill: the Pydantic model, YAML loading and constraint parsing.

An answers file (``answers.yaml``)::

    cause: label_noise              # one of the causes of DESIGN.md, or none
    onset: 2026-01-16               # first affected day (omit for none)
    segment: null                   # {country: US}, "country=US", or null for all traffic
    features: []                    # features involved
    containment: quarantine_labels  # an action id (see modelward.drills.catalogue.ACTIONS)
    rollback_trigger:               # one constraint, in the policy syntax of docs/gates.md
      metric: accuracy
      max_drop: 0.03
    monitoring:                     # one or more constraints
      - {metric: accuracy, max_drop: 0.03}
    elapsed_seconds: 300            # optional: time the learner took

Constraints may also be written as YAML text (``"{metric: recall, min: 0.5}"``).

Examples
--------
>>> a = parse_answers("cause: data_gap\\nsegment: country=US\\ncontainment: restore_feed\\n"
...                   "monitoring: [{metric: volume, min: 100, for_each: country}]\\n")
>>> a.segment, constraints_of(a.monitoring, where="monitoring")[0].label
({'country': 'US'}, 'volume >= 100 per country')
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from modelward._exceptions import ConfigError, PolicyError
from modelward.analyses.policy import Constraint
from modelward.drills.catalogue import ACTIONS, CAUSES

__all__ = ["Answers", "constraints_of", "load_answers", "parse_answers", "parse_constraint"]


def _as_mapping(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise PolicyError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(value, dict):
        raise PolicyError(
            f"{where}: a constraint must be a mapping such as "
            f"{{metric: recall, min: 0.5}}, not {type(value).__name__}"
        )
    return value


def parse_constraint(value: Any, *, where: str = "constraint") -> Constraint:
    """One constraint (a mapping or YAML text) validated by the policy model.

    Raises
    ------
    PolicyError
        Naming ``where`` and the key path of the first problem.
    """
    data = _as_mapping(value, where)
    try:
        return Constraint.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function"))
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise PolicyError(f"{where}{'.' + loc if loc else ''}: {msg}") from None


def constraints_of(values: list[Any], *, where: str) -> list[Constraint]:
    """Parse a list of constraints (a ``{constraints: [...]}`` policy item is unwrapped)."""
    out: list[Constraint] = []
    for i, v in enumerate(values):
        item = _as_mapping(v, f"{where}[{i}]")
        inner = item.get("constraints")
        if isinstance(inner, list) and set(item) <= {"constraints", "triggers", "name"}:
            out += constraints_of(inner, where=f"{where}[{i}].constraints")
        else:
            out.append(parse_constraint(item, where=f"{where}[{i}]"))
    return out


class Answers(BaseModel):
    """A learner's structured answer."""

    model_config = ConfigDict(extra="forbid")

    cause: str
    onset: date | None = None
    segment: dict[str, str] | None = None
    features: list[str] = Field(default_factory=list)
    containment: str = "none_needed"
    rollback_trigger: dict[str, Any] | None = None
    monitoring: list[dict[str, Any]] = Field(default_factory=list)
    elapsed_seconds: float | None = Field(default=None, ge=0)

    @field_validator("cause")
    @classmethod
    def _known_cause(cls, v: str) -> str:
        v = v.strip().lower().replace("-", "_").replace(" ", "_")
        if v not in CAUSES:
            raise ValueError(f"unknown cause {v!r}; causes: {', '.join(CAUSES)}")
        return v

    @field_validator("containment")
    @classmethod
    def _known_action(cls, v: str) -> str:
        v = v.strip().lower().replace("-", "_").replace(" ", "_")
        if v not in ACTIONS:
            raise ValueError(f"unknown action {v!r}; actions: {', '.join(ACTIONS)}")
        return v

    @field_validator("segment", mode="before")
    @classmethod
    def _segment(cls, v: Any) -> Any:
        if isinstance(v, str):
            text = v.strip()
            if text.lower() in ("", "none", "all", "null"):
                return None
            if "=" not in text:
                raise ValueError(f"a segment is 'column=value'; got {text!r}")
            col, val = text.split("=", 1)
            return {col.strip(): val.strip()}
        return v

    @field_validator("features", mode="before")
    @classmethod
    def _features(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str):
            return [f.strip() for f in v.split(",") if f.strip() and f.strip().lower() != "none"]
        return v

    @field_validator("rollback_trigger", mode="before")
    @classmethod
    def _trigger(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return _as_mapping(v, "rollback_trigger")

    @field_validator("monitoring", mode="before")
    @classmethod
    def _monitoring(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str | dict):
            v = [v]
        return [_as_mapping(x, f"monitoring[{i}]") for i, x in enumerate(v)]

    def check_constraints(self, *, source: str = "answers") -> None:
        """Validate the rollback trigger and monitoring constraints (raise ``PolicyError``)."""
        if self.rollback_trigger is not None:
            parse_constraint(self.rollback_trigger, where=f"{source}, rollback_trigger")
        constraints_of(self.monitoring, where=f"{source}, monitoring")


def parse_answers(text: str, *, source: str = "<answers>") -> Answers:
    """Parse and validate answers from YAML text (constraints included).

    Raises
    ------
    ConfigError
        Bad YAML, or a bad field, naming ``source`` and the key.
    PolicyError
        A constraint that the policy model rejects.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: answers must be a mapping with at least a 'cause' key.")
    try:
        answers = Answers.model_validate(data)
    except PolicyError as exc:
        raise PolicyError(f"{source}, {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{source}, {loc}: {msg}") from None
    answers.check_constraints(source=source)
    return answers


def load_answers(path: str | Path) -> Answers:
    """Read an answers YAML file (see the module docstring)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the answers file: {exc.strerror}") from None
    return parse_answers(text, source=str(p))

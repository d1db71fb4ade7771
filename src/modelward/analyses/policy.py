"""The policy file: constraints a system must keep, validated with Pydantic.

A policy (``policy.yaml``, reference in ``docs/gates.md``)::

    name: fraud
    costs: {fp: 5, fn: 120, segment: country, by_segment: {BR: {fn: 300}}}
    triggers: {k: 3, horizon: 365}
    constraints:
      - metric: recall
        min: 0.6
        for_each: country
        min_samples: 50

A bad policy raises one :class:`~modelward.PolicyError` naming the file, the
line and the key path of the first problem, e.g.
``policy.yaml, line 7, constraints[0].min: Input should be a valid number``.
Line numbers come from yaml's composed node tree: the Pydantic error's
``loc`` is walked down the nodes to the offending value (or, for a missing
key, to the mapping that lacks it).

Examples
--------
>>> p = parse_policy("constraints:\\n  - metric: recall\\n    min: 0.5\\n", source="p.yaml")
>>> p.constraints[0].limit
('min', 0.5)
>>> try:
...     parse_policy("constraints:\\n  - metric: recall\\n    severity: panic\\n", source="p.yaml")
... except PolicyError as e:
...     print(e)
p.yaml, line 3, constraints[0].severity: Input should be 'block' or 'warn' (got 'panic')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from modelward._exceptions import ConfigError, PolicyError
from modelward.analyses.metrics import CostModel, parse_metric

__all__ = [
    "LIMIT_KINDS",
    "Constraint",
    "Policy",
    "TriggerSettings",
    "parse_policy",
]

#: The keys that set a constraint's limit; exactly one per constraint.
LIMIT_KINDS = ("min", "max", "max_drop", "max_rise")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Constraint(_Model):
    """One constraint: a metric, a limit, and how sure we must be."""

    name: str | None = None
    metric: str
    min: float | None = Field(default=None, description="Floor: the metric must be >= min.")
    max: float | None = Field(default=None, description="Ceiling (or the largest gap).")
    max_drop: float | None = Field(default=None, ge=0, description="candidate >= baseline - d.")
    max_rise: float | None = Field(default=None, ge=0, description="candidate <= baseline + d.")
    confidence: float = Field(default=0.95, gt=0, lt=1)
    min_samples: int = Field(default=30, ge=0)
    for_each: str | None = None
    gap_between: str | None = None
    severity: Literal["block", "warn"] = "block"

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        try:
            parse_metric(v)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _one_limit(self) -> Constraint:
        set_ = [k for k in LIMIT_KINDS if getattr(self, k) is not None]
        if len(set_) != 1:
            raise ValueError(
                "a constraint needs exactly one limit of min, max, max_drop, max_rise; "
                f"got {', '.join(set_) if set_ else 'none'}"
            )
        if self.for_each and self.gap_between:
            raise ValueError("for_each and gap_between cannot both be set")
        if self.gap_between and set_[0] != "max":
            raise ValueError("gap_between needs 'max' (the largest allowed gap)")
        return self

    @property
    def limit(self) -> tuple[str, float]:
        """``(kind, value)`` of the one limit set."""
        for k in LIMIT_KINDS:
            v = getattr(self, k)
            if v is not None:
                return k, float(v)
        raise AssertionError("validated constraint without a limit")  # pragma: no cover

    @property
    def relative(self) -> bool:
        """Whether the limit is relative to a baseline."""
        return self.limit[0] in ("max_drop", "max_rise")

    @property
    def label(self) -> str:
        """The name, or a readable default such as ``recall >= 0.6 per country``."""
        if self.name:
            return self.name
        kind, v = self.limit
        op = {"min": ">=", "max": "<=", "max_drop": "drop <=", "max_rise": "rise <="}[kind]
        text = f"{self.metric} {op} {v:g}"
        if self.for_each:
            text += f" per {self.for_each}"
        if self.gap_between:
            text = f"gap in {self.metric} between {self.gap_between} <= {v:g}"
        return text


class TriggerSettings(_Model):
    """Rollback-trigger settings: hysteresis and the look-every-day correction."""

    k: int = Field(default=3, ge=1, description="Consecutive failing windows to fire (and clear).")
    horizon: int = Field(default=365, ge=1, description="Windows looked at over the policy's life.")
    window: int = Field(default=1, ge=1, description="Buckets per live window.")


class Policy(_Model):
    """A policy: optional costs, trigger settings and a list of constraints."""

    version: Literal[1] = 1
    name: str | None = None
    costs: CostModel | None = None
    triggers: TriggerSettings = Field(default_factory=TriggerSettings)
    constraints: list[Constraint] = Field(min_length=1)

    @model_validator(mode="after")
    def _costs_present(self) -> Policy:
        for c in self.constraints:
            if c.metric == "expected_cost" and self.costs is None:
                raise ValueError("a constraint on expected_cost needs a 'costs' section")
        if self.costs is not None and self.costs.by_segment and not self.costs.segment:
            raise ValueError("costs.by_segment needs costs.segment (the segment column)")
        return self

    @property
    def segment_columns(self) -> list[str]:
        """Segment columns the policy needs summarised."""
        cols = {c.for_each or c.gap_between for c in self.constraints} - {None}
        if self.costs is not None and self.costs.segment:
            cols.add(self.costs.segment)
        return sorted(c for c in cols if c)


# ------------------------------------------------------------------ loading


def _loc_text(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the node at ``loc`` (or of the deepest existing parent)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    nxt = v
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            nxt = node.value[part]
        if nxt is None:
            break  # a missing key or a validator's own loc: report the parent
        node = nxt
        line = node.start_mark.line + 1
    return line


def _clean_loc(loc: Sequence[int | str]) -> list[int | str]:
    # Pydantic adds the function-validator name to some locs (e.g. "function-after[...]")
    return [p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function")))]


def parse_policy(text: str, *, source: str = "<policy>") -> Policy:
    """Parse and validate a policy from YAML text; raise one ``PolicyError`` if it is bad."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{source}{where}: not valid YAML: {problem}") from None
    if data is None:
        raise PolicyError(f"{source}: the policy is empty; it needs a 'constraints' list.")
    if not isinstance(data, dict):
        raise PolicyError(
            f"{source}, line 1: a policy must be a mapping with a 'constraints' list, "
            f"not a {type(data).__name__}."
        )
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = _clean_loc(first["loc"])
        line = _line_of(node, loc)
        msg = str(first["msg"]).removeprefix("Value error, ")
        if (
            "input" in first
            and first["type"] not in ("missing",)
            and not isinstance(first["input"], dict | list)
        ):
            msg += f" (got {first['input']!r})"
        more = f" ({len(errors) - 1} more problem(s) after this one)" if len(errors) > 1 else ""
        where = f", line {line}" if line is not None else ""
        raise PolicyError(f"{source}{where}, {_loc_text(loc)}: {msg}{more}") from None

"""Result models of triage: findings ordered by confidence, and the hypotheses ruled out.

:meth:`TriageResult.to_contract_json` gives exactly the public JSON of
``DESIGN.md`` (``{"findings": [...]}``); :meth:`TriageResult.model_dump`
keeps everything (ruled-out hypotheses, daily series for the report).

Examples
--------
>>> f = Finding(cause="data_gap", confidence=0.9, onset="2026-01-20T00:00:00Z",
...             segment={"country": "NG"}, features=[], evidence="NG share fell")
>>> TriageResult(findings=[f]).to_contract_json()["findings"][0]["cause"]
'data_gap'
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from modelward._causes import CAUSES as _ALL_CAUSES
from modelward._causes import Cause

__all__ = ["CAUSES", "Cause", "Finding", "RuledOut", "TriageEvent", "TriageResult"]


#: Every cause triage can name as a finding (``none`` is the absence of findings).
CAUSES: tuple[str, ...] = tuple(c for c in _ALL_CAUSES if c != "none")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TriageEvent(_Model):
    """An event from the events file (deploy, config change, ...)."""

    timestamp: str
    kind: str
    description: str


class Finding(_Model):
    """One ranked explanation of the degradation."""

    cause: Cause
    confidence: float = Field(ge=0.0, le=1.0)
    onset: str | None
    onset_interval: tuple[str, str] | None = None
    segment: dict[str, str] | None = None
    features: list[str] = Field(default_factory=list)
    evidence: str
    events: list[TriageEvent] = Field(default_factory=list)
    strength: float = 0.0
    series: dict[str, list[float]] = Field(default_factory=dict)

    def contract(self) -> dict[str, Any]:
        """The public JSON fields of one finding."""
        return {
            "cause": self.cause,
            "confidence": round(self.confidence, 4),
            "onset": self.onset,
            "onset_interval": list(self.onset_interval) if self.onset_interval else None,
            "segment": self.segment,
            "features": list(self.features),
            "evidence": self.evidence,
        }


class RuledOut(_Model):
    """A hypothesis triage rejected, and the evidence that rejected it."""

    cause: Cause
    evidence: str
    confidence: float = 0.0


class TriageResult(_Model):
    """Findings ordered by confidence, hypotheses ruled out, and the context."""

    findings: list[Finding] = Field(default_factory=list)
    ruled_out: list[RuledOut] = Field(default_factory=list)
    reference_end: str | None = None
    as_of: str | None = None
    days: list[str] = Field(default_factory=list)
    events: list[TriageEvent] = Field(default_factory=list)
    estimate: dict[str, Any] | None = None

    @property
    def top(self) -> Finding | None:
        """The most confident finding, or None for a healthy system."""
        return self.findings[0] if self.findings else None

    def to_contract_json(self) -> dict[str, Any]:
        """``{"findings": [...]}`` exactly as ``DESIGN.md`` specifies, plus ``ruled_out``."""
        return {
            "findings": [f.contract() for f in self.findings],
            "ruled_out": [{"cause": r.cause, "evidence": r.evidence} for r in self.ruled_out],
        }

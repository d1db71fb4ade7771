"""Triage: rank the causes of a degradation with evidence, from summaries only."""

from __future__ import annotations

from modelward.analyses.triage.results import CAUSES, Finding, RuledOut, TriageResult
from modelward.analyses.triage.run import run_triage

__all__ = ["CAUSES", "Finding", "RuledOut", "TriageResult", "run_triage"]

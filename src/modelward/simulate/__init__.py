"""Synthetic production ML systems with injected faults and recorded ground truth.

A system generator (four domains) plus fault injectors that work on any
prediction log in the contract, a user's real one too.

Examples
--------
>>> FAULTS[:3]
('covariate_drift', 'prior_shift', 'concept_drift')
>>> r = simulate(domain="fraud", fault="none", days=6, rows_per_day=50, seed=0)
>>> r.truth["cause"], r.log.num_rows > 200
('none', True)
"""

from __future__ import annotations

from modelward.simulate._api import SimulationResult, inject, simulate
from modelward.simulate._domains import DOMAINS
from modelward.simulate._faults import FAULTS

__all__ = ["DOMAINS", "FAULTS", "SimulationResult", "inject", "simulate"]

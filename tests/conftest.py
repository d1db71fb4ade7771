"""Hypothesis profiles for the suite.

``make test`` (and so CI) runs the ``default`` profile: derandomised, so a
run is reproducible and a pass on one machine is a pass on every machine.
Exploration is a deliberate act, not a side effect of CI: run
``HYPOTHESIS_PROFILE=explore make pytest`` (random seeds, a shared example
database) to hunt for new counter-examples, and pin what it finds with
``@example``.
"""

import os

from hypothesis import settings

settings.register_profile("default", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

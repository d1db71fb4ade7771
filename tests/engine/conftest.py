"""Fixtures of the engine tests (helpers live in engine_logs.py)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tests.engine.engine_logs import make_table


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return make_table(3000, seed=1)

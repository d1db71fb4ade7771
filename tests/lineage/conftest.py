"""Shared fixtures of the provenance tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelward.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "store.duckdb") as opened:
        yield opened

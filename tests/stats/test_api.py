"""The public surface of modelward.stats."""

from __future__ import annotations

import types

import modelward.stats as mstats


def test_all_is_sorted_and_complete() -> None:
    # isort-style order (constants, then classes, then functions), as ruff keeps it
    def key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert mstats.__all__ == sorted(mstats.__all__, key=key)
    public = {
        n
        for n, v in vars(mstats).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
    } - {"annotations"}
    assert set(mstats.__all__) == public

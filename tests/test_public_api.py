"""The public surface is explicit: ``__all__`` is sorted and names exactly what is exported."""

from __future__ import annotations

import importlib

import pytest

import modelward

PACKAGES = [
    "modelward",
    "modelward.analyses",
    "modelward.engine",
    "modelward.io",
    "modelward.lineage",
    "modelward.report",
    "modelward.simulate",
    "modelward.stats",
    "modelward.store",
]


def _isort_key(name: str) -> tuple[int, str]:
    # the order ruff (RUF022) keeps: constants, then classes, then functions
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_isort_key)
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr!r} but it is missing"


def test_root_exports_every_public_name() -> None:
    public = {n for n in vars(modelward) if not n.startswith("_")}
    modules = {n for n, v in vars(modelward).items() if type(v).__name__ == "module"}
    assert public - modules - {"annotations"} == set(modelward.__all__) - {"__version__"}

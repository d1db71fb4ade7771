"""The public surface of modelward.report and the layering it keeps."""

from __future__ import annotations

import ast
from pathlib import Path

import modelward.report as report

SRC = Path(report.__file__).parent


def test_all_sorted_and_resolves() -> None:
    assert list(report.__all__) == sorted(report.__all__)
    for name in report.__all__:
        assert hasattr(report, name)


def test_imports_stay_in_layer() -> None:
    allowed = ("modelward.analyses", "modelward.report", "modelward._exceptions")
    for path in SRC.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("modelward")
            ):
                assert node.module.startswith(allowed), (path.name, node.module)

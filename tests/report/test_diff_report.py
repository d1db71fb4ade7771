"""Renderers of the retraining diff: self-contained HTML, Markdown, text, files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from plotly.offline import get_plotlyjs

from modelward._diff_api import diff
from modelward.analyses.diff import DiffResult
from modelward.report.diff import (
    DIFF_SECTIONS,
    render_diff_html,
    render_diff_markdown,
    render_diff_text,
    write_diff_report,
)
from modelward.simulate import simulate

EVIL = "<script>alert(1)</script>|*"


@pytest.fixture(scope="module")
def paired() -> DiffResult:
    r = simulate(domain="content_moderation", days=5, rows_per_day=400, seed=9)
    log = r.log
    lang = np.array(log["language"].to_pylist(), dtype=object)
    lang[lang == "fr"] = EVIL
    log = log.set_column(log.schema.get_field_index("language"), "language", pa.array(lang))
    rng = np.random.default_rng(1)
    s = np.clip(log["score"].to_numpy() + rng.normal(0, 0.2, log.num_rows), 0, 1)
    thr = float(r.truth["serving_threshold"])  # type: ignore[arg-type]
    cand = log.set_column(log.schema.get_field_index("score"), "score", pa.array(s))
    cand = cand.set_column(
        cand.schema.get_field_index("prediction"), "prediction", pa.array((s >= thr).astype(int))
    )
    return diff(log, cand, segments=["language"])


@pytest.fixture(scope="module")
def independent() -> DiffResult:
    a = simulate(domain="content_moderation", days=5, rows_per_day=300, seed=1).log
    b = simulate(domain="content_moderation", days=5, rows_per_day=300, seed=2).log
    return diff(a, b)


def test_html_is_self_contained_with_every_section(paired: DiffResult) -> None:
    page = render_diff_html(paired)
    assert page.startswith("<!DOCTYPE html>")
    for sid, _ in DIFF_SECTIONS:
        assert f'<section id="{sid}">' in page
    js = get_plotlyjs()
    assert page.count(js) == 1
    assert page.index(js) < page.index("</head>")
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    rest = page.replace(js, "")
    assert "http://" not in rest
    assert "https://" not in rest
    assert page.count("Plotly.newPlot") == 1  # the one loader
    assert page.count('data-figure="fig-') == 4  # flips, bands, deltas, score
    assert EVIL not in page  # escaped everywhere, in tables and in figure JSON
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markdown_reports_flips_deltas_and_escapes(paired: DiffResult) -> None:
    md = render_diff_markdown(paired)
    assert "## What changed since the last version" in md
    assert "## Prediction flips" in md
    assert "| accuracy |" in md
    assert "Newcombe paired" in md
    assert "<script>" not in md


def test_independent_mode_shows_drift_and_no_flips(independent: DiffResult) -> None:
    md = render_diff_markdown(independent)
    assert "## Input data drift" in md
    assert "## Prediction flips" not in md
    assert "too few to pair" in md
    page = render_diff_html(independent)
    assert "share too few ids" in page


def test_text_and_files(paired: DiffResult, tmp_path: Path) -> None:
    text = render_diff_text(paired)
    assert "What changed since the last version:" in text
    paths = write_diff_report(paired, tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == ["diff.html", "diff.json", "diff.md"]
    again = DiffResult.model_validate_json(paths["json"].read_text())
    assert again == paired

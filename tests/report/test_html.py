"""Self-contained HTML: no network, Plotly once, every section, data escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs

from modelward.analyses.results import CheckResult
from modelward.report import SECTIONS, render_html, write_html

from .conftest import HOSTILE

FIGURE = re.compile(r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def page() -> str:
    from .conftest import make_result

    return render_html(make_result())


def figures(page: str) -> dict[str, dict[str, Any]]:
    return {fid: json.loads(spec) for fid, spec in FIGURE.findall(page)}


def without_plotly(page: str) -> str:
    return page.replace(get_plotlyjs(), "")


def test_plotly_inlined_once_in_head(page: str) -> None:
    js = get_plotlyjs()
    assert page.count(js) == 1
    assert page.index(js) < page.index("</head>")


def test_no_external_resources(page: str) -> None:
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    assert "@import" not in page
    rest = without_plotly(page)
    assert "http://" not in rest
    assert "https://" not in rest
    assert not re.search(r"url\(", rest)


def test_every_section_present(page: str, minimal: CheckResult) -> None:
    small = render_html(minimal)
    for sid, _ in SECTIONS:
        assert page.count(f'<section id="{sid}">') == 1, sid
        assert small.count(f'<section id="{sid}">') == 1, sid
        assert f'href="#{sid}"' in page or sid == "header"


def test_every_figure_is_valid_and_drawn(page: str) -> None:
    specs = figures(page)
    assert len(specs) == 12  # day of week beside volume; header, verdict, health have none
    for fid, spec in specs.items():
        assert f'<div class="plot" id="{fid}"></div>' in page
        assert spec["data"], fid
    assert "Plotly.newPlot" in page


def _section(page: str, sid: str) -> str:
    start = page.index(f'<section id="{sid}">')
    return page[start : page.index("</section>", start)]


def test_heatmap_holds_features_by_buckets(page: str, result: CheckResult) -> None:
    ((spec,),) = [list(figures(_section(page, "drift-heatmap")).values())]
    (heat,) = spec["data"]
    n_buckets = len({c.bucket for c in result.drift.heatmap})
    assert len(heat["z"]) == len(result.features)
    assert all(len(row) == n_buckets for row in heat["z"])
    drifted = next(f.feature for f in result.drift.features if f.drifted)
    assert heat["y"][0] == drifted  # drifted first
    psi = {(c.feature, c.bucket.isoformat()): c.psi for c in result.drift.heatmap}
    buckets = heat["x"]
    for i, name in enumerate(heat["y"]):
        for j, b in enumerate(buckets):
            assert heat["z"][i][j] == psi[(name, b)]


def test_drilldown_has_every_distribution(page: str, result: CheckResult) -> None:
    specs = figures(_section(page, "drift-features"))
    (spec,) = specs.values()
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    names = [d.feature for d in result.drift.distributions if d.kind in ("numeric", "categorical")]
    assert sorted(b["label"] for b in buttons) == sorted(names)
    assert len(spec["data"]) == 2 * len(names)
    for k, b in enumerate(buttons):  # each button shows its own reference/current pair
        assert [i for i, v in enumerate(b["args"][0]["visible"]) if v] == [2 * k, 2 * k + 1]


def test_performance_bands_and_reference(page: str, result: CheckResult) -> None:
    (spec,) = figures(_section(page, "performance")).values()
    assert result.performance is not None
    assert result.performance.reference is not None
    first = spec["layout"]["updatemenus"][0]["buttons"][0]["label"]
    assert first == "recall"  # degraded metric first
    ref = result.performance.reference.metrics["recall"].value
    lines = [t for t in spec["data"] if t.get("name") == "reference" and t.get("visible")]
    assert lines[0]["y"] == [ref, ref]
    assert any(t.get("fill") == "tonexty" for t in spec["data"])


def test_latency_and_confusion(page: str, result: CheckResult) -> None:
    assert result.performance is not None
    assert result.performance.current.confusion is not None
    (lat,) = figures(_section(page, "latency")).values()
    assert [t["name"] for t in lat["data"] if not t["name"].startswith("reference")] == [
        "p50",
        "p95",
        "p99",
    ]
    (conf,) = figures(_section(page, "confusion")).values()
    c = result.performance.current.confusion
    assert conf["data"][0]["z"] == [[c["tn"], c["fp"]], [c["fn"], c["tp"]]]


def test_data_strings_escaped(hostile: CheckResult) -> None:
    page = render_html(hostile)
    assert HOSTILE not in page
    assert "alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<td>c&amp;d</td>" in page
    for spec in figures(page).values():  # the JSON blocks parse, names stay escaped for Plotly
        assert HOSTILE not in json.dumps(spec)


def test_minimal_renders_notes(minimal: CheckResult, tmp_path: Path) -> None:
    path = write_html(minimal, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    assert figures(page) == {}
    assert page.count("Not computed: no labelled rows.") == 4
    assert "No findings." in page

"""HTML of the dashboard: a page shell, cards, tables and embedded Plotly figures.

Everything here renders models already computed and stored; nothing computes a
statistic. All text from the store is HTML-escaped; figures are embedded as
JSON the way :mod:`modelward.report.html` does it (``<``, ``>``, ``&``
escaped, drawn by one loader), with Plotly served by the app itself from the
installed package (``/static/plotly.js``), so pages work offline.

Examples
--------
>>> html = page("Home", "<p>hi <b>there</b></p>", nav=[("Home", "/")])
>>> html.startswith("<!DOCTYPE html>"), 'src="/static/plotly.js"' in html, "cdn" in html
(True, True, False)
>>> table(["a"], [["<x>"]])
'<table><tr><th>a</th></tr><tr><td>&lt;x&gt;</td></tr></table>'
"""

from __future__ import annotations

import math
from collections.abc import Callable, MutableMapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

import plotly.graph_objects as go
import plotly.io as pio

from modelward.lineage.graph import Edge, Node
from modelward.report.html import CSS, LOADER, json_for_script

__all__ = ["Figures", "e", "fmt", "lineage_svg", "page", "section", "table", "url"]

_EXTRA_CSS = """
header.top { background:#24292f; color:#fff; padding:8px 24px; display:flex; gap:18px;
  align-items:center; flex-wrap:wrap; }
header.top a { color:#fff; text-decoration:none; } header.top a.brand { font-weight:700; }
header.top a.here { text-decoration:underline; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(280px,1fr)); gap:12px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px; background:var(--panel); }
.card h3 { margin:0 0 6px; font-size:16px; }
.pill { display:inline-block; border-radius:10px; padding:1px 8px; font-size:11px; color:#fff;
  font-weight:700; text-transform:uppercase; }
.pill-ok { background:var(--ok); } .pill-alert, .pill-critical { background:var(--crit); }
.pill-warning { background:var(--warn); } .pill-info, .pill-none { background:var(--muted); }
.na { color:var(--muted); font-style:italic; border:1px dashed var(--line); padding:8px;
  border-radius:6px; }
svg.lineage a:hover rect { stroke:#0969da; stroke-width:2; }
"""


def e(text: object) -> str:
    """HTML-escape any value."""
    return escape(str(text), quote=True)


def url(*parts: str, **query: str | None) -> str:
    """A same-site URL from escaped path parts and query parameters.

    Examples
    --------
    >>> url("systems", "a b", "runs", a="x&y")
    '/systems/a%20b/runs?a=x%26y'
    """
    path = "/" + "/".join(quote(p, safe="") for p in parts)
    q = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items() if v is not None)
    return path + ("?" + q if q else "")


def fmt(value: object, digits: int = 4) -> str:
    """A number for a table (``-`` when missing), a date as YYYY-MM-DD HH:MM."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if not math.isfinite(value) else f"{value:.{digits}g}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}" if value.hour or value.minute else f"{value:%Y-%m-%d}"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[object]], *, raw: bool = False) -> str:
    """A table; cells are escaped unless ``raw`` (for cells with links built here)."""
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if raw else e(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def section(sid: str, title: str, content: str) -> str:
    """A titled section."""
    return f'<section id="{e(sid)}"><h2>{e(title)}</h2>{content}</section>'


def not_available(what: str) -> str:
    """The "not available yet" note of a section with nothing stored."""
    return f'<p class="na">{e(what)}</p>'


class Figures:
    """Embeds figures in one page, numbered, the way the report embeds them.

    With a ``cache`` (a mapping kept across requests), :meth:`lazy` figures are
    built and serialised once per key (keys name an immutable run), so a page
    over a run already seen skips Plotly entirely.

    Examples
    --------
    >>> cache: dict[str, str | None] = {}
    >>> figs = Figures(cache)
    >>> block = figs.lazy("run1:bar", lambda: go.Figure(go.Bar(y=[1])), "none")
    >>> 'id="fig-1"' in block, list(cache)
    (True, ['run1:bar'])
    >>> Figures(cache).lazy("run1:bar", lambda: 1 / 0, "none") == block  # not rebuilt
    True
    """

    def __init__(self, cache: MutableMapping[str, str | None] | None = None) -> None:
        self._n = 0
        self._cache = cache

    def _block(self, spec: str | None, note: str) -> str:
        if spec is None:
            return not_available(note)
        self._n += 1
        fid = f"fig-{self._n}"
        return (
            f'<div class="plot" id="{fid}"></div>\n'
            f'<script type="application/json" data-figure="{fid}">{spec}</script>'
        )

    def add(self, fig: go.Figure | None, note: str) -> str:
        """The figure's block, or ``note`` when there is nothing to plot."""
        return self._block(None if fig is None else _spec(fig), note)

    def lazy(self, key: str, build: Callable[[], go.Figure | None], note: str) -> str:
        """Like :meth:`add`, with the figure's JSON cached under ``key``."""
        if self._cache is None:
            return self.add(build(), note)
        if key not in self._cache:
            fig = build()
            self._cache[key] = None if fig is None else _spec(fig)
        return self._block(self._cache[key], note)


def _spec(fig: go.Figure) -> str:
    """The figure as JSON safe inside a ``<script>`` block (as the report embeds it)."""
    raw: str = pio.to_json(fig, validate=False, pretty=False)
    return json_for_script(raw)


def page(title: str, body: str, *, nav: Sequence[tuple[str, str]], here: str = "") -> str:
    """The page shell: header navigation, content, Plotly and the figure loader."""
    items = [*nav, *([] if ("Drill", "/drill") in nav else [("Drill", "/drill")])]
    links = "".join(
        f'<a href="{e(href)}"{" class=here" if label == here else ""}>{e(label)}</a>'
        for label, href in items
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{e(title)} - modelward</title>\n<style>{CSS}{_EXTRA_CSS}</style>\n"
        '<script src="/static/plotly.js"></script>\n</head>\n<body>\n'
        f'<header class="top"><a class="brand" href="/">modelward</a>{links}</header>\n'
        f"<main>\n<h1>{e(title)}</h1>\n{body}\n</main>\n<script>{LOADER}</script>\n"
        "</body>\n</html>\n"
    )


# ------------------------------------------------------------------ lineage

_KIND_COLOR = {
    "source": "#ddf4ff",
    "dataset": "#dafbe1",
    "feature": "#fff8c5",
    "model": "#fbefff",
    "deployment": "#ffebe9",
}


def _depths(nodes: Sequence[Node], edges: Sequence[Edge]) -> dict[str, int]:
    """Longest-path depth from the sources (cycles are cut at the node count)."""
    depth = {n.node_id: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for ed in edges:
            if ed.src in depth and ed.dst in depth and depth[ed.dst] < depth[ed.src] + 1:
                depth[ed.dst] = depth[ed.src] + 1
                changed = True
        if not changed:
            break
    return depth


def lineage_svg(
    nodes: Sequence[Node], edges: Sequence[Edge], *, highlight: set[str], root: str | None
) -> str:
    """The graph as an inline SVG, columns by depth; every node links to its impact."""
    depth = _depths(nodes, edges)
    columns: dict[int, list[Node]] = {}
    for n in nodes:
        columns.setdefault(depth[n.node_id], []).append(n)
    w, h, gx, gy = 190, 34, 70, 18
    pos: dict[str, tuple[float, float]] = {}
    for d, col in columns.items():
        for i, n in enumerate(col):
            pos[n.node_id] = (20 + d * (w + gx), 20 + i * (h + gy))
    width = 40 + (max(columns, default=0) + 1) * (w + gx)
    height = 40 + max((len(c) for c in columns.values()), default=1) * (h + gy)
    parts = [
        f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#8b949e"/></marker></defs>',
    ]
    for ed in edges:
        if ed.src in pos and ed.dst in pos:
            (x1, y1), (x2, y2) = pos[ed.src], pos[ed.dst]
            hot = ed.src in highlight | ({root} if root else set()) and ed.dst in highlight
            parts.append(
                f'<line x1="{x1 + w}" y1="{y1 + h / 2}" x2="{x2}" y2="{y2 + h / 2}" '
                f'stroke="{"#cf222e" if hot else "#8b949e"}" stroke-width="{2 if hot else 1}" '
                f'marker-end="url(#arrow)"><title>{e(ed.kind)}</title></line>'
            )
    for n in nodes:
        x, y = pos[n.node_id]
        fill = _KIND_COLOR.get(n.kind, "#f6f8fa")
        thick = 2 if n.node_id in highlight or n.node_id == root else 1
        stroke = (
            "#cf222e" if n.node_id in highlight else ("#0969da" if n.node_id == root else "#57606a")
        )
        label = n.name + (f"@{n.version}" if n.version else "")
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<a href="{e(url("lineage", node=n.node_id))}" data-node="{e(n.node_id)}">'
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{thick}"/>'
            f'<text x="{x + 8}" y="{y + 14}" font-size="10" fill="#656d76">{e(n.kind)}</text>'
            f'<text x="{x + 8}" y="{y + 28}" font-size="12" fill="#1f2328">{e(short)}</text>'
            f"<title>{e(n.node_id)}</title></a>"
        )
    parts.append("</svg>")
    return "".join(parts)


def cell_link(text: str, href: str) -> str:
    """A link cell for :func:`table` with ``raw=True``."""
    return f'<a href="{e(href)}">{e(text)}</a>'


def pill(status: str) -> str:
    """A coloured status pill."""
    return f'<span class="pill pill-{e(status)}">{e(status)}</span>'


def kv(pairs: Sequence[tuple[str, Any]]) -> str:
    """A one-line ``key value`` summary."""
    return (
        '<p class="meta">'
        + " &middot; ".join(f"{e(k)} <b>{e(fmt(v))}</b>" for k, v in pairs)
        + "</p>"
    )

"""Look shared by every figure: colours, layout, menus, reference lines and interval bands.

Examples
--------
>>> import plotly.graph_objects as go
>>> fig = _layout(go.Figure(), height=200)
>>> fig.layout.height, fig.layout.template.layout.font.color is not None
(200, True)
>>> _t("<b>a & b</b>")
'&lt;b&gt;a &amp; b&lt;/b&gt;'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

import plotly.graph_objects as go

__all__ = ["ALERT_COLOR", "CURRENT_COLOR", "PALETTE", "REFERENCE_COLOR"]

REFERENCE_COLOR = "#8b949e"
CURRENT_COLOR = "#1f6feb"
ALERT_COLOR = "#cf222e"
PALETTE = ["#1f6feb", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#bc4c00", "#57606a"]
_FONT = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"


def _t(text: str) -> str:
    """Escape text from the data for Plotly labels."""
    return escape(text, quote=False)


def _layout(fig: Any, *, height: int = 340, **extra: Any) -> Any:
    settings: dict[str, Any] = {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "font": {"family": _FONT, "size": 12},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "hovermode": "x unified",
    }
    fig.update_layout(**(settings | extra))
    return fig


def _dropdown(
    labels: Sequence[str],
    visibility: Sequence[Sequence[bool]],
    titles: Sequence[str] | None = None,
) -> dict[str, Any]:
    buttons = []
    for i, (label, vis) in enumerate(zip(labels, visibility, strict=True)):
        args: list[dict[str, Any]] = [{"visible": list(vis)}]
        if titles is not None:
            args.append({"title.text": titles[i]})
        buttons.append({"label": label, "method": "update", "args": args})
    return {
        "buttons": buttons,
        "direction": "down",
        "x": 1.0,
        "xanchor": "right",
        "y": 1.18,
        "yanchor": "top",
        "showactive": True,
    }


def _hline(x: Sequence[datetime | None], y: float | None, name: str, color: str) -> go.Scatter:
    return go.Scatter(
        x=[x[0], x[-1]],
        y=[y, y],
        mode="lines",
        name=name,
        line={"color": color, "dash": "dash", "width": 1.5},
        hoverinfo="skip",
    )


def _band(
    x: Sequence[datetime | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    color: str,
    name: str,
) -> list[go.Scatter]:
    return [
        go.Scatter(
            x=list(x), y=list(high), mode="lines", line={"width": 0}, hoverinfo="skip",
            showlegend=False, legendgroup=name,
        ),
        go.Scatter(
            x=list(x), y=list(low), mode="lines", line={"width": 0}, fill="tonexty",
            fillcolor=color, name=name, hoverinfo="skip", legendgroup=name,
        ),
    ]  # fmt: skip

"""Colours, marker shapes and legend entries shared by the map pages and their JavaScript.

Colours are chosen for contrast: every marker colour is at least 4.5:1 against white and against the
page's pale map background, and hubs and spaces differ in shape as well as colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layers.taxonomy import HUB_KINDS, SPACE_KINDS

#: Shown behind the map, so boundaries and markers still read when base-map tiles cannot load.
MAP_BACKGROUND = "#eef0eb"


@dataclass(frozen=True)
class AreaStyle:
    """How an area boundary is drawn (Leaflet path options)."""

    color: str
    weight: float
    opacity: float
    fill_color: str
    fill_opacity: float

    def leaflet(self) -> dict[str, Any]:
        """The style as Leaflet path options."""
        return {
            "color": self.color,
            "weight": self.weight,
            "opacity": self.opacity,
            "fillColor": self.fill_color,
            "fillOpacity": self.fill_opacity,
        }


@dataclass(frozen=True)
class MarkerStyle:
    """How one kind of asset is marked, and its line in the legend."""

    key: str
    label: str
    description: str
    fill: str
    stroke: str
    shape: str  # "circle" or "square", drawn by CSS (.pm-marker--<key>)


WARD = AreaStyle(color="#3b4a6b", weight=1.5, opacity=0.9, fill_color="#7d8fb3", fill_opacity=0.08)
WARD_HOVER = AreaStyle(color="#1d2a45", weight=3, opacity=1, fill_color="#7d8fb3", fill_opacity=0.2)

HUB = MarkerStyle(
    key="hub",
    label="Community hub",
    description="libraries, community centres, halls, sports centres and schools",
    fill="#00695c",
    stroke="#ffffff",
    shape="circle",
)
SPACE = MarkerStyle(
    key="space",
    label="Space to use",
    description="empty shops and other spaces that could be used",
    fill="#a63c06",
    stroke="#ffffff",
    shape="square",
)
MARKERS: tuple[MarkerStyle, ...] = (HUB, SPACE)


def subtype_labels() -> dict[str, dict[str, str]]:
    """Plain-English names of hub and space kinds, for popups."""
    return {"hub": dict(HUB_KINDS), "space": dict(SPACE_KINDS)}


def js_styles() -> dict[str, Any]:
    """The styles the map's JavaScript needs, as JSON-ready data."""
    return {
        "ward": WARD.leaflet(),
        "wardHover": WARD_HOVER.leaflet(),
        "markers": {m.key: {"label": m.label, "fill": m.fill, "stroke": m.stroke} for m in MARKERS},
    }


def page_css() -> str:
    """CSS for the marker and legend colours, made from the styles above (so they are set in one place)."""
    rules = [f".pm-map.leaflet-container {{ background: {MAP_BACKGROUND}; }}"]
    for m in MARKERS:
        rules.append(
            f".pm-marker--{m.key}, .pm-swatch--{m.key} {{ background: {m.fill}; border-color: {m.stroke}; }}"
        )
    rules.append(
        f".pm-swatch--ward {{ border-color: {WARD.color}; background: {_rgba(WARD.fill_color, 0.18)}; }}"
    )
    return "\n".join(rules)


def _rgba(hex_colour: str, alpha: float) -> str:
    """'#rrggbb' with an alpha, as CSS rgba()."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"

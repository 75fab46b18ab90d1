"""Colours, marker shapes and legend entries shared by the map pages and their JavaScript.

Colours are chosen for contrast: every marker colour is at least 4.5:1 against white and against the
page's pale map background, and groups, hubs and spaces differ in shape as well as colour (diamond,
circle, square), so no one needs to tell the colours apart.
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
    shape: str  # "circle", "square" or "diamond", drawn by CSS (.pm-shape--<shape>)


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
GROUP = MarkerStyle(
    key="group",
    label="Group",
    description="clubs, charities and neighbours' groups that meet at a public place",
    fill="#6a1b9a",
    stroke="#ffffff",
    shape="diamond",
)
MARKERS: tuple[MarkerStyle, ...] = (HUB, SPACE)
#: The resident map's markers, in the order the legend lists them.
RESIDENT_MARKERS: tuple[MarkerStyle, ...] = (GROUP, HUB, SPACE)
#: Clusters of markers (a count in a circle) on the resident map.
CLUSTER_FILL = "#1d3557"
#: The outline of a selected marker, and of the search circle.
SELECTED = "#d4351c"


#: Short, plain names of group categories for lists and filters (the taxonomy holds the long descriptions).
CATEGORY_NAMES: dict[str, str] = {
    "advice-support": "Advice and support",
    "arts-culture": "Arts and culture",
    "children-families": "Children and families",
    "community-neighbourhood": "Community and neighbourhood",
    "disability": "Disability",
    "carers": "Carers",
    "education-skills": "Learning and skills",
    "environment": "Environment and gardening",
    "faith": "Faith",
    "food": "Food",
    "health-wellbeing": "Health and wellbeing",
    "heritage-history": "Heritage and history",
    "housing-homelessness": "Housing and homelessness",
    "mutual-aid": "Mutual aid",
    "older-people": "Older people",
    "sport-activity": "Sport and exercise",
    "volunteering": "Volunteering",
    "youth": "Young people",
}


def subtype_labels() -> dict[str, dict[str, str]]:
    """Plain-English names of hub and space kinds, for popups."""
    return {"hub": dict(HUB_KINDS), "space": dict(SPACE_KINDS)}


def resident_js_styles() -> dict[str, Any]:
    """The styles the resident map's JavaScript needs, as JSON-ready data."""
    return {
        "markers": {m.key: {"label": m.label, "shape": m.shape} for m in RESIDENT_MARKERS},
        "searchCircle": {
            "color": CLUSTER_FILL,
            "weight": 2,
            "opacity": 0.8,
            "fillOpacity": 0.04,
            "dashArray": "6 6",
        },
        "wardOutline": WARD.leaflet(),
    }


def resident_page_css() -> str:
    """CSS for the resident map's marker, cluster and legend colours, made from the styles above."""
    rules = [f".pm-map.leaflet-container {{ background: {MAP_BACKGROUND}; }}"]
    for m in RESIDENT_MARKERS:
        rules.append(f".pm-kind--{m.key} .pm-shape {{ background: {m.fill}; border-color: {m.stroke}; }}")
    rules.append(f".pm-cluster {{ background: {CLUSTER_FILL}; }}")
    rules.append(f".pm-marker.is-selected .pm-shape {{ box-shadow: 0 0 0 3px #fff, 0 0 0 6px {SELECTED}; }}")
    return "\n".join(rules)


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

"""Colours, marker shapes and legend entries shared by the map pages and their JavaScript.

Colours are chosen for contrast: every marker colour is at least 4.5:1 against white and against the
page's pale map background, and groups, hubs and spaces differ in shape as well as colour (diamond,
circle, square), so no one needs to tell the colours apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layers.analysis.gaps import CLASS_WORDS
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
#: A room or space that can be booked (a free-room search's results): a square marker with a "Book" tag, so
#: shape and words say it, not colour alone; and the "Find a free room" form.
BOOKABLE_FILL = "#00703c"
BOOKABLE_CSS: tuple[str, ...] = (
    f".pm-marker--bookable .pm-shape {{ background: {BOOKABLE_FILL}; border-color: #fff; border-radius: 3px; }}",
    ".pm-marker-tag { position: absolute; left: 50%; top: 100%; transform: translateX(-50%); font-size: .7rem;"
    f" font-weight: 700; line-height: 1; padding: 1px 3px; border-radius: 2px; color: #fff; background: {BOOKABLE_FILL}; }}",
    ".pm-badge--book { background: #cce2d8; color: #005a30; }",
    ".pm-book-link { display: inline-block; margin: .1rem 0 .25rem; text-decoration: none; }",
    ".pm-free { max-width: 80rem; margin: .5rem auto; padding: 0 1.25rem; }",
    "html:not(.pm-js) .pm-free { display: none; }",
    ".pm-free > summary { cursor: pointer; padding: .5rem 0; font-weight: 700; }",
    ".pm-free fieldset { border: 1px solid #b1b4b6; padding: .75rem 1rem; margin: 0; }",
    ".pm-free-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .5rem 1rem; }",
    ".pm-free-grid .pm-field { display: flex; flex-direction: column; justify-content: flex-end; gap: .25rem; }",
    # the page's own rules style text and time inputs; a date input gets the same look here
    ".pm-free input[type=date] { font: inherit; color: var(--pm-ink); background: #fff; min-height: 44px;"
    " border: 2px solid var(--pm-muted); border-radius: 3px; padding: .35rem .55rem; width: 100%; }",
    ".pm-free-grid .pm-field input, .pm-free-grid .pm-field select { max-width: 100%; }",
)
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
    rules += BOOKABLE_CSS
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


# ---------------------------------------------------------------- the officers' map: need × provision

#: Thirds of a percentile, lowest first (layers.analysis.gaps.LEVELS3; tested to match).
THIRDS: tuple[str, ...] = ("low", "medium", "high")


@dataclass(frozen=True)
class BivariateClass:
    """One cell of the 3×3 need × provision key: its API class ("high-low"), colour and plain words."""

    need: str
    provision: str
    fill: str

    @property
    def key(self) -> str:
        """The class as the API gives it: need-provision, e.g. "high-low"."""
        return f"{self.need}-{self.provision}"

    @property
    def label(self) -> str:
        """The class in words, e.g. "High need, low provision"."""
        return f"{self.need.capitalize()} need, {self.provision} provision"


# Joshua Stevens' purple-blue bivariate scheme (grey → pink-purple with need, grey → teal with provision,
# dark blue where both are high), chosen because its two hues stay apart under the common colour-vision
# deficiencies. Colour is never the only cue: the key names each class and the list beside the map says it.
_BIVARIATE_FILLS: dict[tuple[str, str], str] = {
    ("low", "low"): "#e8e8e8",
    ("low", "medium"): "#ace4e4",
    ("low", "high"): "#5ac8c8",
    ("medium", "low"): "#dfb0d6",
    ("medium", "medium"): "#a5add3",
    ("medium", "high"): "#5698b9",
    ("high", "low"): "#be64ac",
    ("high", "medium"): "#8c62aa",
    ("high", "high"): "#3b4994",
}
#: The nine classes in the key's order: high need first (the top row), low provision first (the left column).
BIVARIATE: tuple[BivariateClass, ...] = tuple(
    BivariateClass(need, provision, _BIVARIATE_FILLS[need, provision])
    for need in reversed(THIRDS)
    for provision in THIRDS
)
#: Every class of the key in plain words (printed under it): (class, sentence), in the key's order.
BIVARIATE_NOTES: tuple[tuple[str, str], ...] = tuple((c.key, CLASS_WORDS[c.key]) for c in BIVARIATE)
#: Areas without residents: no need or provision is scored, so no class.
UNSCORED = AreaStyle(color="#4a5561", weight=1, opacity=0.9, fill_color="#ffffff", fill_opacity=0.6)
#: Every scored area's outline and fill opacity (its fill is its class's colour).
AREA_OUTLINE = AreaStyle(color="#4a5561", weight=1, opacity=0.9, fill_color="#e8e8e8", fill_opacity=0.78)
#: The selected area: a dark line over a white halo, so it shows on every class's colour.
SELECTED_LINE = "#111827"
SELECTED_HALO = "#ffffff"


def officer_js_styles() -> dict[str, Any]:
    """The styles the officers' map's JavaScript needs, as JSON-ready data."""
    return {
        "classes": {c.key: {"fill": c.fill, "label": c.label} for c in BIVARIATE},
        "area": AREA_OUTLINE.leaflet(),
        "unscored": {**UNSCORED.leaflet(), "dashArray": "4 3", "label": "Not scored"},
        "selected": {"line": SELECTED_LINE, "halo": SELECTED_HALO},
        "markers": {m.key: {"label": m.label, "shape": m.shape} for m in RESIDENT_MARKERS},
    }


def officer_page_css() -> str:
    """CSS for the officers' map: marker colours (as on the resident map) and the key's class colours."""
    rules = [resident_page_css()]
    for c in BIVARIATE:
        rules.append(f".pm-bv--{c.key} {{ background: {c.fill}; }}")
    rules.append(f".pm-bv--none {{ background: {UNSCORED.fill_color}; border-style: dashed; }}")
    for m in RESIDENT_MARKERS:
        rules.append(f".pm-cluster--{m.key} {{ background: {m.fill}; }}")
    return "\n".join(rules)

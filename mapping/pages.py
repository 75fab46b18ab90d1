"""Map pages built with folium from plain data (settings values and URLs); nothing here reads a database.

Two pages: the residents' map of groups, hubs and spaces (``/``) and the officers' map of need against
provision by area (``/analysis``).

The page carries no data of its own: its JavaScript (``static/js/patchmap-*.js``) loads markers from the
API for the current view or search. Leaflet and its plugins come from the app's own static files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import folium
from branca.element import Figure, MacroElement
from folium.template import Template
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from layers.taxonomy import (
    COMMUNITIES_OF_IDENTITY,
    COMMUNITIES_OF_INTEREST,
    GROUP_CATEGORIES,
    HUB_KINDS,
    SPACE_KINDS,
)
from mapping import assets, forms, styles

#: The page templates (mapping/templates), HTML autoescaped; one environment for every page module.
TEMPLATES = Environment(loader=PackageLoader("mapping", "templates"), autoescape=select_autoescape(["html"]))

#: Search distances offered, in metres, with the one chosen at first.
RADII_M: tuple[int, ...] = (500, 1000, 2000, 5000, 10000)
DEFAULT_RADIUS_M = 2000
DAYS = forms.DAYS  # one list of days for the search filters and the offer forms

#: The officers' map: levels of area, need and provision measures, and coverage distances offered.
#: Keys are the API's (/analysis/overlay); tests check them against layers.analysis.
OFFICER_LEVELS: tuple[tuple[str, str], ...] = (
    ("ward", "Wards"),
    ("lsoa", "Neighbourhoods (LSOAs)"),
    ("locality", "Localities"),
    ("district", "Districts"),
)
NEED_MEASURES: tuple[tuple[str, str], ...] = (
    ("imd", "Overall deprivation (IMD 2019)"),
    ("income", "Income"),
    ("employment", "Employment"),
    ("education", "Education, skills and training"),
    ("health", "Health and disability"),
    ("crime", "Crime"),
    ("housing", "Barriers to housing and services"),
    ("living_environment", "Living environment"),
)
PROVISION_MEASURES: tuple[tuple[str, str], ...] = (
    ("per_1000", "Number per 1,000 residents"),
    ("coverage", "Share of residents within reach"),
    ("access", "Accessibility score (E2SFCA)"),
)
COVERAGE_RADII_M: tuple[int, ...] = (400, 800, 1200, 1600, 2000, 3000)
DEFAULT_COVERAGE_M = 800  # layers.analysis.overlay.DEFAULT_RADIUS_M (tested to match)


@dataclass(frozen=True)
class ResidentMapData:
    """Everything the residents' map page needs, handed in by the caller (URLs and settings values)."""

    static_url: str
    markers_url: str
    search_url: str
    areas_url: str
    detail_urls: dict[str, str]
    submission_urls: dict[str, str]
    tile_url: str
    tile_attribution: str
    data_attribution: str
    centre_lon: float
    centre_lat: float
    zoom: int
    cluster_over: int = 2000
    #: Real examples from the loaded data (layers.areas.defaults): "NR2 4DR, NR2 or Wensum", a postcode, a ward.
    where_examples: str = ""
    example_postcode: str | None = None
    example_ward: str | None = None
    title: str = "Patchmap: find groups, places and spaces near you"
    heading: str = "Find groups, places and spaces near you"
    intro: str = (
        "Groups to join, community buildings, and free or low-cost spaces to use. Many groups need "
        "volunteers: could you help?"
    )
    categories: dict[str, str] = field(default_factory=lambda: dict(styles.CATEGORY_NAMES))
    communities: dict[str, str] = field(default_factory=lambda: dict(COMMUNITIES_OF_IDENTITY))
    interests: dict[str, str] = field(default_factory=lambda: dict(COMMUNITIES_OF_INTEREST))


@dataclass(frozen=True)
class OfficerMapData:
    """Everything the officers' map page needs, handed in by the caller (URLs and settings values)."""

    static_url: str
    overlay_url: str
    profile_url: str
    markers_url: str
    areas_url: str
    detail_urls: dict[str, str]
    tile_url: str
    tile_attribution: str
    data_attribution: str
    centre_lon: float
    centre_lat: float
    zoom: int
    resident_url: str = "/"
    #: The what-if: the page without JavaScript, and the API the script asks (api/routes/scenarios.py).
    whatif_url: str = "/analysis/what-if"
    #: Vector tiles of a collection's boundaries (api/routes/tiles.py); the page fills {collection}; "" for none.
    tiles_url: str = "/ogc/collections/{collection}/tiles/WebMercatorQuad/{z}/{y}/{x}"
    scenarios_url: str = "/analysis/scenarios"
    #: The district the page opens on: the deployment's home district (layers.areas.defaults); None when no
    #: district is loaded (the page then compares every area).
    district_code: str | None = None
    district_name: str | None = None
    title: str = "Patchmap: need and provision by area"
    heading: str = "Need and provision by area"
    intro: str = (
        "Where is need high and community provision low? Compare areas, then select one for its profile."
    )
    categories: dict[str, str] = field(default_factory=lambda: dict(styles.CATEGORY_NAMES))
    hub_kinds: dict[str, str] = field(default_factory=lambda: dict(HUB_KINDS))
    space_kinds: dict[str, str] = field(default_factory=lambda: dict(SPACE_KINDS))
    #: Indicators the council imported (``patchmap import indicators``), offered as need measures: (key, label).
    own_needs: tuple[tuple[str, str], ...] = ()


class LocalMap(folium.Map):
    """A folium Map that loads only the app's own Leaflet and page scripts: no CDN, jQuery or Bootstrap."""

    # folium's own header sets user-scalable=no, which stops people zooming the page; this one does not.
    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>#{{ this.get_name() }} { position: absolute; inset: 0; }</style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map pm-map" id={{ this.get_name()|tojson }} role="region"
                 aria-label="{{ this.aria_label|e }}"></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }}, ...{{ this.options|tojavascript }}}
            );
            {%- if this.control_scale %}
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        static_url: str,
        aria_label: str,
        js: tuple[tuple[str, assets.Asset], ...],
        css: tuple[tuple[str, assets.Asset], ...],
        **kwargs: Any,
    ) -> None:
        # Instance lists, so folium's add_js_link never alters a list shared between pages.
        self.default_js = [(name, asset.url(static_url)) for name, asset in js]
        self.default_css = [(name, asset.url(static_url)) for name, asset in css]
        self.aria_label = aria_label
        super().__init__(**kwargs)


class StartScript(MacroElement):
    """Starts a page script on the map, handing it URLs, styles and labels as JSON."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            Patchmap.{{ this.function }}({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, function: str, config: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement is untyped
        self._name = "StartScript"
        self.function = function
        self.config = config


class PageFigure(Figure):
    """The whole HTML page around a map (autoescaped Jinja template in ``mapping/templates``)."""

    def __init__(self, data: Any, template_name: str, page_css: str, **extra: Any) -> None:
        super().__init__(title=data.title)
        self.data = data
        self.extra = extra
        # Made from constants in mapping.styles, never from data; it follows the stylesheets it refines.
        self.page_css = Markup(page_css)  # noqa: S704
        self._template = TEMPLATES.get_template(template_name)
        self.header._children.pop("meta_http", None)  # the page template declares its charset itself


def labels() -> dict[str, dict[str, str]]:
    """Plain-English names of hub and space kinds and group categories, for the page script."""
    group = {key: styles.CATEGORY_NAMES.get(key, label) for key, label in GROUP_CATEGORIES.items()}
    return {"hub": dict(HUB_KINDS), "space": dict(SPACE_KINDS), "group": group}


class MapPageData(Protocol):
    """What every map page's data gives render_map_page: where the assets are, the map's start, the tiles."""

    @property
    def static_url(self) -> str: ...
    @property
    def centre_lon(self) -> float: ...
    @property
    def centre_lat(self) -> float: ...
    @property
    def zoom(self) -> int: ...
    @property
    def tile_url(self) -> str: ...
    @property
    def tile_attribution(self) -> str: ...


def render_map_page(
    figure: PageFigure,
    data: MapPageData,
    *,
    aria_label: str,
    js: tuple[tuple[str, assets.Asset], ...],
    css: tuple[tuple[str, assets.Asset], ...],
    start: str,
    config: dict[str, Any],
) -> str:
    """A page's HTML: its figure with the map (the app's own Leaflet and scripts, the tiles if set) and the
    call of its start function with config."""
    fmap = LocalMap(
        static_url=data.static_url,
        aria_label=aria_label,
        js=js,
        css=css,
        location=(data.centre_lat, data.centre_lon),
        zoom_start=data.zoom,
        tiles=None,
        control_scale=True,
    )
    if data.tile_url:
        folium.TileLayer(
            tiles=data.tile_url, attr=data.tile_attribution, name="Base map", max_zoom=19
        ).add_to(fmap)
    StartScript(start, config).add_to(fmap)
    figure.add_child(fmap)
    html: str = figure.render()
    return html


def resident_map_page(data: ResidentMapData) -> str:
    """The HTML of the residents' map: search, filters, results beside the map, details and offer forms."""
    figure = PageFigure(
        data,
        "resident_map.html",
        styles.resident_page_css(),
        markers=styles.RESIDENT_MARKERS,
        radii=RADII_M,
        default_radius=DEFAULT_RADIUS_M,
        days=DAYS,
        forms=forms.resident_forms(data.submission_urls, data.example_postcode),
    )
    return render_map_page(
        figure,
        data,
        aria_label="Map of groups, community hubs and spaces",
        js=assets.RESIDENT_PAGE_JS,
        css=assets.RESIDENT_PAGE_CSS,
        start="startResidentMap",
        config={
            "markersUrl": data.markers_url,
            "searchUrl": data.search_url,
            "areasUrl": data.areas_url,
            "detailUrls": data.detail_urls,
            "clusterOver": data.cluster_over,
            "examplePostcode": data.example_postcode,
            "exampleWard": data.example_ward,
            "defaultRadius": DEFAULT_RADIUS_M,
            "styles": styles.resident_js_styles(),
            "labels": labels(),
            "days": dict(DAYS),
        },
    )


def officer_map_page(data: OfficerMapData) -> str:
    """The HTML of the officers' map: settings, the need × provision map and key, ranked areas, a profile."""
    figure = PageFigure(
        data,
        "officer_map.html",
        styles.officer_page_css(),
        levels=OFFICER_LEVELS,
        needs=NEED_MEASURES + data.own_needs,
        provisions=PROVISION_MEASURES,
        radii=COVERAGE_RADII_M,
        default_radius=DEFAULT_COVERAGE_M,
        markers=styles.RESIDENT_MARKERS,
        classes=styles.BIVARIATE,
        notes=styles.BIVARIATE_NOTES,
    )
    return render_map_page(
        figure,
        data,
        aria_label="Map of need and provision by area",
        js=assets.OFFICER_PAGE_JS,
        css=assets.OFFICER_PAGE_CSS,
        start="startOfficerMap",
        config={
            "overlayUrl": data.overlay_url,
            "profileUrl": data.profile_url,
            "scenariosUrl": data.scenarios_url,
            "markersUrl": data.markers_url,
            "areasUrl": data.areas_url,
            "tilesUrl": data.tiles_url,
            "detailUrls": data.detail_urls,
            "district": {"code": data.district_code, "name": data.district_name},
            "levels": dict(OFFICER_LEVELS),
            "needs": dict(NEED_MEASURES + data.own_needs),
            "styles": styles.officer_js_styles(),
            "labels": labels(),
        },
    )

"""Map pages built with folium from plain data (settings values and URLs); nothing here reads a database.

The page carries no data of its own: its JavaScript (``static/js/patchmap-map.js``) loads boundaries and
markers from the API for the current view. Leaflet comes from the app's own static files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium.template import Template
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from mapping import assets, styles

_PAGES = Environment(loader=PackageLoader("mapping", "templates"), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class MapPageData:
    """Everything a map page needs, handed in by the caller."""

    static_url: str
    areas_url: str
    assets_url: str
    tile_url: str
    tile_attribution: str
    data_attribution: str
    centre_lon: float
    centre_lat: float
    zoom: int
    title: str = "Patchmap: community hubs and spaces"
    heading: str = "Community hubs and spaces"
    intro: str = (
        "Find community buildings, and spaces that could be used, near you. Move or zoom the map to see "
        "more; select a marker to read about a place."
    )


class LocalMap(folium.Map):
    """A folium Map that loads only the app's own Leaflet and page script: no CDN, jQuery or Bootstrap."""

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

    def __init__(self, *, static_url: str, aria_label: str, **kwargs: Any) -> None:
        # Instance lists, so folium's add_js_link never alters a list shared between pages.
        self.default_js = [(name, asset.url(static_url)) for name, asset in assets.MAP_PAGE_JS]
        self.default_css = [(name, asset.url(static_url)) for name, asset in assets.MAP_PAGE_CSS]
        self.aria_label = aria_label
        super().__init__(**kwargs)


class MapLayers(MacroElement):
    """Starts the page script on the map, handing it the API URLs and styles as JSON."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            Patchmap.startMap({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement is untyped
        self._name = "MapLayers"
        self.config = config


class PageFigure(Figure):
    """The whole HTML page around a map: heading, key, status line and attribution (autoescaped)."""

    def __init__(self, data: MapPageData, template_name: str) -> None:
        super().__init__(title=data.title)
        self.data = data
        self.markers = styles.MARKERS
        # Made from constants in mapping.styles, never from data; it follows the stylesheets it refines.
        self.page_css = Markup(styles.page_css())  # noqa: S704
        self._template = _PAGES.get_template(template_name)
        self.header._children.pop("meta_http", None)  # the page template declares its charset itself


def assets_map_page(data: MapPageData) -> str:
    """The HTML of the map of ward boundaries, hubs and spaces."""
    figure = PageFigure(data, "map_page.html")
    fmap = LocalMap(
        static_url=data.static_url,
        aria_label="Map of ward boundaries, community hubs and spaces",
        location=(data.centre_lat, data.centre_lon),
        zoom_start=data.zoom,
        tiles=None,
        control_scale=True,
    )
    if data.tile_url:
        folium.TileLayer(
            tiles=data.tile_url, attr=data.tile_attribution, name="Base map", max_zoom=19
        ).add_to(fmap)
    MapLayers(
        {
            "areasUrl": data.areas_url,
            "assetsUrl": data.assets_url,
            "areaKind": "ward",
            "styles": styles.js_styles(),
            "labels": styles.subtype_labels(),
        }
    ).add_to(fmap)
    figure.add_child(fmap)
    html: str = figure.render()
    return html

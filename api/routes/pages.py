"""HTML pages: the residents' map of groups, hubs and spaces (`/`), and the officers' map (`/analysis`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import AppSettings, Work
from api.html import html_page
from api.routes.tiles import TILES_PATH
from layers.analysis.indicators import own_need_choices
from layers.areas.defaults import PlaceDefaults, place_defaults
from layers.settings import MapSettings
from mapping.pages import OfficerMapData, ResidentMapData, officer_map_page, resident_map_page

router = APIRouter(tags=["pages"])

#: Paths of the APIs the page calls (relative to the app's root path).
SEARCH_PATH = "/search/nearby"
DETAIL_PATHS = {"group": "/groups/", "hub": "/hubs/", "space": "/spaces/"}
PROFILE_PATH = "/analysis/areas/"
SUBMISSION_PATHS = {"group": "/submissions/group", "space": "/submissions/space", "help": "/submissions/help"}


def base_map(m: MapSettings, home: PlaceDefaults | None = None) -> dict[str, Any]:
    """What every map page takes from the settings: tiles, attributions and where the map starts (the home
    district's extent from ``layers.areas.defaults`` unless the settings give a centre)."""
    return {
        "tile_url": m.tile_url,
        "tile_attribution": m.tile_attribution,
        "data_attribution": m.data_attribution,
        "centre_lon": home.centre_lon if home else m.map_centre_lon,
        "centre_lat": home.centre_lat if home else m.map_centre_lat,
        "zoom": home.zoom if home else m.map_zoom,
    }


def data_urls(request: Request) -> dict[str, Any]:
    """Where a map page finds its scripts and its data: static files, markers, areas, public records."""
    root = request.scope.get("root_path", "").rstrip("/")
    return {
        "static_url": request.url_for("static", path="").path,
        "markers_url": request.url_for("map_markers").path,
        "areas_url": request.url_for("list_areas").path,
        "detail_urls": {kind: root + path for kind, path in DETAIL_PATHS.items()},
    }


@router.get("/", response_class=HTMLResponse)
async def read_map_page(request: Request, settings: AppSettings, work: Work) -> HTMLResponse:
    """The residents' map: search, filters and results; markers load from /map/markers.geojson."""
    root = request.scope.get("root_path", "").rstrip("/")
    home = await work.run(place_defaults, settings.map)
    data = ResidentMapData(
        search_url=root + SEARCH_PATH,
        submission_urls={kind: root + path for kind, path in SUBMISSION_PATHS.items()},
        where_examples=home.where_examples(),
        example_postcode=home.example_postcode,
        example_ward=home.example_ward,
        **base_map(settings.map, home),
        **data_urls(request),
    )
    return html_page(request, resident_map_page(data))


# api.routes.analysis serves /analysis/overlay and /analysis/areas/{code}; this is /analysis exactly.
@router.get("/analysis", response_class=HTMLResponse)
async def read_officer_map_page(request: Request, settings: AppSettings, work: Work) -> HTMLResponse:
    """The officers' map of need against provision; areas load from /analysis/overlay, profiles from
    /analysis/areas/{code}, and groups, hubs and spaces from /map/markers.geojson."""
    root = request.scope.get("root_path", "").rstrip("/")
    home = await work.run(place_defaults, settings.map)
    data = OfficerMapData(
        overlay_url=request.url_for("read_overlay").path,
        profile_url=root + PROFILE_PATH,
        district_code=home.district_code,
        district_name=home.district_name,
        **base_map(settings.map, home),
        **data_urls(request),
        resident_url=request.url_for("read_map_page").path,
        tiles_url=root + TILES_PATH,
        own_needs=await work.run(own_need_choices),
    )
    return html_page(request, officer_map_page(data))

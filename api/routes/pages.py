"""HTML pages: the map of ward boundaries, hubs and spaces."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import AppSettings
from mapping.pages import MapPageData, assets_map_page

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse)
async def read_map_page(request: Request, settings: AppSettings) -> HTMLResponse:
    """The map of ward boundaries, community hubs and spaces (layers load from /map/...)."""
    m = settings.map
    data = MapPageData(
        static_url=request.url_for("static", path="").path,
        areas_url=request.url_for("map_areas").path,
        assets_url=request.url_for("map_assets").path,
        tile_url=m.tile_url,
        tile_attribution=m.tile_attribution,
        data_attribution=m.data_attribution,
        centre_lon=m.map_centre_lon,
        centre_lat=m.map_centre_lat,
        zoom=m.map_zoom,
    )
    return HTMLResponse(assets_map_page(data))

"""GeoJSON layers the map pages load for the current view: area boundaries, hubs and spaces, markers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AppSettings, Conn
from api.formats import GEOJSON
from api.schemas import AreaKind
from layers.areas import lookup as queries
from layers.queries import map_clusters

router = APIRouter(prefix="/map", tags=["map"])

BBOX = Query(
    description="minlon,minlat,maxlon,maxlat in degrees (EPSG:4326)",
    examples=["1.25,52.61,1.33,52.65"],
    max_length=120,
)
ERRORS: dict[int | str, dict[str, Any]] = {422: {"description": "Invalid parameters, such as a bad bbox"}}


class AreaLayerProperties(BaseModel):
    """What the map knows of an area."""

    code: str
    name: str
    kind: AreaKind
    parent_code: str | None


class AreaLayerFeature(BaseModel):
    """An area boundary on the map."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: AreaLayerProperties


class AreaLayer(BaseModel):
    """Area boundaries for the map."""

    type: Literal["FeatureCollection"]
    features: list[AreaLayerFeature]


class AssetProperties(BaseModel):
    """The public facts about a hub or a space; never its private contacts."""

    id: int
    kind: Literal["hub", "space"]
    subtype: str
    name: str
    address: str | None
    postcode: str | None
    opening_hours: str | None
    website: str | None
    step_free: bool | None


class AssetFeature(BaseModel):
    """A hub or a space on the map."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: AssetProperties


class AssetLayer(BaseModel):
    """Hubs and spaces for the map."""

    type: Literal["FeatureCollection"]
    features: list[AssetFeature]


def _geojson(collection: str) -> Response:
    """A GeoJSON response from text PostGIS built."""
    return Response(collection, media_type=GEOJSON)


@router.get(
    "/areas.geojson",
    response_model=AreaLayer,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "model": AreaLayer}, **ERRORS},
)
async def map_areas(
    conn: Conn,
    settings: AppSettings,
    bbox: Annotated[str, BBOX],
    kind: AreaKind = "ward",
    simplify_m: Annotated[float, Query(ge=0, le=5000, description="simplify to this many metres")] = 0,
) -> Response:
    """Boundaries of one kind of area meeting the bbox, optionally simplified."""
    box = queries.parse_bbox(bbox)
    metric_srid = settings.geo.metric_srid
    return _geojson(
        await queries.areas_geojson(conn, kind=kind, bbox=box, simplify_m=simplify_m, metric_srid=metric_srid)
    )


@router.get(
    "/assets.geojson",
    response_model=AssetLayer,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "model": AssetLayer}, **ERRORS},
)
async def map_assets(conn: Conn, bbox: Annotated[str, BBOX]) -> Response:
    """Hubs and spaces in the bbox, with public fields only."""
    return _geojson(await queries.assets_geojson(conn, bbox=queries.parse_bbox(bbox)))


class MarkerProperties(BaseModel):
    """What the resident map needs to draw and name one marker; details are read when it is selected."""

    id: int
    kind: Literal["group", "hub", "space"]
    subtype: str
    name: str
    sample: bool


class MarkerFeature(BaseModel):
    """One group, hub or space on the resident map."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: MarkerProperties


class ClusterProperties(BaseModel):
    """How many markers one grid cell holds, of each kind."""

    kind: Literal["cluster"]
    count: int
    hubs: int
    spaces: int
    groups: int


class ClusterFeature(BaseModel):
    """A grid cell of a zoomed-out view, at the mean point of its markers."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: ClusterProperties


class MarkerLayer(BaseModel):
    """Markers of the resident map: each one, or (when there are many) grid clusters."""

    type: Literal["FeatureCollection"]
    features: list[MarkerFeature | ClusterFeature]


@router.get(
    "/markers.geojson",
    response_model=MarkerLayer,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "model": MarkerLayer}, **ERRORS},
)
async def map_markers(
    conn: Conn,
    bbox: Annotated[str, BBOX],
    zoom: Annotated[int, Query(ge=0, le=22, description="the map's zoom, which sets the cluster cell size")],
    cluster_over: Annotated[
        int,
        Query(ge=1, le=map_clusters.MAX_MARKERS, description="send grid clusters above this many markers"),
    ] = map_clusters.CLUSTER_OVER,
) -> Response:
    """Groups (with a public venue), hubs and spaces in the bbox; grid clusters when there are many."""
    box = queries.parse_bbox(bbox)
    return _geojson(await map_clusters.markers_geojson(conn, bbox=box, zoom=zoom, cluster_over=cluster_over))

"""Areas: what areas hold a point or postcode, lists of areas, and one area as GeoJSON."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import AppSettings, Conn, parse_query, pooled, query_parameters
from api.formats import GEOJSON
from api.schemas import AreaContactPublic, AreaKind, AreaRef
from layers.areas import lookup as queries

router = APIRouter(tags=["areas"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such area, postcode or point in any boundary"},
    422: {"description": "Invalid parameters"},
}


class LookupPoint(BaseModel):
    """The point a lookup used (EPSG:4326)."""

    lon: float
    lat: float


class AreaLookup(BaseModel):
    """The areas holding a point: one ward, district, LSOA and county, and any custom localities."""

    point: LookupPoint
    postcode: str | None = Field(description="the postcode looked up, normalised; null for a point")
    approximate: bool | None = Field(description="whether the postcode's point is only approximate")
    ward: AreaRef | None
    district: AreaRef | None
    lsoa: AreaRef | None
    county: AreaRef | None
    localities: list[AreaRef]
    contact: AreaContactPublic | None = Field(
        description="the place's named council contact: a locality's holding it, else its district's; "
        "null when none is kept"
    )


class LookupQuery(BaseModel):
    """Where to look: a point (lat and lon), or a postcode."""

    lat: float | None = Field(default=None, ge=-90, le=90, description="latitude, EPSG:4326")
    lon: float | None = Field(default=None, ge=-180, le=180, description="longitude, EPSG:4326")
    postcode: str | None = Field(default=None, max_length=16, examples=["NR2 1AW"])


class AreaSummary(BaseModel):
    """One area in a list."""

    code: str
    name: str
    kind: AreaKind
    parent_code: str | None
    vintage: str | None


class AreaMember(BaseModel):
    """A member of a custom locality."""

    code: str
    name: str
    kind: AreaKind


class IndicatorValue(BaseModel):
    """The latest value of one indicator of an area."""

    value: float
    period: str
    source: str
    derived: bool


class AreaProperties(BaseModel):
    """The properties of an area's GeoJSON Feature."""

    code: str
    name: str
    kind: AreaKind
    parent_code: str | None
    vintage: str | None
    members: list[AreaMember] | None = Field(description="the wards or LSOAs of a custom locality")
    indicators: dict[str, IndicatorValue]


class Geometry(BaseModel):
    """A GeoJSON (multi)polygon in EPSG:4326."""

    type: Literal["MultiPolygon", "Polygon"]
    coordinates: list[Any]


class AreaFeature(BaseModel):
    """One area as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: str
    geometry: Geometry
    properties: AreaProperties


@router.get(
    "/areas/lookup",
    response_model=AreaLookup,
    response_class=JSONResponse,
    responses=ERRORS,
    openapi_extra={"parameters": query_parameters(LookupQuery)},
)
async def lookup_area(request: Request) -> queries.Lookup:
    """The ward, district, LSOA, county and custom localities holding a point or a postcode."""
    # The hot path takes its connection straight from the pool and its parameters as one model, parsed by
    # api.deps.parse_query: the Conn dependency's generator machinery, and FastAPI's own parameter parsing,
    # each cost a tenth or more of the request's CPU time here (bench/lookup.py measures the whole).
    # The search pool's connections plan a prepared statement once (force_generic_plan): planning the point
    # lookup cost more than running it (about 0.19 ms against 0.24 ms; BENCHMARKS.md "named council contact").
    point = parse_query(LookupQuery, request)
    async with pooled(request, search=True) as conn:
        return await queries.lookup(conn, lon=point.lon, lat=point.lat, postcode=point.postcode)


@router.get("/areas", response_model=list[AreaSummary], response_class=JSONResponse, responses=ERRORS)
async def list_areas(
    conn: Conn,
    kind: AreaKind | None = None,
    within: Annotated[str | None, Query(max_length=32, description="a parent area's code")] = None,
    name: Annotated[str | None, Query(alias="q", max_length=100, description="part of the name")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIST_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[queries.AreaSummary]:
    """Areas by kind, parent area (within) and name, in name order."""
    return await queries.list_areas(conn, kind=kind, within=within, q=name, limit=limit, offset=offset)


@router.get(
    "/areas/{code}",
    response_model=AreaFeature,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "model": AreaFeature}, **ERRORS},
)
async def read_area(
    conn: Conn,
    settings: AppSettings,
    code: Annotated[str, Path(max_length=32, examples=["E05005882"])],
    simplify_m: Annotated[float, Query(ge=0, le=10_000, description="simplify to this many metres")] = 0,
) -> Response:
    """One area as a GeoJSON Feature with its members (custom localities) and latest indicators."""
    feature = await queries.area_feature(
        conn, code, simplify_m=simplify_m, metric_srid=settings.geo.metric_srid
    )
    return Response(feature, media_type=GEOJSON)

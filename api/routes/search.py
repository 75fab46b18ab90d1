"""Residents' search: groups, hubs and spaces near a point or a postcode, nearest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import parse_query, pooled, query_parameters
from api.formats import GEOJSON, negotiate
from api.schemas import NearbyPage
from layers.queries import search
from layers.queries import search_free as free

router = APIRouter(tags=["search"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "The postcode or outward code is not known"},
    422: {"description": "Invalid parameters: the body says which and what to do"},
}


class NearbyQuery(BaseModel):
    """Where to search from (lat and lon, or a postcode or outward code), how far, and the filters."""

    model_config = ConfigDict(extra="forbid")

    lat: float | None = Field(default=None, ge=-90, le=90, description="latitude, EPSG:4326")
    lon: float | None = Field(default=None, ge=-180, le=180, description="longitude, EPSG:4326")
    postcode: str | None = Field(
        default=None,
        max_length=16,
        examples=["NR2 1AW", "NR2"],
        description="a full postcode, or an outward code (its postcodes' mean point)",
    )
    radius_m: float = Field(default=search.DEFAULT_RADIUS_M, gt=0, le=search.MAX_RADIUS_M)
    kinds: str | None = Field(
        default=None,
        max_length=40,
        description="comma list of group, hub, space (with free_from: room, space)",
    )
    category: str | None = Field(
        default=None, max_length=40, description="a group category; a hub or space kind finds only those"
    )
    community: str | None = Field(default=None, max_length=40, description="of identity or of interest")
    q: str | None = Field(default=None, max_length=search.MAX_Q, description="words (websearch syntax)")
    open_at: str | None = Field(default=None, max_length=32, examples=["mo 18:30", "saturday 10:00"])
    cost: Literal["free", "low-cost"] | None = Field(default=None, description="low-cost includes free")
    step_free: bool = False
    volunteers_wanted: bool = Field(default=False, description="groups looking for volunteers")
    free_from: datetime | None = Field(
        default=None,
        examples=["2027-01-12T18:00", "2027-01-12T18:00:00+00:00"],
        description="find bookable rooms and spaces free from this time for free_for_minutes (ISO 8601). "
        "With no offset it is Europe/London local time; a local time the clocks skip or repeat at a clock "
        "change (e.g. 2027-03-28T01:30) is refused with 422, as is a time in the past. Takes q, step_free, "
        "capacity and max_price; category, community, cost, open_at and volunteers_wanted are refused with it",
    )
    free_for_minutes: int | None = Field(
        default=None,
        ge=1,
        le=free.MAX_FREE_MINUTES,
        description=f"with free_from: how long it must be free, minutes (default {free.DEFAULT_FREE_MINUTES})",
    )
    capacity: int | None = Field(
        default=None, ge=1, le=free.MAX_CAPACITY, description="with free_from: people it must hold"
    )
    max_price: float | None = Field(
        default=None,
        ge=0,
        le=free.MAX_PRICE,
        allow_inf_nan=False,
        description="with free_from: the most it may cost, GBP per hour",
    )
    limit: int = Field(default=search.DEFAULT_LIMIT, ge=1, le=search.MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=search.MAX_OFFSET)
    f: Literal["json", "geojson"] | None = Field(
        default=None, description="geojson for a FeatureCollection (as Accept: application/geo+json)"
    )


@router.get(
    "/search/nearby",
    response_model=NearbyPage,
    responses={
        200: {"content": {GEOJSON: {}}, "description": "JSON, or GeoJSON (NearbyFeatureCollection)"},
        **ERRORS,
    },
    openapi_extra={"parameters": query_parameters(NearbyQuery)},
)
async def search_nearby(request: Request) -> Any:
    """Groups, hubs and spaces within radius_m of a point or postcode, nearest first; groups serving it.

    With free_from: bookable rooms and spaces free for that whole time, nearest first, with the price.
    """
    # The hot path: the query string is parsed here rather than by a dependency (FastAPI's dependency
    # machinery cost more than the parsing), the connection comes straight from the search pool (generic
    # plans: see search._run), and the answer is written with orjson, the two lists passed on as the JSON
    # text the statement built. The statement builds them to the NearbyPage shape (the tests check every
    # answer against the schema), so validating them again here would only cost time.
    query = parse_query(NearbyQuery, request)
    async with pooled(request, search=True) as conn:
        found = await search.nearby_assets(conn, **query.model_dump(exclude={"f"}))
    if negotiate(request, query.f, ("json", "geojson")) == "geojson":
        return Response(orjson.dumps(search.feature_collection(search.parsed(found))), media_type=GEOJSON)
    body = orjson.dumps(
        found
        | {
            "results": orjson.Fragment(found["results"]),
            "serving_your_area": orjson.Fragment(found["serving_your_area"]),
        }
    )
    return Response(body, media_type="application/json")

"""Open Referral UK 3.0 (``/oruk/``): groups as organisations and services, hubs and public venues as
locations, meeting times as schedules, cost bands as cost options, categories as a published taxonomy.

Paged as the profile's OpenAPI says (``page`` from 1, ``per_page``); public fields only; ids are UUIDs that
stay the same from one export to the next (``layers.oruk.ids``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from api import oruk_schemas as s
from api.deps import Conn
from layers.oruk import feed

router = APIRouter(prefix="/oruk", tags=["open referral uk"])

CACHE = "public, max-age=300"
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no record has this id"}}
BAD_PAGE: dict[int | str, dict[str, Any]] = {
    422: {"description": f"page is not a whole number from 1, or per_page not from 1 to {feed.MAX_PER_PAGE}"}
}
Id = Annotated[str, Path(max_length=200, description="the record's ORUK id (a UUID)")]


def paging(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="the page, from 1")] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=feed.MAX_PER_PAGE, description=f"items a page (default {feed.PER_PAGE})")
    ] = feed.PER_PAGE,
) -> feed.Paging:
    """The page asked for, checked (a bad value is a 422 saying which)."""
    return feed.Paging(page=page, per_page=per_page)


Paging = Annotated[feed.Paging, Depends(paging)]


def _json(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": CACHE})


@router.get("/", response_model=s.OrukInfo)
async def read_oruk_info(request: Request) -> JSONResponse:
    """This API's HSDS version, the profile it follows and where its OpenAPI document is."""
    base = str(request.base_url)
    return _json(feed.api_info(base, request.app.openapi_url or "/openapi.json"))


@router.get("/services", response_model=s.Page[s.ServiceBrief], responses=BAD_PAGE)
async def list_oruk_services(conn: Conn, page: Paging) -> JSONResponse:
    """A page of services (one a group) with their one-to-one fields and organisation."""
    return _json(await feed.services_page(conn, page))


@router.get("/services/{id}", response_model=s.Service, responses=NOT_FOUND)
async def read_oruk_service(conn: Conn, id: Id) -> JSONResponse:
    """A service fully nested: schedules, areas served, location, cost options, categories."""
    return _json(await feed.service(conn, id))


@router.get("/organizations", response_model=s.Page[s.Organization], responses=BAD_PAGE)
async def list_oruk_organizations(conn: Conn, page: Paging) -> JSONResponse:
    """A page of organisations (one a group)."""
    return _json(await feed.organizations_page(conn, page))


@router.get("/organizations/{id}", response_model=s.OrganizationFull, responses=NOT_FOUND)
async def read_oruk_organization(conn: Conn, id: Id) -> JSONResponse:
    """An organisation with its service fully nested."""
    return _json(await feed.organization(conn, id))


@router.get("/service_at_locations", response_model=s.Page[s.ServiceAtLocationBrief], responses=BAD_PAGE)
async def list_oruk_service_at_locations(conn: Conn, page: Paging) -> JSONResponse:
    """A page of services at their locations (groups meeting at a hub or a public venue)."""
    return _json(await feed.service_at_locations_page(conn, page))


@router.get("/service_at_locations/{id}", response_model=s.ServiceAtLocationFull, responses=NOT_FOUND)
async def read_oruk_service_at_location(conn: Conn, id: Id) -> JSONResponse:
    """A service at its location, with the location and the service fully nested."""
    return _json(await feed.service_at_location(conn, id))


@router.get("/taxonomies", response_model=s.Page[s.Taxonomy], responses=BAD_PAGE)
async def list_oruk_taxonomies(page: Paging) -> JSONResponse:
    """A page of the taxonomies Patchmap publishes (its group categories)."""
    return _json(feed.taxonomies_page(page))


@router.get("/taxonomies/{id}", response_model=s.Taxonomy, responses=NOT_FOUND)
async def read_oruk_taxonomy(id: Id) -> JSONResponse:
    """A taxonomy with its terms."""
    return _json(feed.taxonomy(id))


@router.get("/taxonomy_terms", response_model=s.Page[s.TaxonomyTerm], responses=BAD_PAGE)
async def list_oruk_taxonomy_terms(page: Paging) -> JSONResponse:
    """A page of the terms of Patchmap's taxonomy of group categories."""
    return _json(feed.taxonomy_terms_page(page))


@router.get("/taxonomy_terms/{id}", response_model=s.TaxonomyTerm, responses=NOT_FOUND)
async def read_oruk_taxonomy_term(id: Id) -> JSONResponse:
    """A taxonomy term."""
    return _json(feed.taxonomy_term(id))

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
from layers.oruk import feed, filters

router = APIRouter(prefix="/oruk", tags=["open referral uk"])

CACHE = "public, max-age=300"
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no record has this id"}}
BAD_PAGE: dict[int | str, dict[str, Any]] = {
    400: {"description": "a parameter this listing does not take (named in the answer), or one given twice"},
    422: {"description": f"page is not a whole number from 1, or per_page not from 1 to {feed.MAX_PER_PAGE}"},
}
BAD_FILTER: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "a parameter this listing does not take, or one given twice: refused, never ignored "
        f"(the profile's {', '.join(filters.REFUSED)} among them), named in the answer"
    },
    422: {
        "description": f"page is not a whole number from 1, or per_page not from 1 to {feed.MAX_PER_PAGE}; "
        "or a filter's value is not valid: a taxonomy or term Patchmap does not publish, an organization_id "
        "that is not a UUID, a day, time or date not understood, ages out of range, proximity without a "
        "postcode, or a postcode that is not valid or not known"
    },
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


def _only(*allowed: str) -> Any:
    def check(request: Request) -> None:
        filters.check_names(request.query_params.multi_items(), allowed)

    return Depends(check)


PAGE_ONLY = [_only(*filters.PAGING)]
FILTERED = [_only(*filters.PAGING, *filters.FILTERS)]


def service_filters(
    search: Annotated[
        str | None,
        Query(
            max_length=filters.MAX_SEARCH,
            description=(
                'Full text search: services with these words (stemmed, English; websearch syntax: "quoted phrase", '
                "or, -word) in their name, activities, categories or description, or with this text anywhere in "
                "their name or description."
            ),
        ),
    ] = None,
    taxonomy_term_id: Annotated[
        str | None,
        Query(
            max_length=200,
            description=(
                "Services filed under this term of Patchmap's taxonomy: its id (a UUID from /oruk/taxonomy_terms) or "
                "its `term` (e.g. `food`). A term Patchmap does not publish is a 422."
            ),
        ),
    ] = None,
    taxonomy_id: Annotated[
        str | None,
        Query(
            max_length=200,
            description=(
                "Services filed under any term of this taxonomy (Patchmap publishes one: see /oruk/taxonomies). "
                "Another taxonomy is a 422."
            ),
        ),
    ] = None,
    organization_id: Annotated[
        str | None,
        Query(max_length=200, description=("The services of this organisation (its ORUK id, a UUID).")),
    ] = None,
    modified_after: Annotated[
        str | None,
        Query(
            max_length=40,
            description=(
                "Services changed on or after this date and time (ISO 8601, e.g. 2025-01-31T09:00:00Z; a date alone "
                "is its midnight; UTC when no offset is given)."
            ),
        ),
    ] = None,
    minimum_age: Annotated[
        float | None,
        Query(
            ge=0,
            le=150,
            description=(
                "As the profile says: services whose own minimum age is at least this (a service with no minimum "
                "age counts as 0)."
            ),
        ),
    ] = None,
    maximum_age: Annotated[
        float | None,
        Query(
            ge=0,
            le=150,
            description=(
                "As the profile says: services whose own maximum age is at most this (a service with no maximum age "
                "has no limit, so never matches)."
            ),
        ),
    ] = None,
    day: Annotated[
        str | None,
        Query(
            max_length=20,
            description=(
                "Services meeting on this day: MO, TU, WE, TH, FR, SA or SU (as a schedule's byday), or the day's "
                "English name. With start_time or end_time, the same meeting must match both."
            ),
        ),
    ] = None,
    start_time: Annotated[
        str | None,
        Query(
            max_length=20,
            description=(
                "Services with a meeting starting at or after this time of day (HH:MM, local time)."
            ),
        ),
    ] = None,
    end_time: Annotated[
        str | None,
        Query(
            max_length=20,
            description=(
                "Services with a meeting ending at or before this time of day (HH:MM, local time; 24:00 is the end "
                "of the day)."
            ),
        ),
    ] = None,
    postcode: Annotated[
        str | None,
        Query(
            max_length=20,
            description=(
                "A UK postcode: services covering it (serving an area that holds it, or naming no area served), "
                "nearest first. A postcode Patchmap does not know is a 422."
            ),
        ),
    ] = None,
    proximity: Annotated[
        float | None,
        Query(
            gt=0,
            le=filters.MAX_PROXIMITY_M,
            description=(
                "With postcode: services whose location is within this many metres of the postcode's point (or, "
                "with no location of their own, whose area served holds the postcode)."
            ),
        ),
    ] = None,
) -> filters.ServiceFilters:
    """The filters asked for (each value is checked when the page is read)."""
    return filters.ServiceFilters(
        search=search, taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id,
        organization_id=organization_id, modified_after=modified_after, minimum_age=minimum_age,
        maximum_age=maximum_age, day=day, start_time=start_time, end_time=end_time, postcode=postcode,
        proximity=proximity,
    )  # fmt: skip


Filters = Annotated[filters.ServiceFilters, Depends(service_filters)]


def _json(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": CACHE})


@router.get("/", response_model=s.OrukInfo)
async def read_oruk_info(request: Request) -> JSONResponse:
    """This API's HSDS version, the profile it follows and where its OpenAPI document is."""
    base = str(request.base_url)
    return _json(feed.api_info(base, request.app.openapi_url or "/openapi.json"))


@router.get("/services", response_model=s.Page[s.ServiceBrief], responses=BAD_FILTER, dependencies=FILTERED)
async def list_oruk_services(conn: Conn, page: Paging, wanted: Filters) -> JSONResponse:
    """A page of services (one a group) with their one-to-one fields and organisation, filtered as asked
    (every filter given must hold; the paging counts the services that match). A parameter Patchmap does not
    honour is refused (400), never ignored."""
    return _json(await feed.services_page(conn, page, wanted))


@router.get("/services/{id}", response_model=s.Service, responses=NOT_FOUND)
async def read_oruk_service(conn: Conn, id: Id) -> JSONResponse:
    """A service fully nested: schedules, areas served, location, cost options, categories."""
    return _json(await feed.service(conn, id))


@router.get(
    "/organizations", dependencies=PAGE_ONLY, response_model=s.Page[s.Organization], responses=BAD_PAGE
)
async def list_oruk_organizations(conn: Conn, page: Paging) -> JSONResponse:
    """A page of organisations (one a group)."""
    return _json(await feed.organizations_page(conn, page))


@router.get("/organizations/{id}", response_model=s.OrganizationFull, responses=NOT_FOUND)
async def read_oruk_organization(conn: Conn, id: Id) -> JSONResponse:
    """An organisation with its service fully nested."""
    return _json(await feed.organization(conn, id))


@router.get(
    "/service_at_locations",
    response_model=s.Page[s.ServiceAtLocationBrief],
    responses=BAD_FILTER,
    dependencies=FILTERED,
)
async def list_oruk_service_at_locations(conn: Conn, page: Paging, wanted: Filters) -> JSONResponse:
    """A page of services at their locations (groups meeting at a hub or a public venue), filtered as
    /oruk/services is. A parameter Patchmap does not honour is refused (400), never ignored."""
    return _json(await feed.service_at_locations_page(conn, page, wanted))


@router.get("/service_at_locations/{id}", response_model=s.ServiceAtLocationFull, responses=NOT_FOUND)
async def read_oruk_service_at_location(conn: Conn, id: Id) -> JSONResponse:
    """A service at its location, with the location and the service fully nested."""
    return _json(await feed.service_at_location(conn, id))


@router.get("/taxonomies", dependencies=PAGE_ONLY, response_model=s.Page[s.Taxonomy], responses=BAD_PAGE)
async def list_oruk_taxonomies(page: Paging) -> JSONResponse:
    """A page of the taxonomies Patchmap publishes (its group categories)."""
    return _json(feed.taxonomies_page(page))


@router.get("/taxonomies/{id}", response_model=s.Taxonomy, responses=NOT_FOUND)
async def read_oruk_taxonomy(id: Id) -> JSONResponse:
    """A taxonomy with its terms."""
    return _json(feed.taxonomy(id))


@router.get(
    "/taxonomy_terms", dependencies=PAGE_ONLY, response_model=s.Page[s.TaxonomyTerm], responses=BAD_PAGE
)
async def list_oruk_taxonomy_terms(page: Paging) -> JSONResponse:
    """A page of the terms of Patchmap's taxonomy of group categories."""
    return _json(feed.taxonomy_terms_page(page))


@router.get("/taxonomy_terms/{id}", response_model=s.TaxonomyTerm, responses=NOT_FOUND)
async def read_oruk_taxonomy_term(id: Id) -> JSONResponse:
    """A taxonomy term."""
    return _json(feed.taxonomy_term(id))

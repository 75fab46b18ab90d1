"""Residents' nearby search: groups, hubs and spaces near a point or a postcode, nearest first.

Distances are true metres (on the WGS84 spheroid); the search itself runs on the British National
Grid copy of each point (``geom_bng``, EPSG:27700) with its GiST index: see ``layers/sql/search_nearby.sql``.
Where a search starts and which filters apply to which kinds: ``layers/queries/search_params.py``.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any, Final, TypedDict

import orjson
from psycopg import AsyncConnection, AsyncRawCursor
from psycopg.rows import tuple_row

from layers.areas import contacts
from layers.areas.lookup import AreaRef
from layers.errors import InvalidInput
from layers.formats import features as geojson
from layers.queries import search_free as free
from layers.queries.search_params import (
    KINDS,
    MAX_Q,
    PLURAL,
    Filters,
    Origin,
    parse_kinds,
    plan_filters,
    search_origin,
)
from layers.sql import sql

__all__ = [
    "KINDS", "MAX_Q", "Nearby", "NearbyResult", "NearbyText", "ServingGroup", "feature_collection", "nearby_assets",
    "parsed",
]  # fmt: skip

DEFAULT_RADIUS_M: Final = 2000.0
MAX_RADIUS_M: Final = 50_000.0
DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100
#: Paging walks the nearest-neighbour scan from the start, so deep pages cost more: stop at a sensible depth.
MAX_OFFSET: Final = 1000


class AreaServed(TypedDict):
    """An area a group serves."""

    code: str
    name: str
    kind: str


class NearbyResult(TypedDict):
    """One group, hub or space near the point: its public summary and true distance."""

    kind: str
    id: int
    name: str
    subtype: str | None
    url: str
    distance_m: int
    lon: float
    lat: float
    ward: AreaRef | None
    address: str | None
    postcode: str | None
    cost: str | None
    step_free: bool | None
    opening_hours: str | None
    meets: list[dict[str, Any]] | None
    availability: dict[str, bool | str | None] | None
    status: str | None
    last_verified_at: Any
    book_url: str | None
    rooms_to_book: int | None


class ServingGroup(TypedDict):
    """A group with no public venue that serves an area holding the point."""

    kind: str
    id: int
    name: str
    subtype: str | None
    url: str
    serves_your_area: bool
    served_area: AreaServed
    cost: str | None
    step_free: bool | None
    meets: list[dict[str, Any]]
    status: str
    last_verified_at: Any


class _Page(TypedDict):
    """What a page of a nearby search says besides its two lists."""

    origin: Origin
    radius_m: float
    kinds: list[str]
    filters: Filters
    notes: list[str]
    limit: int
    offset: int
    more_results: bool
    more_serving: bool
    contact: dict[str, Any] | None  # the place's named council contact (layers.areas.contacts.PUBLIC_FIELDS)


class Nearby(_Page):
    """A page of nearby results, and the groups serving the area."""

    results: list[NearbyResult]
    serving_your_area: list[ServingGroup]


class NearbyText(_Page):
    """A page of nearby results with its two lists as the JSON text the statement wrote (see ``parsed``).

    The API sends the text on as it is (orjson.Fragment), instead of parsing it only to write it again.
    """

    results: str
    serving_your_area: str


def parsed(found: NearbyText) -> Nearby:
    """The page with its two lists parsed."""
    return {
        "origin": found["origin"],
        "radius_m": found["radius_m"],
        "kinds": found["kinds"],
        "filters": found["filters"],
        "notes": found["notes"],
        "results": orjson.loads(found["results"]),
        "serving_your_area": orjson.loads(found["serving_your_area"]),
        "limit": found["limit"],
        "offset": found["offset"],
        "more_results": found["more_results"],
        "more_serving": found["more_serving"],
        "contact": found["contact"],
    }


async def nearby_assets(
    conn: AsyncConnection[Any],
    *,
    lon: float | None = None,
    lat: float | None = None,
    postcode: str | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    kinds: str | None = None,
    category: str | None = None,
    community: str | None = None,
    q: str | None = None,
    open_at: str | None = None,
    cost: str | None = None,
    step_free: bool = False,
    volunteers_wanted: bool = False,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    free_from: datetime | None = None,
    free_for_minutes: int | None = None,
    capacity: int | None = None,
    max_price: float | None = None,
) -> NearbyText:
    """Groups, hubs and spaces within radius_m metres of a point or postcode, nearest first, filtered; with
    free_from, bookable rooms and spaces free for that time instead (``layers.queries.search_free``).

    The two lists come as JSON text (``parsed`` gives them as lists).
    """
    if not (0 < radius_m <= MAX_RADIUS_M):
        raise InvalidInput(
            "radius_m is out of range",
            f"Give radius_m in metres, more than 0 and at most {MAX_RADIUS_M:.0f}.",
        )
    if not (1 <= limit <= MAX_LIMIT and 0 <= offset <= MAX_OFFSET):
        raise InvalidInput(
            "limit or offset out of range", f"limit is 1 to {MAX_LIMIT}; offset is 0 to {MAX_OFFSET}."
        )
    window = None
    if free_from is not None:
        window, searched, filters, notes = _plan_free(
            free_from, free_for_minutes, kinds=kinds, q=q, step_free=step_free, capacity=capacity,
            max_price=max_price, others={"category": category, "community": community, "cost": cost,
                                         "open_at": open_at, "volunteers_wanted": volunteers_wanted},
        )  # fmt: skip
    elif free_for_minutes is not None or capacity is not None or max_price is not None:
        raise InvalidInput(
            "free_for_minutes, capacity and max_price need free_from",
            "Give free_from (when the room is needed) to find rooms and spaces free then, or leave them out.",
        )
    else:
        params, searched, filters, notes = plan_filters(
            parse_kinds(kinds),
            category=category,
            community=community,
            q=q,
            open_at=open_at,
            cost=cost,
            step_free=step_free,
            volunteers_wanted=volunteers_wanted,
        )
    origin, where = await search_origin(conn, lon=lon, lat=lat, postcode=postcode)
    if window is not None:
        params = free.statement_params(
            window, searched, lon=origin["lon"], lat=origin["lat"], radius_m=radius_m, q=filters["q"],
            step_free=step_free, capacity=capacity, max_price=max_price, limit=limit, offset=offset,
        )  # fmt: skip
        results, more_results = await _run_free(conn, params)
        serving, more_serving = "[]", False
        contact = await contacts.contact_at(conn, origin["lon"], origin["lat"])
    else:
        params = statement_params(
            params, searched, lon=origin["lon"], lat=origin["lat"], radius_m=radius_m, limit=limit,
            offset=offset, step_free=step_free, volunteers_wanted=volunteers_wanted,
        )  # fmt: skip
        results, more_results, serving, more_serving, contact = await _run(conn, params)
    return {
        "origin": origin,
        "radius_m": float(radius_m),
        "kinds": searched,
        "filters": filters,
        "notes": where + notes,
        "results": results,
        "serving_your_area": serving,
        "limit": limit,
        "offset": offset,
        "more_results": more_results,
        "more_serving": more_serving,
        "contact": contacts.public(contact),
    }


def statement_params(
    filter_params: dict[str, Any],
    searched: list[str],
    *,
    lon: float,
    lat: float,
    radius_m: float,
    limit: int,
    offset: int,
    step_free: bool,
    volunteers_wanted: bool,
) -> dict[str, Any]:
    """Every parameter of search_nearby.sql: the filters' (plan_filters), the point, radius and page."""
    return filter_params | {
        "lon": lon,
        "lat": lat,
        "radius_m": float(radius_m),
        "k": offset + limit + 1,
        "offset": offset,
        "page": limit + 1,
        "step_free": step_free,
        "volunteers": volunteers_wanted,
        **{PLURAL[k]: k in searched for k in KINDS},
    }


async def _run(
    conn: AsyncConnection[Any], params: dict[str, Any]
) -> tuple[str, bool, str, bool, dict[str, Any] | None]:
    """Run search_nearby.sql, prepared, in one round trip: (results, more_results, serving, more_serving,
    contact: the point's named council contact, or None).

    The two lists come as JSON text, built by the statement in the API's shape (NearbyResult, ServingGroup).

    Planning this statement costs more than running it (about 2 ms against 1 ms), and PostgreSQL does not
    pick the generic plan by itself: its estimates for LIMIT $k and for the serving join price the generic
    plan above the custom ones. The generic plan is the one wanted anyway, whatever the parameters: every
    filter is "param IS NULL OR test" on the rows the ordered index scans yield. So the API runs it on
    connections opened with plan_cache_mode = force_generic_plan (api.main.make_pool's search pool), which
    plan it once per connection; on any other connection it is still right, only slower. The statement goes
    as a raw ($1) query so psycopg does not parse its 8 kB again on every call (its cache stops at 4 kB).
    """
    text, names = numbered_sql("search_nearby.sql")
    cur = AsyncRawCursor(conn, row_factory=tuple_row)
    await cur.execute(text, [params[n] for n in names], prepare=True)
    row = await cur.fetchone()
    assert row is not None  # aggregates: always one row
    return row[0], row[1], row[2], row[3], row[4]


async def _run_free(conn: AsyncConnection[Any], params: dict[str, Any]) -> tuple[str, bool]:
    """Run search_free.sql as ``_run`` runs search_nearby.sql (raw, prepared, generic plan on the search
    pool): (results as JSON text in the API's FreeResult shape, more_results)."""
    text, names = numbered_sql("search_free.sql")
    cur = AsyncRawCursor(conn, row_factory=tuple_row)
    await cur.execute(text, [params[n] for n in names], prepare=True)
    row = await cur.fetchone()
    assert row is not None  # an aggregate: always one row
    return row[0], row[1]


def _plan_free(
    free_from: datetime,
    minutes: int | None,
    *,
    kinds: str | None,
    q: str | None,
    step_free: bool,
    capacity: int | None,
    max_price: float | None,
    others: dict[str, Any],
) -> tuple[free.FreeWindow, list[str], Filters, list[str]]:
    """A free-room search's window, kinds, filters applied and notes; InvalidInput for what cannot apply."""
    free.refuse_other_filters(others)
    searched = free.parse_free_kinds(kinds)
    window = free.free_window(free_from, minutes)
    if capacity is not None and not 1 <= capacity <= free.MAX_CAPACITY:
        raise InvalidInput("capacity is out of range", f"Give capacity in people, 1 to {free.MAX_CAPACITY}.")
    if max_price is not None and not (0 <= max_price <= free.MAX_PRICE):  # NaN fails too
        raise InvalidInput(
            "max_price is out of range", f"Give max_price in GBP per hour, 0 to {free.MAX_PRICE:.0f}."
        )
    _, _, filters, _ = plan_filters(
        list(KINDS), category=None, community=None, q=q, open_at=None, cost=None, step_free=step_free,
        volunteers_wanted=False, free=window.filters(capacity, max_price),
    )  # fmt: skip
    return window, searched, filters, free.window_note(window)


@cache
def numbered_sql(name: str) -> tuple[str, tuple[str, ...]]:
    """A layers/sql file with its %(name)s placeholders made $1, $2, ... and the names in that order."""
    return numbered(sql(name))


def numbered(query: str) -> tuple[str, tuple[str, ...]]:
    """SQL text with its %(name)s placeholders made $1, $2, ... and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", number, query), tuple(names)


def feature_collection(found: Nearby) -> dict[str, Any]:
    """A search answer as a GeoJSON FeatureCollection of the results (EPSG:4326, lon/lat).

    Everything else in the answer (origin, filters, notes, the groups serving the area, which have no
    point) rides along as foreign members, as RFC 7946 allows.
    """
    rest = {k: v for k, v in found.items() if k != "results"}
    return geojson.feature_collection(geojson.point_features(found["results"]), **rest)

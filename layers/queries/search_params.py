"""Parameters of a nearby search: where it starts (a point, a postcode or an outward code) and its filters.

What each filter applies to (a kind a filter does not apply to is left out, and the answer says so):

====================  =====================================  ==========================================
filter                groups                                 hubs / spaces
====================  =====================================  ==========================================
category              a group category (GROUP_CATEGORIES)    a hub kind finds hubs of that kind, a space
                                                             kind spaces; a group category leaves both out
community             identity or interest served            left out
q                     name, description, activities, ...     name, description, address, ...
open_at               meets then (``meets``)                 hub: open then (``opening_hours``; unknown
                                                             hours are left out); space: the
                                                             availability flag for that time is true
cost                  ``cost``                               space: ``price_band``; hubs left out
step_free             ``step_free`` is true                  ``step_free`` is true
volunteers_wanted     ``volunteers_wanted`` is true          left out
====================  =====================================  ==========================================

``cost=low-cost`` means free or low-cost. Closed groups, and spaces that are let or unavailable, are never
found by search (their pages still show them, with their status). Groups whose only location is the areas
they serve are never placed on the map: they come back in ``serving_your_area`` when the point is inside an
area they serve, with no distance.
"""

from __future__ import annotations

from typing import Any, Final, TypedDict

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from layers.areas.lookup import check_lonlat
from layers.areas.postcodes import normalise_outward, require_postcode
from layers.errors import InvalidInput, NotFound
from layers.queries.search_free import NO_FREE, FreeFilters
from layers.records.hours import availability_key, parse_open_at
from layers.sql import sql
from layers.taxonomy import (
    COMMUNITIES_OF_IDENTITY,
    COMMUNITIES_OF_INTEREST,
    GROUP_CATEGORIES,
    HUB_KINDS,
    SPACE_KINDS,
)

KINDS: Final = ("group", "hub", "space")
PLURAL: Final = {"group": "groups", "hub": "hubs", "space": "spaces"}
MAX_Q: Final = 200
#: What each cost filter accepts (groups.cost and spaces.price_band share these two values).
COSTS: Final[dict[str, list[str]]] = {"free": ["free"], "low-cost": ["free", "low-cost"]}


class Origin(TypedDict):
    """Where a search starts (EPSG:4326) and how that point was found."""

    lon: float
    lat: float
    located_by: str
    postcode: str | None
    outward_code: str | None
    approximate: bool | None
    postcodes: int | None


class Filters(FreeFilters):
    """The filters a search applied, normalised (the free-room ones None unless free_from was given)."""

    category: str | None
    community: str | None
    q: str | None
    open_at: str | None
    cost: str | None
    step_free: bool
    volunteers_wanted: bool


def parse_kinds(text: str | None) -> list[str]:
    """Kinds from a comma list such as 'group,hub' (None: all three); InvalidInput if one is unknown."""
    if text is None:
        return list(KINDS)
    asked = {k.strip().lower() for k in text.split(",") if k.strip()}
    unknown = sorted(asked - set(KINDS))
    if unknown or not asked:
        raise InvalidInput(
            f"Unknown kinds: {', '.join(repr(k[:20]) for k in unknown)}" if unknown else "No kinds given",
            "Give kinds as a comma list of group, hub and space, e.g. kinds=group,hub (or leave it out).",
        )
    return [k for k in KINDS if k in asked]


def plan_filters(
    kinds: list[str],
    *,
    category: str | None,
    community: str | None,
    q: str | None,
    open_at: str | None,
    cost: str | None,
    step_free: bool,
    volunteers_wanted: bool,
    free: FreeFilters = NO_FREE,
) -> tuple[dict[str, Any], list[str], Filters, list[str]]:
    """SQL parameters for the filters, the kinds still searched, the filters applied (with a free-room
    search's window, ``free``), and notes."""
    params: dict[str, Any] = dict.fromkeys(
        ("hub_kind", "space_kind", "category", "identity", "interest", "q", "minute", "space_flag", "costs")
    )
    only: list[tuple[str, set[str]]] = []  # (why, the kinds a filter applies to)
    if category is not None:
        if category in GROUP_CATEGORIES:
            params["category"], applies = category, {"group"}
        elif category in HUB_KINDS:
            params["hub_kind"], applies = category, {"hub"}
        elif category in SPACE_KINDS:
            params["space_kind"], applies = category, {"space"}
        else:
            raise InvalidInput(
                f"Unknown category {category[:40]!r}",
                f"Use a group category: {', '.join(GROUP_CATEGORIES)}; or a hub kind "
                f"({', '.join(HUB_KINDS)}) or a space kind ({', '.join(SPACE_KINDS)}) to find only those.",
            )
        only.append((f"category {category!r}", applies))
    if community is not None:
        if community in COMMUNITIES_OF_IDENTITY:
            params["identity"] = community
        elif community in COMMUNITIES_OF_INTEREST:
            params["interest"] = community
        else:
            raise InvalidInput(
                f"Unknown community {community[:40]!r}",
                f"Use a community of identity ({', '.join(COMMUNITIES_OF_IDENTITY)}) or of interest "
                f"({', '.join(COMMUNITIES_OF_INTEREST)}).",
            )
        only.append((f"community {community!r}", {"group"}))
    if cost is not None:
        if cost not in COSTS:
            raise InvalidInput(
                f"Unknown cost {cost[:20]!r}", "Use cost=free, or cost=low-cost (which includes free)."
            )
        params["costs"] = COSTS[cost]
        only.append((f"cost {cost!r}", {"group", "space"}))
    if volunteers_wanted:
        only.append(("volunteers_wanted", {"group"}))
    when = parse_open_at(open_at) if open_at is not None else None
    if when is not None:
        params["minute"], params["space_flag"] = when.minute_of_week, availability_key(when)
    if q is not None:
        q = q.strip() or None
    if q is not None and (len(q) > MAX_Q or "\x00" in q):
        raise InvalidInput("q is too long or holds a control character", f"Give up to {MAX_Q} characters.")
    params["q"] = q
    searched, notes = list(kinds), []
    for why, applies in only:
        dropped = [k for k in searched if k not in applies]
        if dropped:
            names = " and ".join(PLURAL[k] for k in dropped)
            to = " and ".join(PLURAL[k] for k in sorted(applies))
            notes.append(f"No {names}: {why} applies only to {to}.")
        searched = [k for k in searched if k in applies]
    filters: Filters = {
        "category": category,
        "community": community,
        "q": q,
        "open_at": str(when) if when else None,
        "cost": cost,
        "step_free": step_free,
        "volunteers_wanted": volunteers_wanted,
        **free,
    }
    return params, searched, filters, notes


async def search_origin(
    conn: AsyncConnection[Any], *, lon: float | None, lat: float | None, postcode: str | None
) -> tuple[Origin, list[str]]:
    """The point to search from (lat and lon, a postcode or an outward code) and notes on how it was found."""
    if postcode is not None and (lon is not None or lat is not None):
        raise InvalidInput("Give a point or a postcode, not both", "Use either lat and lon, or postcode.")
    if postcode is None:
        if lon is None or lat is None:
            raise InvalidInput(
                "Give a point (lat and lon) or a postcode",
                "For example /search/nearby?lat=52.6277&lon=1.2910, /search/nearby?postcode=NR2 1AW, or "
                "an outward code alone: /search/nearby?postcode=NR2.",
            )
        check_lonlat(lon, lat)
        point: Origin = {
            "lon": lon,
            "lat": lat,
            "located_by": "point",
            "postcode": None,
            "outward_code": None,
            "approximate": None,
            "postcodes": None,
        }
        return point, []
    outward_only = normalise_outward(postcode)
    full = None if outward_only else require_postcode(postcode)
    outward = outward_only or (full or "").split(" ")[0]
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql("search_origin.sql"), {"postcode": full, "outward": outward})
    rows = {r["located_by"]: r for r in await cur.fetchall()}
    row = rows.get("postcode") or rows.get("outward_code")
    if row is None:
        raise NotFound(
            f"Postcode {full} is not known" if full else f"Outward code {outward} is not known",
            "Patchmap only knows postcodes in the areas it holds; check the postcode, or search from a point "
            "with lat and lon instead.",
        )
    origin: Origin = {
        "lon": row["lon"],
        "lat": row["lat"],
        "located_by": row["located_by"],
        "postcode": full if row["located_by"] == "postcode" else None,
        "outward_code": outward,
        "approximate": row["approximate"],
        "postcodes": row["postcodes"],
    }
    notes = []
    if row["located_by"] == "outward_code":
        mean = f"the mean point of the {row['postcodes']} postcodes in {outward} Patchmap holds"
        notes.append(
            f"Postcode {full} is not known: searching from {mean}."
            if full
            else f"{outward} is an outward code: searching from {mean}."
        )
    return origin, notes

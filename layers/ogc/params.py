"""The query parameters of the OGC API and their checks: anything unknown, repeated or malformed is refused
with ``BadParameter`` (400, as OGC API – Features asks), saying what to send instead.

A ``limit`` above ``MAX_LIMIT`` is not an error: the standard asks for the maximum to be used instead.
``datetime`` is checked and otherwise ignored: no collection has a temporal extent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from layers.errors import BadParameter
from layers.ogc.collections import CRS84, CRSS, Collection, Crs, Filter

DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 1000
MAX_OFFSET: Final = 2_000_000_000
FORMATS: Final = ("json", "html")
#: Parameters every items request may carry, besides the collection's filters.
ITEMS_PARAMS: Final = ("f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime")
#: Easting and northing (metres) an EPSG:27700 bbox must lie within: the grid and a margin around it.
BNG_RANGE: Final = (-1_000_000.0, 2_000_000.0)

Value = str | int | bool
Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class ItemsQuery:
    """A checked items request: the page, the box (in CRS84 degrees, or None), the CRS and the filters."""

    limit: int
    offset: int
    bbox: tuple[float, float, float, float] | None
    bbox_crs: Crs
    crs: Crs
    filters: tuple[tuple[Filter, Value], ...]
    fmt: str | None


def _single(params: Params, allowed: Sequence[str]) -> dict[str, str]:
    """The parameters as a dict; BadParameter for one not in ``allowed`` or given twice."""
    found: dict[str, str] = {}
    for name, value in params:
        if name not in allowed:
            raise BadParameter(
                f"Unknown parameter {name[:40]!r}", f"This address takes {', '.join(allowed)}."
            )
        if name in found:
            raise BadParameter(f"The parameter {name!r} is given twice", "Give each parameter once.")
        found[name] = value
    return found


def check_format(value: str | None) -> str | None:
    """``f`` as given (json or html), or None; BadParameter for another."""
    if value is not None and value not in FORMATS:
        raise BadParameter(f"Unknown format f={value[:20]!r}", "Use f=json or f=html (or leave f out).")
    return value


def plain_query(params: Params) -> str | None:
    """The format of a request that takes only ``f`` (landing page, conformance, collections)."""
    return check_format(_single(params, ("f",)).get("f"))


def crs_of(value: str | None, name: str = "crs") -> Crs:
    """The CRS a URI names (CRS84 when None); BadParameter for one not offered."""
    if value is None:
        return CRSS[CRS84]
    found = CRSS.get(value.strip().strip("<>[]"))
    if found is None:
        raise BadParameter(
            f"The {name} {value[:80]!r} is not offered", f"Use one of {', '.join(CRSS)} (or leave it out)."
        )
    return found


def item_query(params: Params) -> tuple[Crs, str | None]:
    """The CRS and format of a single-feature request."""
    given = _single(params, ("f", "crs"))
    return crs_of(given.get("crs")), check_format(given.get("f"))


def _integer(name: str, value: str, low: int, high: int) -> int:
    """A whole number within low..high; BadParameter otherwise."""
    try:
        number = int(value)
    except ValueError:
        raise BadParameter(f"{name} is not a whole number", f"Give {name} as a whole number.") from None
    if not low <= number <= high:
        raise BadParameter(f"{name} is out of range", f"Give {name} between {low} and {high}.")
    return number


def _bbox(value: str, crs: Crs) -> tuple[float, float, float, float]:
    """A bbox in ``crs`` as CRS84-ordered (x, y) corners in that CRS; BadParameter if malformed."""
    order = "minlat,minlon,maxlat,maxlon" if crs.lat_first else "minx,miny,maxx,maxy"
    how = f"Give bbox as four numbers, {order}, in {crs.uri}."
    try:
        numbers = [float(p) for p in value.split(",")]
    except ValueError:
        raise BadParameter("The bbox is not four numbers", how) from None
    if len(numbers) == 6:  # with heights: the 2D corners
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise BadParameter("The bbox is not four numbers", how)
    if crs.lat_first:
        numbers = [numbers[1], numbers[0], numbers[3], numbers[2]]
    x0, y0, x1, y1 = numbers
    if crs.srid == 27700:
        low, high = BNG_RANGE
        inside = all(low <= n <= high for n in numbers)
    else:
        inside = -180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90
    if not inside or x0 > x1 or y0 > y1:
        raise BadParameter("The bbox is out of range or its corners are swapped", how)
    return x0, y0, x1, y1


def _datetime(value: str) -> None:
    """Check an RFC 3339 instant or interval (``..`` for an open end)."""
    for part in value.split("/"):
        if part in ("..", "") and "/" in value:
            continue
        try:
            datetime.fromisoformat(part)
        except ValueError:
            raise BadParameter(
                "datetime is not an RFC 3339 date, time or interval",
                "For example 2024-05-01T00:00:00Z or 2024-05-01/.. (collections here have no time: it selects "
                "nothing out).",
            ) from None


def _filter_value(name: str, spec: Filter, value: str) -> Value:
    """A filter's value in its column's type."""
    if spec.kind == "integer":
        return _integer(name, value, -(2**31), 2**31 - 1)
    if spec.kind == "boolean":
        if value not in ("true", "false"):
            raise BadParameter(f"{name} is not true or false", f"Give {name}=true or {name}=false.")
        return value == "true"
    if len(value) > 200:
        raise BadParameter(f"{name} is too long", f"Give {name} in at most 200 characters.")
    return value


def items_query(collection: Collection, params: Params) -> ItemsQuery:
    """A checked items request for ``collection``."""
    given = _single(params, (*ITEMS_PARAMS, *collection.filters))
    limit = (
        min(_integer("limit", given["limit"], 1, 2**31 - 1), MAX_LIMIT) if "limit" in given else DEFAULT_LIMIT
    )
    offset = _integer("offset", given["offset"], 0, MAX_OFFSET) if "offset" in given else 0
    bbox_crs = crs_of(given.get("bbox-crs"), "bbox-crs")
    if "bbox-crs" in given and "bbox" not in given:
        raise BadParameter("bbox-crs without bbox", "Give bbox too, or leave bbox-crs out.")
    bbox = _bbox(given["bbox"], bbox_crs) if "bbox" in given else None
    if "datetime" in given:
        _datetime(given["datetime"])
    filters = tuple(
        (spec, _filter_value(name, spec, given[name]))
        for name, spec in collection.filters.items()
        if name in given
    )
    return ItemsQuery(
        limit, offset, bbox, bbox_crs, crs_of(given.get("crs")), filters, check_format(given.get("f"))
    )

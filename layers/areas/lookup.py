"""Area reads: point and postcode lookup, area lists, one area as GeoJSON, and map layers by bbox.

Coordinates are lon, lat in EPSG:4326; simplification tolerances are metres in the metric CRS the caller
passes (``GeoSettings.metric_srid``). GeoJSON is built by PostGIS and returned as text, ready to send.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple, TypedDict

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from layers.areas import contacts
from layers.areas.postcodes import require_postcode
from layers.errors import InvalidInput, NotFound
from layers.sql import sql
from layers.taxonomy import AREA_KINDS

#: Kinds a point lookup reports one of (custom localities are a list: a point may be in several).
LOOKUP_KINDS = ("ward", "district", "lsoa", "county")
MAX_LIST_LIMIT = 1000
MAX_MAP_FEATURES = 5000


class AreaRef(TypedDict):
    """An area's code and name."""

    code: str
    name: str


class LookupPoint(TypedDict):
    """The point a lookup used (EPSG:4326)."""

    lon: float
    lat: float


class Lookup(TypedDict):
    """The areas holding a point."""

    point: LookupPoint
    postcode: str | None
    approximate: bool | None
    ward: AreaRef | None
    district: AreaRef | None
    lsoa: AreaRef | None
    county: AreaRef | None
    localities: list[AreaRef]
    contact: dict[str, Any] | None  # the named council contact (layers.areas.contacts.PUBLIC_FIELDS)


class AreaSummary(TypedDict):
    """One row of an area list."""

    code: str
    name: str
    kind: str
    parent_code: str | None
    vintage: str | None


class BBox(NamedTuple):
    """A lon/lat box in EPSG:4326."""

    minlon: float
    minlat: float
    maxlon: float
    maxlat: float


def check_lonlat(lon: float, lat: float) -> None:
    """Raise InvalidInput unless lon is in -180..180 and lat in -90..90."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(
            "The point is out of range",
            f"lat must be between -90 and 90 and lon between -180 and 180 (got lat={lat}, lon={lon}).",
        )


def parse_bbox(text: str) -> BBox:
    """A BBox from 'minlon,minlat,maxlon,maxlat'; InvalidInput if malformed, out of range or empty."""
    how = "Give bbox as minlon,minlat,maxlon,maxlat in degrees (EPSG:4326), e.g. 1.2,52.6,1.35,52.66."
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InvalidInput("The bbox is not four numbers", how) from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput("The bbox is not four numbers", how)
    box = BBox(*values)
    if not (-180 <= box.minlon < box.maxlon <= 180 and -90 <= box.minlat < box.maxlat <= 90):
        raise InvalidInput("The bbox is out of range or empty", how + " min must be less than max.")
    return box


async def lookup(
    conn: AsyncConnection[Any], *, lon: float | None, lat: float | None, postcode: str | None
) -> Lookup:
    """The areas holding a point (lon and lat) or a postcode's point: exactly one of the two."""
    if postcode is not None and (lon is not None or lat is not None):
        raise InvalidInput("Give a point or a postcode, not both", "Use either lat and lon, or postcode.")
    if postcode is not None:
        return await lookup_postcode(conn, postcode)
    if lon is None or lat is None:
        raise InvalidInput(
            "Give a point (lat and lon) or a postcode",
            "For example /areas/lookup?lat=52.6277&lon=1.2910 or /areas/lookup?postcode=NR2 1AW.",
        )
    return await lookup_point(conn, lon, lat)


async def lookup_point(conn: AsyncConnection[Any], lon: float, lat: float) -> Lookup:
    """The ward, district, LSOA, county and custom localities holding the point (one round trip)."""
    check_lonlat(lon, lat)
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql("lookup_point.sql"), {"lon": lon, "lat": lat})
    rows = await cur.fetchall()
    if not rows:
        raise await _outside(conn)
    return _lookup(lon, lat, rows, None, None)


async def lookup_postcode(conn: AsyncConnection[Any], postcode: str) -> Lookup:
    """The areas holding a postcode's point, and whether that point is approximate (one round trip)."""
    code = require_postcode(postcode)
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql("lookup_postcode.sql"), {"postcode": code})
    rows = await cur.fetchall()
    if not rows:
        raise NotFound(
            f"Postcode {code} is not known",
            "Patchmap only knows postcodes in the areas it holds; check the postcode, or look up a point "
            "with lat and lon instead.",
        )
    first = rows[0]
    if first["kind"] is None:
        raise await _outside(conn)
    return _lookup(first["lon"], first["lat"], rows, first["postcode"], first["approximate"])


def _lookup(
    lon: float, lat: float, rows: list[dict[str, Any]], postcode: str | None, approximate: bool | None
) -> Lookup:
    """Shape lookup rows (kind, code, name in kind, code order) into a Lookup."""
    single: dict[str, AreaRef] = {}
    localities: list[AreaRef] = []
    for row in rows:
        ref: AreaRef = {"code": row["code"], "name": row["name"]}
        if row["kind"] == "locality":
            localities.append(ref)
        else:
            # On a shared edge two areas of a kind touch the point: keep the first code, so answers are stable.
            single.setdefault(row["kind"], ref)
    return {
        "point": {"lon": lon, "lat": lat},
        "postcode": postcode,
        "approximate": approximate,
        "ward": single.get("ward"),
        "district": single.get("district"),
        "lsoa": single.get("lsoa"),
        "county": single.get("county"),
        "localities": localities,
        "contact": contacts.pick(rows),
    }


async def _outside(conn: AsyncConnection[Any]) -> NotFound:
    """The NotFound for a point outside every boundary, saying what Patchmap holds."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql("lookup_coverage.sql"))
    row = await cur.fetchone()
    if row is None or row["minlon"] is None:
        held, where = "no areas yet", "Load boundaries first (patchmap import boundaries)."
    else:
        names = row["counties"] or row["districts"] or []
        what = "counties" if row["counties"] else "districts"
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        held = f"{len(names)} {what} ({shown})" if names else "some areas"
        held += f", {row['wards']} wards and {row['lsoas']} LSOAs"
        where = (
            f"They lie between lon {row['minlon']:.2f} and {row['maxlon']:.2f}, lat {row['minlat']:.2f} and "
            f"{row['maxlat']:.2f}; check that lat and lon are not swapped."
        )
    return NotFound(
        f"No ward, district or LSOA contains this point; Patchmap holds boundaries for {held}", where
    )


def check_kind(kind: str) -> None:
    """Raise InvalidInput unless kind is an area kind."""
    if kind not in AREA_KINDS:
        raise InvalidInput(f"Unknown kind {kind[:32]!r}", f"Use one of {', '.join(AREA_KINDS)}.")


async def list_areas(
    conn: AsyncConnection[Any],
    *,
    kind: str | None = None,
    within: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AreaSummary]:
    """Areas of a kind, within a parent area and with q in their name, in name order."""
    if kind is not None:
        check_kind(kind)
    if not (1 <= limit <= MAX_LIST_LIMIT and offset >= 0):
        raise InvalidInput(
            "limit or offset out of range", f"limit is 1 to {MAX_LIST_LIMIT}; offset is 0 or more."
        )
    pattern = None if not q else "%" + re.sub(r"([\\%_])", r"\\\1", q) + "%"
    params = {"kind": kind, "within": within, "q": pattern, "limit": limit, "offset": offset}
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql("areas_list.sql"), params)
    rows: list[Any] = await cur.fetchall()
    if not rows and within is not None and not await area_exists(conn, within):
        raise NotFound(
            f"No area has the code {within[:32]!r}", "Find area codes with GET /areas?kind=district."
        )
    return rows


async def area_exists(conn: AsyncConnection[Any], code: str) -> bool:
    """Whether an area with this code exists."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql("areas_exists.sql"), {"code": code})
    row = await cur.fetchone()
    return bool(row and row["found"])


async def area_feature(
    conn: AsyncConnection[Any], code: str, *, simplify_m: float = 0, metric_srid: int = 27700
) -> str:
    """One area as GeoJSON Feature text, with members and indicators; simplify_m metres in metric_srid."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        sql("areas_feature.sql"), {"code": code, "simplify_m": float(simplify_m), "metric_srid": metric_srid}
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"No area has the code {code[:32]!r}", "Find area codes with GET /areas?kind=ward.")
    feature: str = row["feature"]
    return feature


async def areas_geojson(
    conn: AsyncConnection[Any],
    *,
    kind: str,
    bbox: BBox,
    simplify_m: float = 0,
    metric_srid: int = 27700,
    limit: int = MAX_MAP_FEATURES,
) -> str:
    """Areas of a kind meeting bbox as GeoJSON FeatureCollection text (simplify_m metres in metric_srid)."""
    check_kind(kind)
    params = {"kind": kind, **bbox._asdict(), "simplify_m": float(simplify_m), "metric_srid": metric_srid}
    return await _collection(conn, "map_areas.sql", {**params, "limit": limit})


async def assets_geojson(conn: AsyncConnection[Any], *, bbox: BBox, limit: int = MAX_MAP_FEATURES) -> str:
    """Hubs and spaces in bbox (public fields only) as GeoJSON FeatureCollection text."""
    return await _collection(conn, "map_assets.sql", {**bbox._asdict(), "limit": limit})


async def _collection(conn: AsyncConnection[Any], name: str, params: dict[str, Any]) -> str:
    """Run a map_*.sql query that returns one FeatureCollection as text."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql(name), params)
    row = await cur.fetchone()
    assert row is not None  # an aggregate always returns one row
    collection: str = row["collection"]
    return collection

"""The OGC API reads: a page of a collection's features and one feature, as GeoJSON text built by PostGIS.

Each statement (``layers/sql/ogc_*.sql``) is composed with ``psycopg.sql``: the view and its columns are
identifiers quoted by psycopg, from ``layers.ogc.collections`` (never from the request); every value is a
bound parameter. Geometry is stored in EPSG:4326 (longitude, latitude) and written in the CRS asked for:
CRS84 as stored, EPSG:4326 with its axes swapped (latitude first), EPSG:27700 transformed (metres, 2 dp).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from psycopg import AsyncConnection
from psycopg import sql as pg
from psycopg.rows import dict_row, tuple_row

from layers.errors import NotFound
from layers.ogc.collections import COLLECTIONS, Collection, Crs, Filter
from layers.ogc.params import ItemsQuery
from layers.sql import sql

#: A bbox in metres is segmentized every this many metres before it is transformed to degrees, so its
#: edges stay where they were drawn.
SEGMENT_M = 1000


@dataclass(frozen=True)
class Page:
    """One page of features: their GeoJSON texts joined by commas, and the counts."""

    features: str
    matched: int
    returned: int


def geometry_sql(crs: Crs) -> pg.Composable:
    """The GeoJSON geometry of ``p.geom`` (EPSG:4326) in ``crs``."""
    geom: pg.Composable = pg.SQL("p.geom")
    if crs.srid != 4326:
        geom = pg.SQL("ST_Transform({}, {})").format(geom, pg.Literal(crs.srid))
    elif crs.lat_first:
        geom = pg.SQL("ST_FlipCoordinates({})").format(geom)
    return pg.SQL("ST_AsGeoJSON({}, {}, 0)").format(geom, pg.Literal(crs.decimals))  # 0: no "crs" member


def _columns(collection: Collection, alias: str) -> pg.Composable:
    """The collection's property columns, each as ``alias.column``."""
    return pg.SQL(", ").join(pg.Identifier(alias, name) for name in collection.properties)


def _statement(name: str, collection: Collection, crs: Crs, where: pg.Composable) -> pg.Composed:
    """The statement of file ``name`` composed for ``collection`` in ``crs``."""
    return pg.SQL(sql(name)).format(
        view=pg.Identifier(*collection.view),
        view_columns=_columns(collection, "v"),
        page_columns=_columns(collection, "p"),
        geometry=geometry_sql(crs),
        where=where,
    )


#: The shape of an items request's conditions: the bbox's SRID (None: no bbox) and each filter.
Shape = tuple[int | None, tuple[Filter, ...]]


def _written(name: str, collection: Collection, crs: Crs, shape: Shape) -> bytes:
    """The statement of file ``name`` for ``collection`` in ``crs`` with conditions of ``shape``."""
    return _written_for(name, collection.id, crs, shape)


@cache
def _written_for(name: str, collection_id: str, crs: Crs, shape: Shape) -> bytes:
    """The statement of file ``name`` for ``collection`` in ``crs`` with conditions of ``shape``, as the
    bytes psycopg sends: composed once per shape (a few dozen at most), not on every request. The same
    bytes each time also keep psycopg's prepared statement for them."""
    return _statement(name, COLLECTIONS[collection_id], crs, where_sql(shape)).as_bytes(None)


def where_sql(shape: Shape) -> pg.Composable:
    """The WHERE conditions (bbox, filters) of an items request of ``shape``."""
    srid, filters = shape
    parts: list[pg.Composable] = [pg.SQL("true")]
    if srid is not None:
        box = pg.SQL(
            "ST_MakeEnvelope(%(x0)s::float8, %(y0)s::float8, %(x1)s::float8, %(y1)s::float8, {})"
        ).format(pg.Literal(srid))
        if srid != 4326:
            box = pg.SQL("ST_Transform(ST_Segmentize({}, {}), 4326)").format(box, pg.Literal(SEGMENT_M))
        parts.append(pg.SQL("ST_Intersects(v.geom, {})").format(box))
    for i, spec in enumerate(filters):
        column = pg.Identifier("v", spec.column)
        if spec.kind == "any":
            parts.append(pg.SQL("{} = ANY({})").format(pg.Placeholder(f"f{i}"), column))
        else:
            parts.append(pg.SQL("{} = {}").format(column, pg.Placeholder(f"f{i}")))
    return pg.SQL(" AND ").join(parts)


def conditions(query: ItemsQuery) -> tuple[Shape, dict[str, Any]]:
    """The shape of an items request's conditions (bbox, filters) and their parameters."""
    params: dict[str, Any] = {}
    if query.bbox is not None:
        params.update(zip(("x0", "y0", "x1", "y1"), query.bbox, strict=True))
    for i, (_, value) in enumerate(query.filters):
        params[f"f{i}"] = value
    srid = query.bbox_crs.srid if query.bbox is not None else None
    return (srid, tuple(spec for spec, _ in query.filters)), params


async def items_page(conn: AsyncConnection[Any], collection: Collection, query: ItemsQuery) -> Page:
    """The page of ``collection``'s features that ``query`` asks for (one round trip)."""
    shape, params = conditions(query)
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(
        _written("ogc_items.sql", collection, query.crs, shape),
        {**params, "limit": query.limit, "offset": query.offset},
    )
    row = await cur.fetchone()
    assert row is not None  # an aggregate always gives a row
    matched, returned, text = row
    return Page(features=text, matched=int(matched), returned=int(returned))


def feature_key(collection: Collection, feature_id: str) -> int | str:
    """A feature id in its column's type; NotFound when it cannot name a feature."""
    if collection.id_kind == "string":
        return feature_id
    if not feature_id.isascii() or not feature_id.isdigit() or len(feature_id) > 9:
        raise _no_feature(collection, feature_id)
    return int(feature_id)


def _no_feature(collection: Collection, feature_id: str) -> NotFound:
    return NotFound(
        f"There is no feature {feature_id[:40]!r} in {collection.id}",
        f"GET /ogc/collections/{collection.id}/items lists its features and their ids.",
    )


async def one_feature(conn: AsyncConnection[Any], collection: Collection, feature_id: str, crs: Crs) -> str:
    """One feature's GeoJSON text; NotFound if the collection has no such feature."""
    key = feature_key(collection, feature_id)
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_written("ogc_item.sql", collection, crs, (None, ())), {"id": key})
    row = await cur.fetchone()
    if row is None:
        raise _no_feature(collection, feature_id)
    return str(row["feature"])


async def extent(conn: AsyncConnection[Any]) -> list[float] | None:
    """The boundaries' extent [minx, miny, maxx, maxy] in CRS84 degrees, or None when none are held."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql("ogc_extent.sql"))
    row = await cur.fetchone()
    if row is None or row["minx"] is None:
        return None
    return [round(float(row[k]), 6) for k in ("minx", "miny", "maxx", "maxy")]

"""The resident map's markers for a view: one by one when few, counted per grid cell when many.

A zoomed-out view of a busy area could hold tens of thousands of hubs, spaces and groups; sending each
would make the page slow to draw and heavy to load. Above ``cluster_over`` markers in the bbox, the view
gets one point per grid cell (about ``CELL_PX`` screen pixels square at the zoom asked for) carrying the
counts, and the map draws those as clusters. Coordinates are lon, lat in EPSG:4326; cells are in degrees.
"""

from __future__ import annotations

import math
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from layers.areas.lookup import BBox
from layers.errors import InvalidInput
from layers.sql import sql

#: Above this many markers in a view, the view is sent as grid clusters.
CLUSTER_OVER = 2000
#: Most markers sent one by one in any answer.
MAX_MARKERS = 5000
#: The side of a grid cell in screen pixels (Web Mercator tiles are 256 pixels wide).
CELL_PX = 80


def grid_cell(zoom: int, lat: float) -> tuple[float, float]:
    """The (lon, lat) size in degrees of a cell about CELL_PX pixels square at this zoom and latitude."""
    cell_lon = 360.0 / (2**zoom) * CELL_PX / 256.0
    # Web Mercator stretches north-south by 1/cos(lat): a degree of latitude covers fewer pixels.
    return cell_lon, cell_lon * max(math.cos(math.radians(lat)), 0.05)


async def count_markers(conn: AsyncConnection[Any], bbox: BBox, *, cap: int) -> int:
    """How many markers are in bbox, counting no further than just past cap."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql("map_markers_count.sql"), {**bbox._asdict(), "cap": cap})
    row = await cur.fetchone()
    assert row is not None  # an aggregate always returns one row
    return int(row["n"])


async def markers_geojson(
    conn: AsyncConnection[Any], *, bbox: BBox, zoom: int, cluster_over: int = CLUSTER_OVER
) -> str:
    """Markers in bbox as GeoJSON FeatureCollection text: each one, or grid clusters above cluster_over."""
    if not 0 <= zoom <= 22:
        raise InvalidInput("zoom is out of range", "zoom is a map zoom level from 0 to 22.")
    if not 1 <= cluster_over <= MAX_MARKERS:
        raise InvalidInput("cluster_over is out of range", f"cluster_over is 1 to {MAX_MARKERS}.")
    cur = conn.cursor(row_factory=dict_row)
    if await count_markers(conn, bbox, cap=cluster_over) <= cluster_over:
        await cur.execute(sql("map_markers.sql"), {**bbox._asdict(), "limit": cluster_over})
    else:
        cell_lon, cell_lat = grid_cell(zoom, (bbox.minlat + bbox.maxlat) / 2)
        await cur.execute(
            sql("map_clusters.sql"), {**bbox._asdict(), "cell_lon": cell_lon, "cell_lat": cell_lat}
        )
    row = await cur.fetchone()
    assert row is not None
    collection: str = row["collection"]
    return collection

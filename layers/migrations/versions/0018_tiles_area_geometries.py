"""tiles: each area's boundary in Web Mercator, simplified for bands of zoom, for the vector tiles

Revision ID: 0018_tiles
Revises: 0017
Create Date: 2026-12-06 05:00:00

The OGC API Tiles layers (``layers.tiles``) draw areas in EPSG:3857. Transforming and simplifying every
boundary on every tile request is most of a tile's cost, so each area keeps four generated copies of its
boundary, in step with ``geom`` by construction (no trigger, no refresh):

- ``tile_geom``: the whole boundary in EPSG:3857, for zoom 12 and closer;
- ``tile_geom_z10``, ``tile_geom_z8``, ``tile_geom_z0``: simplified (Douglas-Peucker, collapsed shapes kept)
  to a quarter of a screen pixel at zoom 11, 9 and 7 (19 m, 76 m and 306 m), for zooms 10-11, 8-9 and 0-7.

Every copy has its rings counter-clockwise (y up), so with the tile's y axis pointing down they are clockwise,
as the Mapbox Vector Tile specification asks of outer rings. Filters use ``geom`` and its GiST index; these
columns are only read.
"""

from alembic import op

revision = "0018_tiles"
down_revision = "0017"
branch_labels = None
depends_on = None

#: Column, and the tolerance in EPSG:3857 metres (None: not simplified).
COLUMNS = {
    "tile_geom": None,
    "tile_geom_z10": 19.0,
    "tile_geom_z8": 76.0,
    "tile_geom_z0": 306.0,
}


def expression(tolerance: float | None) -> str:
    """The generated column's expression."""
    if tolerance is None:
        return "ST_ForcePolygonCCW(ST_Transform(geom, 3857))"
    return f"ST_ForcePolygonCCW(ST_Simplify(ST_Transform(geom, 3857), {tolerance}, true))"


def upgrade() -> None:
    adds = ", ".join(
        f"ADD COLUMN {name} geometry(GEOMETRY, 3857) GENERATED ALWAYS AS ({expression(tol)}) STORED"
        for name, tol in COLUMNS.items()
    )
    op.execute(f"ALTER TABLE areas {adds}")  # one rewrite of the table, not four
    for name, tol in COLUMNS.items():
        what = "the whole boundary" if tol is None else f"the boundary simplified to {tol:g} m"
        op.execute(f"COMMENT ON COLUMN areas.{name} IS '{what} in EPSG:3857, rings CCW: for vector tiles'")


def downgrade() -> None:
    op.execute("ALTER TABLE areas " + ", ".join(f"DROP COLUMN IF EXISTS {name}" for name in COLUMNS))

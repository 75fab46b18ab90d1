"""tiles: each area's boundary in Web Mercator, simplified for bands of zoom, for the vector tiles

Revision ID: 0020
Revises: 0019
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

``area_tile_facts``: each area's latest IMD decile and population (the two indicators its tiles carry), one
narrow row per area, kept in step with ``indicators`` by statement-level triggers (an import refreshes the
areas it touched once, not row by row), so a tile does not look them up in ``indicators`` feature by feature.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
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


#: The indicators an area's tiles carry.
FACT_KEYS = ("imd_decile", "population_total")
REFRESH = """
CREATE FUNCTION tiles_refresh_facts(codes text[]) RETURNS void LANGUAGE sql AS $fn$
  DELETE FROM area_tile_facts WHERE area_code = ANY(codes);
  INSERT INTO area_tile_facts (area_code, imd_decile, population_total)
  SELECT c.code, round(imd.value::numeric, 1)::float8, round(pop.value)::int
  FROM (SELECT DISTINCT unnest(codes)) AS c(code)
  LEFT JOIN LATERAL (SELECT i.value FROM indicators i WHERE i.area_code = c.code AND i.key = 'imd_decile'
                     ORDER BY i.period DESC LIMIT 1) imd ON true
  LEFT JOIN LATERAL (SELECT i.value FROM indicators i WHERE i.area_code = c.code AND i.key = 'population_total'
                     ORDER BY i.period DESC LIMIT 1) pop ON true
  WHERE imd.value IS NOT NULL OR pop.value IS NOT NULL;
$fn$
"""
#: Trigger function per event: the transition tables whose rows name the areas to refresh.
EVENTS = {
    "insert": ("INSERT", "REFERENCING NEW TABLE AS new_rows", ("new_rows",)),
    "update": ("UPDATE", "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows", ("new_rows", "old_rows")),
    "delete": ("DELETE", "REFERENCING OLD TABLE AS old_rows", ("old_rows",)),
}


def upgrade() -> None:
    adds = ", ".join(
        f"ADD COLUMN {name} geometry(GEOMETRY, 3857) GENERATED ALWAYS AS ({expression(tol)}) STORED"
        for name, tol in COLUMNS.items()
    )
    op.execute(f"ALTER TABLE areas {adds}")  # one rewrite of the table, not four
    for name, tol in COLUMNS.items():
        what = "the whole boundary" if tol is None else f"the boundary simplified to {tol:g} m"
        op.execute(f"COMMENT ON COLUMN areas.{name} IS '{what} in EPSG:3857, rings CCW: for vector tiles'")
    op.create_table(
        "area_tile_facts",
        sa.Column("area_code", sa.String(32), nullable=False),
        sa.Column("imd_decile", sa.Float(), nullable=True, comment="latest IMD decile (1 = most deprived tenth)"),
        sa.Column("population_total", sa.Integer(), nullable=True, comment="latest resident population"),
        sa.PrimaryKeyConstraint("area_code", name=op.f("pk_area_tile_facts")),
    )
    op.execute(REFRESH)
    keys = ", ".join(f"'{k}'" for k in FACT_KEYS)
    for name, (event, referencing, relations) in EVENTS.items():
        codes = " UNION ".join(f"SELECT area_code FROM {r} WHERE key IN ({keys})" for r in relations)
        op.execute(
            f"CREATE FUNCTION tiles_facts_{name}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN "
            f"PERFORM tiles_refresh_facts(ARRAY({codes})); RETURN NULL; END $fn$"
        )
        op.execute(
            f"CREATE TRIGGER indicators_tiles_{name} AFTER {event} ON indicators {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION tiles_facts_{name}()"
        )
    op.execute(
        "CREATE FUNCTION tiles_facts_truncate() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN "
        "TRUNCATE area_tile_facts; RETURN NULL; END $fn$"
    )
    op.execute(
        "CREATE TRIGGER indicators_tiles_truncate AFTER TRUNCATE ON indicators "
        "FOR EACH STATEMENT EXECUTE FUNCTION tiles_facts_truncate()"
    )
    op.execute(f"SELECT tiles_refresh_facts(ARRAY(SELECT DISTINCT area_code FROM indicators WHERE key IN ({keys})))")


def downgrade() -> None:
    for name in (*EVENTS, "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS indicators_tiles_{name} ON indicators")
        op.execute(f"DROP FUNCTION IF EXISTS tiles_facts_{name}()")
    op.execute("DROP FUNCTION IF EXISTS tiles_refresh_facts(text[])")
    op.drop_table("area_tile_facts")
    op.execute("ALTER TABLE areas " + ", ".join(f"DROP COLUMN IF EXISTS {name}" for name in COLUMNS))

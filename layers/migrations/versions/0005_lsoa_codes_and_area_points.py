"""each hub, space and group keeps its LSOA code; each area keeps a point inside it (BNG)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:00:00.000000

The officers' overlay counts assets per LSOA and measures distances from each LSOA's point. Finding the LSOA
of 100,000 points at analysis time is a spatial join (about 0.4 s in geopandas for England); stored when a
row's point is written (a trigger, as for ward_code), it is a column read. ``point_bng`` is the area's
``ST_PointOnSurface`` in EPSG:27700: a point guaranteed inside the area. ONS population-weighted centroids
would be better for coverage and accessibility, but they are not in the data this project ships.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("hubs", "spaces", "groups")

FUNCTION = """
CREATE OR REPLACE FUNCTION patchmap_lsoa_of(p geometry) RETURNS varchar
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT code FROM area_pieces WHERE kind = 'lsoa' AND p IS NOT NULL AND ST_Intersects(geom, p)
  ORDER BY code LIMIT 1  -- on a boundary, the same LSOA every time
$fn$
"""

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION patchmap_set_ward_code() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.geom IS DISTINCT FROM OLD.geom THEN
    NEW.ward_code := patchmap_ward_of(NEW.geom);
    NEW.lsoa_code := patchmap_lsoa_of(NEW.geom);
  END IF;
  RETURN NEW;
END
$fn$
"""

OLD_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION patchmap_set_ward_code() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.geom IS DISTINCT FROM OLD.geom THEN
    NEW.ward_code := patchmap_ward_of(NEW.geom);
  END IF;
  RETURN NEW;
END
$fn$
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    op.execute(TRIGGER_FUNCTION)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN lsoa_code varchar(32)")
        op.execute(f"COMMENT ON COLUMN {table}.lsoa_code IS 'the LSOA holding the point (set by a trigger)'")
        op.execute(f"UPDATE {table} SET lsoa_code = patchmap_lsoa_of(geom) WHERE geom IS NOT NULL")
    op.execute(
        "ALTER TABLE areas ADD COLUMN point_bng geometry(POINT, 27700) "
        "GENERATED ALWAYS AS (ST_Transform(ST_PointOnSurface(geom), 27700)) STORED"
    )
    op.execute(
        "COMMENT ON COLUMN areas.point_bng IS "
        "'a point inside the area (ST_PointOnSurface), British National Grid: for distances in metres'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE areas DROP COLUMN IF EXISTS point_bng")
    op.execute(OLD_TRIGGER_FUNCTION)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS lsoa_code")
    op.execute("DROP FUNCTION IF EXISTS patchmap_lsoa_of(geometry)")

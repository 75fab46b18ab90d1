"""public views: schema ``ogc`` holding one view per OGC API collection, with public fields only

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 09:00:00

- Schema ``ogc``: the public face of the data, read by the OGC API (``layers/ogc``) and by any other
  reader pointed at the database (tipg in ``bench/ogc_features.py``). Each view holds the public fields of a
  collection and nothing else: no ``private_contact``, ``email``, ``phone``, ``owner_name`` (a space's owner
  may be a private person), booking contacts or managers' emails. A reader given only this schema cannot
  serve a private field because the views do not hold one.
- ``hubs``, ``spaces``, ``rooms`` (at their hub's point, with their booking terms' public fields) and
  ``groups`` (not closed; placed at their venue or hub, or with no geometry, address, postcode or ward when
  known only by the areas they serve: their row's point may be a home).
- ``wards``, ``districts``, ``lsoas`` and ``localities``: boundaries with the latest stored value of each
  IoD2019 indicator (population, IMD and its domains). ``id`` is the area's code.
- Every view has an ``id`` and a typed ``geom`` (EPSG:4326), the names tipg looks for first.
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

#: The latest value of each IoD2019 indicator of area ``a`` (a LATERAL subquery), as columns.
INDICATORS = (
    "population_total", "population_0_15", "population_16_59", "population_60_plus",
    "population_working_age", "imd_rank", "imd_decile", "income_decile", "employment_decile",
    "education_decile", "health_decile", "crime_decile", "housing_decile", "living_environment_decile",
)  # fmt: skip
LATEST = (
    "LEFT JOIN LATERAL (SELECT "
    + ", ".join(f"max(l.value) FILTER (WHERE l.key = '{k}') AS {k}" for k in INDICATORS)
    + " FROM (SELECT DISTINCT ON (i.key) i.key, i.value FROM public.indicators i"
    " WHERE i.area_code = a.code ORDER BY i.key, i.period DESC) l) ind ON true"
)
AREA_COLUMNS = ", ".join(f"ind.{k}" for k in INDICATORS)
SAMPLE = "(({t}.source ILIKE '%sample%'))"

VIEWS = {
    "hubs": f"""
SELECT h.id, h.name, h.kind, h.description, h.address, h.postcode, h.ward_code, h.lsoa_code,
       w.parent_code AS district_code, h.facilities, h.opening_hours, h.operator_name, h.operator_type,
       h.step_free, h.website, h.last_verified_at, {SAMPLE.format(t="h")} AS sample, h.geom
FROM public.hubs h
LEFT JOIN public.areas w ON w.code = h.ward_code""",
    "spaces": f"""
SELECT s.id, s.name, s.kind, s.description, s.address, s.postcode, s.ward_code, s.lsoa_code,
       w.parent_code AS district_code, s.hub_id, s.floor_area_m2::float8 AS floor_area_m2, s.capacity,
       s.price_amount::float8 AS price_amount, s.price_unit, s.price_band, s.terms, s.status, s.step_free,
       s.website, s.last_verified_at, {SAMPLE.format(t="s")} AS sample, s.geom
FROM public.spaces s
LEFT JOIN public.areas w ON w.code = s.ward_code""",
    "rooms": f"""
SELECT rm.id, rm.name, rm.description, rm.hub_id, h.name AS hub_name, rm.capacity,
       rm.floor_area_m2::float8 AS floor_area_m2, rm.facilities, rm.step_free,
       coalesce(r.bookable, false) AS bookable, r.price_per_hour::float8 AS price_per_hour, r.rate_band,
       h.ward_code, h.lsoa_code, w.parent_code AS district_code,
       rm.sample OR coalesce(r.sample, false) OR {SAMPLE.format(t="h")} AS sample, h.geom
FROM public.rooms rm
JOIN public.hubs h ON h.id = rm.hub_id
LEFT JOIN public.resources r ON r.room_id = rm.id
LEFT JOIN public.areas w ON w.code = h.ward_code""",
    # A group's own point is published only when it says it meets there (venue) or at its hub; one known
    # only by its areas may hold a home's point, so it gets no geometry, address, postcode or ward.
    "groups": f"""
SELECT g.id, g.name, g.description, g.categories, g.communities_of_identity, g.communities_of_interest,
       g.activities, g.meets_public AS meets, g.status, g.location_precision,
       CASE WHEN p.geom IS NOT NULL THEN g.venue_address END AS venue_address,
       CASE WHEN p.geom IS NOT NULL THEN coalesce(g.postcode, h.postcode) END AS postcode,
       p.ward_code, w.parent_code AS district_code, g.hub_id, h.name AS hub_name, g.cost, g.age_min,
       g.age_max, g.languages, g.volunteers_wanted, g.skills_sought, g.step_free, g.website,
       g.last_verified_at, ({SAMPLE.format(t="g")} OR g.venue_sample) AS sample,
       p.geom::geometry(Point, 4326) AS geom
FROM public.groups g
LEFT JOIN public.hubs h ON h.id = g.hub_id
CROSS JOIN LATERAL (
  SELECT CASE g.location_precision WHEN 'venue' THEN g.geom WHEN 'hub' THEN coalesce(h.geom, g.geom) END AS geom,
         CASE g.location_precision WHEN 'venue' THEN g.ward_code
                                   WHEN 'hub' THEN coalesce(h.ward_code, g.ward_code) END AS ward_code
) p
LEFT JOIN public.areas w ON w.code = p.ward_code
WHERE g.status <> 'closed'""",
}
#: The boundary views: kind of area, and the columns before the indicators.
AREA_VIEWS = {
    "wards": ("ward", "a.parent_code AS district_code, a.vintage"),
    "districts": ("district", "a.vintage"),
    "lsoas": ("lsoa", "a.parent_code AS district_code, a.vintage"),
    "localities": ("locality", "a.vintage"),
}
for view, (kind, columns) in AREA_VIEWS.items():
    VIEWS[view] = f"""
SELECT a.code AS id, a.name, {columns}, {AREA_COLUMNS}, a.geom
FROM public.areas a
{LATEST}
WHERE a.kind = '{kind}'"""


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS ogc")
    op.execute("COMMENT ON SCHEMA ogc IS 'Public fields only: the OGC API collections (layers/ogc)'")
    for view, query in VIEWS.items():
        op.execute(f"CREATE VIEW ogc.{view} AS {query}")


def downgrade() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS ogc.{view}")
    op.execute("DROP SCHEMA IF EXISTS ogc")

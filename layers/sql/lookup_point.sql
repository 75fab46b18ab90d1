-- The areas holding one point (EPSG:4326): wards, districts, LSOAs, counties and custom localities.
-- Tests the subdivided pieces (area_pieces: small polygons under a GiST index, each carrying its area's
-- kind, code and name), so the exact test is cheap even for large rural areas and no join is needed.
-- Parameters (psycopg): lon, lat. One row (kind, code, name) per area; no rows when nothing holds the point.
-- A point on a shared edge, or on a cut between two pieces of one area, touches both: hence DISTINCT.
SELECT DISTINCT kind, code, name
FROM area_pieces
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326))
ORDER BY 1, 2

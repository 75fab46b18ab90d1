-- The areas holding one point (EPSG:4326): wards, districts, LSOAs and counties are found through their
-- subdivided pieces (area_pieces: small polygons under a GiST index, so the exact test is cheap even for
-- large rural areas); custom localities are found through their members among those areas.
-- Parameters (psycopg): lon, lat. One row (kind, code, name) per area; no rows when nothing holds the point.
-- A point on a shared edge, or on a cut between two pieces of one area, touches both: hence DISTINCT.
WITH hit AS (
  SELECT DISTINCT a.id, a.kind, a.code, a.name
  FROM area_pieces p
  JOIN areas a ON a.id = p.area_id
  WHERE ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326))
    AND a.kind <> 'locality'
)
SELECT kind, code, name FROM hit
UNION
SELECT l.kind, l.code, l.name
FROM hit
JOIN locality_members m ON m.member_id = hit.id
JOIN areas l ON l.id = m.locality_id
ORDER BY 1, 2

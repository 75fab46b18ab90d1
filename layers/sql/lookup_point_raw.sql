-- The same answer as lookup_point.sql, testing the whole boundaries in areas.geom instead of their
-- subdivided pieces. Kept for the benchmark that compares the two (bench/lookup.py); the API uses
-- lookup_point.sql. Parameters (psycopg): lon, lat.
WITH hit AS (
  SELECT DISTINCT a.id, a.kind, a.code, a.name
  FROM areas a
  WHERE ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326))
    AND a.kind <> 'locality'
)
SELECT kind, code, name FROM hit
UNION
SELECT l.kind, l.code, l.name
FROM hit
JOIN locality_members m ON m.member_id = hit.id
JOIN areas l ON l.id = m.locality_id
ORDER BY 1, 2

-- The same answer as lookup_point.sql, testing the whole boundaries in areas.geom instead of their
-- subdivided pieces. Kept for the benchmark that compares the two (bench/lookup.py); the API uses
-- lookup_point.sql. Parameters (psycopg): lon, lat.
SELECT DISTINCT kind, code, name
FROM areas
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326))
ORDER BY 1, 2

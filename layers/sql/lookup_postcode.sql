-- A postcode's point and the areas holding it, in one round trip (same method as lookup_point.sql).
-- Parameter (psycopg): postcode, normalised ('NR2 1AW'). No rows: the postcode is unknown. One row with a
-- NULL kind: the postcode is known but no boundary holds its point.
WITH pc AS (
  SELECT postcode, approximate, geom, ST_X(geom) AS lon, ST_Y(geom) AS lat
  FROM postcodes
  WHERE postcode = %(postcode)s::text
), hit AS (
  SELECT DISTINCT a.id, a.kind, a.code, a.name
  FROM pc
  JOIN area_pieces p ON ST_Intersects(p.geom, pc.geom)
  JOIN areas a ON a.id = p.area_id
  WHERE a.kind <> 'locality'
), found AS (
  SELECT kind, code, name FROM hit
  UNION
  SELECT l.kind, l.code, l.name
  FROM hit
  JOIN locality_members m ON m.member_id = hit.id
  JOIN areas l ON l.id = m.locality_id
)
SELECT pc.postcode, pc.approximate, pc.lon, pc.lat, found.kind, found.code, found.name
FROM pc
LEFT JOIN found ON true
ORDER BY found.kind, found.code

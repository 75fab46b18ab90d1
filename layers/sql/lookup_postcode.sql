-- A postcode's point and the areas holding it, in one round trip (same method as lookup_point.sql).
-- Parameter (psycopg): postcode, normalised ('NR2 1AW'). No rows: the postcode is unknown. One row with a
-- NULL kind: the postcode is known but no boundary holds its point.
SELECT pc.postcode, pc.approximate, ST_X(pc.geom) AS lon, ST_Y(pc.geom) AS lat, f.kind, f.code, f.name
FROM postcodes pc
LEFT JOIN LATERAL (
  SELECT DISTINCT p.kind, p.code, p.name FROM area_pieces p WHERE ST_Intersects(p.geom, pc.geom)
) f ON true
WHERE pc.postcode = %(postcode)s::text
ORDER BY f.kind, f.code

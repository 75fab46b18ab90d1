-- A postcode's point and the areas holding it, each district's and locality's named council contact
-- beside it, in one round trip (same method as lookup_point.sql).
-- Parameter (psycopg): postcode, normalised ('NR2 1AW'). No rows: the postcode is unknown. One row with a
-- NULL kind: the postcode is known but no boundary holds its point.
SELECT pc.postcode, pc.approximate, ST_X(pc.geom) AS lon, ST_Y(pc.geom) AS lat, f.kind, f.code, f.name,
       f.role_name, f.email, f.phone, f.office_hours
FROM postcodes pc
LEFT JOIN LATERAL (
  SELECT DISTINCT ON (p.kind, p.code) p.kind, p.code, p.name, c.role_name, c.email, c.phone, c.office_hours
  FROM area_pieces p
  LEFT JOIN area_contacts c ON c.area_code = p.code AND p.kind IN ('district', 'locality')
  WHERE ST_Intersects(p.geom, pc.geom)
) f ON true
WHERE pc.postcode = %(postcode)s::text
ORDER BY f.kind, f.code

-- The areas holding one point (EPSG:4326): wards, districts, LSOAs, counties and custom localities, each
-- district's and locality's named council contact beside it.
-- Tests the subdivided pieces (area_pieces: small polygons under a GiST index, each carrying its area's
-- kind, code and name), so the exact test is cheap even for large rural areas and no join is needed but
-- the contact's: one primary-key probe of area_contacts per district or locality piece found.
-- Parameters (psycopg): lon, lat. One row (kind, code, name, and the contact's role_name, email, phone,
-- office_hours, NULL when none) per area; no rows when nothing holds the point. A point on a shared edge,
-- or on a cut between two pieces of one area, touches both: hence DISTINCT ON (kind, code). Which contact a place is given
-- (a locality's, else the district's) is decided by layers/areas/lookup.py.
-- The contact is a LATERAL subquery with LIMIT 1 so that even a generic plan probes area_contacts' primary key
-- once per district or locality piece (a plain LEFT JOIN let the generic plan hash the whole table).
SELECT DISTINCT ON (p.kind, p.code) p.kind, p.code, p.name, c.role_name, c.email, c.phone, c.office_hours
FROM area_pieces p
LEFT JOIN LATERAL (
  SELECT role_name, email, phone, office_hours FROM area_contacts
  WHERE area_code = p.code AND p.kind IN ('district', 'locality')
  LIMIT 1
) c ON true
WHERE ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326))
ORDER BY 1, 2

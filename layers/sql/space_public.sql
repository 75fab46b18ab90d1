-- One space's public view. Never selects private_contact, nor owner_name (the owner may be a private
-- person). Parameter (psycopg): id. No row: no such space.
SELECT s.id, s.name, s.kind, s.description, s.address, s.postcode, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
       w.code AS ward_code, w.name AS ward_name, h.id AS hub_id, h.name AS hub_name,
       s.floor_area_m2::float8 AS floor_area_m2, s.capacity, s.price_amount::float8 AS price_amount,
       s.price_unit, s.price_band, s.availability_public AS availability, s.terms, s.status, s.step_free, s.accessibility,
       s.website, s.email, s.phone, s.last_verified_at
FROM spaces s
LEFT JOIN hubs h ON h.id = s.hub_id
LEFT JOIN LATERAL (
  SELECT a.code, a.name FROM area_pieces a
  WHERE a.kind = 'ward' AND ST_Intersects(a.geom, s.geom)
  ORDER BY a.code LIMIT 1
) w ON true
WHERE s.id = %(id)s::int

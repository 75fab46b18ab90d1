-- One group's public view. Never selects private_contact. Where it is: its venue, its hub's point, or no
-- point at all (a group known only by the areas it serves gets no point, address, postcode or ward).
-- Parameter (psycopg): id. No row: no such group.
SELECT g.id, g.name, g.description, g.categories, g.communities_of_identity, g.communities_of_interest,
       g.activities, g.meets_public AS meets, g.status, g.location_precision, g.venue_sample,
       CASE WHEN p.geom IS NOT NULL THEN g.venue_address END AS venue_address,
       CASE WHEN p.geom IS NOT NULL THEN coalesce(g.postcode, h.postcode) END AS postcode,
       ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, w.code AS ward_code, w.name AS ward_name,
       h.id AS hub_id, h.name AS hub_name, served.areas AS areas_served,
       g.website, g.email, g.phone, g.step_free, g.accessibility, g.cost, g.age_min, g.age_max, g.languages,
       g.volunteers_wanted, g.skills_sought, g.last_verified_at
FROM groups g
LEFT JOIN hubs h ON h.id = g.hub_id
CROSS JOIN LATERAL (
  SELECT CASE g.location_precision WHEN 'venue' THEN g.geom WHEN 'hub' THEN coalesce(h.geom, g.geom) END
         AS geom
) p
LEFT JOIN LATERAL (
  SELECT a.code, a.name FROM area_pieces a
  WHERE p.geom IS NOT NULL AND a.kind = 'ward' AND ST_Intersects(a.geom, p.geom)
  ORDER BY a.code LIMIT 1
) w ON true
CROSS JOIN LATERAL (
  SELECT coalesce(json_agg(json_build_object('code', a.code, 'name', a.name, 'kind', a.kind)
                           ORDER BY array_position(ARRAY['lsoa', 'ward', 'locality', 'district', 'county'],
                                                   a.kind::text), a.name, a.code), '[]'::json) AS areas
  FROM group_areas ga JOIN areas a ON a.id = ga.area_id
  WHERE ga.group_id = g.id
) served
WHERE g.id = %(id)s::int

-- Public details of given groups, hubs and spaces (:groups, :hubs, :spaces: id arrays) for a ward pack:
-- address, postcode, when last confirmed, and the point (lon, lat, EPSG:4326; null for a group with none).
SELECT 'hub' AS kind, id, address, postcode, last_verified_at, ST_X(geom) AS lon, ST_Y(geom) AS lat
FROM hubs WHERE id = ANY(CAST(:hubs AS int[]))
UNION ALL
SELECT 'space', id, address, postcode, last_verified_at, ST_X(geom), ST_Y(geom)
FROM spaces WHERE id = ANY(CAST(:spaces AS int[]))
UNION ALL
SELECT 'group', id, venue_address, postcode, last_verified_at, ST_X(geom), ST_Y(geom)
FROM groups WHERE id = ANY(CAST(:groups AS int[]))

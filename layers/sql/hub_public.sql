-- One hub's public view, with the groups that meet there (not closed), its spaces that can be had
-- (available or under offer) and its rooms with their booking terms' public fields. Never selects private_contact. Parameter (psycopg): id. No row: no such hub.
SELECT h.id, h.name, h.kind, h.description, h.address, h.postcode, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat,
       w.code AS ward_code, w.name AS ward_name, h.facilities, h.opening_hours, h.operator_name,
       h.operator_type, h.step_free, h.accessibility, h.website, h.email, h.phone, h.last_verified_at,
       (SELECT coalesce(json_agg(json_build_object('id', g.id, 'name', g.name) ORDER BY g.name, g.id),
                        '[]'::json)
        FROM groups g WHERE g.hub_id = h.id AND g.status <> 'closed') AS groups,
       (SELECT coalesce(json_agg(json_build_object('id', s.id, 'name', s.name) ORDER BY s.name, s.id),
                        '[]'::json)
        FROM spaces s WHERE s.hub_id = h.id AND s.status IN ('available', 'under_offer')) AS spaces,
       (SELECT coalesce(json_agg(json_build_object('id', rm.id, 'name', rm.name, 'capacity', rm.capacity,
                          'floor_area_m2', rm.floor_area_m2, 'facilities', rm.facilities,
                          'step_free', rm.step_free, 'resource_id', r.id,
                          'bookable', coalesce(r.bookable, false), 'price_per_hour', r.price_per_hour,
                          'rate_band', r.rate_band, 'sample', rm.sample OR coalesce(r.sample, false))
                        ORDER BY rm.name, rm.id), '[]'::json)
        FROM rooms rm LEFT JOIN resources r ON r.room_id = rm.id WHERE rm.hub_id = h.id) AS rooms
FROM hubs h
LEFT JOIN LATERAL (
  SELECT a.code, a.name FROM area_pieces a
  WHERE a.kind = 'ward' AND ST_Intersects(a.geom, h.geom)
  ORDER BY a.code LIMIT 1
) w ON true
WHERE h.id = %(id)s::int

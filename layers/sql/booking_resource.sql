-- A room or a whole space, with its bookable resource's terms if it has one (r.id NULL: none), and the
-- district it is in (its LSOA's parent). Public fields, plus manager_email (private: for messages only).
-- Parameters (psycopg): kind ('room' or 'space'), id. No row: no such room or space.
SELECT %(kind)s::text AS kind, x.id AS record_id, x.name, x.description, x.capacity AS record_capacity,
       x.floor_area_m2, x.facilities, x.step_free, x.sample AS record_sample, x.space_status,
       hub.id AS hub_id, hub.name AS hub_name, ST_X(x.geom) AS lon, ST_Y(x.geom) AS lat, x.ward_code,
       l.parent_code AS district_code,
       r.id AS resource_id, r.bookable, r.rate_band, r.price_per_hour::float AS price_per_hour, r.weekly_hours,
       r.open_minutes IS NOT NULL AS hours_known, r.slot_minutes, r.min_minutes, r.max_minutes,
       r.lead_minutes, r.horizon_days, r.buffer_minutes, r.approval, r.terms, r.manager_email,
       r.sample AS resource_sample, r.capacity
FROM (
  SELECT rm.id, rm.name, rm.description, rm.capacity, rm.floor_area_m2::float AS floor_area_m2, rm.facilities,
         rm.step_free, rm.sample, NULL::text AS space_status, rm.hub_id, h.geom, h.ward_code, h.lsoa_code,
         (SELECT id FROM resources WHERE room_id = rm.id) AS rid
  FROM rooms rm JOIN hubs h ON h.id = rm.hub_id
  WHERE %(kind)s::text = 'room' AND rm.id = %(id)s::int
  UNION ALL
  SELECT s.id, s.name, s.description, s.capacity, s.floor_area_m2::float, '{}'::text[], s.step_free,
         false, s.status, s.hub_id, s.geom, s.ward_code, s.lsoa_code,
         (SELECT id FROM resources WHERE space_id = s.id)
  FROM spaces s
  WHERE %(kind)s::text = 'space' AND s.id = %(id)s::int
) x
LEFT JOIN hubs hub ON hub.id = x.hub_id
LEFT JOIN areas l ON l.code = x.lsoa_code
LEFT JOIN resources r ON r.id = x.rid

-- Public groups, hubs and spaces with a point, for the overlay: kind, id, name, category (a group's categories;
-- a hub's or space's own kind), capacity (rooms: a hub's rooms, at least 1; 1 for a space or group),
-- point (EPSG:27700, metres) and the keys (areas.id) of the ward and LSOA holding it. Only active groups count (not dormant or closed).
-- role: provision (a service: active groups, hubs, and available spaces bookable through Patchmap) or potential
-- (a space offered, available or under offer, that cannot be booked here: a vacant unit is potential, not a
-- service); spaces that are let or unavailable are neither, and are left out. room_hours: the hours a week its bookable rooms
-- (a hub) or it (a space) can be booked, from the booking rules' opening hours; 0 when none is bookable.
-- With :near_code, only those within :reach_m metres of that area. Joins, not a subquery per row (0.8 s, not 1.5 s,
-- for 100,000 assets); each kind in its table's physical order (ctid), the order a subquery per row read
-- them in, so that sums of shares add up in the same order and give the same last digit; page and item are that
-- place (the ctid), so that layers.analysis.cache can put assets read again since (:hub_ids, :space_ids,
-- :group_ids: only those; null: all) back in the same order.
WITH near AS (
  SELECT ST_Transform(geom, 27700) AS g FROM areas WHERE code = CAST(:near_code AS text)
), hours AS (
  SELECT r.room_id, r.space_id,
         COALESCE((SELECT sum(upper(m) - lower(m)) FROM unnest(r.open_minutes) AS m), 0) / 60.0 AS hours
  FROM resources r WHERE r.bookable
), keys AS (
  SELECT code, id FROM areas WHERE kind IN ('ward', 'lsoa')
)
(SELECT 'hub' AS kind, h.id, h.name, ARRAY[h.kind]::text[] AS categories,
       GREATEST(1, COALESCE(rm.n, 0))::int AS rooms,
       ST_X(h.geom_bng) AS x, ST_Y(h.geom_bng) AS y, w.id AS ward_key, l.id AS lsoa_key,
       'provision' AS role,
       COALESCE(rm.hours, 0)::float8 AS room_hours,
       (h.ctid::text::point)[0]::bigint AS page, (h.ctid::text::point)[1]::int AS item
FROM hubs h
LEFT JOIN (SELECT r.hub_id, count(*) AS n, sum(hr.hours) AS hours FROM rooms r LEFT JOIN hours hr ON hr.room_id = r.id GROUP BY r.hub_id) rm ON rm.hub_id = h.id
LEFT JOIN keys w ON w.code = h.ward_code
LEFT JOIN keys l ON l.code = h.lsoa_code
WHERE h.geom IS NOT NULL
  AND (CAST(:near_code AS text) IS NULL OR EXISTS (SELECT 1 FROM near WHERE ST_DWithin(near.g, h.geom_bng, CAST(:reach_m AS float8))))
  AND (CAST(:hub_ids AS int[]) IS NULL OR h.id = ANY(CAST(:hub_ids AS int[])))
 ORDER BY h.ctid)
UNION ALL
(SELECT 'space', s.id, s.name, ARRAY[s.kind]::text[], 1,
       ST_X(s.geom_bng), ST_Y(s.geom_bng), w.id, l.id,
       CASE WHEN b.hours IS NOT NULL AND s.status = 'available' THEN 'provision' ELSE 'potential' END,
       COALESCE(b.hours, 0)::float8, (s.ctid::text::point)[0]::bigint, (s.ctid::text::point)[1]::int
FROM spaces s
LEFT JOIN (SELECT space_id, sum(hours) AS hours FROM hours WHERE space_id IS NOT NULL GROUP BY space_id) b ON b.space_id = s.id
LEFT JOIN keys w ON w.code = s.ward_code
LEFT JOIN keys l ON l.code = s.lsoa_code
WHERE s.geom IS NOT NULL
  AND (s.status IN ('available', 'under_offer'))
  AND (CAST(:near_code AS text) IS NULL OR EXISTS (SELECT 1 FROM near WHERE ST_DWithin(near.g, s.geom_bng, CAST(:reach_m AS float8))))
  AND (CAST(:space_ids AS int[]) IS NULL OR s.id = ANY(CAST(:space_ids AS int[])))
 ORDER BY s.ctid)
UNION ALL
(SELECT 'group', g.id, g.name, g.categories::text[], 1,
       ST_X(g.geom_bng), ST_Y(g.geom_bng), w.id, l.id,
       'provision', 0::float8, (g.ctid::text::point)[0]::bigint, (g.ctid::text::point)[1]::int
FROM groups g
LEFT JOIN keys w ON w.code = g.ward_code
LEFT JOIN keys l ON l.code = g.lsoa_code
WHERE g.geom IS NOT NULL AND g.status = 'active'
  AND (CAST(:near_code AS text) IS NULL OR EXISTS (SELECT 1 FROM near WHERE ST_DWithin(near.g, g.geom_bng, CAST(:reach_m AS float8))))
  AND (CAST(:group_ids AS int[]) IS NULL OR g.id = ANY(CAST(:group_ids AS int[])))
 ORDER BY g.ctid)

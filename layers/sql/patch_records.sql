-- The groups, hubs and spaces of one district (:district), public fields only: a record's district is its
-- LSOA's district (areas.parent_code via lsoa_code) or, for a group with no point, the districts of the
-- areas it serves (as layers.scope.record_districts). Closed groups and let or unavailable spaces are left out.
-- confirmed_at: when the record was last confirmed, else when it was added. sample: made up for the demo (its
-- source says sample, or a group's venue is made up), as on the map (map_markers.sql).
WITH d AS (SELECT CAST(:district AS text) AS code),
served AS (
  SELECT DISTINCT ga.group_id
  FROM group_areas ga JOIN areas a ON a.id = ga.area_id, d
  WHERE (CASE WHEN a.kind = 'district' THEN a.code ELSE coalesce(a.parent_code, a.code) END) = d.code
)
SELECT 'hub' AS kind, h.id, h.name, h.kind AS subtype, ARRAY[]::text[] AS categories, NULL AS status,
       h.address, h.postcode, coalesce(h.last_verified_at, h.created_at) AS confirmed_at,
       h.last_verified_at IS NOT NULL AS confirmed, h.source ILIKE '%sample%' AS sample
FROM hubs h JOIN areas l ON l.code = h.lsoa_code, d
WHERE l.parent_code = d.code
UNION ALL
SELECT 'space', s.id, s.name, s.kind, ARRAY[]::text[], s.status, s.address, s.postcode,
       coalesce(s.last_verified_at, s.created_at), s.last_verified_at IS NOT NULL, s.source ILIKE '%sample%'
FROM spaces s JOIN areas l ON l.code = s.lsoa_code, d
WHERE l.parent_code = d.code AND s.status IN ('available', 'under_offer')
UNION ALL
SELECT 'group', g.id, g.name, coalesce(g.categories[1], 'group'), g.categories, g.status, g.venue_address,
       g.postcode, coalesce(g.last_verified_at, g.created_at), g.last_verified_at IS NOT NULL,
       g.source ILIKE '%sample%' OR g.venue_sample
FROM groups g LEFT JOIN areas l ON l.code = g.lsoa_code, d
WHERE g.status <> 'closed'
  AND (l.parent_code = d.code OR (g.lsoa_code IS NULL AND g.id IN (SELECT group_id FROM served)))
ORDER BY kind, name, id

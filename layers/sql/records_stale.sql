-- The current groups, hubs and spaces of one district (:district) not confirmed in the last :days days, or
-- never: never-confirmed first, then the longest unconfirmed. A record's district is its LSOA's district
-- (areas.parent_code via lsoa_code) or, for a group with no point, the districts of the areas it serves (as
-- layers.scope.record_districts and patch_records.sql). Closed groups and let or unavailable spaces are left
-- out, as in the co-ordinator's patch. Public fields only.
WITH d AS (SELECT CAST(:district AS text) AS code, now() - make_interval(days => CAST(:days AS int)) AS since),
served AS (
  SELECT DISTINCT ga.group_id
  FROM group_areas ga JOIN areas a ON a.id = ga.area_id, d
  WHERE (CASE WHEN a.kind = 'district' THEN a.code ELSE coalesce(a.parent_code, a.code) END) = d.code
),
current AS (
  SELECT 'hub' AS kind, h.id, h.name, NULL::text AS status, h.last_verified_at, h.created_at
  FROM hubs h JOIN areas l ON l.code = h.lsoa_code, d
  WHERE l.parent_code = d.code
  UNION ALL
  SELECT 'space', s.id, s.name, s.status, s.last_verified_at, s.created_at
  FROM spaces s JOIN areas l ON l.code = s.lsoa_code, d
  WHERE l.parent_code = d.code AND s.status IN ('available', 'under_offer')
  UNION ALL
  SELECT 'group', g.id, g.name, g.status, g.last_verified_at, g.created_at
  FROM groups g LEFT JOIN areas l ON l.code = g.lsoa_code, d
  WHERE g.status <> 'closed'
    AND (l.parent_code = d.code OR (g.lsoa_code IS NULL AND g.id IN (SELECT group_id FROM served)))
)
SELECT c.kind, c.id, c.name, c.status, c.last_verified_at, c.created_at,
       CASE WHEN fr.flagged_at IS NOT NULL THEN 'no answer to two reminders' END AS reason
FROM current c CROSS JOIN d
-- flagged by layers.records.freshness: two reminders unanswered since the record was last confirmed
LEFT JOIN freshness_reminders fr ON fr.object_type = c.kind AND fr.object_id = c.id AND fr.flagged_at IS NOT NULL
  AND fr.first_sent_at >= coalesce(c.last_verified_at, c.created_at)
WHERE c.last_verified_at IS NULL OR c.last_verified_at < d.since OR fr.flagged_at IS NOT NULL
ORDER BY c.last_verified_at NULLS FIRST, c.kind, c.name, c.id

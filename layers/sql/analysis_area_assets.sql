-- The public groups, hubs and spaces in one area (:code): those whose point lies in it (by their
-- stored ward or LSOA, the LSOA's district, or a locality's members), and groups with no point that serve it,
-- or serve the district holding it. Name, kind and a link; nothing private.
WITH a AS (SELECT id, code, kind, parent_code FROM areas WHERE code = CAST(:code AS text)),
members AS (
  SELECT x.code FROM a JOIN locality_members m ON m.locality_id = a.id JOIN areas x ON x.id = m.member_id
),
inside AS (  -- LSOAs and wards whose assets are in the area
  SELECT code FROM a WHERE kind IN ('ward', 'lsoa')
  UNION SELECT l.code FROM areas l, a WHERE a.kind = 'district' AND l.kind = 'lsoa' AND l.parent_code = a.code
  UNION SELECT code FROM members
),
pointed AS (
  SELECT 'hub' AS kind, h.id, h.name, h.kind AS subtype FROM hubs h
  WHERE h.ward_code IN (SELECT code FROM inside) OR h.lsoa_code IN (SELECT code FROM inside)
  UNION ALL
  SELECT 'space', s.id, s.name, s.kind FROM spaces s
  WHERE s.ward_code IN (SELECT code FROM inside) OR s.lsoa_code IN (SELECT code FROM inside)
  UNION ALL
  SELECT 'group', g.id, g.name, NULL FROM groups g
  WHERE g.status = 'active' AND (g.ward_code IN (SELECT code FROM inside) OR g.lsoa_code IN (SELECT code FROM inside))
),
serving AS (
  SELECT DISTINCT 'group' AS kind, g.id, g.name, NULL AS subtype FROM groups g
  JOIN group_areas ga ON ga.group_id = g.id JOIN areas s ON s.id = ga.area_id, a
  WHERE g.geom IS NULL AND g.status = 'active' AND (s.code = a.code OR s.code = a.parent_code)
)
SELECT kind, id, name, subtype, '/' || kind || 's/' || id AS url, false AS serves_only FROM pointed
UNION ALL
SELECT kind, id, name, subtype, '/groups/' || id, true FROM serving
ORDER BY kind, name, id

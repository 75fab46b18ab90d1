-- Active groups with no point, and the reported areas (:level, :within) each counts towards through the areas
-- it serves: the served area itself; an area inside it (a ward or LSOA of a served district); the area holding
-- it (the district of a served ward or LSOA); a ward holding most (≥ 50%) of a served LSOA, or an LSOA mostly
-- (≥ 50%) inside a served ward; a custom locality that is served, or has a served member, or whose member lies
-- in a served district. Each (group, area) pair once.
WITH reported AS (
  SELECT a.id, a.code, a.kind, a.parent_code FROM areas a
  WHERE a.kind = CAST(:level AS text)
    AND (CAST(:within AS text) IS NULL OR a.code = CAST(:within AS text) OR a.parent_code = CAST(:within AS text)
         OR (a.kind = 'locality' AND EXISTS (
               SELECT 1 FROM locality_members m JOIN areas x ON x.id = m.member_id
               WHERE m.locality_id = a.id AND (x.parent_code = CAST(:within AS text) OR x.code = CAST(:within AS text)))))
), served AS (
  SELECT g.id AS group_id, g.categories::text[] AS categories, s.code, s.kind, s.parent_code
  FROM groups g
  JOIN group_areas ga ON ga.group_id = g.id
  JOIN areas s ON s.id = ga.area_id
  WHERE g.geom IS NULL AND g.status = 'active'
), pairs AS (
  SELECT v.group_id, r.code FROM served v JOIN reported r
    ON r.code = v.code OR r.parent_code = v.code OR r.code = v.parent_code
  UNION
  SELECT v.group_id, r.code FROM served v
  JOIN area_shares sh ON sh.lsoa_code = v.code AND sh.share >= 0.5
  JOIN reported r ON r.code = sh.area_code AND r.kind = 'ward'
  WHERE v.kind = 'lsoa'
  UNION
  SELECT v.group_id, r.code FROM served v
  JOIN area_shares sh ON sh.area_code = v.code AND sh.share >= 0.5
  JOIN reported r ON r.code = sh.lsoa_code AND r.kind = 'lsoa'
  WHERE v.kind = 'ward'
  UNION
  SELECT v.group_id, r.code FROM served v
  JOIN reported r ON r.kind = 'locality'
  JOIN locality_members m ON m.locality_id = r.id
  JOIN areas x ON x.id = m.member_id
  WHERE x.code = v.code OR x.parent_code = v.code
)
SELECT p.group_id AS id, a.id AS area_key, v.categories
FROM pairs p JOIN (SELECT DISTINCT group_id, categories FROM served) v ON v.group_id = p.group_id
JOIN areas a ON a.code = p.code
ORDER BY p.group_id, a.id

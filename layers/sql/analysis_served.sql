-- Active groups with no point, shared among the areas of one level (:level) that they serve, so that each such
-- group counts once in total at every level: (id, area_key, categories, weight, population), the reported areas
-- (:within as in analysis_areas.sql) only, but each weight computed over every area of the level it serves.
-- The areas a group serves at a level: the served area itself; an area inside it (a ward or LSOA of a served
-- district); the area holding it (the district of a served ward or LSOA); the ward holding most (≥ 50%) of a
-- served LSOA, or an LSOA mostly (≥ 50%) inside a served ward; a custom locality that is served, or has a
-- served member, or whose member lies in a served district. Weight: the area's share of the residents of all
-- the areas it serves at the level (latest population_total, rolled up for wards and districts), or an equal
-- share where none of them has residents on record.
WITH reported AS (
  SELECT a.id FROM areas a
  WHERE a.kind = CAST(:level AS text)
    AND (CAST(:within AS text) IS NULL OR a.code = CAST(:within AS text) OR a.parent_code = CAST(:within AS text)
         OR (a.kind = 'locality' AND EXISTS (
               SELECT 1 FROM locality_members m JOIN areas x ON x.id = m.member_id
               WHERE m.locality_id = a.id AND (x.parent_code = CAST(:within AS text) OR x.code = CAST(:within AS text)))))
), level AS (
  SELECT a.id, a.code, a.kind, a.parent_code FROM areas a WHERE a.kind = CAST(:level AS text)
), served AS (
  SELECT g.id AS group_id, s.code, s.kind, s.parent_code
  FROM groups g
  JOIN group_areas ga ON ga.group_id = g.id
  JOIN areas s ON s.id = ga.area_id
  WHERE g.geom IS NULL AND g.status = 'active'
), pairs AS (
  SELECT v.group_id, r.id, r.code FROM served v JOIN level r
    ON r.code = v.code OR r.parent_code = v.code OR r.code = v.parent_code
  UNION
  SELECT v.group_id, r.id, r.code FROM served v
  JOIN area_shares sh ON sh.lsoa_code = v.code AND sh.share >= 0.5
  JOIN level r ON r.code = sh.area_code AND r.kind = 'ward'
  WHERE v.kind = 'lsoa'
  UNION
  SELECT v.group_id, r.id, r.code FROM served v
  JOIN area_shares sh ON sh.area_code = v.code AND sh.share >= 0.5
  JOIN level r ON r.code = sh.lsoa_code AND r.kind = 'lsoa'
  WHERE v.kind = 'ward'
  UNION
  SELECT v.group_id, r.id, r.code FROM served v
  JOIN level r ON r.kind = 'locality'
  JOIN locality_members m ON m.locality_id = r.id
  JOIN areas x ON x.id = m.member_id
  WHERE x.code = v.code OR x.parent_code = v.code
), people AS (
  SELECT p.group_id, p.id, COALESCE((
    SELECT i.value FROM indicators i WHERE i.area_code = p.code AND i.key = 'population_total'
    ORDER BY i.period DESC, i.derived LIMIT 1), 0)::float8 AS population
  FROM pairs p
), weighed AS (
  SELECT group_id, id, population,
         CASE WHEN sum(population) OVER w > 0 THEN population / sum(population) OVER w
              ELSE 1.0 / count(*) OVER w END AS weight
  FROM people WINDOW w AS (PARTITION BY group_id)
)
SELECT w.group_id AS id, w.id AS area_key, g.categories::text[] AS categories, w.weight, w.population
FROM weighed w JOIN groups g ON g.id = w.group_id
WHERE w.id IN (SELECT id FROM reported)
ORDER BY w.group_id, w.id

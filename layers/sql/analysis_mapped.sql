-- The kinds of asset (group, hub, space) whose register is complete for each reported area of one level
-- (:level, :within as in analysis_areas.sql): an area is covered for a kind when mapped_areas says so for the
-- area itself, for the district holding it (a ward's or LSOA's parent), for a custom locality it is a member
-- of (or, for an LSOA, whose member ward holds most of it), or, for a custom locality, when every one of its
-- members is covered. (area_key, kinds), only areas covered for some kind.
WITH m AS (
  SELECT a.id, a.code, k.kind FROM mapped_areas x JOIN areas a ON a.id = x.area_id CROSS JOIN unnest(x.kinds) AS k(kind)
), reported AS (
  SELECT a.id, a.code, a.kind, a.parent_code FROM areas a
  WHERE a.kind = CAST(:level AS text)
    AND (CAST(:within AS text) IS NULL OR a.code = CAST(:within AS text) OR a.parent_code = CAST(:within AS text)
         OR (a.kind = 'locality' AND EXISTS (
               SELECT 1 FROM locality_members lm JOIN areas x ON x.id = lm.member_id
               WHERE lm.locality_id = a.id AND (x.parent_code = CAST(:within AS text) OR x.code = CAST(:within AS text)))))
), in_locality AS (  -- wards and LSOAs that are members of a mapped locality, with its kinds
  SELECT lm.member_id AS id, m.kind FROM m JOIN locality_members lm ON lm.locality_id = m.id
  UNION
  SELECT l.id, mw.kind
  FROM (SELECT lm.member_id, m.kind FROM m JOIN locality_members lm ON lm.locality_id = m.id) mw
  JOIN areas w ON w.id = mw.member_id AND w.kind = 'ward'
  JOIN area_shares s ON s.area_code = w.code AND s.share >= 0.5
  JOIN areas l ON l.code = s.lsoa_code
), member_covered AS (  -- a member area (by id) is covered for a kind by its own district, or itself
  SELECT x.id, m.kind FROM areas x JOIN m ON m.code = x.code WHERE x.id IN (SELECT member_id FROM locality_members)
  UNION
  SELECT x.id, m.kind FROM areas x JOIN m ON m.code = x.parent_code WHERE x.id IN (SELECT member_id FROM locality_members)
), covered AS (  -- two equality joins, not one on IN (code, parent_code), which can only be a nested loop
  SELECT r.id, m.kind FROM reported r JOIN m ON m.code = r.code
  UNION
  SELECT r.id, m.kind FROM reported r JOIN m ON m.code = r.parent_code
  UNION
  SELECT r.id, i.kind FROM reported r JOIN in_locality i ON i.id = r.id
  UNION
  SELECT r.id, k.kind FROM reported r CROSS JOIN (VALUES ('group'), ('hub'), ('space')) AS k(kind)
  WHERE r.kind = 'locality'
    AND EXISTS (SELECT 1 FROM locality_members lm WHERE lm.locality_id = r.id)
    AND NOT EXISTS (
      SELECT 1 FROM locality_members lm
      WHERE lm.locality_id = r.id
        AND NOT EXISTS (SELECT 1 FROM member_covered c WHERE c.id = lm.member_id AND c.kind = k.kind))
)
SELECT id AS area_key, array_agg(DISTINCT kind ORDER BY kind) AS kinds FROM covered GROUP BY id

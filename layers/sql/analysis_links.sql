-- How each LSOA's residents are apportioned among the reported areas of one level (:level), as (lsoa key,
-- area key, share): keys are areas.id. Wards: the LSOA's area share in each ward (area_shares). Districts: LSOAs nest (share 1).
-- LSOAs: themselves. Custom localities: their member wards (by those wards' shares) and member LSOAs (share 1).
-- :within limits the reported areas to one district (wards, LSOAs) or to localities with a member in it.
WITH reported AS (
  SELECT a.id, a.code, a.kind FROM areas a
  WHERE a.kind = CAST(:level AS text)
    AND (CAST(:within AS text) IS NULL OR a.code = CAST(:within AS text) OR a.parent_code = CAST(:within AS text)
         OR (a.kind = 'locality' AND EXISTS (
               SELECT 1 FROM locality_members m JOIN areas x ON x.id = m.member_id
               WHERE m.locality_id = a.id AND (x.parent_code = CAST(:within AS text) OR x.code = CAST(:within AS text)))))
)
SELECT l.id AS lsoa_key, r.id AS area_key, s.share
FROM reported r JOIN area_shares s ON s.area_code = r.code JOIN areas l ON l.code = s.lsoa_code
WHERE r.kind = 'ward'
UNION ALL
SELECT l.id, r.id, 1.0
FROM reported r JOIN areas l ON l.kind = 'lsoa' AND l.parent_code = r.code
WHERE r.kind = 'district'
UNION ALL
SELECT r.id, r.id, 1.0 FROM reported r WHERE r.kind = 'lsoa'
UNION ALL
SELECT l.id, r.id, sum(s.share)
FROM reported r
JOIN locality_members m ON m.locality_id = r.id
JOIN areas x ON x.id = m.member_id
JOIN area_shares s ON s.area_code = x.code AND x.kind = 'ward'
JOIN areas l ON l.code = s.lsoa_code
WHERE r.kind = 'locality'
GROUP BY l.id, r.id
UNION ALL
SELECT x.id, r.id, 1.0
FROM reported r
JOIN locality_members m ON m.locality_id = r.id
JOIN areas x ON x.id = m.member_id AND x.kind = 'lsoa'
WHERE r.kind = 'locality'

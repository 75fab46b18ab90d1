-- Custom localities' member wards and LSOAs, by key (areas.id): (locality_key, member_key).
SELECT l.id AS locality_key, x.id AS member_key
FROM areas l JOIN locality_members m ON m.locality_id = l.id JOIN areas x ON x.id = m.member_id
WHERE l.kind = 'locality'
ORDER BY 1, 2

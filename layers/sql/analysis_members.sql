-- Custom localities' member wards and LSOAs: (locality_code, member_code, member_kind).
SELECT l.code AS locality_code, x.code AS member_code, x.kind AS member_kind
FROM areas l JOIN locality_members m ON m.locality_id = l.id JOIN areas x ON x.id = m.member_id
WHERE l.kind = 'locality'
ORDER BY 1, 2

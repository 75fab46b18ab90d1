-- The reported areas of one level (:level), within one district (:within) if given: key (id), code, name,
-- kind, parent.
SELECT a.id AS key, a.code, a.name, a.kind, a.parent_code
FROM areas a
WHERE a.kind = CAST(:level AS text)
  AND (CAST(:within AS text) IS NULL OR a.code = CAST(:within AS text) OR a.parent_code = CAST(:within AS text)
       OR (a.kind = 'locality' AND EXISTS (
             SELECT 1 FROM locality_members m JOIN areas x ON x.id = m.member_id
             WHERE m.locality_id = a.id AND (x.parent_code = CAST(:within AS text) OR x.code = CAST(:within AS text)))))
ORDER BY a.code

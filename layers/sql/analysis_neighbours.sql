-- Areas of the same kind sharing a boundary with one area (:code): code and name, by name.
SELECT n.code, n.name
FROM areas a JOIN areas n ON n.kind = a.kind AND n.code <> a.code AND ST_Intersects(n.geom, a.geom)
WHERE a.code = CAST(:code AS text)
ORDER BY n.name, n.code

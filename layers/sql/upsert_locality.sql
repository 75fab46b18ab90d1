-- Create or update one custom locality whose boundary is the union of its member areas.
WITH shape AS (
  SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geom)), 3)) AS geom
  FROM areas WHERE id = ANY(CAST(:member_ids AS int[]))
), up AS (
  INSERT INTO areas (code, name, kind, source, geom)
  SELECT CAST(:code AS varchar), CAST(:name AS text), 'locality', CAST(:source AS text), shape.geom FROM shape
  ON CONFLICT (code) DO UPDATE
  SET name = EXCLUDED.name, geom = EXCLUDED.geom, source = EXCLUDED.source, updated_at = now()
  WHERE areas.kind = 'locality'
    AND (areas.name IS DISTINCT FROM EXCLUDED.name OR NOT ST_Equals(areas.geom, EXCLUDED.geom))
  RETURNING id, (xmax = 0) AS inserted
)
SELECT coalesce(up.id, a.id) AS id, coalesce(up.inserted, false) AS inserted, up.id IS NOT NULL AS changed
FROM (SELECT 1) one
LEFT JOIN up ON true
LEFT JOIN areas a ON a.code = CAST(:code AS varchar)

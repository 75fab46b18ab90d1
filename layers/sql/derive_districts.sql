-- Dissolve the wards of one district into the district's boundary (upsert by code).
-- Only touches the row when the name or the geometry actually changed, so re-imports are no-ops.
INSERT INTO areas (code, name, kind, parent_code, vintage, source, geom)
SELECT CAST(:code AS varchar), CAST(:name AS text), 'district', NULL, CAST(:vintage AS varchar), 'dissolved from wards',
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(w.geom)), 3))
FROM areas w
WHERE w.kind = 'ward' AND w.parent_code = CAST(:code AS varchar)
ON CONFLICT (code) DO UPDATE
SET name = EXCLUDED.name, geom = EXCLUDED.geom, vintage = EXCLUDED.vintage, source = EXCLUDED.source,
    updated_at = now()
WHERE areas.name IS DISTINCT FROM EXCLUDED.name OR NOT ST_Equals(areas.geom, EXCLUDED.geom)

-- LSOAs for the overlay: each LSOA's key (id), code, district key, its point inside (EPSG:27700, metres) and its own (not derived)
-- IoD2019 values, latest period of each key, as columns. With :near_code, only LSOAs whose point lies within
-- :reach_m metres of that area (so coverage and catchments near a district's edge see across it).
SELECT l.id AS key, l.code, p.id AS district_key,
       ST_X(l.point_bng) AS x, ST_Y(l.point_bng) AS y,
       v.values
FROM areas l
LEFT JOIN areas p ON p.code = l.parent_code AND p.kind = 'district'
LEFT JOIN LATERAL (
  SELECT jsonb_object_agg(key, value) AS values FROM (
    SELECT DISTINCT ON (i.key) i.key, i.value FROM indicators i
    WHERE i.area_code = l.code AND NOT i.derived AND i.key = ANY(CAST(:keys AS text[]))
    ORDER BY i.key, i.period DESC
  ) latest
) v ON true
WHERE l.kind = 'lsoa'
  AND (CAST(:near_code AS text) IS NULL OR EXISTS (
        SELECT 1 FROM areas r WHERE r.code = CAST(:near_code AS text)
          AND ST_DWithin(ST_Transform(r.geom, 27700), l.point_bng, CAST(:reach_m AS float8))))
ORDER BY l.code

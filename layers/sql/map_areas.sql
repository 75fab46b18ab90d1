-- Areas of one kind whose boundary box meets a bbox, as a GeoJSON FeatureCollection (text) for the map.
-- Parameters (psycopg): kind; minlon, minlat, maxlon, maxlat (EPSG:4326); simplify_m (metres, 0 for
-- none); metric_srid (projected CRS in metres for the simplification); limit (most features).
-- Whole boundaries are sent (not clipped), so a boundary crossing the edge of the view is drawn whole.
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(f.feature ORDER BY f.code), '[]'::json)
)::text AS collection
FROM (
  SELECT a.code, json_build_object(
    'type', 'Feature',
    'id', a.code,
    'geometry', ST_AsGeoJSON(
      CASE WHEN %(simplify_m)s::float8 > 0
           THEN ST_Multi(ST_Transform(
                  ST_SimplifyPreserveTopology(ST_Transform(a.geom, %(metric_srid)s::int), %(simplify_m)s::float8),
                  4326))
           ELSE a.geom
      END, 6)::json,
    'properties', json_build_object('code', a.code, 'name', a.name, 'kind', a.kind, 'parent_code', a.parent_code)
  ) AS feature
  FROM areas a
  WHERE a.kind = %(kind)s::text
    AND a.geom && ST_MakeEnvelope(%(minlon)s::float8, %(minlat)s::float8, %(maxlon)s::float8, %(maxlat)s::float8, 4326)
  ORDER BY a.code
  LIMIT %(limit)s::int
) f

-- One area as a GeoJSON Feature (text): its boundary (optionally simplified), its members when it is a
-- custom locality, and the latest value of each of its indicators.
-- Parameters (psycopg): code; simplify_m (metres, 0 for none); metric_srid (projected CRS in metres, in
-- which the simplification is done before the boundary goes back to EPSG:4326).
-- Coordinates keep 6 decimal places (about 0.1 m).
WITH a AS (
  SELECT id, code, name, kind, parent_code, vintage,
         CASE WHEN %(simplify_m)s::float8 > 0
              THEN ST_Multi(ST_Transform(
                     ST_SimplifyPreserveTopology(ST_Transform(geom, %(metric_srid)s::int), %(simplify_m)s::float8),
                     4326))
              ELSE geom
         END AS geom
  FROM areas
  WHERE code = %(code)s::text
)
SELECT json_build_object(
  'type', 'Feature',
  'id', a.code,
  'geometry', ST_AsGeoJSON(a.geom, 6)::json,
  'properties', json_build_object(
    'code', a.code,
    'name', a.name,
    'kind', a.kind,
    'parent_code', a.parent_code,
    'vintage', a.vintage,
    'members', CASE WHEN a.kind = 'locality' THEN (
      SELECT coalesce(json_agg(json_build_object('code', m.code, 'name', m.name, 'kind', m.kind)
                               ORDER BY m.kind, m.code), '[]'::json)
      FROM locality_members lm JOIN areas m ON m.id = lm.member_id
      WHERE lm.locality_id = a.id
    ) END,
    'indicators', (
      SELECT coalesce(json_object_agg(i.key, json_build_object(
               'value', i.value, 'period', i.period, 'source', i.source, 'derived', i.derived)
             ORDER BY i.key), '{}'::json)
      FROM (
        SELECT DISTINCT ON (key) key, value, period, source, derived
        FROM indicators
        WHERE area_code = a.code
        ORDER BY key, period DESC
      ) i
    )
  )
)::text AS feature
FROM a

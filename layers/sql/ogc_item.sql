-- One feature of an OGC API collection, as GeoJSON Feature text; no row when there is no such feature.
-- Composed by layers/ogc/features.py (psycopg.sql) as ogc_items.sql is. Parameter (psycopg): id.
SELECT to_json(f)::text AS feature
FROM (SELECT {view_columns}, v.geom FROM {view} v WHERE v.id = %(id)s) p
CROSS JOIN LATERAL (
  SELECT 'Feature' AS type, p.id, {geometry}::json AS geometry,
         (SELECT to_json(q) FROM (SELECT {page_columns}) q) AS properties
) f

-- One page of an OGC API collection's features, as GeoJSON Feature texts joined by commas, with how many
-- features match in all and how many the page holds. Composed by layers/ogc/features.py (psycopg.sql):
-- the view (one of schema ogc: public fields only), the property columns of the page (p.) and of the
-- view (v.), the geometry expression (GeoJSON in the CRS asked for) and the conditions (bbox, filters).
-- Parameters (psycopg): limit, offset, and those of the conditions. Ordered by id, so pages do not overlap.
-- The count runs only when the page cannot tell it: a page neither full nor empty ends the matches (offset
-- + returned); an empty first page matches none. (An uncorrelated subquery runs when first needed.)
WITH page AS MATERIALIZED (
  SELECT {view_columns}, v.geom
  FROM {view} v
  WHERE {where}
  ORDER BY v.id
  LIMIT %(limit)s::int OFFSET %(offset)s::int
)
SELECT CASE WHEN count(*) > 0 AND count(*) < %(limit)s::int THEN %(offset)s::int + count(*)
            WHEN count(*) = 0 AND %(offset)s::int = 0 THEN 0
            ELSE (SELECT count(*) FROM {view} v WHERE {where}) END AS matched,
       count(*) AS returned,
       coalesce(string_agg(to_json(f)::text, ',' ORDER BY p.id), '') AS features
FROM page p
CROSS JOIN LATERAL (
  SELECT 'Feature' AS type, p.id, {geometry}::json AS geometry,
         (SELECT to_json(q) FROM (SELECT {page_columns}) q) AS properties
) f

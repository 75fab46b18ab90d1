-- Markers of the resident map in a bbox, counted per grid cell, as a GeoJSON FeatureCollection (text):
-- what a zoomed-out view draws when it holds too many markers to send one by one. Each cell's point is
-- the mean of its markers, so a cluster sits where its places are. The same rows as map_markers.sql.
-- Parameters (psycopg): minlon, minlat, maxlon, maxlat (EPSG:4326); cell_lon, cell_lat (degrees).
WITH box AS (
  SELECT ST_MakeEnvelope(%(minlon)s::float8, %(minlat)s::float8, %(maxlon)s::float8, %(maxlat)s::float8, 4326) AS geom
), marker AS (
  SELECT 'hub' AS kind, h.geom FROM hubs h, box WHERE h.geom && box.geom
  UNION ALL
  SELECT 'space', s.geom FROM spaces s, box
  WHERE s.geom && box.geom AND s.status IN ('available', 'under_offer')
  UNION ALL
  SELECT 'group', g.geom FROM groups g, box
  WHERE g.geom && box.geom AND g.status = 'active' AND g.location_precision IN ('venue', 'hub')
), cell AS (
  SELECT floor(ST_X(geom) / %(cell_lon)s::float8)::int AS cx,
         floor(ST_Y(geom) / %(cell_lat)s::float8)::int AS cy,
         count(*)::int AS n,
         count(*) FILTER (WHERE kind = 'hub')::int AS hubs,
         count(*) FILTER (WHERE kind = 'space')::int AS spaces,
         count(*) FILTER (WHERE kind = 'group')::int AS groups,
         avg(ST_X(geom)) AS lon, avg(ST_Y(geom)) AS lat
  FROM marker
  GROUP BY 1, 2
)
SELECT '{"type":"FeatureCollection","features":' || coalesce(json_agg(to_json(t) ORDER BY t.id)::text, '[]')
       || '}' AS collection
FROM cell c,
LATERAL (
  SELECT 'Feature' AS type, 'cluster/' || c.cx || '/' || c.cy AS id,
         ST_AsGeoJSON(ST_MakePoint(c.lon, c.lat), 5)::json AS geometry,
         (SELECT to_json(p) FROM (SELECT 'cluster' AS kind, c.n AS count, c.hubs, c.spaces, c.groups) p)
           AS properties
) t

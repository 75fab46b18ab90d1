-- How many markers the resident map would draw in a bbox, counting no further than %(cap)s + 1.
-- The same rows as map_markers.sql: hubs, spaces that can still be used, and active groups that meet at a
-- public place (a venue or a hub); groups known only by the areas they serve have no marker.
-- Parameters (psycopg): minlon, minlat, maxlon, maxlat (EPSG:4326); cap.
WITH box AS (
  SELECT ST_MakeEnvelope(%(minlon)s::float8, %(minlat)s::float8, %(maxlon)s::float8, %(maxlat)s::float8, 4326) AS geom
)
SELECT count(*)::int AS n FROM (
  (SELECT 1 FROM hubs h, box WHERE h.geom && box.geom LIMIT %(cap)s::int + 1)
  UNION ALL
  (SELECT 1 FROM spaces s, box
   WHERE s.geom && box.geom AND s.status IN ('available', 'under_offer') LIMIT %(cap)s::int + 1)
  UNION ALL
  (SELECT 1 FROM groups g, box
   WHERE g.geom && box.geom AND g.status = 'active' AND g.location_precision IN ('venue', 'hub')
   LIMIT %(cap)s::int + 1)
) capped

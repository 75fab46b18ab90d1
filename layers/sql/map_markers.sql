-- Markers of the resident map in a bbox, as a lean GeoJSON FeatureCollection (text): what a marker needs
-- to be drawn and named, nothing more (details are read from /groups, /hubs or /spaces when selected).
-- Public fields only. "sample" is true for records whose source says they are sample data, and for groups
-- placed at a made-up (sample) venue (groups.venue_sample: the demo's groups, layers/importers/demo_groups.py).
-- Parameters (psycopg): minlon, minlat, maxlon, maxlat (EPSG:4326); limit (most features).
WITH box AS (
  SELECT ST_MakeEnvelope(%(minlon)s::float8, %(minlat)s::float8, %(maxlon)s::float8, %(maxlat)s::float8, 4326) AS geom
), marker AS (
  SELECT 'hub' AS kind, h.id, h.kind AS subtype, h.name, h.source, false AS venue_sample, h.geom
  FROM hubs h, box
  WHERE h.geom && box.geom
  UNION ALL
  SELECT 'space', s.id, s.kind, s.name, s.source, false, s.geom
  FROM spaces s, box
  WHERE s.geom && box.geom AND s.status IN ('available', 'under_offer')
  UNION ALL
  SELECT 'group', g.id, coalesce(g.categories[1], 'group'), g.name, g.source, g.venue_sample, g.geom
  FROM groups g, box
  WHERE g.geom && box.geom AND g.status = 'active' AND g.location_precision IN ('venue', 'hub')
)
-- to_json of rows writes compact JSON (json_build_object pads every key with spaces): about a fifth fewer
-- bytes on a busy view.
SELECT '{"type":"FeatureCollection","features":' || coalesce(json_agg(f.feature ORDER BY f.kind, f.id)::text, '[]')
       || '}' AS collection
FROM (
  SELECT m.kind, m.id, to_json(t) AS feature
  FROM (SELECT * FROM marker ORDER BY kind, id LIMIT %(limit)s::int) m,
  LATERAL (
    SELECT 'Feature' AS type, m.kind || '/' || m.id AS id, ST_AsGeoJSON(m.geom, 5)::json AS geometry,
           (SELECT to_json(p) FROM (SELECT m.id, m.kind, m.subtype, m.name,
                                           (m.source ILIKE '%%sample%%' OR m.venue_sample) AS sample) p) AS properties
  ) t
) f

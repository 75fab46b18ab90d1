-- Hubs and spaces in a bbox, as a GeoJSON FeatureCollection (text) for the map. Public fields only: the
-- email, phone and private_contact columns are never selected. Spaces that are let or unavailable are
-- left out. Parameters (psycopg): minlon, minlat, maxlon, maxlat (EPSG:4326); limit (most features).
WITH box AS (
  SELECT ST_MakeEnvelope(%(minlon)s::float8, %(minlat)s::float8, %(maxlon)s::float8, %(maxlat)s::float8, 4326) AS geom
), asset AS (
  SELECT 'hub' AS kind, h.id, h.kind AS subtype, h.name, h.address, h.postcode, h.opening_hours,
         h.website, h.step_free, h.geom
  FROM hubs h, box
  WHERE h.geom && box.geom
  UNION ALL
  SELECT 'space', s.id, s.kind, s.name, s.address, s.postcode, NULL, s.website, s.step_free, s.geom
  FROM spaces s, box
  WHERE s.geom && box.geom AND s.status IN ('available', 'under_offer')
)
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(f.feature ORDER BY f.kind, f.id), '[]'::json)
)::text AS collection
FROM (
  SELECT kind, id, json_build_object(
    'type', 'Feature',
    'id', kind || '/' || id,
    'geometry', ST_AsGeoJSON(geom, 6)::json,
    'properties', json_build_object(
      'id', id, 'kind', kind, 'subtype', subtype, 'name', name, 'address', address, 'postcode', postcode,
      'opening_hours', opening_hours, 'website', website, 'step_free', step_free)
  ) AS feature
  FROM asset
  ORDER BY kind, id
  LIMIT %(limit)s::int
) f

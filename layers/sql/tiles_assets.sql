-- One Mapbox Vector Tile (WebMercatorQuad z/x/y) of one kind of public asset, and the data version it was
-- made from (and whether this transaction has changed that data itself), in one statement (one snapshot). Parameters (psycopg): z, x, y; kind (hub, space or group);
-- layer (the tile's layer name). The same rows and public fields as the maps' markers (map_markers.sql):
-- hubs; spaces available or under offer; active groups placed at a public venue or their hub. Never an
-- email, phone or private contact. "sample" is true for made-up demo records (and groups at a sample venue).
WITH tile AS (
  SELECT e AS env, ST_Transform(e, 4326) AS env_4326
  FROM (SELECT ST_TileEnvelope(%(z)s::int, %(x)s::int, %(y)s::int) AS e) t
), asset AS (
  SELECT h.id, h.kind AS subtype, h.name, h.source, false AS venue_sample, h.geom
  FROM hubs h, tile
  WHERE %(kind)s::text = 'hub' AND h.geom && tile.env_4326
  UNION ALL
  SELECT s.id, s.kind, s.name, s.source, false, s.geom
  FROM spaces s, tile
  WHERE %(kind)s::text = 'space' AND s.geom && tile.env_4326 AND s.status IN ('available', 'under_offer')
  UNION ALL
  SELECT g.id, coalesce(g.categories[1], 'group'), g.name, g.source, g.venue_sample, g.geom
  FROM groups g, tile
  WHERE %(kind)s::text = 'group' AND g.geom && tile.env_4326
    AND g.status = 'active' AND g.location_precision IN ('venue', 'hub')
), feature AS (
  SELECT a.id, a.subtype, a.name, (coalesce(a.source, '') ILIKE '%%sample%%' OR a.venue_sample) AS sample,
         ST_AsMVTGeom(ST_Transform(a.geom, 3857), tile.env::box2d, 4096, 64, true) AS geom
  FROM asset a, tile
)
SELECT (SELECT ST_AsMVT(f, %(layer)s::text, 4096, 'geom', 'id') FROM feature f WHERE f.geom IS NOT NULL) AS tile,
       (SELECT string_agg(source || ':' || changes, '-' ORDER BY source) FROM analysis_changes
        WHERE source = 'assets') AS version,
       (SELECT coalesce(bool_or(last_xid = pg_current_xact_id_if_assigned()::text), false) FROM analysis_changes
        WHERE source = 'assets') AS mine, true AS current

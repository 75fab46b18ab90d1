-- One Mapbox Vector Tile (WebMercatorQuad z/x/y) of the areas of one kind, and the data version it was made
-- from, in one statement (one snapshot). Parameters (psycopg): z, x, y; kind; layer (the tile's layer name);
-- band (which stored copy of the boundary: 12 whole, 10, 8 or 0 simplified; migration 0020_tiles_area_geometries).
--
-- The features are the areas whose boundary meets the tile (ST_Intersects in EPSG:4326, on the GiST index),
-- as any OGC API Tiles server over the same table would pick them (one whose box lies inside the tile
-- meets it: no need to read its outline). Each is drawn from its stored EPSG:3857
-- copy for the zoom band: one crossing the tile's buffer (64 units, 4 screen pixels: room for a border's
-- stroke at the tile's edge) is first cut to the buffer (ST_ClipByBox2D: fast,
-- and tolerant of the slivers a cut may leave, which a renderer draws as it would any polygon), then every
-- shape is scaled to tile units, snapped to the whole-unit grid, and rid of points within a unit of the line
-- (1/16 of a screen pixel: nothing visible; it keeps tiles no larger than ST_AsMVTGeom's), and its rings
-- wound as the MVT specification asks (ST_ForcePolygonCCW in tile units, y down: exterior rings have a
-- positive area by the surveyor's formula). A shape that collapses to nothing on the grid is left out, as
-- ST_AsMVTGeom would. Features run largest first (renderers draw in order: a smaller overlapping area on top).
-- Properties: code, name, the latest IMD decile (1 = most deprived tenth) and resident population
-- (area_tile_facts, kept in step with indicators by triggers: migration 0020_tiles_area_geometries), and the
-- level's stored default overlay class and priority (area_overlay, as the OGC API's area collections carry).
-- The tile's version, and whether that stored overlay is current, are read in the same statement
-- (overlay_version.sql, put in place of the marker by layers.tiles.mvt: the same parameters).
WITH tile AS (
  SELECT e AS env, ST_Transform(e, 4326) AS env_4326, 4096.0 / (ST_XMax(e) - ST_XMin(e)) AS s,
         ST_XMin(e) AS x0, ST_YMax(e) AS y1,
         ST_Expand(e, (ST_XMax(e) - ST_XMin(e)) * 64.0 / 4096.0) AS buffered
  FROM (SELECT ST_TileEnvelope(%(z)s::int, %(x)s::int, %(y)s::int) AS e) t
), shape AS (
  SELECT a.code, a.name,
         CASE WHEN %(band)s::int >= 12 THEN a.tile_geom
              WHEN %(band)s::int >= 10 THEN a.tile_geom_z10
              WHEN %(band)s::int >= 8 THEN a.tile_geom_z8
              ELSE a.tile_geom_z0 END AS g
  FROM areas a, tile
  WHERE a.kind = %(kind)s::text AND a.geom && tile.env_4326
    AND (a.geom @ tile.env_4326 OR ST_Intersects(a.geom, tile.env_4326))
), drawn AS MATERIALIZED (
  SELECT shape.code, shape.name,
         ST_ForcePolygonCCW(ST_Simplify(ST_SnapToGrid(ST_Affine(
           CASE WHEN shape.g @ tile.buffered THEN shape.g ELSE ST_ClipByBox2D(shape.g, tile.buffered::box2d) END,
           tile.s, 0, 0, -tile.s, -tile.x0 * tile.s, tile.y1 * tile.s), 1), 1, true)) AS geom
  FROM shape, tile
), feature AS (
  SELECT d.code, d.name, f.imd_decile, f.population_total, o.overlay_class, o.overlay_priority, d.geom
  FROM drawn d
  LEFT JOIN area_tile_facts f ON f.area_code = d.code
  LEFT JOIN area_overlay o ON o.code = d.code AND o.level = %(kind)s::text
  WHERE d.geom IS NOT NULL AND NOT ST_IsEmpty(d.geom)
  ORDER BY ST_Area(d.geom) DESC, d.code  -- the larger first, so a smaller area that overlaps it (a locality) is drawn on top
)
SELECT (SELECT ST_AsMVT(feature, %(layer)s::text, 4096, 'geom') FROM feature) AS tile,
       v.version, v.mine, v.current
FROM (/* overlay_version.sql */) v

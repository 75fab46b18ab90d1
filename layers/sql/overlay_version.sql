-- The data version of the overlay's inputs now, and whether a level's stored overlay (area_overlay,
-- migration 0022_area_overlay) was computed from that data (layers.ogc.overlay.is_current, for the area
-- collections' pages). It is also a boundary tile's version (tiles_areas.sql): the tiles carry each area's
-- overlay class and priority, which follow the assets and mapped extents as well as the areas and
-- indicators. The version is every input of the overlay, made as layers.analysis.cache.Counters.version makes it ('v1-' then
-- source:changes for each source, in order): equal to the stored run's version when the overlay is current.
-- mine: this transaction has itself raised a counter (its tiles hold data not yet committed: not kept).
-- Parameters (psycopg): kind (the level: ward, district, lsoa or locality). The overlay's inputs, in order
-- (layers.analysis.cache.SOURCES), are put in place of the marker by layers.ogc.overlay, as a constant array.
SELECT v.version, v.mine,
       coalesce(v.version = (SELECT r.version FROM area_overlay_runs r WHERE r.level = %(kind)s::text), false)
         AS current
FROM (
  SELECT 'v1-' || string_agg(u.source || ':' || coalesce(c.changes, 0), '-' ORDER BY u.n) AS version,
         coalesce(bool_or(c.last_xid = pg_current_xact_id_if_assigned()::text), false) AS mine
  FROM unnest(/* sources */) WITH ORDINALITY u(source, n)
  LEFT JOIN analysis_changes c ON c.source = u.source
) v

-- The extent of the boundaries held (CRS84 degrees), given as every collection's spatial extent: the
-- planner's estimate (no scan) when the table has statistics, else the districts' and counties' extent.
SELECT ST_XMin(e) AS minx, ST_YMin(e) AS miny, ST_XMax(e) AS maxx, ST_YMax(e) AS maxy
FROM (
  SELECT coalesce(
    (SELECT ST_EstimatedExtent('public', 'areas', 'geom')::geometry
     WHERE EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'public' AND tablename = 'areas' AND attname = 'geom')),
    (SELECT ST_Extent(geom)::geometry FROM areas WHERE kind IN ('district', 'county')),
    (SELECT ST_Extent(geom)::geometry FROM areas)
  ) AS e
) x

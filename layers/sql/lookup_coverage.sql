-- What Patchmap holds boundaries for, to say so when a lookup finds nothing: the counties (or else the
-- districts) by name, how many wards and LSOAs, and their extent in EPSG:4326. The extent is taken from
-- the few counties and districts when there are any (cheap), else from every boundary.
WITH counts AS (
  SELECT
    array_agg(name ORDER BY name) FILTER (WHERE kind = 'county') AS counties,
    array_agg(name ORDER BY name) FILTER (WHERE kind = 'district') AS districts,
    count(*) FILTER (WHERE kind = 'ward') AS wards,
    count(*) FILTER (WHERE kind = 'lsoa') AS lsoas
  FROM areas
), extent AS MATERIALIZED (
  SELECT coalesce(
    (SELECT ST_Extent(geom) FROM areas WHERE kind IN ('county', 'district')),
    (SELECT ST_Extent(geom) FROM areas WHERE kind <> 'locality')
  ) AS box
)
SELECT counties, districts, wards, lsoas,
       ST_XMin(box) AS minlon, ST_YMin(box) AS minlat, ST_XMax(box) AS maxlon, ST_YMax(box) AS maxlat
FROM counts, extent

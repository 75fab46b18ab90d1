-- Where a hypothetical asset would stand: its point on the British National Grid (EPSG:27700, metres), the keys
-- (areas.id) of the ward and LSOA holding it, as the assets' triggers would find them (patchmap_ward_of,
-- patchmap_lsoa_of on the EPSG:4326 point), and whether it lies within :reach_m metres of :near_code (the
-- rule analysis_assets.sql reads assets by). Give :easting and :northing, or :lon and :lat, or :postcode.
WITH p AS (
  SELECT CASE
    WHEN CAST(:easting AS float8) IS NOT NULL
      THEN ST_Transform(ST_SetSRID(ST_MakePoint(CAST(:easting AS float8), CAST(:northing AS float8)), 27700), 4326)
    WHEN CAST(:lon AS float8) IS NOT NULL
      THEN ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326)
    ELSE (SELECT pc.geom FROM postcodes pc WHERE pc.postcode = CAST(:postcode AS text))
  END AS g
)
SELECT ST_X(ST_Transform(g, 27700)) AS x, ST_Y(ST_Transform(g, 27700)) AS y,
       (SELECT id FROM areas WHERE code = patchmap_ward_of(g)) AS ward_key,
       (SELECT id FROM areas WHERE code = patchmap_lsoa_of(g)) AS lsoa_key,
       (SELECT name FROM areas WHERE code = patchmap_ward_of(g)) AS ward_name,
       (CAST(:near_code AS text) IS NULL OR EXISTS (
          SELECT 1 FROM areas a WHERE a.code = CAST(:near_code AS text)
          AND ST_DWithin(ST_Transform(a.geom, 27700), ST_Transform(g, 27700), CAST(:reach_m AS float8)))) AS in_reach
FROM p WHERE g IS NOT NULL

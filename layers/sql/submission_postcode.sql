-- Where a postcode (postcode = 'NR2 1AW') or an outward code (outward = 'NR2') is: the middle of its
-- postcodes' points (EPSG:4326), and the ward and district when all of its postcodes share one.
-- `postcodes` is 0 when the code is unknown; `held` counts those inside a loaded district.
-- Parameters (psycopg): postcode, outward (one of them NULL).
SELECT count(*)::int AS postcodes,
       count(district_code)::int AS held,
       ST_X(ST_Centroid(ST_Collect(geom))) AS lon,
       ST_Y(ST_Centroid(ST_Collect(geom))) AS lat,
       CASE WHEN count(DISTINCT ward_code) = 1 AND count(ward_code) = count(*) THEN min(ward_code) END
         AS ward_code,
       CASE WHEN count(DISTINCT district_code) = 1 AND count(district_code) = count(*) THEN min(district_code) END
         AS district_code,
       coalesce(bool_or(approximate), false) AS approximate
FROM postcodes
WHERE postcode = %(postcode)s::text OR outward = %(outward)s::text

-- Where a search by postcode starts: the postcode's own point, and the mean point (mean longitude and
-- latitude, EPSG:4326) of the postcodes in its outward code, for when the postcode itself is not known or
-- only the outward code was given.
-- Parameters (psycopg): postcode (normalised, e.g. 'NR2 1AW', or NULL), outward (e.g. 'NR2').
-- Rows: located_by 'postcode' and/or 'outward_code', with lon, lat, approximate and how many postcodes.
SELECT 'postcode' AS located_by, ST_X(geom) AS lon, ST_Y(geom) AS lat, approximate, 1 AS postcodes
FROM postcodes
WHERE postcode = %(postcode)s::text
UNION ALL
SELECT 'outward_code', avg(ST_X(geom)), avg(ST_Y(geom)), bool_or(approximate), count(*)::int
FROM postcodes
WHERE outward = %(outward)s::text
HAVING count(*) > 0

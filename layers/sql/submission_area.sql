-- An area a resident named by its code: a point inside it (ST_PointOnSurface, EPSG:4326), and the ward and
-- district a submission there is filed under. A ward is its own ward; wards and LSOAs carry their district
-- in parent_code; a custom locality takes the district holding its point; a county has no district.
-- Parameter (psycopg): code. No row: no area has the code.
SELECT a.kind, a.code, ST_X(pt.geom) AS lon, ST_Y(pt.geom) AS lat,
       CASE WHEN a.kind = 'ward' THEN a.code END AS ward_code,
       CASE a.kind
         WHEN 'district' THEN a.code
         WHEN 'ward' THEN a.parent_code
         WHEN 'lsoa' THEN a.parent_code
         WHEN 'locality' THEN (
           SELECT p.code FROM area_pieces p
           WHERE p.kind = 'district' AND ST_Intersects(p.geom, pt.geom)
           ORDER BY p.code LIMIT 1)
       END AS district_code
FROM areas a
CROSS JOIN LATERAL (SELECT ST_PointOnSurface(a.geom) AS geom) pt
WHERE a.code = %(code)s::text

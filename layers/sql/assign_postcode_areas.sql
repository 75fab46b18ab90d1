-- Set the ward, district and LSOA codes of postcodes from the areas containing their point.
-- :postcodes is a text[] of postcodes to update, or NULL for every postcode.
-- Approximate postcodes take the codes found (NULL outside the loaded boundaries); ONS Postcode Directory
-- postcodes keep the codes the directory gave them and only have missing ones filled.
-- The lookup tests the small subdivided pieces (GiST index on area_pieces.geom), not whole areas.
WITH target AS (
  SELECT p.postcode, p.geom
  FROM postcodes p
  WHERE (CAST(:postcodes AS text[]) IS NULL OR p.postcode = ANY(CAST(:postcodes AS text[])))
    AND (p.approximate OR p.ward_code IS NULL OR p.district_code IS NULL OR p.lsoa_code IS NULL)
), found AS (
  SELECT t.postcode,
         max(a.code) FILTER (WHERE a.kind = 'ward') AS ward_code,
         max(a.code) FILTER (WHERE a.kind = 'district') AS district_code,
         max(a.code) FILTER (WHERE a.kind = 'lsoa') AS lsoa_code
  FROM target t
  LEFT JOIN area_pieces ap ON ST_Intersects(ap.geom, t.geom)
  LEFT JOIN areas a ON a.id = ap.area_id AND a.kind IN ('ward', 'district', 'lsoa')
  GROUP BY t.postcode
), merged AS (
  SELECT p.postcode,
         CASE WHEN p.approximate THEN f.ward_code ELSE coalesce(p.ward_code, f.ward_code) END AS ward_code,
         CASE WHEN p.approximate THEN f.district_code ELSE coalesce(p.district_code, f.district_code) END
           AS district_code,
         CASE WHEN p.approximate THEN f.lsoa_code ELSE coalesce(p.lsoa_code, f.lsoa_code) END AS lsoa_code
  FROM postcodes p JOIN found f ON f.postcode = p.postcode
)
UPDATE postcodes p
SET ward_code = m.ward_code, district_code = m.district_code, lsoa_code = m.lsoa_code
FROM merged m
WHERE p.postcode = m.postcode
  AND (p.ward_code IS DISTINCT FROM m.ward_code
       OR p.district_code IS DISTINCT FROM m.district_code
       OR p.lsoa_code IS DISTINCT FROM m.lsoa_code)

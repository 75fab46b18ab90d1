-- Apportion every LSOA among the wards it overlaps: share = area(LSOA ∩ ward) / Σ over wards of
-- area(LSOA ∩ ward), with areas in metres² in the metric SRID given (EPSG 27700). Shares of one LSOA sum to 1.
-- Candidate pairs come from the GiST index (ST_Intersects in EPSG:4326). Fast path: when a ward covers
-- the LSOA, area(LSOA ∩ ward) is the LSOA's own area and no intersection is computed. Each geometry is
-- projected once (not once per pair). Pieces under min_piece_m2 (pairs that only touch, and slivers
-- where two generalised boundaries disagree by a hair) are dropped before normalising. The shares
-- are normalised in numeric, whose sums do not depend on row order, so a re-run reproduces them exactly.
WITH pair AS MATERIALIZED (
  SELECT l.code AS lsoa_code, w.code AS ward_code, ST_CoveredBy(l.geom, w.geom) AS covered
  FROM areas l
  JOIN areas w ON ST_Intersects(l.geom, w.geom) AND w.kind = 'ward'
  WHERE l.kind = 'lsoa'
), lsoa_m AS MATERIALIZED (
  SELECT code, ST_Transform(geom, CAST(:srid AS integer)) AS geom
  FROM areas WHERE kind = 'lsoa' AND code IN (SELECT lsoa_code FROM pair)
), ward_m AS MATERIALIZED (
  SELECT code, ST_Transform(geom, CAST(:srid AS integer)) AS geom
  FROM areas WHERE kind = 'ward' AND code IN (SELECT ward_code FROM pair WHERE NOT covered)
), piece AS MATERIALIZED (
  SELECT p.lsoa_code, p.ward_code,
         CASE WHEN p.covered THEN ST_Area(l.geom) ELSE ST_Area(ST_Intersection(l.geom, w.geom)) END AS area_m2
  FROM pair p
  JOIN lsoa_m l ON l.code = p.lsoa_code
  LEFT JOIN ward_m w ON w.code = p.ward_code AND NOT p.covered
)
INSERT INTO area_shares (lsoa_code, area_code, share)
SELECT lsoa_code, ward_code,
       CAST(CAST(area_m2 AS numeric) / sum(CAST(area_m2 AS numeric)) OVER (PARTITION BY lsoa_code)
            AS double precision)
FROM piece
WHERE area_m2 >= CAST(:min_piece_m2 AS double precision) AND area_m2 > 0

-- How the LSOAs were apportioned to wards: counts for the roll-up report.
SELECT (SELECT count(DISTINCT s.lsoa_code) FROM area_shares s JOIN areas w ON w.code = s.area_code AND w.kind = 'ward')
         AS lsoas,
       (SELECT count(DISTINCT s.area_code) FROM area_shares s JOIN areas w ON w.code = s.area_code AND w.kind = 'ward')
         AS wards,
       (SELECT count(*) FROM area_shares s JOIN areas w ON w.code = s.area_code AND w.kind = 'ward') AS pairs,
       (SELECT count(*) FROM (
          SELECT s.lsoa_code FROM area_shares s JOIN areas w ON w.code = s.area_code AND w.kind = 'ward'
          GROUP BY s.lsoa_code HAVING max(s.share) < 0.99) t) AS straddling,
       (SELECT count(*) FROM areas l WHERE l.kind = 'lsoa'
          AND NOT EXISTS (SELECT 1 FROM area_shares s WHERE s.lsoa_code = l.code)) AS outside

-- Which indicators are stored: one row per key, period and kind of area, with how many values there are,
-- how many were derived (rolled up from LSOAs) and their sources. Values whose area_code names no area in
-- the database (e.g. LSOAs outside the loaded boundaries) have kind NULL. kind (NULL for all) keeps only
-- values of areas of that kind.
SELECT i.key, i.period, a.kind, count(*) AS n, count(*) FILTER (WHERE i.derived) AS derived,
       array_agg(DISTINCT i.source ORDER BY i.source) AS sources
FROM indicators i
LEFT JOIN areas a ON a.code = i.area_code
WHERE CAST(:kind AS text) IS NULL OR a.kind = CAST(:kind AS text)
GROUP BY i.key, i.period, a.kind
ORDER BY i.key, i.period, a.kind

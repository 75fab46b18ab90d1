-- One indicator's latest value for each area of the given codes (:codes), and its period and source.
SELECT DISTINCT ON (i.area_code) i.area_code AS code, i.value, i.period, i.source
FROM indicators i
WHERE i.key = CAST(:key AS text) AND i.area_code = ANY(CAST(:codes AS text[]))
ORDER BY i.area_code, i.period DESC

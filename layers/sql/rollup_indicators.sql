-- Roll LSOA indicators up to wards (weights: population × area share) and districts (LSOAs nest in
-- districts: parent_code, share 1), and upsert them as derived indicators.
-- Counts (the sum_keys parameter) are summed: Σ v(l)·s(l, a). Every other key is a population-weighted mean:
-- Σ pop(l)·s(l, a)·v(l) / Σ pop(l)·s(l, a), pop = the weight_key value for weight_period. Areas whose weight is 0
-- get no values. Arithmetic is in numeric so sums do not depend on row order: a re-run stores exactly the
-- same doubles and the upsert reports them unchanged. Derived values whose area no longer gets one are
-- deleted; a value stored by something other than the roll-up (derived = false) is never overwritten.
WITH link AS (
  SELECT s.lsoa_code, s.area_code, CAST(s.share AS numeric) AS share
  FROM area_shares s
  JOIN areas w ON w.code = s.area_code AND w.kind = 'ward'
  UNION ALL
  SELECT code, parent_code, 1 FROM areas WHERE kind = 'lsoa' AND parent_code IS NOT NULL
), weighted AS (  -- weight = pop(l)·s(l, a), once per link; links without people add nothing to any sum
  SELECT k.lsoa_code, k.area_code, k.share, k.share * CAST(p.value AS numeric) AS weight
  FROM link k
  JOIN indicators p ON p.area_code = k.lsoa_code AND p.key = CAST(:weight_key AS text)
   AND p.period = CAST(:weight_period AS text) AND NOT p.derived
), rolled AS (
  SELECT k.area_code, v.key, v.period,
         CAST(sum(CASE WHEN v.key = ANY(CAST(:sum_keys AS text[])) THEN k.share ELSE k.weight END
                  * CAST(v.value AS numeric))
              / CASE WHEN v.key = ANY(CAST(:sum_keys AS text[])) THEN 1 ELSE sum(k.weight) END
              AS double precision) AS value
  FROM weighted k
  JOIN indicators v ON v.area_code = k.lsoa_code AND NOT v.derived AND v.key = ANY(CAST(:keys AS text[]))
  WHERE k.weight > 0
  GROUP BY k.area_code, v.key, v.period
), kept AS (
  SELECT r.area_code FROM rolled r
  JOIN indicators i ON i.area_code = r.area_code AND i.key = r.key AND i.period = r.period AND NOT i.derived
), up AS (
  INSERT INTO indicators (area_code, key, value, period, source, derived)
  SELECT area_code, key, value, period, CAST(:source AS text), true FROM rolled
  ON CONFLICT (area_code, key, period) DO UPDATE
  SET value = EXCLUDED.value, source = EXCLUDED.source
  WHERE indicators.derived
    AND (indicators.value IS DISTINCT FROM EXCLUDED.value OR indicators.source IS DISTINCT FROM EXCLUDED.source)
  RETURNING (xmax = 0) AS inserted
), gone AS (
  DELETE FROM indicators i
  WHERE i.derived AND i.source = CAST(:source AS text) AND i.key = ANY(CAST(:keys AS text[]))
    AND NOT EXISTS (SELECT 1 FROM rolled r WHERE r.area_code = i.area_code AND r.key = i.key AND r.period = i.period)
  RETURNING 1
)
SELECT (SELECT count(*) FROM rolled) AS total,
       (SELECT count(*) FROM kept) AS kept,
       (SELECT count(*) FROM up WHERE inserted) AS inserted,
       (SELECT count(*) FROM up WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM gone) AS deleted,
       (SELECT count(DISTINCT r.area_code) FROM rolled r JOIN areas a ON a.code = r.area_code AND a.kind = 'ward')
         AS wards,
       (SELECT count(DISTINCT r.area_code) FROM rolled r
         JOIN areas a ON a.code = r.area_code AND a.kind = 'district') AS districts,
       -- LSOA parent codes that name no district in the database (e.g. a boundary file's older codes)
       (SELECT coalesce(array_agg(DISTINCT r.area_code ORDER BY r.area_code), '{}') FROM rolled r
         WHERE NOT EXISTS (SELECT 1 FROM areas a WHERE a.code = r.area_code)) AS unknown

-- Upsert LSOA indicator values of one period and source, passed as three comma-joined lists of equal
-- length: one statement for 100,000 values (the generic upsert spends its time building SQL).
-- Same rule as layers.importers.upsert: insert new rows, update rows whose value or source differ,
-- leave identical rows alone.
WITH incoming AS (
  SELECT t.area_code, t.key, t.value
  FROM unnest(string_to_array(CAST(:area_codes AS text), ','), string_to_array(CAST(:keys AS text), ','),
              CAST(string_to_array(CAST(:vals AS text), ',') AS double precision[])) AS t(area_code, key, value)
  -- Identical rows are left out before the insert: ON CONFLICT would lock (and so write) each of them.
  WHERE NOT EXISTS (
    SELECT 1 FROM indicators i
    WHERE i.area_code = t.area_code AND i.key = t.key AND i.period = CAST(:period AS text)
      AND i.value = t.value AND i.source = CAST(:source AS text) AND NOT i.derived
  )
), up AS (
  INSERT INTO indicators (area_code, key, value, period, source, derived)
  SELECT area_code, key, value, CAST(:period AS text), CAST(:source AS text), false FROM incoming
  ON CONFLICT (area_code, key, period) DO UPDATE
  SET value = EXCLUDED.value, source = EXCLUDED.source, derived = false
  WHERE indicators.value IS DISTINCT FROM EXCLUDED.value
     OR indicators.source IS DISTINCT FROM EXCLUDED.source
     OR indicators.derived
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM up

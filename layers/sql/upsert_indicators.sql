-- Upsert indicator values (IoD2019 files and an officer's own indicators, layers.importers.iod and
-- .indicators), passed as five arrays of equal length. Same rule as layers.importers.upsert: insert new
-- rows, update rows whose value or source differ (or that were derived), leave identical rows alone.
-- Arrays rather than comma-joined text, because area codes may be custom locality codes, which may hold commas.
WITH incoming AS (
  SELECT t.area_code, t.key, t.value, t.period, t.source
  FROM unnest(CAST(:area_codes AS text[]), CAST(:keys AS text[]), CAST(:values AS double precision[]),
              CAST(:periods AS text[]), CAST(:sources AS text[])) AS t(area_code, key, value, period, source)
  -- Identical rows are left out before the insert: ON CONFLICT would lock (and so write) each of them.
  WHERE NOT EXISTS (
    SELECT 1 FROM indicators i
    WHERE i.area_code = t.area_code AND i.key = t.key AND i.period = t.period
      AND i.value = t.value AND i.source = t.source AND NOT i.derived
  )
), up AS (
  INSERT INTO indicators (area_code, key, value, period, source, derived)
  SELECT area_code, key, value, period, source, false FROM incoming
  ON CONFLICT (area_code, key, period) DO UPDATE
  SET value = EXCLUDED.value, source = EXCLUDED.source, derived = false
  WHERE indicators.value IS DISTINCT FROM EXCLUDED.value
     OR indicators.source IS DISTINCT FROM EXCLUDED.source
     OR indicators.derived
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM up

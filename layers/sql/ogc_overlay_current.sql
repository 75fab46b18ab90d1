-- Whether the stored default overlay of one level (area_overlay_runs, migration 0022_area_overlay) was
-- computed from the data as it is now: its version equals the inputs' version made from analysis_changes as
-- layers.analysis.cache.Counters.version makes it ('v1-' then source:changes for each source, in order).
-- Parameters (psycopg): level; sources (layers.analysis.cache.SOURCES, in order).
SELECT coalesce(
  (SELECT r.version FROM area_overlay_runs r WHERE r.level = %(level)s::text)
  = 'v1-' || (SELECT string_agg(u.source || ':' || coalesce(c.changes, 0), '-' ORDER BY u.n)
              FROM unnest(%(sources)s::text[]) WITH ORDINALITY u(source, n)
              LEFT JOIN analysis_changes c ON c.source = u.source),
  false) AS current

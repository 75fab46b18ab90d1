-- Store one level's default overlay (layers/ogc/overlay.py), after its old rows are deleted: one row per
-- area of area_overlay (migration 0022_area_overlay). Parameters (SQLAlchemy): level, version; codes, and one
-- array per measure in the codes' order.
INSERT INTO area_overlay (code, level, assets_per_1000, coverage_800m, access_2sfca, overlay_priority,
                            overlay_class, overlay_class_label, overlay_version, overlay_computed_at)
  SELECT m.code, :level, m.assets_per_1000, m.coverage_800m, m.access_2sfca, m.overlay_priority,
         m.overlay_class, m.overlay_class_label, :version, now()
  FROM unnest(CAST(:codes AS text[]), CAST(:assets_per_1000 AS float8[]), CAST(:coverage_800m AS float8[]),
              CAST(:access_2sfca AS float8[]), CAST(:overlay_priority AS int[]), CAST(:overlay_class AS text[]),
              CAST(:overlay_class_label AS text[]))
       AS m(code, assets_per_1000, coverage_800m, access_2sfca, overlay_priority, overlay_class,
            overlay_class_label)
  ON CONFLICT (code) DO UPDATE SET level = excluded.level, assets_per_1000 = excluded.assets_per_1000,
    coverage_800m = excluded.coverage_800m, access_2sfca = excluded.access_2sfca,
    overlay_priority = excluded.overlay_priority, overlay_class = excluded.overlay_class,
    overlay_class_label = excluded.overlay_class_label, overlay_version = excluded.overlay_version,
    overlay_computed_at = excluded.overlay_computed_at

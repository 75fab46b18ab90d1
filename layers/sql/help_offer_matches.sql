-- The groups an accepted offer of help could be introduced to (layers.offers.matching.matches_for).
-- Parameters (SQLAlchemy): submission_id, limit, group_id (NULL for every group; a number for that one only).
--
-- A group matches when it is active, wants volunteers, and one of its categories is one the resident chose,
-- or one of the skills it seeks shares a word with the resident's skills or with what they wrote they could
-- offer. Words are compared by a rough stem (lower case; "-ing", "-ers", "-er", "-s", then "-e" cut off, so
-- "driving", "drive" and "drivers" agree) and short and common words are ignored.
--
-- Groups with a point are found nearest first by the KNN index on groups.geom_bng (EPSG:27700, metres);
-- groups with no point (they only serve areas) come after all of those, nearest served area first (0 when
-- the offer lies inside it), so a group serving the whole district never outranks one meeting nearby.
WITH offer AS (
    SELECT ST_Transform(s.geom, 27700) AS pt,
           ARRAY(SELECT jsonb_array_elements_text(
               CASE WHEN jsonb_typeof(s.details -> 'categories') = 'array' THEN s.details -> 'categories'
                    ELSE '[]'::jsonb END)) AS cats,
           ARRAY(
               SELECT DISTINCT regexp_replace(regexp_replace(w, '(ing|ers|er|s)$', ''), 'e$', '')
               FROM (SELECT jsonb_array_elements_text(
                         CASE WHEN jsonb_typeof(s.details -> 'skills') = 'array' THEN s.details -> 'skills'
                              ELSE '[]'::jsonb END) AS said
                     UNION ALL SELECT coalesce(s.details ->> 'offer', '')) AS said_words,
                    regexp_split_to_table(lower(said), '[^a-z]+') AS w
               WHERE length(w) >= 3 AND w <> ALL (ARRAY[
                   'and', 'the', 'for', 'with', 'can', 'could', 'help', 'helping', 'people', 'other', 'others',
                   'some', 'any', 'all', 'week', 'weeks', 'hour', 'hours', 'day', 'days', 'time', 'local',
                   'would', 'like', 'happy', 'able', 'also', 'have', 'from', 'into', 'out', 'your', 'you',
                   'our', 'things', 'thing', 'support', 'volunteer', 'volunteers', 'volunteering'])
           ) AS stems
    FROM submissions s
    WHERE s.id = :submission_id AND s.geom IS NOT NULL
),
placed AS (
    SELECT g.id, g.name, (g.venue_sample OR g.source = 'demo-volunteering') AS sample, g.accepts_introductions,
           nullif(btrim(g.private_contact ->> 'email'), '') IS NOT NULL AS has_organiser_email,
           m.categories_matched, m.skills_matched,
           ST_Distance(g.geom_bng, (SELECT pt FROM offer)) AS distance_m, NULL::text AS area_name
    FROM groups g
    CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT c FROM unnest(g.categories) AS c WHERE ARRAY[c] <@ (SELECT cats FROM offer))
                   AS categories_matched,
               ARRAY(SELECT k FROM unnest(g.skills_sought) AS k
                     WHERE EXISTS (SELECT 1 FROM regexp_split_to_table(lower(k), '[^a-z]+') AS w
                                   WHERE length(w) >= 3
                                     AND ARRAY[regexp_replace(regexp_replace(w, '(ing|ers|er|s)$', ''), 'e$', '')]
                                         <@ (SELECT stems FROM offer))) AS skills_matched
    ) AS m
    WHERE g.volunteers_wanted AND g.status = 'active' AND g.geom_bng IS NOT NULL
      AND (CAST(:group_id AS integer) IS NULL OR g.id = CAST(:group_id AS integer))
      AND (cardinality(m.categories_matched) > 0 OR cardinality(m.skills_matched) > 0)
    ORDER BY g.geom_bng <-> (SELECT pt FROM offer)
    LIMIT :limit
),
serving AS (
    SELECT DISTINCT ON (g.id) g.id, g.name, (g.venue_sample OR g.source = 'demo-volunteering') AS sample,
           g.accepts_introductions,
           nullif(btrim(g.private_contact ->> 'email'), '') IS NOT NULL AS has_organiser_email,
           m.categories_matched, m.skills_matched,
           ST_Distance(ST_Transform(a.geom, 27700), (SELECT pt FROM offer)) AS distance_m, a.name AS area_name
    FROM groups g
    CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT c FROM unnest(g.categories) AS c WHERE ARRAY[c] <@ (SELECT cats FROM offer))
                   AS categories_matched,
               ARRAY(SELECT k FROM unnest(g.skills_sought) AS k
                     WHERE EXISTS (SELECT 1 FROM regexp_split_to_table(lower(k), '[^a-z]+') AS w
                                   WHERE length(w) >= 3
                                     AND ARRAY[regexp_replace(regexp_replace(w, '(ing|ers|er|s)$', ''), 'e$', '')]
                                         <@ (SELECT stems FROM offer))) AS skills_matched
    ) AS m
    JOIN group_areas ga ON ga.group_id = g.id
    JOIN areas a ON a.id = ga.area_id
    WHERE g.volunteers_wanted AND g.status = 'active' AND g.geom_bng IS NULL
      AND (CAST(:group_id AS integer) IS NULL OR g.id = CAST(:group_id AS integer))
      AND (cardinality(m.categories_matched) > 0 OR cardinality(m.skills_matched) > 0)
    ORDER BY g.id, ST_Distance(ST_Transform(a.geom, 27700), (SELECT pt FROM offer))
),
ranked AS (
    SELECT m.*, 'point' AS located_by, 0 AS tier FROM placed m
    UNION ALL
    SELECT m.*, 'area' AS located_by, 1 AS tier FROM serving m
)
SELECT r.id, r.name, r.sample, r.located_by, round(r.distance_m)::integer AS distance_m, r.area_name,
       r.categories_matched, r.skills_matched, r.accepts_introductions, r.has_organiser_email,
       EXISTS (SELECT 1 FROM introductions i WHERE i.submission_id = :submission_id AND i.group_id = r.id)
           AS introduced
FROM ranked r
WHERE EXISTS (SELECT 1 FROM offer)
ORDER BY r.tier, r.distance_m, r.name, r.id
LIMIT :limit

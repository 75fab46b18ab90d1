-- Groups (not closed) as Open Referral UK services: one service and one organisation a group, with its one
-- location (its hub, or its public venue; none for a group known only by the areas it serves) and the areas it
-- serves. Public fields only: never private_contact or a home; email and website are the group's public ones.
-- Ids are patchmap_oruk_uuid (migration 0018), or the ORUK id a record was imported with (source 'oruk').
-- Parameters (psycopg): service_id, organization_id, service_at_location_id (uuid text, or NULL for all),
-- located (true: only services with a location), limit, offset; and the filters of the listings, each NULL
-- when not given (layers/oruk/filters.py checks them and says what each means): search (websearch text) with
-- like (its ILIKE pattern), categories (text[]: any of these), modified_after (timestamptz), minimum_age,
-- maximum_age, day ('mo'..'su'), start_minute, end_minute (minutes after midnight), postcode_areas (text[]: the
-- codes of the areas holding the postcode), lon, lat (its point: then nearest first), proximity (metres).
-- Always one row or more: total_items (of the filtered set), then the page's columns (all NULL when the page
-- is empty).
WITH svc AS (
  SELECT g.*,
         CASE WHEN g.source = 'oruk' AND g.source_id ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
              THEN g.source_id::uuid ELSE patchmap_oruk_uuid('group/' || g.id) END AS service_id
  FROM groups g
  WHERE g.status <> 'closed'
), placed AS (
  SELECT s.*, patchmap_oruk_uuid('organization/' || s.service_id) AS organization_id,
         h.id AS hub_id_found, h.name AS hub_name, h.description AS hub_description, h.address AS hub_address,
         h.postcode AS hub_postcode,
         CASE WHEN h.id IS NOT NULL THEN
                CASE WHEN h.source = 'oruk' AND h.source_id ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                     THEN h.source_id::uuid ELSE patchmap_oruk_uuid('hub/' || h.id) END
              WHEN s.location_precision IN ('venue', 'hub') AND s.geom IS NOT NULL
                THEN patchmap_oruk_uuid('venue/' || s.service_id) END AS location_id,
         CASE WHEN h.id IS NOT NULL THEN h.geom
              WHEN s.location_precision IN ('venue', 'hub') THEN s.geom END AS point
  FROM svc s
  LEFT JOIN hubs h ON h.id = s.hub_id AND s.location_precision = 'hub'
), wanted AS (
  SELECT p.*, CASE WHEN p.location_id IS NOT NULL
                   THEN patchmap_oruk_uuid('service_at_location/' || p.service_id || '/' || p.location_id)
              END AS service_at_location_id
  FROM placed p
), chosen AS (
  SELECT * FROM wanted w
  WHERE (%(service_id)s::uuid IS NULL OR w.service_id = %(service_id)s::uuid)
    AND (%(organization_id)s::uuid IS NULL OR w.organization_id = %(organization_id)s::uuid)
    AND (%(service_at_location_id)s::uuid IS NULL
         OR w.service_at_location_id = %(service_at_location_id)s::uuid)
    AND (NOT %(located)s::bool OR w.location_id IS NOT NULL)
    AND (%(search)s::text IS NULL
         OR w.search_text @@ websearch_to_tsquery('english', %(search)s::text)
         OR w.name ILIKE %(like)s::text OR w.description ILIKE %(like)s::text)
    AND (%(categories)s::text[] IS NULL OR w.categories && %(categories)s::text[])
    AND (%(modified_after)s::timestamptz IS NULL OR w.updated_at >= %(modified_after)s::timestamptz)
    -- as the profile words them: the service's own minimum at least the value (none is 0), its own maximum
    -- at most the value (none is no limit)
    AND (%(minimum_age)s::numeric IS NULL OR coalesce(w.age_min, 0) >= %(minimum_age)s::numeric)
    AND (%(maximum_age)s::numeric IS NULL OR w.age_max <= %(maximum_age)s::numeric)
    -- day and times hold for one and the same meeting
    AND ((%(day)s::text IS NULL AND %(start_minute)s::numeric IS NULL AND %(end_minute)s::numeric IS NULL)
         OR EXISTS (SELECT 1 FROM jsonb_array_elements(w.meets_public) m
                    WHERE (%(day)s::text IS NULL OR m -> 'days' @> to_jsonb(%(day)s::text))
                      AND (%(start_minute)s::numeric IS NULL
                           OR patchmap_hhmm(m ->> 'start') >= %(start_minute)s::numeric)
                      AND (%(end_minute)s::numeric IS NULL
                           OR patchmap_hhmm(m ->> 'end') <= %(end_minute)s::numeric)))
    -- covering the postcode: serving an area that holds it, or naming no area served
    AND (%(postcode_areas)s::text[] IS NULL
         OR NOT EXISTS (SELECT 1 FROM group_areas ga WHERE ga.group_id = w.id)
         OR EXISTS (SELECT 1 FROM group_areas ga JOIN areas a ON a.id = ga.area_id
                    WHERE ga.group_id = w.id AND a.code = ANY(%(postcode_areas)s::text[])))
    -- near it: the location within proximity metres, or (no location) an area served (that holds it)
    AND (%(proximity)s::float8 IS NULL
         OR (w.point IS NOT NULL
             AND ST_DWithin(w.point::geography,
                            ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326)::geography,
                            %(proximity)s::float8))
         OR (w.point IS NULL AND EXISTS (SELECT 1 FROM group_areas ga WHERE ga.group_id = w.id)))
), counted AS (
  SELECT count(*) AS total_items FROM chosen
)
SELECT counted.total_items, page.*
FROM counted
LEFT JOIN LATERAL (
  SELECT c.id, c.service_id::text AS service_id, c.organization_id::text AS organization_id,
         c.location_id::text AS location_id, c.service_at_location_id::text AS service_at_location_id,
         c.name, c.description, c.website, c.email, c.status, c.cost, c.age_min, c.age_max, c.categories,
         c.meets_public AS meets, c.venue_sample, c.updated_at,
         CASE WHEN c.hub_id_found IS NOT NULL THEN 'hub' WHEN c.location_id IS NOT NULL THEN 'venue' END
           AS location_kind,
         coalesce(c.hub_name, split_part(c.venue_address, ',', 1)) AS location_name,
         c.hub_description AS location_description,
         CASE WHEN c.hub_id_found IS NOT NULL THEN c.hub_address ELSE c.venue_address END AS location_address,
         CASE WHEN c.hub_id_found IS NOT NULL THEN c.hub_postcode
              WHEN c.location_id IS NOT NULL THEN c.postcode END AS location_postcode,
         ST_X(c.point) AS longitude, ST_Y(c.point) AS latitude,
         (SELECT a.name FROM areas a WHERE c.point IS NOT NULL AND a.kind = 'district'
            AND ST_Intersects(a.geom, c.point) ORDER BY a.code LIMIT 1) AS city,
         (SELECT a.name FROM areas a WHERE c.point IS NOT NULL AND a.kind = 'county'
            AND ST_Intersects(a.geom, c.point) ORDER BY a.code LIMIT 1) AS state_province,
         (SELECT coalesce(json_agg(json_build_object('code', a.code, 'name', a.name, 'kind', a.kind)
                                   ORDER BY a.code), '[]'::json)
          FROM group_areas ga JOIN areas a ON a.id = ga.area_id
          WHERE ga.group_id = c.id) AS areas_served
  FROM chosen c
  ORDER BY CASE WHEN %(lon)s::float8 IS NOT NULL AND c.point IS NOT NULL
                THEN ST_Distance(c.point::geography,
                                 ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326)::geography)
           END NULLS LAST, c.id
  LIMIT %(limit)s::int OFFSET %(offset)s::int
) page ON true

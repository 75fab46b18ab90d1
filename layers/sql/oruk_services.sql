-- Groups (not closed) as Open Referral UK services: one service and one organisation a group, with its one
-- location (its hub, or its public venue; none for a group known only by the areas it serves) and the areas it
-- serves. Public fields only: never private_contact or a home; email and website are the group's public ones.
-- Ids are patchmap_oruk_uuid (migration 0018), or the ORUK id a record was imported with (source 'oruk').
-- Parameters (psycopg): service_id, organization_id, service_at_location_id (uuid text, or NULL for all),
-- located (true: only services with a location), limit, offset. Always one row or more: total_items, then
-- the page's columns (all NULL when the page is empty).
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
  ORDER BY c.id
  LIMIT %(limit)s::int OFFSET %(offset)s::int
) page ON true

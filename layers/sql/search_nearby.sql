-- Residents' nearby search, in one round trip: the nearest hubs, spaces and located groups to a point (list
-- 'near'), and the groups with no venue that serve an area holding the point (list 'serving').
-- Public columns only: a record's email, phone and private_contact are never selected (the area contact's
-- work email and phone are public by design: layers/areas/contacts.py).
--
-- Why it is fast: each table is read by an ordered GiST index scan on geom_bng (British National Grid,
-- metres): ORDER BY geom_bng <-> origin LIMIT k, with the radius as an index condition (ST_DWithin on
-- geom_bng, widened by 0.1 per cent to cover the grid's scale error, which is less than that in Great
-- Britain), a group category also an index condition (on the groups' index, with the point: migration
-- 0008), and every other filter tested on rows as the scan yields them, so a filter never turns the scan
-- into a full one. The three ordered lists are merged (Merge Append) and only the k nearest of them get a
-- true distance (ST_DistanceSpheroid, metres); they are cut to the exact radius, sorted and paged.
-- open_at reads columns parsed once when a row is written (migration 0003): a range test per row. Filters
-- are written "param IS NULL OR test" (or "NOT flag OR test"), so one prepared statement, run with its
-- generic plan (see layers/queries/search.py), serves every combination of filters.
--
-- Parameters (psycopg): lon, lat (EPSG:4326); radius_m (metres); k (rows read per table: offset + limit +
-- 1); offset; page (limit + 1); hubs, spaces, groups (booleans: the kinds searched); hub_kind, space_kind,
-- category, identity, interest, q (websearch syntax), minute (minute of the week from Monday 00:00),
-- space_flag ('weekdays', 'evenings' or 'weekends'), costs (text[]): NULL for no filter; step_free,
-- volunteers (booleans: true to filter).
-- Returns one row: results and serving (each a JSON array, as text, of the public summaries the API sends:
-- layers/queries/search.py's NearbyResult and ServingGroup), more_results, more_serving (booleans) and
-- contact (the point's named council contact, JSON, or NULL).
-- Building the JSON here costs PostgreSQL less than handing 20-odd rows of 20 columns to Python costs the
-- API (row objects, then dicts, then JSON again); meets and availability are read in their public shape,
-- stored when each row is written (migration 0007).
WITH origin AS MATERIALIZED (
  SELECT p AS geom, ST_Transform(p, 27700) AS bng
  FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326) AS p) o
), terms AS MATERIALIZED (
  SELECT CASE WHEN %(q)s::text IS NOT NULL THEN websearch_to_tsquery('english', %(q)s::text) END AS query
), nearest AS (
  (SELECT h.geom_bng <-> (SELECT bng FROM origin) AS grid_m, 'hub' AS kind, h.id, h.name,
          h.kind::text AS subtype, h.geom, h.address, h.postcode, NULL::text AS cost, h.step_free,
          h.opening_hours, NULL::jsonb AS meets, NULL::jsonb AS availability, NULL::text AS status,
          h.last_verified_at, NULL::int AS hub_id, h.ward_code
   FROM hubs h
   WHERE %(hubs)s::boolean
     AND ST_DWithin(h.geom_bng, (SELECT bng FROM origin), %(radius_m)s::float8 * 1.001)
     AND (%(hub_kind)s::text IS NULL OR h.kind = %(hub_kind)s::text)
     AND (%(q)s::text IS NULL OR h.search_text @@ (SELECT query FROM terms))
     AND (%(minute)s::int IS NULL OR h.opening_minutes @> %(minute)s::int)
     AND (NOT %(step_free)s::boolean OR h.step_free)
   ORDER BY h.geom_bng <-> (SELECT bng FROM origin)
   LIMIT %(k)s::int)
  UNION ALL
  (SELECT s.geom_bng <-> (SELECT bng FROM origin), 'space', s.id, s.name, s.kind::text, s.geom,
          s.address, s.postcode, s.price_band::text, s.step_free, NULL, NULL, s.availability_public,
          s.status::text, s.last_verified_at, s.hub_id, s.ward_code
   FROM spaces s
   WHERE %(spaces)s::boolean
     AND ST_DWithin(s.geom_bng, (SELECT bng FROM origin), %(radius_m)s::float8 * 1.001)
     AND s.status IN ('available', 'under_offer')
     AND (%(space_kind)s::text IS NULL OR s.kind = %(space_kind)s::text)
     AND (%(q)s::text IS NULL OR s.search_text @@ (SELECT query FROM terms))
     AND (%(space_flag)s::text IS NULL OR s.availability -> %(space_flag)s::text = 'true'::jsonb)
     AND (%(costs)s::text[] IS NULL OR s.price_band = ANY (%(costs)s::text[]))
     AND (NOT %(step_free)s::boolean OR s.step_free)
   ORDER BY s.geom_bng <-> (SELECT bng FROM origin)
   LIMIT %(k)s::int)
  UNION ALL
  (SELECT g.geom_bng <-> (SELECT bng FROM origin), 'group', g.id, g.name, g.categories[1], g.geom,
          g.venue_address, g.postcode, g.cost::text, g.step_free, NULL, g.meets_public, NULL, g.status::text,
          g.last_verified_at, g.hub_id, g.ward_code
   FROM groups g
   WHERE %(groups)s::boolean
     AND ST_DWithin(g.geom_bng, (SELECT bng FROM origin), %(radius_m)s::float8 * 1.001)
     -- a group's point is public only when it is a venue or a hub, never a home
     AND g.location_precision IN ('venue', 'hub') AND g.status <> 'closed'
     -- the category twice: as keys, tested on the index entry (idx_groups_geom_bng_category, migration
     -- 0008; '{}' when there is no category, which every entry contains), then itself on the row
     AND g.category_keys @> CASE WHEN %(category)s::text IS NULL THEN '{}'::int[]
                                 ELSE ARRAY[patchmap_category_key(%(category)s::text)] END
     AND (%(category)s::text IS NULL OR g.categories @> ARRAY[%(category)s::text])
     AND (%(identity)s::text IS NULL OR g.communities_of_identity @> ARRAY[%(identity)s::text])
     AND (%(interest)s::text IS NULL OR g.communities_of_interest @> ARRAY[%(interest)s::text])
     AND (%(q)s::text IS NULL OR g.search_text @@ (SELECT query FROM terms))
     AND (%(minute)s::int IS NULL OR g.meets_minutes @> %(minute)s::int)
     AND (%(costs)s::text[] IS NULL OR g.cost = ANY (%(costs)s::text[]))
     AND (NOT %(step_free)s::boolean OR g.step_free)
     AND (NOT %(volunteers)s::boolean OR g.volunteers_wanted)
   ORDER BY g.geom_bng <-> (SELECT bng FROM origin)
   LIMIT %(k)s::int)
), near AS MATERIALIZED (
  -- the k nearest of all three on the grid, each with its true distance (on the WGS84 spheroid: the same
  -- metres as ST_Distance on geography, at half the cost)
  SELECT n.*, ST_DistanceSpheroid(n.geom, (SELECT geom FROM origin)) AS metres
  FROM (SELECT * FROM nearest ORDER BY grid_m LIMIT %(k)s::int) n
), page AS (
  SELECT * FROM near
  WHERE metres <= %(radius_m)s::float8
  ORDER BY metres, kind, id
  OFFSET %(offset)s::int LIMIT %(page)s::int
), here AS MATERIALIZED (
  -- the areas holding the point, of every kind (ward, district, LSOA, county, custom locality): for the
  -- groups serving them and for the point's named council contact
  SELECT DISTINCT a.area_id, a.kind::text AS kind, a.code, a.name,
         array_position(ARRAY['lsoa', 'ward', 'locality', 'district', 'county'], a.kind::text) AS area_rank
  FROM area_pieces a
  WHERE ST_Intersects(a.geom, (SELECT geom FROM origin))
), serving AS (
  -- each group once, with the most local of the areas it serves here; LATERAL makes the few areas drive
  -- the join (group_areas by area_id, then groups by id) whatever the planner guesses of a generic plan
  SELECT DISTINCT ON (g.id) g.id, g.name, g.categories[1] AS subtype, g.cost::text AS cost, g.step_free,
         g.meets_public AS meets, g.status::text AS status, g.last_verified_at, here.code AS area_code,
         here.name AS area_name, here.kind AS area_kind, here.area_rank
  FROM here
  CROSS JOIN LATERAL (
    SELECT g.* FROM group_areas ga JOIN groups g ON g.id = ga.group_id
    WHERE %(groups)s::boolean AND ga.area_id = here.area_id
      -- exactly the groups the 'near' list cannot place: no public venue or hub point
      -- The filters repeat the 'near' list's on purpose: inline, each branch's plan tests them beside its own
      -- access path (the nearest-neighbour index there, group_areas here); a shared SQL function would have
      -- to be inlined by the planner to keep that, on the hot path, which is not worth one copy less.
      AND (g.location_precision = 'area' OR g.geom_bng IS NULL) AND g.status <> 'closed'
      AND (%(category)s::text IS NULL OR g.categories @> ARRAY[%(category)s::text])
      AND (%(identity)s::text IS NULL OR g.communities_of_identity @> ARRAY[%(identity)s::text])
      AND (%(interest)s::text IS NULL OR g.communities_of_interest @> ARRAY[%(interest)s::text])
      AND (%(q)s::text IS NULL OR g.search_text @@ (SELECT query FROM terms))
      AND (%(minute)s::int IS NULL OR g.meets_minutes @> %(minute)s::int)
      AND (%(costs)s::text[] IS NULL OR g.cost = ANY (%(costs)s::text[]))
      AND (NOT %(step_free)s::boolean OR g.step_free)
      AND (NOT %(volunteers)s::boolean OR g.volunteers_wanted)
    OFFSET 0  -- keeps the subquery a subquery, so the planner cannot flatten the join and reorder it
  ) g
  ORDER BY g.id, here.area_rank, here.code
), near_items AS (
  SELECT row_number() OVER (ORDER BY p.metres, p.kind, p.id) AS pos, x.item
  FROM page p
  LEFT JOIN hubs gh ON gh.id = p.hub_id AND p.kind = 'group'
  -- each item as JSON: row_to_json of a named row costs PostgreSQL a third less than json_build_object.
  -- ward_code is stored with each row (a trigger, migration 0004): a point-in-polygon test per result here
  -- cost more than the rest of the search; the ward is a subquery, cheaper than a join and a nested object
  CROSS JOIN LATERAL (
    SELECT row_to_json(r) AS item FROM (
      SELECT p.kind, p.id, p.name, p.subtype, '/' || p.kind || 's/' || p.id AS url,
             round(p.metres)::int AS distance_m, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
             (SELECT row_to_json(a) FROM (SELECT w.code, w.name FROM areas w WHERE w.code = p.ward_code) a) AS ward,
             coalesce(p.address, gh.address) AS address, coalesce(p.postcode, gh.postcode) AS postcode,
             p.cost, p.step_free, p.opening_hours, p.meets, p.availability, p.status, p.last_verified_at,
             -- bookable here: a space's booking page, a hub's count of rooms to book (ix_rooms_hub_id)
             CASE WHEN p.kind = 'space' THEN (SELECT '/book/space/' || r.space_id FROM resources r
                                             WHERE r.space_id = p.id AND r.bookable) END AS book_url,
             CASE WHEN p.kind = 'hub' THEN (SELECT count(*)::int FROM rooms rm JOIN resources r ON r.room_id = rm.id
                                           WHERE rm.hub_id = p.id AND r.bookable) END AS rooms_to_book
    ) r
  ) x
), serving_items AS (
  SELECT row_number() OVER (ORDER BY s.area_rank, s.name, s.id) AS pos, x.item
  FROM (SELECT * FROM serving ORDER BY area_rank, name, id OFFSET %(offset)s::int LIMIT %(page)s::int) s
  CROSS JOIN LATERAL (
    SELECT row_to_json(r) AS item FROM (
      SELECT 'group' AS kind, s.id, s.name, s.subtype, '/groups/' || s.id AS url, true AS serves_your_area,
             json_build_object('code', s.area_code, 'name', s.area_name, 'kind', s.area_kind) AS served_area,
             s.cost, s.step_free, s.meets, s.status, s.last_verified_at
    ) r
  ) x
)
-- one row: each list's page as JSON text (its first page - 1 items; a page-th item means there are more),
-- and the point's named council contact (layers/areas/contacts.py): a locality's holding the point if one
-- has a contact, else the district's, as JSON (NULL when none is kept). The areas are those of "here" (no
-- second probe of area_pieces); LATERAL ... LIMIT 1 makes each a primary-key probe of area_contacts.
SELECT n.results, n.more_results, v.serving, v.more_serving,
       (SELECT row_to_json(x) FROM (
          SELECT c.area_code, a.name AS area_name, c.role_name, c.email, c.phone, c.office_hours
          FROM here a
          CROSS JOIN LATERAL (
            SELECT area_code, role_name, email, phone, office_hours FROM area_contacts
            WHERE area_code = a.code AND a.kind IN ('locality', 'district')
            LIMIT 1
          ) c
          ORDER BY a.kind = 'locality' DESC, c.area_code
          LIMIT 1) x) AS contact
FROM (SELECT coalesce(json_agg(item ORDER BY pos) FILTER (WHERE pos < %(page)s::int), '[]')::text AS results,
             count(*) >= %(page)s::int AS more_results
      FROM near_items) n,
     (SELECT coalesce(json_agg(item ORDER BY pos) FILTER (WHERE pos < %(page)s::int), '[]')::text AS serving,
             count(*) >= %(page)s::int AS more_serving
      FROM serving_items) v

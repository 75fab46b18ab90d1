-- Free-room search, in one round trip: the bookable rooms and spaces nearest a point that are free for the
-- whole of a time window, with their price (layers/queries/search_free.py says what "free" means).
-- Public columns only: manager_email and bookers are never selected; a busy time is only tested, never shown.
--
-- Why it is fast: one ordered GiST index scan on resources.geom_bng (idx_resources_geom_bng, British National
-- Grid metres): ORDER BY geom_bng <-> origin LIMIT k, with the radius as an index condition (ST_DWithin,
-- widened by 0.1 per cent for the grid's scale error, as search_nearby.sql), and every other test made on the
-- rows as the scan yields them: cheap column tests first (bookable, kind, capacity, price, weekly hours,
-- notice and horizon), then the probes, each an index lookup by resource: a closure on the local date
-- (ix_resource_closures_dates), the space's status, and a live booking holding part of
-- [free_from, free_from + minutes + buffer) (the exclusion constraint's own GiST index on (resource_id, held),
-- whose predicate the probe repeats word for word so the planner may use it). So the scan stops after the
-- k nearest free resources, whatever share of them is booked. Filters are "param IS NULL OR test", so one
-- prepared statement with its generic plan serves every combination (see layers/queries/search.py).
--
-- Parameters (psycopg): lon, lat (EPSG:4326); radius_m (metres); k (rows read: offset + limit + 1); offset;
-- page (limit + 1); rooms, spaces (booleans: the kinds searched); q (websearch syntax) or NULL; step_free
-- (boolean: true to filter); capacity (people) or NULL; max_price (GBP per hour) or NULL; free_from
-- (timestamptz); minutes (the window's length); start_minute, end_minute (the window's local minutes of the
-- week; NULL when it crosses midnight, so nothing is free); local_date (the window's local date).
-- Returns one row: results (a JSON array, as text, of the API's FreeResult) and more_results (boolean).
WITH origin AS MATERIALIZED (
  SELECT p AS geom, ST_Transform(p, 27700) AS bng
  FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326) AS p) o
), terms AS MATERIALIZED (
  SELECT CASE WHEN %(q)s::text IS NOT NULL THEN websearch_to_tsquery('english', %(q)s::text) END AS query
), nearest AS MATERIALIZED (
  SELECT r.id, r.room_id, r.space_id, r.hub_id, r.geom, r.capacity, r.rate_band, r.price_per_hour, r.approval,
         r.sample, r.ward_code
  FROM resources r
  WHERE ST_DWithin(r.geom_bng, (SELECT bng FROM origin), %(radius_m)s::float8 * 1.001)
    AND r.bookable
    AND CASE WHEN r.room_id IS NOT NULL THEN %(rooms)s::boolean ELSE %(spaces)s::boolean END
    AND (%(capacity)s::int IS NULL OR r.capacity >= %(capacity)s::int)
    AND (%(max_price)s::numeric IS NULL OR r.price_per_hour <= %(max_price)s::numeric)
    AND r.open_minutes @> int4range(%(start_minute)s::int, %(end_minute)s::int)
    AND %(free_from)s::timestamptz >= now() + make_interval(mins => r.lead_minutes)
    AND %(free_from)s::timestamptz <= now() + make_interval(days => r.horizon_days)
    AND NOT EXISTS (SELECT 1 FROM resource_closures c
                    WHERE c.resource_id = r.id AND c.dates @> %(local_date)s::date)
    AND (r.space_id IS NULL
         OR EXISTS (SELECT 1 FROM spaces s WHERE s.id = r.space_id AND s.status NOT IN ('let', 'unavailable')))
    -- a room is step-free if it says so, or, saying nothing, if its hub is
    AND (NOT %(step_free)s::boolean
         OR (SELECT coalesce(rm.step_free, h.step_free) FROM rooms rm JOIN hubs h ON h.id = rm.hub_id
             WHERE rm.id = r.room_id)
         OR (SELECT s.step_free FROM spaces s WHERE s.id = r.space_id))
    -- a room matches by its own words or its hub's; a space by its own (or its hub's, if it is in one)
    AND (%(q)s::text IS NULL
         OR EXISTS (SELECT 1 FROM hubs h WHERE h.id = r.hub_id AND h.search_text @@ (SELECT query FROM terms))
         OR EXISTS (SELECT 1 FROM spaces s
                    WHERE s.id = r.space_id AND s.search_text @@ (SELECT query FROM terms))
         OR EXISTS (SELECT 1 FROM rooms rm
                    WHERE rm.id = r.room_id
                      AND to_tsvector('english', concat_ws(' ', rm.name, rm.description,
                                                           array_to_string(rm.facilities, ' ')))
                          @@ (SELECT query FROM terms)))
    AND NOT EXISTS (
      SELECT 1 FROM booking_slots b
      WHERE b.resource_id = r.id AND b.status IN ('requested', 'confirmed')
        AND b.held && tstzrange(%(free_from)s::timestamptz,
                                %(free_from)s::timestamptz + make_interval(mins => %(minutes)s::int + r.buffer_minutes))
        -- a request holds its time until its hold ends (layers.booking.expire_due marks it expired later)
        AND (b.status = 'confirmed'
             OR EXISTS (SELECT 1 FROM bookings k
                        WHERE k.id = b.booking_id AND (k.hold_expires_at IS NULL OR k.hold_expires_at > now()))))
  ORDER BY r.geom_bng <-> (SELECT bng FROM origin)
  LIMIT %(k)s::int
), page AS (
  -- the true distance (on the WGS84 spheroid, as search_nearby.sql), cut to the exact radius
  SELECT n.*, ST_DistanceSpheroid(n.geom, (SELECT geom FROM origin)) AS metres
  FROM nearest n
), items AS (
  SELECT row_number() OVER (ORDER BY p.metres, p.id) AS pos, x.item
  FROM (SELECT * FROM page WHERE metres <= %(radius_m)s::float8 ORDER BY metres, id
        OFFSET %(offset)s::int LIMIT %(page)s::int) p
  LEFT JOIN rooms rm ON rm.id = p.room_id
  LEFT JOIN spaces s ON s.id = p.space_id
  LEFT JOIN hubs h ON h.id = p.hub_id
  CROSS JOIN LATERAL (
    SELECT row_to_json(r) AS item FROM (
      SELECT CASE WHEN p.room_id IS NOT NULL THEN 'room' ELSE 'space' END AS kind,
             coalesce(p.room_id, p.space_id) AS id, p.id AS resource_id, coalesce(rm.name, s.name) AS name,
             coalesce(s.kind::text, h.kind::text) AS subtype,
             CASE WHEN p.room_id IS NOT NULL THEN '/rooms/' || p.room_id ELSE '/spaces/' || p.space_id END AS url,
             CASE WHEN p.room_id IS NOT NULL THEN '/book/room/' || p.room_id
                  ELSE '/book/space/' || p.space_id END AS book_url,
             round(p.metres)::int AS distance_m, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
             (SELECT row_to_json(a) FROM (SELECT w.code, w.name FROM areas w WHERE w.code = p.ward_code) a) AS ward,
             coalesce(s.address, h.address) AS address, coalesce(s.postcode, h.postcode) AS postcode,
             coalesce(rm.step_free, s.step_free, h.step_free) AS step_free, p.capacity,
             p.price_per_hour::float8 AS price_per_hour, p.rate_band, 'GBP' AS currency, p.approval,
             CASE WHEN h.id IS NOT NULL THEN json_build_object('id', h.id, 'name', h.name) END AS hub,
             (p.sample OR coalesce(rm.sample, false)
              OR position('sample' IN lower(coalesce(s.source, h.source, ''))) > 0) AS sample
    ) r
  ) x
)
SELECT coalesce(json_agg(item ORDER BY pos) FILTER (WHERE pos < %(page)s::int), '[]')::text AS results,
       count(*) >= %(page)s::int AS more_results
FROM items

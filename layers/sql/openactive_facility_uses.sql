-- OpenActive FacilityUse items, one per bookable resource (a hub's room or a whole space), in RPDE
-- "modified, then id" order after (after_ts, after_id). live = false: a resource no longer bookable (a
-- deleted item). modified: epoch milliseconds of the latest change to the resource, its room, its hub or
-- its space (every column the item shows comes from one of these rows). Public columns only: never the
-- manager's email, a private contact or anything of a booking.
-- Only changes at least settle_ms old are listed: a write still committing when a consumer reads cannot
-- then land behind the consumer's place (its modified is its transaction's start).
-- Parameters (psycopg): after_ts (bigint or NULL), after_id (int), page (int), settle_ms (int).
WITH fu AS (
  SELECT r.id,
         r.bookable AND r.open_minutes IS NOT NULL AND (r.space_id IS NULL OR s.status = 'available') AS live,
         floor(extract(epoch FROM greatest(r.updated_at, rm.updated_at, h.updated_at, s.updated_at)) * 1000)::bigint
           AS modified,
         CASE WHEN r.room_id IS NOT NULL THEN 'room' ELSE 'space' END AS kind,
         coalesce(r.room_id, r.space_id) AS record_id, rm.hub_id,
         coalesce(rm.name, s.name) AS name,
         coalesce(rm.description, s.description) AS description,
         coalesce(rm.step_free, s.step_free) AS step_free,
         r.capacity, r.rate_band, r.price_per_hour::float AS price_per_hour, r.slot_minutes, r.min_minutes,
         r.lead_minutes, r.horizon_days,
         r.sample OR coalesce(rm.sample, false) AS sample,
         CASE WHEN r.room_id IS NOT NULL THEN h.name ELSE s.name END AS place_name,
         nullif(btrim(CASE WHEN r.room_id IS NOT NULL THEN h.address ELSE s.address END), '') AS street,
         nullif(btrim(CASE WHEN r.room_id IS NOT NULL THEN h.postcode ELSE s.postcode END), '') AS postcode,
         ST_Y(r.geom) AS lat, ST_X(r.geom) AS lon,
         nullif(btrim(h.operator_name), '') AS operator_name,
         r.ward_code
  FROM resources r
  LEFT JOIN rooms rm ON rm.id = r.room_id
  LEFT JOIN spaces s ON s.id = r.space_id
  LEFT JOIN hubs h ON h.id = coalesce(rm.hub_id, s.hub_id)
)
SELECT fu.*, d.name AS district_name, c.name AS county_name
FROM fu
LEFT JOIN areas w ON w.code = fu.ward_code
LEFT JOIN areas d ON d.code = w.parent_code AND d.kind = 'district'
LEFT JOIN areas c ON c.code = d.parent_code AND c.kind = 'county'
WHERE fu.modified <= floor(extract(epoch FROM now()) * 1000)::bigint - %(settle_ms)s
  AND (%(after_ts)s::bigint IS NULL OR (fu.modified, fu.id) > (%(after_ts)s::bigint, %(after_id)s::int))
ORDER BY fu.modified, fu.id
LIMIT %(page)s

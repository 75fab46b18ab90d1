-- OpenActive Slot items: each resource's slots over the next %(days)s local days (Europe/London), in RPDE
-- "modified, then id" order after (after_ts, after_id).
--
-- A slot is the resource's shortest booking (min_minutes, rounded up to its slot grid), laid end to end from
-- the start of each open span of its weekly hours (open_minutes, local minutes of the week), on dates that
-- are not closed, starting in the future and within the horizon. A local start the clock skips (spring
-- forward) is left out; a slot's length is elapsed time, as a booking's is. taken: a live booking (confirmed,
-- or requested and still held) holds time that booking this slot (plus the turnaround buffer) would need.
--
-- modified (epoch milliseconds) only grows: the latest of the resource's change (as its FacilityUse), the
-- latest change of any booking touching the slot (a requested hold that lapsed counts from its lapse), and
-- the moment the slot entered the window (local midnight 13 days before its date), so a slot that comes
-- into view sorts after everything a consumer has already read. live = false: the resource is no longer
-- bookable; its slots already published (entered before that change) are deleted items.
-- Names no one: only times, counts and the price.
-- Only changes at least settle_ms old are listed (see openactive_facility_uses.sql).
-- Parameters (psycopg): after_ts (bigint or NULL), after_id (text), page (int), days (int), settle_ms (int).
WITH res AS (
  SELECT r.id, r.open_minutes, r.buffer_minutes, r.horizon_days, r.lead_minutes, r.price_per_hour::float AS price_per_hour,
         ceil(r.min_minutes::numeric / r.slot_minutes)::int * r.slot_minutes AS len,
         r.bookable AND (r.space_id IS NULL OR s.status = 'available') AS live,
         floor(extract(epoch FROM greatest(r.updated_at, rm.updated_at, h.updated_at, s.updated_at)) * 1000)::bigint
           AS res_modified
  FROM resources r
  LEFT JOIN rooms rm ON rm.id = r.room_id
  LEFT JOIN spaces s ON s.id = r.space_id
  LEFT JOIN hubs h ON h.id = coalesce(rm.hub_id, s.hub_id)
  WHERE r.open_minutes IS NOT NULL
),
today AS (SELECT (now() AT TIME ZONE 'Europe/London')::date AS d),
mondays AS (
  SELECT generate_series(date_trunc('week', d)::date, d + (%(days)s - 1), interval '1 week')::date AS monday
  FROM today
),
walls AS (
  SELECT res.*, mondays.monday + make_interval(mins => m) AS wall_start
  FROM res
  CROSS JOIN mondays
  CROSS JOIN LATERAL unnest(res.open_minutes) AS span
  CROSS JOIN LATERAL generate_series(lower(span), upper(span) - res.len, res.len) AS m
),
slots AS (
  SELECT w.*, w.wall_start AT TIME ZONE 'Europe/London' AS start_at,
         (w.wall_start AT TIME ZONE 'Europe/London') + make_interval(mins => w.len) AS end_at,
         floor(extract(epoch FROM ((w.wall_start::date - 13)::timestamp AT TIME ZONE 'Europe/London')) * 1000)::bigint
           AS entered
  FROM walls w, today
  WHERE w.wall_start::date BETWEEN today.d AND today.d + (%(days)s - 1)
),
open_slots AS (
  SELECT sl.*
  FROM slots sl
  WHERE sl.start_at > now()
    AND sl.start_at < now() + make_interval(days => sl.horizon_days)
    AND (sl.start_at AT TIME ZONE 'Europe/London') = sl.wall_start
    AND NOT EXISTS (
      SELECT 1 FROM resource_closures c
      WHERE c.resource_id = sl.id
        AND (c.dates @> sl.wall_start::date
             OR c.dates @> ((sl.end_at - interval '1 microsecond') AT TIME ZONE 'Europe/London')::date)
    )
),
touching AS (
  SELECT bs.resource_id, bs.held,
         bs.status IN ('requested', 'confirmed')
           AND (bs.status = 'confirmed' OR b.hold_expires_at IS NULL OR b.hold_expires_at > now()) AS holds,
         floor(extract(epoch FROM greatest(
           b.updated_at,
           CASE WHEN b.status = 'requested' AND b.hold_expires_at <= now() THEN b.hold_expires_at END
         )) * 1000)::bigint AS changed
  FROM booking_slots bs
  JOIN bookings b ON b.id = bs.booking_id
  WHERE bs.held && tstzrange(now(), now() + make_interval(days => %(days)s + 2))
),
items AS (
  SELECT o.id AS resource_id, o.live, o.start_at, o.end_at, o.len, o.price_per_hour, o.lead_minutes,
         o.horizon_days, o.res_modified, o.entered,
         o.id::text || '-' || to_char(o.start_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MI"Z"') AS item_id,
         coalesce(t.taken, false) AS taken,
         greatest(o.res_modified, t.changed, o.entered) AS modified
  FROM open_slots o
  LEFT JOIN LATERAL (
    SELECT bool_or(x.holds) AS taken, max(x.changed) AS changed
    FROM touching x
    WHERE x.resource_id = o.id
      AND x.held && tstzrange(o.start_at, o.end_at + make_interval(mins => o.buffer_minutes))
  ) t ON true
  WHERE o.live OR o.entered <= o.res_modified
)
SELECT * FROM items
WHERE items.modified <= floor(extract(epoch FROM now()) * 1000)::bigint - %(settle_ms)s
  AND (%(after_ts)s::bigint IS NULL
       OR (items.modified, items.item_id COLLATE "C") > (%(after_ts)s::bigint, %(after_id)s::text COLLATE "C"))
ORDER BY items.modified, items.item_id COLLATE "C"
LIMIT %(page)s

-- A resource's live booked times (confirmed, or requested and still held) from the start of today
-- (Europe/London) to its horizon, as busy blocks: the slot's id, its times, whether it is a request, and when
-- its booking last changed. Names no one: no purpose, group, reference or contact.
-- Parameters (psycopg): resource_id, horizon_days.
SELECT bs.id, lower(bs.during) AS start_at, upper(bs.during) AS end_at, bs.status = 'requested' AS requested,
       b.updated_at
FROM booking_slots bs
JOIN bookings b ON b.id = bs.booking_id
WHERE bs.resource_id = %(resource_id)s
  AND bs.status IN ('requested', 'confirmed')
  AND (bs.status = 'confirmed' OR b.hold_expires_at IS NULL OR b.hold_expires_at > now())
  AND bs.during && tstzrange(
        date_trunc('day', now() AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London',
        (date_trunc('day', now() AT TIME ZONE 'Europe/London') + make_interval(days => %(horizon_days)s + 1))
          AT TIME ZONE 'Europe/London')
ORDER BY lower(bs.during), bs.id

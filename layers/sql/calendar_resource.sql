-- The bookable resource of a room or a whole space, for its calendar feed: its name, whether it is made up
-- (sample), whether it takes bookings now, and its horizon. No row: no such room or space, or one with no
-- resource. Public columns only. Parameters (psycopg): kind ('room' or 'space'), id.
SELECT r.id AS resource_id, coalesce(rm.name, s.name) AS name, h.name AS hub_name,
       r.sample OR coalesce(rm.sample, false) AS sample, r.horizon_days,
       r.bookable AND (r.space_id IS NULL OR s.status = 'available') AS bookable
FROM resources r
LEFT JOIN rooms rm ON rm.id = r.room_id
LEFT JOIN spaces s ON s.id = r.space_id
LEFT JOIN hubs h ON h.id = rm.hub_id
WHERE (%(kind)s::text = 'room' AND r.room_id = %(id)s::int)
   OR (%(kind)s::text = 'space' AND r.space_id = %(id)s::int)

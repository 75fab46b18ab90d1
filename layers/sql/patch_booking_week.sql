-- The live booked times (requested or confirmed) of one district (:district) between :from and :to
-- (timestamptz), in order, each with its place (the hub's name, else the space's address). Names no booker.
SELECT lower(sl.during) AS starts, upper(sl.during) AS ends, sl.status, b.reference,
       coalesce(rm.name, s.name) AS name, coalesce(h.name, s.name) AS hub, r.sample
FROM booking_slots sl
JOIN bookings b ON b.id = sl.booking_id
JOIN resources r ON r.id = sl.resource_id
LEFT JOIN rooms rm ON rm.id = r.room_id
LEFT JOIN spaces s ON s.id = r.space_id
LEFT JOIN hubs h ON h.id = coalesce(rm.hub_id, r.hub_id)
WHERE b.district_code = :district AND sl.status IN ('requested', 'confirmed')
  AND sl.during && tstzrange(:from, :to)
ORDER BY hub, lower(sl.during), name

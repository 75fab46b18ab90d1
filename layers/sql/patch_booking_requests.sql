-- Booking requests of one district (:district) waiting for the manager's answer, oldest first: what, when
-- (the first date's times, and how many dates), for how many, the price and when the hold ends. Never the
-- booker's contact (booking_contacts is not read).
SELECT b.reference, b.purpose, b.attendees, b.repeat_weeks, b.price_total, b.hold_expires_at, b.created_at,
       r.id AS resource_id, CASE WHEN r.room_id IS NULL THEN 'space' ELSE 'room' END AS kind,
       coalesce(r.room_id, r.space_id) AS record_id, coalesce(rm.name, s.name) AS name,
       coalesce(h.name, s.address) AS place, r.sample,
       min(lower(sl.during)) AS starts, min(upper(sl.during)) AS ends, count(*) AS dates
FROM bookings b
JOIN booking_slots sl ON sl.booking_id = b.id AND sl.status = 'requested'
JOIN resources r ON r.id = b.resource_id
LEFT JOIN rooms rm ON rm.id = r.room_id
LEFT JOIN spaces s ON s.id = r.space_id
LEFT JOIN hubs h ON h.id = coalesce(rm.hub_id, r.hub_id)
WHERE b.district_code = :district AND b.status = 'requested'
GROUP BY b.id, r.id, rm.name, s.name, h.name, s.address
ORDER BY b.created_at, b.reference

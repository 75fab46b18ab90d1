-- The bookable rooms and spaces of one district (:district: its resources whose LSOA lies in it), with their
-- terms, for the co-ordinator's patch page. No private field (manager_email) is read. name: the room's or
-- space's; place: the hub's name, else the space's address.
SELECT r.id, CASE WHEN r.room_id IS NULL THEN 'space' ELSE 'room' END AS kind,
       coalesce(r.room_id, r.space_id) AS record_id, coalesce(rm.name, s.name) AS name,
       coalesce(h.name, s.address) AS place, r.hub_id, r.capacity, r.bookable,
       r.rate_band, r.price_per_hour, r.weekly_hours, r.slot_minutes, r.min_minutes, r.max_minutes,
       r.lead_minutes, r.horizon_days, r.buffer_minutes, r.approval, r.terms, r.sample,
       r.open_minutes IS NOT NULL AS hours_understood,
       (s.id IS NULL OR s.status = 'available') AS space_available
FROM resources r
JOIN areas l ON l.code = r.lsoa_code
LEFT JOIN rooms rm ON rm.id = r.room_id
LEFT JOIN spaces s ON s.id = r.space_id
LEFT JOIN hubs h ON h.id = coalesce(rm.hub_id, r.hub_id)
WHERE l.parent_code = :district
ORDER BY place NULLS LAST, name, r.id

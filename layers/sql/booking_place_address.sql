-- The public address and postcode of a room's hub (:kind 'room') or of a space (:kind 'space'), :id.
SELECT h.address, h.postcode FROM rooms rm JOIN hubs h ON h.id = rm.hub_id WHERE :kind = 'room' AND rm.id = :id
UNION ALL
SELECT s.address, s.postcode FROM spaces s WHERE :kind = 'space' AND s.id = :id

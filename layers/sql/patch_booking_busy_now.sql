-- Which of the given resources (:ids) are held (a live booking, or its turnaround) during [:from, :to), or
-- shut by a closure on a local date in [:first_day, :last_day].
SELECT sl.resource_id FROM booking_slots sl
WHERE sl.resource_id = ANY(:ids) AND sl.status IN ('requested', 'confirmed') AND sl.held && tstzrange(:from, :to)
UNION
SELECT c.resource_id FROM resource_closures c
WHERE c.resource_id = ANY(:ids) AND c.dates && daterange(:first_day, :last_day, '[]')

-- Areas by kind, parent and name, in name order. Parameters (psycopg; NULL means "any"):
--   kind, q (an ILIKE pattern, already escaped), within (an area code), limit, offset.
-- An area is within P when its parent_code is P's code; when it is a member of P (P a custom locality);
-- or, for kinds that never name P as their parent (districts and localities in a county, LSOAs in a ward,
-- localities in a district), when a point inside it (ST_PointOnSurface) lies in P's boundary. A point is
-- used rather than ST_Within because boundaries from different sources do not nest exactly.
WITH parent AS (
  SELECT id, code, geom FROM areas WHERE code = %(within)s::text
), linked AS (
  SELECT DISTINCT kind FROM areas WHERE parent_code = %(within)s::text
)
SELECT a.code, a.name, a.kind, a.parent_code, a.vintage
FROM areas a
WHERE (%(kind)s::text IS NULL OR a.kind = %(kind)s::text)
  AND (%(q)s::text IS NULL OR a.name ILIKE %(q)s::text)
  AND (
    %(within)s::text IS NULL
    OR a.parent_code = %(within)s::text
    OR a.id IN (SELECT m.member_id FROM locality_members m JOIN parent ON m.locality_id = parent.id)
    OR EXISTS (
      SELECT 1 FROM parent
      WHERE a.id <> parent.id
        AND a.kind NOT IN (SELECT kind FROM linked)
        AND a.geom && parent.geom
        AND ST_Intersects(parent.geom, ST_PointOnSurface(a.geom))
    )
  )
ORDER BY a.name, a.code
LIMIT %(limit)s::int OFFSET %(offset)s::int

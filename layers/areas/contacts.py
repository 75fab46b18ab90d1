"""The named council contact for a place: a locality's own contact if it has one, else its district's.

Public by design (a role, a work email and phone, office hours), kept by the district's co-ordinator in
``area_contacts``. ``contact_for`` answers for a ward and district (a locality holding the ward wins).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection, text

PUBLIC_FIELDS: Final = ("area_code", "area_name", "role_name", "email", "phone", "office_hours")

CONTACT_SQL: Final = """
SELECT c.area_code, a.name AS area_name, c.role_name, c.email, c.phone, c.office_hours
FROM area_contacts c JOIN areas a ON a.code = c.area_code
WHERE c.area_code = :district
   OR c.area_code IN (SELECT l.code FROM areas l
                      JOIN locality_members m ON m.locality_id = l.id
                      JOIN areas w ON w.id = m.member_id
                      WHERE l.kind = 'locality' AND w.code = :ward)
ORDER BY (a.kind = 'locality') DESC, c.area_code
LIMIT 1
"""


def contact_for(
    conn: Connection, district_code: str | None, ward_code: str | None = None
) -> dict[str, Any] | None:
    """The public contact for a place in ``ward_code`` of ``district_code`` (None if none is kept)."""
    if not district_code and not ward_code:
        return None
    row = conn.execute(text(CONTACT_SQL), {"district": district_code, "ward": ward_code}).mappings().first()
    return {k: row[k] for k in PUBLIC_FIELDS} if row else None

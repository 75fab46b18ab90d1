"""The named council contact for a place: a locality's own contact if it has one, else its district's.

Public by design (a role, a work email and phone, office hours), kept by the district's co-ordinator in
``area_contacts`` (officers and admins anywhere). ``contact_for`` answers for a ward and district (a locality
holding the ward wins); ``contact_of`` (async) answers for one area's code, as ``GET /areas/{code}/contact``
does; ``set_contact`` and ``clear_contact`` change one, checked and audited, in the caller's transaction.
Point lookups and the nearby search read the contact in their own statements (``lookup_point.sql``,
``lookup_postcode.sql``, ``search_nearby.sql``: one primary-key probe per area holding the point), and
``contact_at`` does the same for a bare point (the free-room search).

Only the six ``PUBLIC_FIELDS`` ever leave this module; the audit log records which fields changed, never
their values.
"""

from __future__ import annotations

import re
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from sqlalchemy import Connection, text

from layers.access import audit
from layers.access.scope import Actor, require_district, require_user
from layers.errors import InvalidInput, NotFound
from layers.fields import CONTROL, EMAIL, PHONE

PUBLIC_FIELDS: Final = ("area_code", "area_name", "role_name", "email", "phone", "office_hours")
#: What a co-ordinator sets, with the most characters each may hold.
FIELDS: Final = {"role_name": 120, "email": 254, "phone": 32, "office_hours": 200}
#: Kinds of area that keep a contact of their own.
CONTACT_KINDS: Final = ("district", "locality")

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

# One area's own contact, or a ward's (the locality's holding it, else its district's), and the area itself.
_AREA_SQL: Final = """
SELECT a.code, a.name, a.kind::text AS kind, a.parent_code,
       (SELECT row_to_json(x) FROM (
          SELECT c.area_code, o.name AS area_name, c.role_name, c.email, c.phone, c.office_hours
          FROM area_contacts c JOIN areas o ON o.code = c.area_code
          WHERE c.area_code = a.code
             OR (a.kind = 'ward' AND (c.area_code = a.parent_code OR c.area_code IN (
                   SELECT l.code FROM locality_members m JOIN areas l ON l.id = m.locality_id
                   WHERE m.member_id = a.id AND l.kind = 'locality')))
          ORDER BY c.area_code = a.code DESC, o.kind = 'locality' DESC, c.area_code
          LIMIT 1) x) AS contact
FROM areas a WHERE a.code = %(code)s
"""

# The contact of a locality holding the point, else of the district holding it (as search_nearby.sql).
_POINT_SQL: Final = """
SELECT row_to_json(x) AS contact FROM (
  SELECT c.area_code, a.name AS area_name, c.role_name, c.email, c.phone, c.office_hours
  FROM (SELECT p.kind, p.code, p.name FROM area_pieces p
        WHERE p.kind IN ('locality', 'district')
          AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326))
        OFFSET 0) a
  JOIN area_contacts c ON c.area_code = a.code
  ORDER BY a.kind = 'locality' DESC, c.area_code
  LIMIT 1) x
"""

# The districts an area belongs to: a district itself; a locality, the districts of its members.
_DISTRICTS_SQL: Final = """
SELECT a.kind::text AS kind, a.name,
       CASE WHEN a.kind = 'district' THEN ARRAY[a.code]::text[]
            ELSE ARRAY(SELECT DISTINCT CASE WHEN w.kind = 'district' THEN w.code ELSE w.parent_code END
                       FROM locality_members m JOIN areas w ON w.id = m.member_id
                       WHERE m.locality_id = a.id AND (w.kind = 'district' OR w.parent_code IS NOT NULL))::text[]
       END AS districts
FROM areas a WHERE a.code = :code
"""


class InvalidContact(InvalidInput):
    """A contact's new values break one or more checks; ``problems`` lists (field, problem) for a form."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(
            "The contact was not saved: " + problems[0][1] if len(problems) == 1 else
            f"The contact was not saved: {len(problems)} things need correcting",
            "; ".join(f"{field}: {problem}" for field, problem in problems),
        )  # fmt: skip
        self.problems = problems


def contact_for(
    conn: Connection, district_code: str | None, ward_code: str | None = None
) -> dict[str, Any] | None:
    """The public contact for a place in ``ward_code`` of ``district_code`` (None if none is kept)."""
    if not district_code and not ward_code:
        return None
    row = conn.execute(text(CONTACT_SQL), {"district": district_code, "ward": ward_code}).mappings().first()
    return {k: row[k] for k in PUBLIC_FIELDS} if row else None


async def contact_of(conn: AsyncConnection[Any], code: str) -> dict[str, Any]:
    """The public contact of a district or locality, or of a ward (its locality's, else its district's).

    NotFound when there is no such area, or no contact is kept for it."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_AREA_SQL, {"code": code})
    row = await cur.fetchone()
    if row is None:
        raise NotFound(
            f"No area {code[:32]!r}", "Use a district's, locality's or ward's code, e.g. E07000148."
        )
    if row["contact"] is None:
        raise NotFound(
            f"No council contact is kept for {row['name']}",
            "Its co-ordinator has not named one yet; the district council's own website lists its offices.",
        )
    return {k: row["contact"].get(k) for k in PUBLIC_FIELDS}


async def contact_at(conn: AsyncConnection[Any], lon: float, lat: float) -> dict[str, Any] | None:
    """The public contact for a point (EPSG:4326): a locality's holding it, else its district's; or None."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_POINT_SQL, {"lon": lon, "lat": lat})
    row = await cur.fetchone()
    return public(row["contact"]) if row else None


def pick(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The contact for a place from its lookup rows (kind, code, name and the area's contact columns, in kind
    and code order, as lookup_point.sql gives them): the first locality's that has one, else the district's."""
    for kind in ("locality", "district"):
        for row in rows:
            if row["kind"] == kind and row["role_name"] is not None:
                return {"area_code": row["code"], "area_name": row["name"]} | {f: row[f] for f in FIELDS}
    return None


def public(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only the public fields of a contact row (None stays None)."""
    return None if contact is None else {k: contact.get(k) for k in PUBLIC_FIELDS}


def check_contact(values: dict[str, Any]) -> dict[str, str | None]:
    """The contact's fields, cleaned (trimmed; blanks are None), or InvalidContact naming each problem.

    A role name is needed, and an email address or a phone number; every field is one line of plain text
    within its length; the email has the usual shape and the phone is a UK number.
    """
    problems: list[tuple[str, str]] = [
        (f, "not a field of a contact") for f in sorted(set(values) - set(FIELDS))
    ]
    clean: dict[str, str | None] = {}
    for field, most in FIELDS.items():
        value = values.get(field)
        if value is not None and not isinstance(value, str):
            problems.append((field, "give text"))
            continue
        value = (value or "").strip()
        if not _encodable(value):
            problems.append((field, "is not valid text"))
        elif CONTROL.search(value) or "\n" in value or "\r" in value or "\t" in value:
            problems.append((field, "use one line of plain text, without control characters"))
        elif len(value) > most:
            problems.append((field, f"use at most {most} characters (this has {len(value)})"))
        elif field == "email" and value and not EMAIL.match(value):
            problems.append((field, "enter an email address like connector@example.org"))
        elif field == "phone" and value and not PHONE.match(re.sub(r"[\s.()\-]", "", value)):
            problems.append((field, "enter a UK phone number like 01603 212121 or +44 1603 212121"))
        clean[field] = re.sub(r" {2,}", " ", value) or None
    if not clean.get("role_name") and not any(f == "role_name" for f, _ in problems):
        problems.append(("role_name", "give the role residents should ask for, e.g. Community Connector"))
    if (
        not clean.get("email")
        and not clean.get("phone")
        and not any(f in ("email", "phone") for f, _ in problems)
    ):
        problems.append(
            ("email", "give an email address or a phone number (or both), so residents can get in touch")
        )
    if problems:
        raise InvalidContact(problems)
    return clean


def _encodable(value: str) -> bool:
    """Whether the text can be stored (an unpaired surrogate cannot)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _area(conn: Connection, actor: Actor, code: str) -> dict[str, Any]:
    """The area (kind, name, districts) a contact is kept for, once the actor may change it."""
    require_user(actor)
    row = conn.execute(text(_DISTRICTS_SQL), {"code": code}).mappings().first()
    if row is None:
        raise NotFound(f"No area {code[:32]!r}", "Use a district's or locality's code, e.g. E07000148.")
    require_district(actor, set(row["districts"] or ()))
    if row["kind"] not in CONTACT_KINDS:
        raise InvalidInput(
            f"{row['name']} is a {row['kind']}: a contact is kept for a district or a locality",
            "Set the contact of the district or locality that holds it; its residents are shown that one.",
        )
    return dict(row)


def set_contact(conn: Connection, actor: Actor, code: str, values: dict[str, Any]) -> dict[str, Any]:
    """Set a district's or locality's contact (their co-ordinator, or an officer or admin); audited."""
    area = _area(conn, actor, code)
    clean = check_contact(values)
    before = (
        conn.execute(
            text(
                "SELECT role_name, email, phone, office_hours FROM area_contacts WHERE area_code = :c FOR UPDATE"
            ),
            {"c": code},
        )
        .mappings()
        .first()
    )
    changed = [f for f in FIELDS if before is None or before[f] != clean[f]]
    if changed:
        conn.execute(
            text(
                "INSERT INTO area_contacts (area_code, role_name, email, phone, office_hours, updated_by) "
                "VALUES (:c, :role_name, :email, :phone, :office_hours, :by) "
                "ON CONFLICT (area_code) DO UPDATE SET role_name = excluded.role_name, email = excluded.email, "
                "phone = excluded.phone, office_hours = excluded.office_hours, updated_by = excluded.updated_by, "
                "updated_at = now()"
            ),
            {"c": code, "by": actor.user_id, **clean},
        )
        audit.record(
            conn, actor, "contact-set", object_type="area", object_id=code, district=_district(area, code),
            detail={"fields": changed, "created": before is None},
        )  # fmt: skip
    return {"area_code": code, "area_name": area["name"], **clean}


def clear_contact(conn: Connection, actor: Actor, code: str) -> bool:
    """Clear a district's or locality's contact; whether there was one (audited when there was)."""
    area = _area(conn, actor, code)
    gone = conn.execute(text("DELETE FROM area_contacts WHERE area_code = :c"), {"c": code}).rowcount
    if gone:
        audit.record(conn, actor, "contact-cleared", object_type="area", object_id=code,
                     district=_district(area, code))  # fmt: skip
    return bool(gone)


def _district(area: dict[str, Any], code: str) -> str | None:
    """The district an audit entry names: the area itself, or a locality's only district."""
    districts = sorted(area["districts"] or ())
    return code if area["kind"] == "district" else (districts[0] if len(districts) == 1 else None)


def district_contacts(conn: Connection, actor: Actor, district: str) -> dict[str, Any]:
    """The patch page's contacts: the district's and each of its localities', each with its area (or None)."""
    require_district(actor, {district})
    rows = conn.execute(
        text(
            "SELECT a.code, a.name, a.kind::text AS kind, c.role_name, c.email, c.phone, c.office_hours "
            "FROM areas a LEFT JOIN area_contacts c ON c.area_code = a.code "
            "WHERE a.code = :d OR (a.kind = 'locality' AND EXISTS ("
            "  SELECT 1 FROM locality_members m JOIN areas w ON w.id = m.member_id "
            "  WHERE m.locality_id = a.id AND (w.parent_code = :d OR w.code = :d))) "
            "ORDER BY a.kind = 'locality', a.name, a.code"
        ),
        {"d": district},
    ).mappings()
    areas = [
        {
            "code": r["code"],
            "name": r["name"],
            "kind": r["kind"],
            "contact": None
            if r["role_name"] is None
            else {"area_code": r["code"], "area_name": r["name"]} | {f: r[f] for f in FIELDS},
        }
        for r in rows
    ]
    return {"district": district, "areas": areas, "fields": dict(FIELDS)}

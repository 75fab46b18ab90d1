"""Each district's partners: the organisations with a role in it, in a list its co-ordinator keeps.

A co-ordinator reads and changes only their districts' lists; officers and admins any. Each addition or
removal writes one audit row (ids only).
"""

from __future__ import annotations

import re
from typing import Any, Final

from sqlalchemy import Connection, text

from layers import idempotency
from layers.access import audit
from layers.access.scope import Actor, require_district, require_user
from layers.errors import InvalidInput, NotFound
from layers.fields import web_address

COLUMNS: Final = "id, district_code, name, role, website, created_at, updated_at"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _district(conn: Connection, actor: Actor, district: str) -> None:
    """Check the actor covers the district, and that it is one; Unauthorized, Forbidden or NotFound."""
    require_user(actor)
    require_district(actor, {district})
    found = conn.execute(text("SELECT 1 FROM areas WHERE code = :c AND kind = 'district'"), {"c": district})
    if found.first() is None:
        raise NotFound(f"No district {district[:32]!r}", "Use a district code such as E07000148 (Norwich).")


def _line(value: str | None, what: str, *, required: bool = False, limit: int = 200) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput(f"Give the partner's {what}", "It is required.")
        return None
    if len(value) > limit or CONTROL.search(value):
        raise InvalidInput(f"The {what} is not valid", f"Use one line of at most {limit} characters.")
    return value


def list_partners(conn: Connection, actor: Actor, district: str) -> list[dict[str, Any]]:
    """A district's partners, by name."""
    _district(conn, actor, district)
    rows = conn.execute(
        text(f"SELECT {COLUMNS} FROM partners WHERE district_code = :d ORDER BY lower(name), id"),
        {"d": district},
    )
    return [dict(r) for r in rows.mappings()]


def add_partner(
    conn: Connection,
    actor: Actor,
    district: str,
    *,
    name: str,
    role: str | None = None,
    website: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Add a partner to a district's list; the new row. With ``idempotency_key``, a retry of the same
    request returns the row added the first time and adds nothing."""
    _district(conn, actor, district)
    scope = f"partner:{district}"
    digest = idempotency.request_hash([actor.user_id, name, role, website])
    if idempotency_key and (earlier := idempotency.claim(conn, scope, idempotency_key, digest)) is not None:
        return earlier
    values = {
        "d": district,
        "n": _line(name, "name", required=True),
        "r": _line(role, "role", limit=500),
        "w": _line(website, "web address", limit=300),
    }
    if values["w"] is not None:
        try:
            values["w"] = web_address(values["w"])
        except ValueError:
            raise InvalidInput("The web address is not valid", "Give one like https://example.org.") from None
    row = (
        conn.execute(
            text(
                f"INSERT INTO partners (district_code, name, role, website) VALUES (:d, :n, :r, :w) RETURNING {COLUMNS}"
            ),
            values,
        )
        .mappings()
        .one()
    )
    audit.record(conn, actor, "partner-add", object_type="partner", object_id=row["id"], district=district)
    if idempotency_key:
        idempotency.remember(conn, scope, idempotency_key, 201, dict(row))
    return dict(row)


def remove_partner(conn: Connection, actor: Actor, district: str, partner_id: int) -> None:
    """Take a partner off a district's list (NotFound if it is not on that list)."""
    _district(conn, actor, district)
    gone = conn.execute(
        text("DELETE FROM partners WHERE id = :i AND district_code = :d RETURNING id"),
        {"i": partner_id, "d": district},
    ).first()
    if gone is None:
        raise NotFound(f"No partner {partner_id} in {district}", "List them: GET /districts/{code}/partners.")
    audit.record(
        conn, actor, "partner-remove", object_type="partner", object_id=partner_id, district=district
    )

"""Who may do what, where: enforced here, in ``layers``, so every route and command goes through it.

Roles:
- **admin**: everything, and manages users;
- **officer**: reads and analyses everywhere, edits and moderates anywhere;
- **coordinator**: edits, moderates and sees private contacts only inside their districts;
- **resident** (anonymous): public reads and submissions only.

A record's district is the district holding its point (its LSOA's district), or, for a group with no
venue, the districts of the areas it serves; a hub's room is in its hub's. A co-ordinator asking for another
district's record gets 404 where the record's existence is itself private (a pending submission) and 403
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from layers.errors import Forbidden, NotFound, Unauthorized

KINDS_TABLE = {"group": "groups", "hub": "hubs", "space": "spaces"}


@dataclass(frozen=True)
class Actor:
    """Who is asking: a signed-in user (with role and districts) or an anonymous resident."""

    user_id: int | None = None
    role: str = "resident"
    name: str = "resident"
    districts: frozenset[str] = field(default_factory=frozenset)

    @property
    def signed_in(self) -> bool:
        """Whether this is a council user rather than an anonymous resident."""
        return self.user_id is not None

    def covers(self, districts: set[str] | frozenset[str]) -> bool:
        """Whether this actor may edit, moderate and see private details of something in these districts."""
        if self.role in ("admin", "officer"):
            return True
        return self.role == "coordinator" and bool(self.districts & set(districts))


RESIDENT = Actor()


def require_user(actor: Actor, *roles: str) -> None:
    """Unauthorized for an anonymous caller; Forbidden unless the actor has one of roles (any role if none)."""
    if not actor.signed_in:
        raise Unauthorized(
            "Sign in first", "Sign in at /sign-in, or send an API token as Authorization: Bearer."
        )
    if roles and actor.role not in roles:
        raise Forbidden(f"A {actor.role} may not do this", f"This needs the role {' or '.join(roles)}.")


def require_district(actor: Actor, districts: set[str], *, hidden: bool = False) -> None:
    """Forbidden (or NotFound when hidden) unless the actor covers one of the districts."""
    require_user(actor)
    if actor.covers(districts):
        return
    if hidden:
        raise NotFound("No such record", "It may have been removed, or it is not in your districts.")
    raise Forbidden(
        "That is outside your districts",
        f"You look after {', '.join(sorted(actor.districts)) or 'no district'}; ask an officer for help.",
    )


def record_districts(conn: Connection, kind: str, record_id: int) -> set[str]:
    """The districts a group, hub or space belongs to (a hub's room: its hub's); NotFound if there is none."""
    if kind == "room":
        hub_id = conn.execute(text("SELECT hub_id FROM rooms WHERE id = :i"), {"i": record_id}).scalar()
        if hub_id is None:
            raise NotFound(f"No room {record_id}", "Check the number.")
        return record_districts(conn, "hub", int(hub_id))
    table = KINDS_TABLE.get(kind)
    if table is None:
        raise NotFound(f"Unknown kind {kind!r}", "Use group, hub or space.")
    row = conn.execute(
        text(
            f"SELECT r.id, l.parent_code FROM {table} r LEFT JOIN areas l ON l.code = r.lsoa_code WHERE r.id = :i"
        ),
        {"i": record_id},
    ).first()
    if row is None:
        raise NotFound(f"No {kind} {record_id}", "Check the number.")
    if row[1] is not None:
        return {row[1]}
    if kind != "group":
        return set()
    served = conn.execute(
        text(
            "SELECT DISTINCT CASE WHEN a.kind = 'district' THEN a.code ELSE coalesce(a.parent_code, a.code) END "
            "FROM group_areas ga JOIN areas a ON a.id = ga.area_id WHERE ga.group_id = :i"
        ),
        {"i": record_id},
    ).scalars()
    return set(served)

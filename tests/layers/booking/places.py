"""Test data for booking: a hub in Norwich with a room, a whole space, their resources and closures.

Made here for each test (never the demo's rows, which other work changes). Layer tests make them inside
the rolled-back ``conn``; API tests commit them and ``remove`` them after.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

NORWICH, BRECKLAND = "E07000148", "E07000143"
LIBRARY = (1.29095, 52.62773)  # a point in Mancroft ward, Norwich


@dataclass(frozen=True)
class Place:
    """A bookable room or space made for a test."""

    kind: str
    record_id: int
    resource_id: int
    hub_id: int | None


def _terms(**terms: Any) -> dict[str, Any]:
    base = {
        "hours": "Mo-Su 00:00-24:00",
        "approval": "instant",
        "slot": 30,
        "min_minutes": 30,
        "max_minutes": 480,
        "lead": 0,
        "horizon": 730,
        "buffer": 0,
        "price": 12.0,
        "band": "low-cost",
        "bookable": True,
        "manager_email": None,
    }
    return base | terms


RESOURCE = (
    "INSERT INTO resources (room_id, space_id, weekly_hours, approval, slot_minutes, min_minutes, max_minutes, "
    "lead_minutes, horizon_days, buffer_minutes, price_per_hour, rate_band, bookable, manager_email) VALUES "
    "(%(room)s, %(space)s, %(hours)s, %(approval)s, %(slot)s, %(min_minutes)s, %(max_minutes)s, %(lead)s, "
    "%(horizon)s, %(buffer)s, %(price)s, %(band)s, %(bookable)s, %(manager_email)s) RETURNING id"
)


def make_hub(conn: Connection, point: tuple[float, float] = LIBRARY) -> int:
    """A hub at a point; its id."""
    return int(
        conn.exec_driver_sql(
            "INSERT INTO hubs (name, kind, geom) VALUES (%(n)s, 'community_centre', "
            "ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)) RETURNING id",
            {"n": f"Test hall {uuid.uuid4().hex[:6]}", "x": point[0], "y": point[1]},
        ).scalar_one()
    )


def make_room(
    conn: Connection, *, capacity: int | None = 30, hub_id: int | None = None, **terms: Any
) -> Place:
    """A room of a (new) hub and its resource, on the terms given (else open all week, instant)."""
    hub = hub_id if hub_id is not None else make_hub(conn)
    room = conn.exec_driver_sql(
        "INSERT INTO rooms (hub_id, name, capacity, facilities) VALUES (%(h)s, %(n)s, %(c)s, ARRAY['kitchen']) "
        "RETURNING id",
        {"h": hub, "n": f"Test room {uuid.uuid4().hex[:6]}", "c": capacity},
    ).scalar_one()
    rid = conn.exec_driver_sql(RESOURCE, {"room": room, "space": None, **_terms(**terms)}).scalar_one()
    return Place("room", int(room), int(rid), hub)


def make_space(
    conn: Connection, *, status: str = "available", point: tuple[float, float] = LIBRARY, **terms: Any
) -> Place:
    """A whole space and its resource."""
    space = conn.exec_driver_sql(
        "INSERT INTO spaces (name, kind, geom, status, capacity) VALUES (%(n)s, 'hall', "
        "ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326), %(s)s, 50) RETURNING id",
        {"n": f"Test space {uuid.uuid4().hex[:6]}", "x": point[0], "y": point[1], "s": status},
    ).scalar_one()
    rid = conn.exec_driver_sql(RESOURCE, {"room": None, "space": space, **_terms(**terms)}).scalar_one()
    return Place("space", int(space), int(rid), None)


def close(conn: Connection, resource_id: int, first: date, until: date, reason: str = "Refit") -> None:
    """Close a resource on the dates [first, until)."""
    conn.exec_driver_sql(
        "INSERT INTO resource_closures (resource_id, dates, reason) VALUES (%(r)s, daterange(%(a)s, %(b)s), %(w)s)",
        {"r": resource_id, "a": first, "b": until, "w": reason},
    )


def remove(conn: Connection, place: Place) -> None:
    """Delete a committed place and everything booked on it (bookings, their messages and keys)."""
    refs = [
        r
        for r in conn.exec_driver_sql(
            "SELECT reference FROM bookings WHERE resource_id = %(r)s", {"r": place.resource_id}
        ).scalars()
    ]
    conn.exec_driver_sql("DELETE FROM outbox WHERE about = ANY(%(a)s)", {"a": [f"booking/{r}" for r in refs]})
    conn.exec_driver_sql(
        "DELETE FROM idempotency_keys WHERE scope = 'booking' AND response->>'reference' = ANY(%(r)s)",
        {"r": refs},
    )
    conn.exec_driver_sql("DELETE FROM bookings WHERE resource_id = %(r)s", {"r": place.resource_id})
    conn.exec_driver_sql("DELETE FROM resources WHERE id = %(r)s", {"r": place.resource_id})
    if place.kind == "room":
        conn.exec_driver_sql("DELETE FROM hubs WHERE id = %(h)s", {"h": place.hub_id})
    else:
        conn.exec_driver_sql("DELETE FROM spaces WHERE id = %(s)s", {"s": place.record_id})

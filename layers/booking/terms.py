"""A room's or space's booking terms read from the database, its public summary, closed dates and busy times.

``resource_summary`` is public: the manager's email and every booker stay out of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, RowMapping

from layers.booking.rules import TIMEZONE, Terms
from layers.errors import InvalidInput, NotFound
from layers.sql import sql

KINDS: Final = ("room", "space")
BOOKABLE_SPACE: Final = ("available",)
NOUN: Final = {"room": "room", "space": "space"}


def load(conn: Connection, kind: str, record_id: int) -> RowMapping:
    """A room or space with its resource's terms (resource_id None if it has none); NotFound if neither."""
    if kind not in KINDS:
        raise NotFound(f"Unknown kind {kind[:16]!r}", "Book a room or a space.")
    row = (
        conn.exec_driver_sql(sql("booking_resource.sql"), {"kind": kind, "id": record_id}).mappings().first()
    )
    if row is None:
        raise NotFound(
            f"No {kind} {record_id}", f"Check the number: find {kind}s on the map or with /search/nearby."
        )
    return row


def bookable(row: RowMapping) -> Terms:
    """The terms of a room or space that can be booked now; InvalidInput saying why it cannot."""
    what = f"{row['name']} ({row['kind']} {row['record_id']})"
    if row["resource_id"] is None:
        raise InvalidInput(
            f"{what} cannot be booked through Patchmap", "Contact the hub or the space's owner."
        )
    if not row["bookable"]:
        raise InvalidInput(f"{what} is not taking bookings just now", "Try another room or space.")
    if row["kind"] == "space" and row["space_status"] not in BOOKABLE_SPACE:
        status = str(row["space_status"]).replace("_", " ")
        raise InvalidInput(f"{what} is {status}, so it cannot be booked", "Try another room or space.")
    if not row["hours_known"]:
        raise InvalidInput(
            f"{what} has no hours it can be booked in", "Its manager has not set readable weekly hours yet."
        )
    return terms_of(row)


def terms_of(row: RowMapping) -> Terms:
    """The rules' view of a resource row."""
    return Terms(
        resource_id=int(row["resource_id"]),
        kind=str(row["kind"]),
        record_id=int(row["record_id"]),
        name=str(row["name"]),
        weekly_hours=str(row["weekly_hours"]),
        slot_minutes=int(row["slot_minutes"]),
        min_minutes=int(row["min_minutes"]),
        max_minutes=int(row["max_minutes"]),
        lead_minutes=int(row["lead_minutes"]),
        horizon_days=int(row["horizon_days"]),
        buffer_minutes=int(row["buffer_minutes"]),
        capacity=row["capacity"],
        price_per_hour=float(row["price_per_hour"]),
    )


def public_terms(row: RowMapping) -> dict[str, Any] | None:
    """A resource's booking terms as anyone may read them (None if it cannot be booked here)."""
    if row["resource_id"] is None:
        return None
    return {
        "resource_id": row["resource_id"],
        "bookable": bool(row["bookable"])
        and (row["kind"] != "space" or row["space_status"] in BOOKABLE_SPACE),
        "rate_band": row["rate_band"],
        "price_per_hour": row["price_per_hour"],
        "currency": "GBP",
        "weekly_hours": row["weekly_hours"],
        "timezone": TIMEZONE,
        "slot_minutes": row["slot_minutes"],
        "min_minutes": row["min_minutes"],
        "max_minutes": row["max_minutes"],
        "lead_minutes": row["lead_minutes"],
        "horizon_days": row["horizon_days"],
        "buffer_minutes": row["buffer_minutes"],
        "approval": row["approval"],
        "terms": row["terms"],
        "sample": bool(row["resource_sample"]),
    }


def summary_of(row: RowMapping) -> dict[str, Any]:
    """The public summary of a loaded room or space."""
    hub = {"id": row["hub_id"], "name": row["hub_name"]} if row["hub_id"] is not None else None
    return {
        "kind": row["kind"],
        "id": row["record_id"],
        "name": row["name"],
        "description": row["description"],
        "capacity": row["record_capacity"],
        "floor_area_m2": row["floor_area_m2"],
        "facilities": list(row["facilities"] or []),
        "step_free": row["step_free"],
        "hub": hub,
        "lon": row["lon"],
        "lat": row["lat"],
        "ward_code": row["ward_code"],
        "booking": public_terms(row),
        "sample": bool(row["record_sample"]) or bool(row["resource_sample"]),
    }


def resource_summary(conn: Connection, kind: str, record_id: int) -> dict[str, Any]:
    """A room or space, its hub and its booking terms: public fields only."""
    return summary_of(load(conn, kind, record_id))


def closed_dates(conn: Connection, resource_id: int, first: date, last: date) -> dict[date, str | None]:
    """Each local date from first to last (inclusive) the resource is closed on, with the reason."""
    rows = conn.exec_driver_sql(
        "SELECT lower(dates) AS lo, upper(dates) AS hi, lower_inf(dates) AS lo_inf, upper_inf(dates) AS hi_inf, "
        "reason FROM resource_closures WHERE resource_id = %(r)s AND dates && daterange(%(a)s, %(b)s, '[]') "
        "ORDER BY lower(dates)",
        {"r": resource_id, "a": first, "b": last},
    ).mappings()
    out: dict[date, str | None] = {}
    for row in rows:
        day = first if row["lo_inf"] or row["lo"] is None else max(first, row["lo"])
        stop = (
            last + timedelta(days=1)
            if row["hi_inf"] or row["hi"] is None
            else min(last + timedelta(days=1), row["hi"])
        )
        while day < stop:
            out.setdefault(day, row["reason"])
            day += timedelta(days=1)
    return out


def busy_times(
    conn: Connection, resource_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The times (UTC) live bookings hold, turnaround included, that overlap [start, end): names no one."""
    rows = conn.exec_driver_sql(
        "SELECT lower(held) AS lo, upper(held) AS hi FROM booking_slots WHERE resource_id = %(r)s "
        "AND status IN ('requested', 'confirmed') AND held && tstzrange(%(a)s, %(b)s) ORDER BY lower(held)",
        {"r": resource_id, "a": start, "b": end},
    ).all()
    return [(row.lo.astimezone(UTC), row.hi.astimezone(UTC)) for row in rows]

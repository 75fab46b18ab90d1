"""Managing bookings: the booker's view and cancel (by reference and secret token), the managers' list,
confirm and decline (scoped as moderation: a co-ordinator only in their districts, another district's
booking is NotFound), and ``expire_due``, which lets unanswered requests lapse and frees their times.

The token is never stored: only its SHA-256 digest, compared in constant time. A wrong token and an unknown
reference get the same answer. Confirm and decline write one audit row each, naming no booker.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Connection, RowMapping

from layers.access import audit
from layers.access.scope import Actor, require_district, require_user
from layers.booking import messages
from layers.booking.rules import LONDON
from layers.booking.terms import load, summary_of
from layers.errors import Conflict, InvalidInput, NotFound
from layers.models.booking import BOOKING_STATUSES

REFERENCE: Final = re.compile(r"^BK-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}$")
MAX_REASON: Final = 500
LIVE: Final = ("requested", "confirmed")
BOOKING: Final = """
SELECT b.id, b.reference, b.resource_id, b.status, b.purpose, b.attendees, b.group_id, b.repeat_weeks,
       b.price_total::float AS price_total, b.token_digest, b.token_expires_at, b.hold_expires_at,
       b.district_code, b.created_at, b.decided_at, b.decision_reason,
       CASE WHEN r.room_id IS NOT NULL THEN 'room' ELSE 'space' END AS kind,
       coalesce(r.room_id, r.space_id) AS record_id
FROM bookings b JOIN resources r ON r.id = b.resource_id
"""
NO_BOOKING = NotFound(
    "No booking has that reference and link", "Check the link in your email: it must be copied whole."
)


def digest(token: str) -> str:
    """The SHA-256 hex digest a manage token is stored as."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def expire_due(conn: Connection) -> int:
    """Mark requests past their hold, and their held times, expired (times freed); queue the notices.

    Rows another transaction is changing are skipped (SKIP LOCKED): the next call takes them. Cheap when
    nothing is due: it reads ix_bookings_status."""
    due = conn.exec_driver_sql(
        "WITH due AS (SELECT id FROM bookings WHERE status = 'requested' AND hold_expires_at < now() "
        "ORDER BY id FOR UPDATE SKIP LOCKED) "
        "UPDATE bookings b SET status = 'expired', updated_at = now() FROM due WHERE b.id = due.id RETURNING b.id"
    ).scalars()
    ids = [int(i) for i in due]
    if not ids:
        return 0
    conn.exec_driver_sql(
        "UPDATE booking_slots SET status = 'expired' WHERE booking_id = ANY(%(ids)s) AND status = 'requested'",
        {"ids": ids},
    )
    for booking_id in ids:
        messages.on_change(conn, booking_id, "expired")
    return len(ids)


def _by_reference(conn: Connection, reference: str, *, lock: bool) -> RowMapping | None:
    if not REFERENCE.match(reference or ""):
        return None
    query = BOOKING + " WHERE b.reference = %(ref)s" + (" FOR UPDATE OF b" if lock else "")
    return conn.exec_driver_sql(query, {"ref": reference}).mappings().first()


def _with_token(conn: Connection, reference: str, token: str, *, lock: bool = False) -> RowMapping:
    """The booking if the token is its manage token (NotFound otherwise, the same for an unknown reference)."""
    row = _by_reference(conn, reference, lock=lock)
    if row is None or not hmac.compare_digest(row["token_digest"], digest(token or "")):
        raise NO_BOOKING
    if row["token_expires_at"] < datetime.now(UTC):
        raise NotFound(
            "This manage link has expired", "Its booking is over. Ask the hub if you need its details."
        )
    return row


def _slots(conn: Connection, booking_id: int) -> list[dict[str, Any]]:
    rows = conn.exec_driver_sql(
        "SELECT lower(during) AS start, upper(during) AS end, status FROM booking_slots "
        "WHERE booking_id = %(id)s ORDER BY lower(during)",
        {"id": booking_id},
    ).mappings()
    return [
        {"start": r["start"].astimezone(LONDON), "end": r["end"].astimezone(LONDON), "status": r["status"]}
        for r in rows
    ]


def _contact(conn: Connection, booking_id: int) -> RowMapping | None:
    return (
        conn.exec_driver_sql(
            "SELECT name, email, phone FROM booking_contacts WHERE booking_id = %(id)s AND erased_at IS NULL",
            {"id": booking_id},
        )
        .mappings()
        .first()
    )


def mask_email(email: str | None) -> str | None:
    """An email shown back to its owner without spelling it out: 's***@example.org'."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    """A phone number shown back to its owner: its last three digits only."""
    digits = [c for c in phone or "" if c.isdigit()]
    return f"*** {''.join(digits[-3:])}" if digits else None


def _common(conn: Connection, row: RowMapping) -> dict[str, Any]:
    resource = summary_of(load(conn, row["kind"], row["record_id"]))
    return {
        "reference": row["reference"],
        "status": row["status"],
        "resource": resource,
        "slots": _slots(conn, row["id"]),
        "price_total": row["price_total"],
        "currency": "GBP",
        "purpose": row["purpose"],
        "attendees": row["attendees"],
        "repeat_weeks": row["repeat_weeks"],
        "group_id": row["group_id"],
        "created_at": row["created_at"],
        "hold_expires_at": row["hold_expires_at"],
        "decision_reason": row["decision_reason"],
        "sample": bool(resource["sample"]),
    }


def _booker(conn: Connection, row: RowMapping) -> dict[str, Any]:
    contact = _contact(conn, row["id"])
    shown = (
        {
            "name": contact["name"],
            "email": mask_email(contact["email"]),
            "phone": mask_phone(contact["phone"]),
        }
        if contact
        else None
    )
    return {**_common(conn, row), "contact": shown}


def booker_view(conn: Connection, reference: str, token: str) -> dict[str, Any]:
    """The booker's view of their booking (their own contact masked; never another booker's)."""
    expire_due(conn)
    return _booker(conn, _with_token(conn, reference, token))


def cancel(conn: Connection, reference: str, token: str, *, on_date: date | None = None) -> dict[str, Any]:
    """Cancel a booking's future times (or one local date of a series) with its manage token; its view after."""
    expire_due(conn)
    row = _with_token(conn, reference, token, lock=True)
    if row["status"] not in LIVE:
        raise Conflict(f"Booking {reference} is already {row['status']}", "There is nothing to cancel.")
    one_day = "AND (lower(during) AT TIME ZONE 'Europe/London')::date = %(day)s" if on_date else ""
    cancelled = conn.exec_driver_sql(
        "UPDATE booking_slots SET status = 'cancelled' WHERE booking_id = %(id)s "
        f"AND status IN ('requested', 'confirmed') AND lower(during) > now() {one_day} RETURNING id",
        {"id": row["id"], "day": on_date},
    ).all()
    if not cancelled:
        when = f"on {on_date.isoformat()}" if on_date else "still to come"
        raise InvalidInput(
            f"Booking {reference} has no booked time {when}", "Check the date: past times stay."
        )
    conn.exec_driver_sql(
        # updated_at moves with one date cancelled too: the feeds' "modified" and the calendars follow it
        "UPDATE bookings SET updated_at = now(), status = CASE WHEN EXISTS (SELECT 1 FROM booking_slots "
        "WHERE booking_id = %(id)s AND status IN ('requested', 'confirmed')) THEN status ELSE 'cancelled' END "
        "WHERE id = %(id)s",
        {"id": row["id"]},
    )
    messages.on_change(conn, row["id"], "cancelled", on_date=on_date.isoformat() if on_date else None)
    return _booker(conn, _with_token(conn, reference, token))


def _manager(conn: Connection, actor: Actor, row: RowMapping) -> dict[str, Any]:
    district = {row["district_code"]} if row["district_code"] else set()
    contact = _contact(conn, row["id"]) if actor.covers(district) else None
    return {
        **_common(conn, row),
        "district_code": row["district_code"],
        "decided_at": row["decided_at"],
        "contact": dict(contact) if contact else None,
    }


def list_bookings(
    conn: Connection, actor: Actor, *, district: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Bookings in the actor's districts (officers: all, or one district), by status, soonest first."""
    require_user(actor)
    if status is not None and status not in BOOKING_STATUSES:
        raise InvalidInput(f"Unknown status {status[:20]!r}", f"Use one of {', '.join(BOOKING_STATUSES)}.")
    if district is not None:
        require_district(actor, {district})
    expire_due(conn)
    everywhere = district is None and actor.role in ("admin", "officer")
    districts = [district] if district is not None else sorted(actor.districts)
    rows = conn.exec_driver_sql(
        BOOKING + " WHERE (%(all)s OR b.district_code = ANY(%(districts)s)) "
        "AND (%(status)s::text IS NULL OR b.status = %(status)s::text) "
        "ORDER BY (SELECT min(lower(during)) FROM booking_slots WHERE booking_id = b.id), b.id LIMIT 500",
        {"all": everywhere, "districts": districts, "status": status},
    ).mappings()
    return [_manager(conn, actor, r) for r in rows]


def _for_manager(conn: Connection, actor: Actor, reference: str) -> RowMapping:
    """A booking the actor may decide (NotFound otherwise, even when it exists in another district)."""
    require_user(actor)
    row = _by_reference(conn, reference, lock=True)
    if row is None:
        raise NotFound(
            f"No booking {reference[:16]}", "It may be in another district, or the reference is wrong."
        )
    require_district(actor, {row["district_code"]} if row["district_code"] else set(), hidden=True)
    if row["status"] != "requested":
        raise Conflict(
            f"Booking {reference} is {row['status']}, not waiting for an answer", "Nothing to decide."
        )
    return row


def _decide(
    conn: Connection, actor: Actor, row: RowMapping, status: str, reason: str | None
) -> dict[str, Any]:
    conn.exec_driver_sql(
        "UPDATE bookings SET status = %(s)s, decided_by = %(by)s, decided_at = now(), decision_reason = %(why)s, "
        "hold_expires_at = NULL, updated_at = now() WHERE id = %(id)s",
        {"s": status, "by": actor.user_id, "why": reason, "id": row["id"]},
    )
    conn.exec_driver_sql(
        "UPDATE booking_slots SET status = %(s)s WHERE booking_id = %(id)s AND status = 'requested'",
        {"s": status, "id": row["id"]},
    )
    audit.record(
        conn,
        actor,
        {"confirmed": "booking-confirm", "declined": "booking-decline"}[status],
        object_type="booking",
        object_id=row["reference"],
        district=row["district_code"],
        detail={"resource_id": row["resource_id"], "status": status},
    )
    messages.on_change(conn, row["id"], status)
    fresh = _by_reference(conn, row["reference"], lock=False)
    return _manager(conn, actor, fresh if fresh is not None else row)


def confirm(conn: Connection, actor: Actor, reference: str) -> dict[str, Any]:
    """Confirm a request (a manager covering its district); the booker and manager are told."""
    expire_due(conn)
    return _decide(conn, actor, _for_manager(conn, actor, reference), "confirmed", None)


def decline(conn: Connection, actor: Actor, reference: str, reason: str) -> dict[str, Any]:
    """Decline a request saying why (required, at most 500 characters); its times are freed."""
    expire_due(conn)
    row = _for_manager(conn, actor, reference)
    words = (reason or "").strip()
    if not words or len(words) > MAX_REASON:
        raise InvalidInput(
            "Say why the request is declined", f"Give a reason of 1 to {MAX_REASON} characters."
        )
    return _decide(conn, actor, row, "declined", words)

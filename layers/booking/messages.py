"""The messages a booking sends, queued in the outbox in the change's own transaction (``layers.messages``).

On a new booking the booker gets a confirmation (or "request received") with the manage link, and the manager
(the resource's ``manager_email``, else the co-ordinators covering the district) a new-booking notice (or a
request to answer). On confirm, decline, cancel and expiry both get a change notice. Each message has a dedupe
key naming the event and the recipient (``booking:BK-7K3Q9XF2:confirmed:booker``), so a retried change never
queues a message twice. The manage token is known only when the booking is made: later notices quote the
reference and point to the first message's link.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from sqlalchemy import Connection, RowMapping

from layers.booking.rules import span_words, words
from layers.messages.outbox import enqueue

SUBJECTS: Final = {
    "confirmed": "Your booking {ref} is confirmed",
    "requested": "Your booking request {ref} has been received",
    "declined": "Your booking request {ref} was declined",
    "cancelled": "Your booking {ref} is cancelled",
    "expired": "Your booking request {ref} has lapsed",
}
MANAGER_SUBJECTS: Final = {
    "confirmed": "New booking {ref}: {name}",
    "requested": "Booking request {ref} to answer: {name}",
    "declined": "Booking request {ref} declined",
    "cancelled": "Booking {ref} cancelled by the booker",
    "expired": "Booking request {ref} lapsed unanswered",
}
FACTS: Final = """
SELECT b.id, b.reference, b.status, b.purpose, b.attendees, b.price_total::float AS price_total,
       b.hold_expires_at, b.decision_reason, b.district_code, r.manager_email,
       coalesce(rm.name, s.name) AS resource_name, h.name AS hub_name, c.name AS booker_name,
       c.email AS booker_email, c.phone AS booker_phone
FROM bookings b JOIN resources r ON r.id = b.resource_id
LEFT JOIN rooms rm ON rm.id = r.room_id LEFT JOIN spaces s ON s.id = r.space_id
LEFT JOIN hubs h ON h.id = r.hub_id LEFT JOIN booking_contacts c ON c.booking_id = b.id
WHERE b.id = %(id)s
"""
COORDINATORS: Final = """
SELECT DISTINCT u.email FROM users u JOIN user_districts d ON d.user_id = u.id
WHERE u.role = 'coordinator' AND u.disabled_at IS NULL AND d.district_code = %(district)s ORDER BY u.email
"""


def managers(conn: Connection, manager_email: str | None, district_code: str | None) -> list[str]:
    """Who answers a resource's bookings: its manager_email, else the co-ordinators covering its district."""
    if manager_email:
        return [manager_email]
    if district_code is None:
        return []
    return [str(e) for e in conn.exec_driver_sql(COORDINATORS, {"district": district_code}).scalars()]


def _facts(conn: Connection, booking_id: int) -> RowMapping:
    row = conn.exec_driver_sql(FACTS, {"id": booking_id}).mappings().first()
    if row is None:
        raise LookupError(f"booking {booking_id} is gone")
    return row


def _times(conn: Connection, booking_id: int, statuses: tuple[str, ...] | None = None) -> str:
    rows = conn.exec_driver_sql(
        "SELECT lower(during) AS lo, upper(during) AS hi, status FROM booking_slots WHERE booking_id = %(id)s "
        "ORDER BY lower(during)",
        {"id": booking_id},
    ).all()
    return "\n".join(f"  {span_words(r.lo, r.hi)}" for r in rows if statuses is None or r.status in statuses)


def _place(f: RowMapping) -> str:
    return f"{f['resource_name']}" + (f" at {f['hub_name']}" if f["hub_name"] else "")


def on_new(conn: Connection, booking_id: int, manage_url: str) -> None:
    """Queue the booker's confirmation or 'request received' (with the manage link) and the manager's notice."""
    f = _facts(conn, booking_id)
    ref, status, place = f["reference"], f["status"], _place(f)
    times = _times(conn, booking_id)
    price = f"£{f['price_total']:.2f}"
    if f["booker_email"]:
        if status == "confirmed":
            opening = f"Your booking of {place} is confirmed."
        else:
            opening = (
                f"We have your request to book {place}. The times are held for you until "
                f"{words(f['hold_expires_at'])} while the manager answers; "
                "we will write again when they do."
            )
        body = (
            f"Hello {f['booker_name'] or ''},\n\n{opening}\n\nReference: {ref}\nWhen (Europe/London time):\n{times}\n"
            f"For: {f['purpose']} ({f['attendees']} people)\nPrice: {price}\n\n"
            f"See or cancel your booking here (keep this link private):\n{manage_url}\n"
        )
        _send(conn, f, status, "booker", f["booker_email"], SUBJECTS[status].format(ref=ref), body)
    for to in managers(conn, f["manager_email"], f["district_code"]):
        ask = (
            "Please confirm or decline it on your patch page."
            if status == "requested"
            else "No action is needed."
        )
        contact = ", ".join(str(x) for x in (f["booker_name"], f["booker_email"], f["booker_phone"]) if x)
        body = (
            f"{'A booking request' if status == 'requested' else 'A new booking'} for {place}.\n\n"
            f"Reference: {ref}\nWhen (Europe/London time):\n{times}\nFor: {f['purpose']} ({f['attendees']} people)\n"
            f"Price: {price}\nBooker: {contact}\n\n{ask}\n"
        )
        subject = MANAGER_SUBJECTS[status].format(ref=ref, name=f["resource_name"])
        _send(conn, f, status, _who(to), to, subject, body, role="manager")


def on_change(conn: Connection, booking_id: int, event: str, *, on_date: str | None = None) -> None:
    """Queue the booker's and the manager's notices of a change: confirmed, declined, cancelled or expired."""
    f = _facts(conn, booking_id)
    ref, place = f["reference"], _place(f)
    what = {
        "confirmed": f"Your booking of {place} is confirmed.",
        "declined": f"Your request to book {place} was declined."
        + (f"\nThe manager said: {f['decision_reason']}" if f["decision_reason"] else ""),
        "cancelled": f"Your booking of {place} is cancelled"
        + (f" on {on_date}." if on_date else ". Its times are free for others again."),
        "expired": f"Your request to book {place} was not answered in time, so its times are no longer held. "
        "You may ask again.",
    }[event]
    statuses = ("cancelled",) if event == "cancelled" else None
    times = _times(conn, booking_id, statuses)
    event_key = f"{event}:{on_date}" if on_date else event
    details = f"\n\nReference: {ref}\nTimes (Europe/London time):\n{times}\n"
    if f["booker_email"]:
        body = f"Hello {f['booker_name'] or ''},\n\n{what}{details}\nThe link in our first message still shows it.\n"
        _send(conn, f, event_key, "booker", f["booker_email"], SUBJECTS[event].format(ref=ref), body)
    for to in managers(conn, f["manager_email"], f["district_code"]):
        subject = MANAGER_SUBJECTS[event].format(ref=ref, name=f["resource_name"])
        note = f"Booking {ref} for {place} is now {event}" + (f" on {on_date}" if on_date else "") + "."
        _send(conn, f, event_key, _who(to), to, subject, note + details, role="manager")


def _who(email: str) -> str:
    """A manager's part of a dedupe key: a short hash, so a key that reaches a log names no one."""
    return "manager:" + hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:12]


def _send(
    conn: Connection,
    f: RowMapping,
    event: str,
    who: str,
    to: str,
    subject: str,
    body: str,
    *,
    role: str = "booker",
) -> None:
    params: dict[str, Any] = {"about": f"booking/{f['reference']}", "district_code": f["district_code"]}
    key = f"booking:{f['reference']}:{event}:{who}"
    enqueue(conn, key=key, to=to, role=role, subject=subject, body=body, **params)

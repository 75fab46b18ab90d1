"""Making a booking: one time or a weekly series, in the caller's one transaction, all or nothing by default.

Order of work: expire lapsed requests; claim the Idempotency-Key (a retry gets the first answer, with no
token: only its digest is stored); check the request's rules (length, grid, capacity, series cap); count the
client's bookings under an advisory lock (the rate limit); check each week's time (past, notice, horizon,
closed dates, weekly hours) and look for clashes; then write the booking, the booker's contact and its
slots. The exclusion constraint ``no_double_booking`` is the last word: a slot taken by a booking that
committed meanwhile raises ExclusionViolation (SQLSTATE 23P01), answered as a clash (409) naming the time.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from layers.booking import messages
from layers.booking.forms import CONSENT_TEXT, BookingRequest, InvalidBooking
from layers.booking.manage import digest, expire_due
from layers.booking.rules import (
    LONDON,
    Terms,
    check_attendees,
    check_grid,
    check_length,
    date_problem,
    local_instant,
    series_starts,
    span_words,
    words,
)
from layers.booking.terms import bookable, closed_dates, load
from layers.errors import Conflict, InvalidInput, RateLimited
from layers.idempotency import claim, remember, request_hash
from layers.settings import BookingSettings

log = logging.getLogger("patchmap.booking")

REFERENCE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SCOPE: Final = "booking"
EXCLUSION_VIOLATION: Final = "23P01"
CLASH: Final = """
SELECT lower(during) AS lo, upper(during) AS hi FROM booking_slots
WHERE resource_id = %(r)s AND status IN ('requested', 'confirmed') AND held && tstzrange(%(a)s, %(b)s)
ORDER BY lower(during) LIMIT 1
"""
RECENT: Final = """
SELECT ceil(extract(epoch FROM created_at + make_interval(mins => %(window)s) - now()))::int AS retry_after_s
FROM bookings WHERE client_key = %(client)s AND created_at > now() - make_interval(mins => %(window)s)
ORDER BY created_at DESC OFFSET %(limit)s - 1 LIMIT 1
"""
INSERT: Final = """
INSERT INTO bookings (reference, resource_id, status, purpose, attendees, group_id, repeat_weeks, price_total,
                      token_digest, token_expires_at, hold_expires_at, district_code, client_key)
VALUES (%(reference)s, %(resource_id)s, %(status)s, %(purpose)s, %(attendees)s, %(group_id)s, %(weeks)s, 0,
        %(digest)s, %(token_expires_at)s, %(hold)s, %(district)s, %(client)s)
ON CONFLICT (reference) DO NOTHING RETURNING id
"""


@dataclass(frozen=True)
class Slot:
    """One week's time: its local date and [start, end) in UTC."""

    day: date
    start: datetime
    end: datetime


def new_reference() -> str:
    """A random booking reference like BK-7K3Q9XF2 (no look-alike characters)."""
    return "BK-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def manage_url(settings: BookingSettings, reference: str, token: str) -> str:
    """The booker's manage link: {public_url}/book/manage/{reference}?token={token}."""
    return f"{settings.public_url.rstrip('/')}/book/manage/{reference}?token={token}"


def first_start(request: BookingRequest) -> datetime:
    """The first start (UTC): date and time in Europe/London, or start with its offset."""
    if request.start is not None:
        return request.start.astimezone(UTC)
    if request.date is None or request.time is None:
        raise InvalidInput("Say when", "Give date and time (Europe/London), or start with an offset.")
    return local_instant(request.date, request.time)


def length_minutes(request: BookingRequest, start: datetime) -> int:
    """How long, in elapsed minutes: minutes, or from the start to end / end_time."""
    if request.minutes is not None:
        return request.minutes
    if request.end is not None:
        end = request.end.astimezone(UTC)
    elif request.end_time is not None:
        end = local_instant(start.astimezone(LONDON).date(), request.end_time)
    else:
        raise InvalidInput("Say how long", "Give minutes, or an end.")
    seconds = (end - start).total_seconds()
    if seconds <= 0:
        raise InvalidInput("A booking must end after it starts", "Give an end later than the start.")
    if seconds % 60:
        raise InvalidInput("The end is not on a whole minute", "Give an end on the minute.")
    return int(seconds // 60)


def book(
    conn: Connection,
    request: BookingRequest,
    *,
    settings: BookingSettings,
    client: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Book a time (or a weekly series) for the booker; the 201 answer, with the manage token."""
    now = now or datetime.now(UTC)
    expire_due(conn)
    if idempotency_key is not None:
        earlier = claim(conn, SCOPE, idempotency_key, request_hash(request.model_dump(mode="json")))
        if earlier is not None:
            log.info("repeated booking %s answered as the first time", earlier.get("reference"))
            return earlier
    row = load(conn, request.kind, request.id)
    terms = bookable(row)
    start = first_start(request)
    minutes = length_minutes(request, start)
    check_length(terms, minutes)
    check_grid(terms, start)
    check_attendees(terms, request.attendees)
    if request.repeat_weeks > settings.booking_series_cap:
        raise InvalidInput(
            f"{request.repeat_weeks} weeks is more than a regular booking may run",
            f"Book at most {settings.booking_series_cap} weeks at a time.",
        )
    if (
        request.group_id is not None
        and conn.exec_driver_sql("SELECT 1 FROM groups WHERE id = %(g)s", {"g": request.group_id}).first()
        is None
    ):
        raise InvalidInput(f"No group {request.group_id}", "Leave group_id out, or give a group's id.")
    _rate_limit(conn, client, settings)
    slots, skipped = _plan(conn, terms, start, minutes, request, now)
    return _write(conn, row, terms, request, slots, skipped, settings, client, idempotency_key, now)


def _rate_limit(conn: Connection, client: str, settings: BookingSettings) -> None:
    """RateLimited when the client has made ``booking_limit`` bookings in the window (counted under a lock)."""
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtextextended(%(c)s, 1))", {"c": client})
    params = {"client": client, "window": settings.booking_window_minutes, "limit": settings.booking_limit}
    over = conn.exec_driver_sql(RECENT, params).first()
    if over is not None:
        log.info("booking rate limit reached")
        raise RateLimited(
            f"You have made {settings.booking_limit} bookings in the last {settings.booking_window_minutes} minutes",
            "Please try again later, or ask the hub directly.",
            retry_after_s=max(1, int(over.retry_after_s)),
        )


def _plan(
    conn: Connection, terms: Terms, start: datetime, minutes: int, request: BookingRequest, now: datetime
) -> tuple[list[Slot], list[dict[str, str]]]:
    """The weeks to book, and the weeks skipped (only_free) with why; refuses, naming each, when not only_free."""
    weeks = series_starts(start, request.repeat_weeks)
    closed = closed_dates(conn, terms.resource_id, weeks[0][0], weeks[-1][0] + timedelta(days=1))
    slots: list[Slot] = []
    broken: list[tuple[str, str]] = []
    clashes: list[tuple[str, str]] = []
    for day, begin in weeks:
        if isinstance(begin, str):
            broken.append((day.isoformat(), begin))
            continue
        end = begin + timedelta(minutes=minutes)
        problem = date_problem(terms, begin, end, closed, now)
        if problem is not None:
            broken.append((day.isoformat(), problem))
            continue
        held_end = end + timedelta(minutes=terms.buffer_minutes)
        taken = conn.exec_driver_sql(CLASH, {"r": terms.resource_id, "a": begin, "b": held_end}).first()
        if taken is not None:
            clashes.append((day.isoformat(), _clash_words(begin, end, taken.lo, taken.hi)))
            continue
        slots.append(Slot(day, begin, end))
    total = len(weeks)
    if request.only_free and slots:
        return slots, [{"date": d, "reason": why} for d, why in sorted(broken + clashes)]
    if broken:
        several = f"{len(broken)} of the {total} weeks cannot" if total > 1 else "That time cannot"
        raise InvalidBooking(sorted(broken + clashes), f"{several} be booked")
    if clashes:
        what = f"{len(clashes)} of the {total} weeks are" if total > 1 else "That time is"
        listed = "; ".join(f"{d}: {why}" for d, why in clashes)
        hint = " Send only_free: true to book the free weeks." if total > 1 else ""
        raise Conflict(f"{what} already booked", f"{listed}. Choose another time.{hint}")
    if not slots:
        raise InvalidInput("None of the weeks can be booked", "Choose another time.")
    return slots, []


def _clash_words(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> str:
    """A clash in words: the time asked for and the booked time it overlaps (never who booked it)."""
    return f"{span_words(start, end)} overlaps a booking {span_words(other_start, other_end)}"


def _write(
    conn: Connection,
    row: Any,
    terms: Terms,
    request: BookingRequest,
    slots: list[Slot],
    skipped: list[dict[str, str]],
    settings: BookingSettings,
    client: str,
    idempotency_key: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Write the booking, contact and slots; queue the messages; remember the answer for the key."""
    token = secrets.token_urlsafe(32)
    status = "confirmed" if row["approval"] == "instant" else "requested"
    hold = now + timedelta(hours=settings.booking_hold_hours) if status == "requested" else None
    params = {
        "resource_id": terms.resource_id,
        "status": status,
        "purpose": request.purpose,
        "attendees": request.attendees,
        "group_id": request.group_id,
        "weeks": request.repeat_weeks,
        "digest": digest(token),
        "token_expires_at": slots[-1].end + timedelta(days=settings.booking_link_days),
        "hold": hold,
        "district": row["district_code"],
        "client": client,
    }
    for _ in range(5):
        reference = new_reference()
        booking_id = conn.exec_driver_sql(INSERT, {**params, "reference": reference}).scalar()
        if booking_id is not None:
            break
    else:  # 30**8 references: five clashes in a row means something else is wrong
        raise RuntimeError("could not draw an unused booking reference")
    conn.exec_driver_sql(
        "INSERT INTO booking_contacts (booking_id, name, email, phone, consent) VALUES (%(b)s, %(n)s, %(e)s, %(p)s, %(c)s)",
        {"b": booking_id, "n": request.name, "e": request.email, "p": request.phone, "c": CONSENT_TEXT},
    )
    booked = [
        s for s in slots if _insert_slot(conn, booking_id, terms, s, status, request.only_free, skipped)
    ]
    if not booked:
        raise Conflict(
            "All the free weeks were taken a moment ago", "Look at the free times again and choose another."
        )
    price = round(sum((s.end - s.start).total_seconds() / 3600 * terms.price_per_hour for s in booked), 2)
    conn.exec_driver_sql(
        "UPDATE bookings SET price_total = %(p)s WHERE id = %(id)s", {"p": price, "id": booking_id}
    )
    link = manage_url(settings, reference, token)
    messages.on_new(conn, booking_id, link)
    answer: dict[str, Any] = {
        "reference": reference,
        "status": status,
        "token": token,
        "manage_url": link,
        "slots": [
            {"start": s.start.astimezone(LONDON), "end": s.end.astimezone(LONDON), "status": status}
            for s in booked
        ],
        "skipped": sorted(skipped, key=lambda s: s["date"]),
        "price_total": price,
        "currency": "GBP",
        "message": _message(reference, status, hold),
        "sample": bool(row["resource_sample"]) or bool(row["record_sample"]),
    }
    if idempotency_key is not None:
        again = (
            "This is the answer to your first request. The manage link was in that answer and in our email."
        )
        remember(
            conn, SCOPE, idempotency_key, 201, {**answer, "token": None, "manage_url": None, "message": again}
        )
    log.info("booking %s made (%s, %d of %d weeks)", reference, status, len(booked), request.repeat_weeks)
    return answer


def _insert_slot(
    conn: Connection,
    booking_id: int,
    terms: Terms,
    slot: Slot,
    status: str,
    only_free: bool,
    skipped: list[dict[str, str]],
) -> bool:
    """Insert one slot in a savepoint; False (and noted as skipped) if only_free and it was taken meanwhile."""
    held_end = slot.end + timedelta(minutes=terms.buffer_minutes)
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(
                "INSERT INTO booking_slots (booking_id, resource_id, during, held, status) "
                "VALUES (%(b)s, %(r)s, tstzrange(%(s)s, %(e)s), tstzrange(%(s)s, %(h)s), %(st)s)",
                {
                    "b": booking_id,
                    "r": terms.resource_id,
                    "s": slot.start,
                    "e": slot.end,
                    "h": held_end,
                    "st": status,
                },
            )
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        log.info("a booking slot was taken by a concurrent booking (no_double_booking)")
        when = span_words(slot.start, slot.end)
        if not only_free:
            raise Conflict(
                "That time is already booked", f"{when} was booked a moment ago. Choose another time."
            ) from None
        skipped.append({"date": slot.day.isoformat(), "reason": f"{when} was booked a moment ago"})
        return False
    return True


def _message(reference: str, status: str, hold: datetime | None) -> str:
    """What the booker is told."""
    keep = "Keep the manage link: it is the only way to see or cancel the booking online."
    if status == "confirmed":
        return f"Booked. Your reference is {reference}. {keep}"
    until = words(hold) if hold else "the manager answers"
    return (
        f"Requested. Your reference is {reference}. The manager will confirm or decline it; your times are held "
        f"until {until}. {keep}"
    )

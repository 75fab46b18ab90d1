"""Booking in the database: the rules each refuse clearly and store nothing; DST series; clashes (the exclusion
constraint included); only_free; idempotency; the rate limit; what is stored (digest, contact, messages)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from layers.booking import book, expire_due
from layers.booking.forms import InvalidBooking, validate_booking
from layers.booking.rules import LONDON, local_instant
from layers.errors import Conflict, InvalidInput, NotFound, PatchmapError, RateLimited
from layers.settings import BookingSettings
from tests.layers.booking.places import Place, close, make_room, make_space

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)  # a Monday
SETTINGS = BookingSettings(public_url="https://patchmap.example")
CLIENT = "k" * 64


def ask(place: Place, **fields: Any) -> dict[str, Any]:
    """A booking request for a place (Tuesday 12 January 2027 18:00 for two hours unless told)."""
    base = {"kind": place.kind, "id": place.record_id, "date": "2027-01-12", "time": "18:00", "minutes": 120,
            "name": "Sam Booker", "email": "sam.booker@example.org", "purpose": "Choir practice", "attendees": 12,
            "consent": True}  # fmt: skip
    return {k: v for k, v in (base | fields).items() if v is not None}


def on_the_real_clock() -> tuple[datetime, date]:
    """Now, and a Tuesday two to three weeks on (local): for tests whose code reads the real clock as well as
    the ``now`` it is given (the database's now() lets a hold lapse and cancels only times still to come; a
    manage link works until a month after its last time), where NOW and its January 2027 would be the past."""
    now = datetime.now(UTC)
    day = now.astimezone(LONDON).date() + timedelta(days=14)
    return now, day + timedelta(days=(1 - day.weekday()) % 7)


def attempt(conn: Connection, payload: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Book in a savepoint, as the API's unit of work does: a refusal leaves nothing behind."""
    options = {"settings": SETTINGS, "client": CLIENT, "now": NOW} | options
    with conn.begin_nested():
        return book(conn, validate_booking(payload), **options)


def count(conn: Connection, table: str, place: Place) -> int:
    """Rows of bookings or booking_slots for the place's resource."""
    column = {"bookings": "resource_id", "booking_slots": "resource_id"}[table]
    query = f"SELECT count(*) FROM {table} WHERE {column} = %(r)s"
    return int(conn.exec_driver_sql(query, {"r": place.resource_id}).scalar_one())


def refused(
    conn: Connection, place: Place, payload: dict[str, Any], error: type[PatchmapError], **options: Any
) -> PatchmapError:
    """The error a request gets, having checked that nothing was stored."""
    with pytest.raises(error) as exc:
        attempt(conn, payload, **options)
    assert count(conn, "bookings", place) == 0 or error is Conflict or error is RateLimited
    assert (
        conn.exec_driver_sql("SELECT count(*) FROM idempotency_keys WHERE key = 'refused-key'").scalar_one()
        == 0
    )
    return exc.value


def test_a_booking_is_stored_with_its_digest_contact_and_messages(conn: Connection) -> None:
    place = make_room(conn, manager_email="hall.manager@example.org")
    answer = attempt(conn, ask(place))
    assert answer["status"] == "confirmed" and answer["reference"].startswith("BK-")
    assert (
        answer["manage_url"]
        == f"https://patchmap.example/book/manage/{answer['reference']}?token={answer['token']}"
    )
    assert answer["price_total"] == 24.0 and answer["currency"] == "GBP"
    [slot] = answer["slots"]
    assert slot["start"].isoformat() == "2027-01-12T18:00:00+00:00"
    assert slot["end"] - slot["start"] == timedelta(hours=2)
    row = conn.exec_driver_sql(
        "SELECT b.token_digest, c.name, c.email FROM bookings b JOIN booking_contacts c ON c.booking_id = b.id "
        "WHERE b.reference = %(r)s",
        {"r": answer["reference"]},
    ).one()
    assert row.token_digest == hashlib.sha256(answer["token"].encode()).hexdigest()
    assert row.name == "Sam Booker" and row.email == "sam.booker@example.org"
    assert (
        conn.exec_driver_sql(
            "SELECT count(*) FROM bookings WHERE token_digest = %(t)s", {"t": answer["token"]}
        ).scalar_one()
        == 0
    )
    sent = dict(
        conn.exec_driver_sql(
            "SELECT recipient_role, recipient FROM outbox WHERE about = %(a)s",
            {"a": f"booking/{answer['reference']}"},
        ).all()
    )
    assert sent == {"booker": "sam.booker@example.org", "manager": "hall.manager@example.org"}
    body = conn.exec_driver_sql(
        "SELECT body FROM outbox WHERE dedupe_key = %(k)s",
        {"k": f"booking:{answer['reference']}:confirmed:booker"},
    ).scalar_one()
    assert answer["manage_url"] in body


def test_a_request_is_held_and_the_manager_asked(conn: Connection) -> None:
    place = make_room(conn, approval="request", manager_email="hall.manager@example.org")
    answer = attempt(conn, ask(place))
    assert answer["status"] == "requested" and "held until" in answer["message"]
    hold = conn.exec_driver_sql(
        "SELECT hold_expires_at FROM bookings WHERE reference = %(r)s", {"r": answer["reference"]}
    ).scalar_one()
    assert hold == NOW + timedelta(hours=72)
    subject = conn.exec_driver_sql(
        "SELECT subject FROM outbox WHERE about = %(a)s AND recipient_role = 'manager'",
        {"a": f"booking/{answer['reference']}"},
    ).scalar_one()
    assert "request" in subject.lower()


BAD: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("end before start", {"minutes": None, "end_time": "17:00"}, {}, "end after it starts"),
    ("zero length", {"minutes": 0}, {}, "end after it starts"),
    ("negative length", {"minutes": -60}, {}, "end after it starts"),
    ("off the grid", {"time": "18:10"}, {}, "not a start time"),
    ("length off the grid", {"minutes": 100}, {}, "whole number"),
    ("too long", {"minutes": 600}, {}, "outside the lengths"),
    ("outside weekly hours", {"time": "21:00"}, {"hours": "Mo-Fr 09:00-22:00"}, "outside the hours"),
    ("in the past", {"date": "2027-01-03"}, {}, "in the past"),
    ("inside the notice", {"date": "2027-01-04", "time": "18:00"}, {"lead": 1440}, "too soon"),
    ("past the horizon", {"date": "2027-06-01"}, {"horizon": 90}, "too far ahead"),
    ("a time that does not exist", {"date": "2027-03-28", "time": "01:30"}, {}, "does not exist"),
    ("a time that repeats", {"date": "2027-10-31", "time": "01:30"}, {}, "happens twice"),
    ("over capacity", {"attendees": 31}, {}, "more than"),
]


@pytest.mark.parametrize(("why", "change", "terms", "said"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_clearly_and_nothing_is_stored(
    conn: Connection, why: str, change: dict[str, Any], terms: dict[str, Any], said: str
) -> None:
    place = make_room(conn, **terms)
    error = refused(conn, place, ask(place, **change), InvalidInput, idempotency_key="refused-key")
    assert said in f"{error.message} {error.detail}", why


SUNDAY_NIGHT = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)  # 23:30 in London, the month's last day
SPRING_EVE = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)  # noon the day before the clocks go forward
AUTUMN_EVE = datetime(2027, 10, 30, 12, 0, tzinfo=UTC)  # 13:00 BST the day before they go back
# (why, now, terms, date, time, None if it can be booked else what the refusal says)
AWKWARD: list[tuple[str, datetime, dict[str, Any], str, str, str | None]] = [
    ("a day's notice from Sunday 23:30: Monday 23:30", SUNDAY_NIGHT, {"lead": 1440}, "2027-02-01", "23:30", None),
    ("a day's notice from Sunday 23:30: not Monday 23:00", SUNDAY_NIGHT, {"lead": 1440}, "2027-02-01", "23:00",
     "too soon"),
    ("a day's notice over the spring change is 24 hours: 13:00 BST", SPRING_EVE, {"lead": 1440}, "2027-03-28",
     "13:00", None),
    ("a day's notice over the spring change: not 12:30 BST", SPRING_EVE, {"lead": 1440}, "2027-03-28", "12:30",
     "too soon"),
    ("a day's notice over the autumn change is 24 hours: 12:00 GMT", AUTUMN_EVE, {"lead": 1440}, "2027-10-31",
     "12:00", None),
    ("a day's notice over the autumn change: not 11:30 GMT", AUTUMN_EVE, {"lead": 1440}, "2027-10-31", "11:30",
     "too soon"),
    ("an hour's notice over the year's end", datetime(2027, 12, 31, 23, 30, tzinfo=UTC), {"lead": 60},
     "2028-01-01", "00:30", None),
    ("a 30-day horizon from the month's last day: 2 March 23:30", SUNDAY_NIGHT, {"horizon": 30}, "2027-03-02",
     "23:30", None),
    ("a 30-day horizon from the month's last day: not 3 March", SUNDAY_NIGHT, {"horizon": 30}, "2027-03-03",
     "00:00", "too far ahead"),
]  # fmt: skip


@pytest.mark.parametrize(("why", "now", "terms", "day", "at", "said"), AWKWARD, ids=[a[0] for a in AWKWARD])
def test_notice_and_horizon_at_awkward_moments(
    conn: Connection, why: str, now: datetime, terms: dict[str, Any], day: str, at: str, said: str | None
) -> None:
    """Notice and horizon are elapsed time from now, whatever the calendar or the clocks do meanwhile."""
    place = make_room(conn, **terms)
    if said is None:
        assert attempt(conn, ask(place, date=day, time=at), now=now)["status"] == "confirmed", why
    else:
        error = refused(conn, place, ask(place, date=day, time=at), InvalidInput, now=now)
        assert said in f"{error.message} {error.detail}", why


def test_a_closed_date_is_named(conn: Connection) -> None:
    place = make_room(conn)
    close(conn, place.resource_id, date(2027, 1, 11), date(2027, 1, 14), "Floor repairs")
    error = refused(conn, place, ask(place), InvalidBooking)
    assert "closed on Tuesday 12 January 2027 (Floor repairs)" in error.detail


def test_unknown_and_unbookable_resources(conn: Connection) -> None:
    place = make_room(conn)
    with pytest.raises(NotFound):
        attempt(conn, ask(place, id=2_000_000_000))
    shut = make_room(conn, bookable=False)
    assert "not taking bookings" in refused(conn, shut, ask(shut), InvalidInput).message
    let = make_space(conn, status="let")
    assert "is let" in refused(conn, let, ask(let), InvalidInput).message


def test_a_series_over_the_cap_is_refused(conn: Connection) -> None:
    place = make_room(conn)
    with pytest.raises(InvalidBooking, match="problem"):
        attempt(conn, ask(place, repeat_weeks=53))
    capped = BookingSettings(booking_series_cap=4)
    error = refused(conn, place, ask(place, repeat_weeks=5), InvalidInput, settings=capped)
    assert "at most 4 weeks" in error.detail


@pytest.mark.parametrize(("first", "offsets"), [("2027-03-16", ["+00:00", "+00:00", "+01:00", "+01:00"]),
                                                ("2027-10-19", ["+01:00", "+01:00", "+00:00", "+00:00"])])  # fmt: skip
def test_a_weekly_series_across_the_clock_change_stays_at_18_local(
    conn: Connection, first: str, offsets: list[str]
) -> None:
    place = make_room(conn)
    answer = attempt(conn, ask(place, date=first, repeat_weeks=4))
    starts = [s["start"] for s in answer["slots"]]
    assert [s.strftime("%H:%M") for s in starts] == ["18:00"] * 4
    assert [s.isoformat()[-6:] for s in starts] == offsets
    stored = (
        conn.exec_driver_sql(
            "SELECT to_char(lower(during) AT TIME ZONE 'Europe/London', 'HH24:MI') FROM booking_slots "
            "WHERE resource_id = %(r)s ORDER BY lower(during)",
            {"r": place.resource_id},
        )
        .scalars()
        .all()
    )
    assert stored == ["18:00"] * 4


@pytest.mark.parametrize(
    ("day", "end"), [("2027-03-28", "T04:00:00+01:00"), ("2027-10-31", "T02:00:00+00:00")]
)
def test_a_booking_on_the_clock_change_day_is_the_right_length(conn: Connection, day: str, end: str) -> None:
    place = make_room(conn)
    [slot] = attempt(conn, ask(place, date=day, time="00:00", minutes=180))["slots"]
    assert slot["end"].isoformat().endswith(end)
    hours = conn.exec_driver_sql(
        "SELECT extract(epoch FROM upper(during) - lower(during)) / 3600 FROM booking_slots WHERE resource_id = %(r)s",
        {"r": place.resource_id},
    ).scalar_one()
    assert hours == 3


def test_a_clash_is_409_naming_the_time_never_the_booker(conn: Connection) -> None:
    place = make_room(conn, buffer=30)
    attempt(conn, ask(place))
    error = refused(conn, place, ask(place, time="20:00", name="Other Person"), Conflict)
    assert (
        "Tuesday 12 January 2027 20:00-22:00 overlaps a booking Tuesday 12 January 2027 18:00-20:00"
        in error.detail
    )
    assert "Sam" not in f"{error.message} {error.detail}"
    attempt(conn, ask(place, time="20:30"))  # after the half-hour turnaround


def test_the_exclusion_constraint_is_the_last_guard(conn: Connection) -> None:
    place = make_room(conn)
    first = attempt(conn, ask(place))
    booking_id = conn.exec_driver_sql(
        "SELECT id FROM bookings WHERE reference = %(r)s", {"r": first["reference"]}
    ).scalar_one()
    start = local_instant(date(2027, 1, 19), time(18))
    with pytest.raises(Exception, match="no_double_booking"), conn.begin_nested():
        conn.exec_driver_sql(
            "INSERT INTO booking_slots (booking_id, resource_id, during, held, status) VALUES "
            "(%(b)s, %(r)s, tstzrange(%(s)s, %(e)s), tstzrange(%(s)s, %(e)s), 'confirmed'), "
            "(%(b)s, %(r)s, tstzrange(%(s)s, %(e)s), tstzrange(%(s)s, %(e)s), 'requested')",
            {"b": booking_id, "r": place.resource_id, "s": start, "e": start + timedelta(hours=1)},
        )


def test_a_series_is_all_or_nothing_naming_each_clash_or_only_the_free_weeks(conn: Connection) -> None:
    place = make_room(conn)
    attempt(conn, ask(place, date="2027-01-19"))
    attempt(conn, ask(place, date="2027-02-02"))
    error = refused(conn, place, ask(place, repeat_weeks=4), Conflict)
    assert error.message == "2 of the 4 weeks are already booked"
    assert "2027-01-19" in error.detail and "2027-02-02" in error.detail and "only_free" in error.detail
    assert count(conn, "bookings", place) == 2
    answer = attempt(conn, ask(place, repeat_weeks=4, only_free=True))
    assert [s["start"].date() for s in answer["slots"]] == [date(2027, 1, 12), date(2027, 1, 26)]
    assert [s["date"] for s in answer["skipped"]] == ["2027-01-19", "2027-02-02"]
    assert answer["price_total"] == 48.0


def test_a_series_with_a_closed_week_names_that_date(conn: Connection) -> None:
    place = make_room(conn)
    close(conn, place.resource_id, date(2027, 1, 26), date(2027, 1, 27), "Polling station")
    error = refused(conn, place, ask(place, repeat_weeks=3), InvalidBooking)
    assert isinstance(error, InvalidBooking) and error.message == "1 of the 3 weeks cannot be booked"
    assert [d for d, _ in error.problems] == ["2027-01-26"]


def test_the_same_idempotency_key_and_body_give_the_first_answer(conn: Connection) -> None:
    place = make_room(conn)
    first = attempt(conn, ask(place), idempotency_key="key-1")
    again = attempt(conn, ask(place), idempotency_key="key-1")
    assert again["reference"] == first["reference"] and again["token"] is None and again["manage_url"] is None
    assert count(conn, "bookings", place) == 1
    with pytest.raises(InvalidInput, match="another request"):
        attempt(conn, ask(place, time="10:00"), idempotency_key="key-1")
    assert count(conn, "bookings", place) == 1


def test_the_rate_limit_counts_a_clients_bookings(conn: Connection) -> None:
    place = make_room(conn)
    limited = BookingSettings(booking_limit=2, booking_window_minutes=60)
    attempt(conn, ask(place, time="10:00"), settings=limited)
    attempt(conn, ask(place, time="12:00"), settings=limited)
    error = refused(conn, place, ask(place, time="14:00"), RateLimited, settings=limited)
    assert isinstance(error, RateLimited) and 0 < error.retry_after_s <= 3600
    assert count(conn, "bookings", place) == 2
    attempt(conn, ask(place, time="14:00"), settings=limited, client="another client")


def test_an_expired_request_frees_its_time(conn: Connection) -> None:
    place = make_room(conn, approval="request")
    now, tuesday = on_the_real_clock()  # the hold lapses by the database's clock
    held = attempt(conn, ask(place, date=tuesday.isoformat()), now=now)
    refused(conn, place, ask(place, date=tuesday.isoformat()), Conflict, now=now)
    conn.exec_driver_sql(
        "UPDATE bookings SET hold_expires_at = now() - interval '1 minute' WHERE reference = %(r)s",
        {"r": held["reference"]},
    )
    again = attempt(conn, ask(place, date=tuesday.isoformat()), now=now)
    assert again["status"] == "requested"
    statuses = conn.exec_driver_sql(
        "SELECT b.status, s.status FROM bookings b JOIN booking_slots s ON s.booking_id = b.id WHERE b.reference = %(r)s",
        {"r": held["reference"]},
    ).one()
    assert tuple(statuses) == ("expired", "expired")
    assert expire_due(conn) == 0
    notice = conn.exec_driver_sql(
        "SELECT count(*) FROM outbox WHERE dedupe_key = %(k)s",
        {"k": f"booking:{held['reference']}:expired:booker"},
    ).scalar_one()
    assert notice == 1

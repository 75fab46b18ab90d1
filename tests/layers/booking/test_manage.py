"""After booking: availability, the booker's view and cancel, the managers' list, confirm and decline in
their districts only (with audit rows and change notices), and expiry."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from layers.access import auth
from layers.access.scope import RESIDENT, Actor
from layers.booking import availability, booker_view, cancel, confirm, decline, list_bookings
from layers.booking.messages import managers
from layers.errors import Conflict, InvalidInput, NotFound, Unauthorized
from tests.layers.booking.places import BRECKLAND, NORWICH, close, make_room
from tests.layers.booking.test_book import NOW, ask, attempt, on_the_real_clock


def coordinator(conn: Connection, district: str) -> Actor:
    """A new co-ordinator of a district."""
    email = f"coord-{uuid.uuid4().hex[:8]}@example.gov.uk"
    uid = auth.create_user(
        conn, email=email, name="Co-ordinator", role="coordinator", password="x" * 16, districts=[district]
    )
    return Actor(user_id=uid, role="coordinator", name="Co-ordinator", districts=frozenset({district}))


def test_availability_is_hours_less_closures_and_held_times_on_the_grid(conn: Connection) -> None:
    place = make_room(conn, hours="Mo-Fr 09:00-17:00", buffer=30, min_minutes=60)
    close(conn, place.resource_id, date(2027, 1, 13), date(2027, 1, 14), "Staff training")
    attempt(conn, ask(place, time="10:00", minutes=60, name="Secret Booker"))
    free = availability(conn, "room", place.record_id, date(2027, 1, 11), date(2027, 1, 17), now=NOW)
    spans = [(s["start"].strftime("%a %H:%M"), s["end"].strftime("%a %H:%M")) for s in free["free"]]
    assert spans == [
        ("Mon 09:00", "Mon 17:00"),
        ("Tue 09:00", "Tue 10:00"),
        ("Tue 11:30", "Tue 17:00"),  # the hour booked and its half-hour turnaround are held
        ("Thu 09:00", "Thu 17:00"),
        ("Fri 09:00", "Fri 17:00"),
    ]
    assert [(b["start"].strftime("%H:%M"), b["end"].strftime("%H:%M")) for b in free["busy"]] == [
        ("10:00", "11:30")
    ]
    assert free["closed"] == [{"date": date(2027, 1, 13), "reason": "Staff training"}]
    assert "Secret" not in str(free)
    later = availability(
        conn, "room", place.record_id, date(2027, 1, 4), date(2027, 1, 4), now=NOW.replace(hour=13)
    )
    assert [s["start"].strftime("%H:%M") for s in later["free"]] == ["13:00"]


def test_availability_refuses_long_ranges_and_unknown_rooms(conn: Connection) -> None:
    place = make_room(conn)
    with pytest.raises(InvalidInput, match="31 days"):
        availability(conn, "room", place.record_id, date(2027, 1, 1), date(2027, 2, 1))
    with pytest.raises(NotFound):
        availability(conn, "room", 2_000_000_000, date(2027, 1, 1), date(2027, 1, 2))


def _another(token: str) -> str:
    """The same token with its last character changed (to one it is not already)."""
    return token[:-1] + ("B" if token.endswith("A") else "A")


def test_the_booker_sees_their_booking_with_the_token_only(conn: Connection) -> None:
    place = make_room(conn)
    now, tuesday = on_the_real_clock()  # the link's expiry is read on the real clock
    made = attempt(conn, ask(place, date=tuesday.isoformat()), now=now)
    view = booker_view(conn, made["reference"], made["token"])
    assert view["status"] == "confirmed" and view["resource"]["id"] == place.record_id
    assert view["contact"] == {"name": "Sam Booker", "email": "s***@example.org", "phone": None}
    with pytest.raises(NotFound, match="reference and link"):
        booker_view(conn, made["reference"], _another(made["token"]))
    with pytest.raises(NotFound, match="reference and link"):
        booker_view(conn, "BK-22222222", made["token"])


def test_cancel_one_date_of_a_series_then_the_rest(conn: Connection) -> None:
    place = make_room(conn)
    now, tuesday = on_the_real_clock()  # only times still to come, by the database's clock, are cancelled
    second = tuesday + timedelta(weeks=1)
    made = attempt(conn, ask(place, date=tuesday.isoformat(), repeat_weeks=3), now=now)
    one = cancel(conn, made["reference"], made["token"], on_date=second)
    assert one["status"] == "confirmed"
    assert [s["status"] for s in one["slots"]] == ["confirmed", "cancelled", "confirmed"]
    with pytest.raises(InvalidInput, match=f"no booked time on {second.isoformat()}"):
        cancel(conn, made["reference"], made["token"], on_date=second)
    everything = cancel(conn, made["reference"], made["token"])
    assert everything["status"] == "cancelled" and {s["status"] for s in everything["slots"]} == {"cancelled"}
    with pytest.raises(Conflict, match="already cancelled"):
        cancel(conn, made["reference"], made["token"])
    keys = (
        conn.exec_driver_sql(
            "SELECT dedupe_key FROM outbox WHERE about = %(a)s AND recipient_role = 'booker' ORDER BY id",
            {"a": f"booking/{made['reference']}"},
        )
        .scalars()
        .all()
    )
    ref = made["reference"]
    assert keys == [
        f"booking:{ref}:confirmed:booker",
        f"booking:{ref}:cancelled:{second.isoformat()}:booker",
        f"booking:{ref}:cancelled:booker",
    ]


def test_confirm_and_decline_only_in_the_managers_districts(conn: Connection) -> None:
    place = make_room(conn, approval="request")
    norwich, breckland = coordinator(conn, NORWICH), coordinator(conn, BRECKLAND)
    now, tuesday = on_the_real_clock()  # the requests' holds lapse by the database's clock
    week_on = (tuesday + timedelta(weeks=1)).isoformat()
    first = attempt(conn, ask(place, date=tuesday.isoformat()), now=now)
    second = attempt(conn, ask(place, date=week_on), now=now)
    with pytest.raises(Unauthorized):
        confirm(conn, RESIDENT, first["reference"])
    with pytest.raises(NotFound):
        confirm(conn, breckland, first["reference"])
    assert [b["reference"] for b in list_bookings(conn, breckland, status="requested")] == []
    listed = {b["reference"]: b for b in list_bookings(conn, norwich, status="requested")}
    assert listed[first["reference"]]["contact"]["email"] == "sam.booker@example.org"
    before = conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar_one()
    done = confirm(conn, norwich, first["reference"])
    assert done["status"] == "confirmed" and done["hold_expires_at"] is None
    assert {s["status"] for s in done["slots"]} == {"confirmed"}
    with pytest.raises(Conflict):
        confirm(conn, norwich, first["reference"])
    with pytest.raises(InvalidInput, match="Say why"):
        decline(conn, norwich, second["reference"], "  ")
    refused: dict[str, Any] = decline(conn, norwich, second["reference"], "The hall is being painted.")
    assert refused["status"] == "declined" and refused["decision_reason"] == "The hall is being painted."
    actions = conn.exec_driver_sql(
        "SELECT action, detail::text FROM audit_log ORDER BY id DESC LIMIT 2"
    ).all()
    assert conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar_one() == before + 2
    assert [a for a, _ in actions] == ["booking-decline", "booking-confirm"]
    assert all("Sam" not in d and "@" not in d for _, d in actions)
    attempt(conn, ask(place, date=week_on), now=now)  # declined: its time is free again
    notices = (
        conn.exec_driver_sql(
            "SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE %(k)s",
            {"k": f"booking:{second['reference']}:declined:%"},
        )
        .scalars()
        .all()
    )
    coordinators = len(managers(conn, None, NORWICH))  # this test's, and others' left in the shared database
    assert f"booking:{second['reference']}:declined:booker" in notices
    assert len(notices) == 1 + coordinators  # the booker, and each of Norwich's co-ordinators


def test_a_request_past_its_hold_is_expired_on_the_next_read(conn: Connection) -> None:
    place = make_room(conn, approval="request")
    now, tuesday = on_the_real_clock()  # the link's expiry is read on the real clock
    made = attempt(conn, ask(place, date=tuesday.isoformat()), now=now)
    conn.exec_driver_sql(
        "UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE reference = %(r)s",
        {"r": made["reference"]},
    )
    free = availability(conn, "room", place.record_id, tuesday, tuesday, now=now)
    assert free["busy"] == []
    assert booker_view(conn, made["reference"], made["token"])["status"] == "expired"

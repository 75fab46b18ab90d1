"""Calendar feeds (GET /rooms/{id}/calendar.ics, /spaces/{id}/calendar.ics): busy blocks only, read back
with the icalendar package; no purpose, reference, group or booker; 404 for what cannot be booked.

The rooms, spaces and bookings are committed on the session's database (the app reads them through its
own pool) and deleted again at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import Connection, Engine, text

LONDON = ZoneInfo("Europe/London")
SECRETS = (
    "Calendar secret purpose",
    "BK-CALTEST1",
    "BK-CALTEST2",
    "Cal Private",
    "cal.private@example.org",
    "07700 900456",
    "cal.manager@example.org",
)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LONDON)


def _book(
    conn: Connection, resource: int, ref: str, status: str, start: datetime, *, hold: datetime | None
) -> int:
    """A one-hour booking with its private contact, and its slot."""
    booking = conn.execute(
        text(
            "INSERT INTO bookings (reference, resource_id, status, purpose, attendees, price_total, token_digest, "
            "token_expires_at, hold_expires_at, client_key, group_id) VALUES (CAST(:ref AS text), :r, :status, "
            "'Calendar secret purpose', 5, 0, md5(CAST(:ref AS text)) || md5(CAST(:ref AS text)), "
            "now() + interval '60 days', :hold, 'test', (SELECT min(id) FROM groups)) RETURNING id"
        ),
        {"ref": ref, "r": resource, "status": status, "hold": hold},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO booking_contacts (booking_id, name, email, phone, consent) "
            "VALUES (:b, 'Cal Private', 'cal.private@example.org', '07700 900456', 'yes')"
        ),
        {"b": booking},
    )
    slot = conn.execute(
        text(
            "INSERT INTO booking_slots (booking_id, resource_id, during, held, status) "
            "VALUES (:b, :r, tstzrange(:s, :e), tstzrange(:s, :e), :status) RETURNING id"
        ),
        {"b": booking, "r": resource, "s": start, "e": start + timedelta(hours=1), "status": status},
    ).scalar_one()
    return int(slot)


@pytest.fixture(scope="module")
def made(engine: Engine) -> Iterator[dict[str, Any]]:
    """A bookable sample room with bookings of every status, a bookable space, an unbookable space and a
    room with no booking terms; all deleted afterwards."""
    today = datetime.now(LONDON).date()
    tomorrow = today + timedelta(days=1)
    out: dict[str, Any] = {"tomorrow": tomorrow}
    with engine.begin() as conn:
        hub_id, hub_name = conn.execute(text("SELECT id, name FROM hubs ORDER BY id LIMIT 1")).one()
        out["hub_name"] = hub_name
        rooms = conn.execute(
            text(
                "INSERT INTO rooms (hub_id, name, sample) VALUES (:h, 'Calendar hall', true), "
                "(:h, 'Calendar annexe', true) RETURNING id"
            ),
            {"h": hub_id},
        ).scalars()
        out["room"], out["bare_room"] = rooms.all()
        spaces = conn.execute(
            text(
                "SELECT id, name FROM spaces s WHERE status = 'available' "
                "AND NOT EXISTS (SELECT 1 FROM resources r WHERE r.space_id = s.id) ORDER BY id LIMIT 2"
            )
        ).all()
        (out["space"], out["space_name"]), (out["closed_space"], _) = spaces
        insert = text(
            "INSERT INTO resources (room_id, space_id, bookable, rate_band, price_per_hour, weekly_hours, "
            "horizon_days, manager_email, sample) VALUES (:room, :space, :bookable, 'low-cost', 10, "
            "'Mo-Su 08:00-22:00', 30, 'cal.manager@example.org', :sample) RETURNING id"
        )
        out["resource"] = conn.execute(
            insert, {"room": out["room"], "space": None, "bookable": True, "sample": True}
        ).scalar_one()
        out["resources"] = [
            out["resource"],
            conn.execute(
                insert, {"room": None, "space": out["space"], "bookable": True, "sample": False}
            ).scalar_one(),
            conn.execute(
                insert, {"room": None, "space": out["closed_space"], "bookable": False, "sample": False}
            ).scalar_one(),
        ]
        r, now = out["resource"], datetime.now(UTC)
        out["confirmed"] = _book(conn, r, "BK-CALTEST1", "confirmed", _at(tomorrow, 10), hold=None)
        out["held"] = _book(
            conn, r, "BK-CALTEST2", "requested", _at(tomorrow, 14), hold=now + timedelta(days=2)
        )
        _book(
            conn, r, "BK-CALTEST3", "requested", _at(tomorrow, 16), hold=now - timedelta(minutes=1)
        )  # lapsed
        _book(conn, r, "BK-CALTEST4", "cancelled", _at(tomorrow, 18), hold=None)
        _book(conn, r, "BK-CALTEST5", "confirmed", _at(today - timedelta(days=2), 10), hold=None)  # past
        _book(
            conn, r, "BK-CALTEST6", "confirmed", _at(today + timedelta(days=40), 10), hold=None
        )  # past horizon
    try:
        yield out
    finally:
        with engine.begin() as conn:
            ids = {"r": out["resources"]}
            conn.execute(text("DELETE FROM booking_slots WHERE resource_id = ANY(:r)"), ids)
            conn.execute(text("DELETE FROM bookings WHERE resource_id = ANY(:r)"), ids)  # contacts cascade
            conn.execute(text("DELETE FROM resources WHERE id = ANY(:r)"), ids)
            conn.execute(text("DELETE FROM rooms WHERE id = ANY(:r)"), {"r": [out["room"], out["bare_room"]]})


def _calendar(client: TestClient, path: str) -> tuple[Calendar, str]:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(answer.content), answer.text


def test_a_room_calendar_lists_its_busy_times(client: TestClient, made: dict[str, Any]) -> None:
    """Confirmed and held times from today to the horizon, in UTC, as opaque busy blocks."""
    cal, _ = _calendar(client, f"/rooms/{made['room']}/calendar.ics")
    assert str(cal["PRODID"]).startswith("-//Patchmap//")
    assert str(cal["X-WR-CALNAME"]) == f"Calendar hall at {made['hub_name']} (sample)"
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/London"
    events = sorted(cal.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
    tomorrow = made["tomorrow"]
    assert [(e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"])) for e in events] == [
        (_at(tomorrow, 10).astimezone(UTC), _at(tomorrow, 11).astimezone(UTC), "Booked"),
        (_at(tomorrow, 14).astimezone(UTC), _at(tomorrow, 15).astimezone(UTC), "Held (request)"),
    ]
    assert all(
        e.decoded("DTSTART").tzinfo is not None and e.decoded("DTSTART").utcoffset() == timedelta(0)
        for e in events
    )
    assert all(str(e["TRANSP"]) == "OPAQUE" for e in events)
    assert [str(e["UID"]) for e in events] == [
        f"slot-{made['confirmed']}@127.0.0.1",
        f"slot-{made['held']}@127.0.0.1",
    ]
    again, _ = _calendar(client, f"/rooms/{made['room']}/calendar.ics")
    assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == sorted(str(e["UID"]) for e in events)


def test_a_calendar_names_no_one(client: TestClient, made: dict[str, Any]) -> None:
    """No purpose, reference, group, booker's contact or manager's email in the feed."""
    _, body = _calendar(client, f"/rooms/{made['room']}/calendar.ics")
    for secret in SECRETS:
        assert secret not in body
    assert "DESCRIPTION" not in body and "ORGANIZER" not in body and "ATTENDEE" not in body


def test_a_space_calendar(client: TestClient, made: dict[str, Any]) -> None:
    """A bookable space with no bookings: its name, and no events."""
    cal, _ = _calendar(client, f"/spaces/{made['space']}/calendar.ics")
    assert str(cal["X-WR-CALNAME"]) == made["space_name"]
    assert cal.walk("VEVENT") == []


@pytest.mark.parametrize(
    "path",
    [
        "/rooms/2147483647/calendar.ics",
        "/spaces/2147483647/calendar.ics",
        "/rooms/{bare_room}/calendar.ics",
        "/spaces/{closed_space}/calendar.ics",
    ],
)
def test_what_cannot_be_booked_has_no_calendar(client: TestClient, made: dict[str, Any], path: str) -> None:
    """An unknown room or space, one with no booking terms, and one not taking bookings: 404."""
    answer = client.get(path.format(**made))
    assert answer.status_code == 404
    body = answer.json()
    assert set(body) == {"error", "detail"} and "bookable" in body["error"]


def test_a_bad_id_is_refused(client: TestClient) -> None:
    """Ids are whole numbers from 1."""
    assert client.get("/rooms/0/calendar.ics").status_code == 422
    assert client.get("/spaces/abc/calendar.ics").status_code == 422

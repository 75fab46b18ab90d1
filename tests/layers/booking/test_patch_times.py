"""The co-ordinator's booking panels at awkward moments, with ``now`` given (never the clock the test runs at):
"free now" over Sunday midnight, at a month's and a year's end and on both clock-change nights, and "this
week" starting at local midnight, not UTC's, in summer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection

from layers.patch.bookings import patch_bookings
from tests.layers.booking.places import NORWICH, Place, close, make_room
from tests.layers.booking.test_book import ask, attempt
from tests.layers.booking.test_manage import coordinator

HOURS = {
    "all day": "Mo-Su 00:00-24:00",
    "late": "Su 20:00-24:00; Mo 00:00-02:00",  # over Sunday midnight into Monday
    "daytime": "Mo-Fr 09:00-17:00",
}
# (what, now, the rooms free for the whole next hour)
MOMENTS: list[tuple[str, datetime, set[str]]] = [
    ("Sunday 23:30, the month's last day, winter", datetime(2027, 1, 31, 23, 30, tzinfo=UTC), {"all day", "late"}),
    ("Sunday 23:30 in summer (22:30 UTC)", datetime(2027, 6, 13, 22, 30, tzinfo=UTC), {"all day", "late"}),
    ("Monday 01:30 in summer: the late hours end at 02:00", datetime(2027, 6, 14, 0, 30, tzinfo=UTC), {"all day"}),
    ("Friday 23:30, the year's last day", datetime(2027, 12, 31, 23, 30, tzinfo=UTC), {"all day"}),
    ("Tuesday 10:00 in summer (09:00 UTC)", datetime(2027, 6, 15, 9, 0, tzinfo=UTC), {"all day", "daytime"}),
    ("Tuesday 16:30 in summer (15:30 UTC): past 17:00", datetime(2027, 6, 15, 15, 30, tzinfo=UTC), {"all day"}),
    ("00:30 as the clocks go forward (to 02:30 BST)", datetime(2027, 3, 28, 0, 30, tzinfo=UTC), {"all day"}),
    ("00:30 BST as the clocks go back", datetime(2027, 10, 30, 23, 30, tzinfo=UTC), {"all day"}),
]  # fmt: skip


def _rooms(conn: Connection) -> dict[str, Place]:
    return {name: make_room(conn, hours=hours) for name, hours in HOURS.items()}


def _free(conn: Connection, rooms: dict[str, Place], now: datetime) -> set[str]:
    """Which of the rooms the Norwich patch lists as free now."""
    found = patch_bookings(conn, coordinator(conn, NORWICH), NORWICH, now=now)["free_now"]
    ids = {r["id"] for r in found}
    return {name for name, place in rooms.items() if place.resource_id in ids}


@pytest.mark.parametrize(("what", "now", "free"), MOMENTS, ids=[m[0] for m in MOMENTS])
def test_free_now_at_awkward_moments(conn: Connection, what: str, now: datetime, free: set[str]) -> None:
    assert _free(conn, _rooms(conn), now) == free, what


def test_free_now_over_sunday_midnight_sees_mondays_booking_and_closure(conn: Connection) -> None:
    rooms = _rooms(conn)
    sunday_night = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    attempt(conn, ask(rooms["late"], date="2027-02-01", time="00:00", minutes=60))
    close(conn, rooms["all day"].resource_id, date(2027, 2, 1), date(2027, 2, 2), "Boiler repair")
    assert _free(conn, rooms, sunday_night) == set()


def test_this_week_starts_at_local_midnight(conn: Connection) -> None:
    """At 23:30 UTC on Sunday 13 June it is already Monday 14 June in London: the week is 14 to 20 June."""
    place = make_room(conn)
    refs = {
        when: attempt(conn, ask(place, date=when, time=at, minutes=60))["reference"]
        for when, at in (("2027-06-13", "10:00"), ("2027-06-14", "10:00"), ("2027-06-20", "23:00"))
    }
    now = datetime(2027, 6, 13, 23, 30, tzinfo=UTC)
    week: dict[str, Any] = patch_bookings(conn, coordinator(conn, NORWICH), NORWICH, now=now)["week"]
    assert (week["from"], week["to"]) == (date(2027, 6, 14), date(2027, 6, 20))
    mine = {
        s["reference"]: s["today"]
        for hub in week["hubs"]
        for s in hub["slots"]
        if s["reference"] in refs.values()
    }
    assert mine == {refs["2027-06-14"]: True, refs["2027-06-20"]: False}

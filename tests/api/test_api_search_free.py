"""GET /search/nearby with free_from: bookable rooms and spaces free for a whole window, against real PostGIS.

Each test inserts its own hub, rooms, spaces, resources and bookings around Swanton Morley (15 km from any
demo place) through ``db``, an app on one connection in a transaction rolled back at the end (see
``tests/rolled_back.py``), so nothing is left behind. Every answer is checked against the documented schema.
The window is a Tuesday at least three weeks ahead (past every resource's notice, inside its horizon, in
winter or summer time alike); the clock-change cases use next year's dates (a fixed year would turn into the
past, then beyond the search's two-year reach, where the answer is "too far" instead).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.schemas import NearbyFeatureCollection, NearbyPage
from tests.api.test_api_search import _at
from tests.api_checks import error_body, ok_body
from tests.clock import next_year_clock_changes
from tests.rolled_back import RolledBack

LONDON = ZoneInfo("Europe/London")
SWANTON = (0.95, 52.70)


def tuesday() -> date:
    """A Tuesday 21 to 27 days from today (local)."""
    day = datetime.now(LONDON).date() + timedelta(days=21)
    return day + timedelta(days=(1 - day.weekday()) % 7)


DAY = tuesday()
SPRING, AUTUMN = next_year_clock_changes()
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).replace(second=0, microsecond=0)


def at(hh_mm: str, day: date = DAY) -> datetime:
    """A local time on ``day`` as an aware datetime (Europe/London)."""
    return datetime.combine(day, time.fromisoformat(hh_mm), tzinfo=LONDON)


@pytest.fixture
def rooms(db: RolledBack) -> dict[str, int]:
    """A hub with two rooms, a free space, a let space and a room that is not bookable; resource ids by key."""
    hall = db.insert("hubs", **_at(0, 100), name="Test hall", kind="village_hall", step_free=True,
                     address="1 Green Lane", description="a hall with a kitchen")  # fmt: skip
    main = db.insert("rooms", hub_id=hall, name="Main hall", capacity=80, step_free=True,
                     facilities=["stage", "kitchen"])  # fmt: skip
    small = db.insert("rooms", hub_id=hall, name="Small room", capacity=10, step_free=False)
    shut = db.insert("rooms", hub_id=hall, name="Store room", capacity=4)
    studio = db.insert("spaces", **_at(-200, 0), name="Studio", kind="room", price_band="free", capacity=30,
                       step_free=True)  # fmt: skip
    let = db.insert("spaces", **_at(150, 0), name="Let room", kind="room", status="let", capacity=30)
    every_day = "Mo-Su 08:00-22:00"
    ids = {
        "main": db.insert("resources", room_id=main, rate_band="market", price_per_hour=25,
                          weekly_hours=every_day, buffer_minutes=30, approval="instant"),
        "small": db.insert("resources", room_id=small, rate_band="low-cost", price_per_hour=8,
                           weekly_hours="Mo-Fr 09:00-17:00"),
        "studio": db.insert("resources", space_id=studio, rate_band="free", price_per_hour=0,
                            weekly_hours="Mo-Su 09:00-21:00", horizon_days=60),
        "let": db.insert("resources", space_id=let, rate_band="free", weekly_hours=every_day),
        "shut": db.insert("resources", room_id=shut, rate_band="free", weekly_hours=every_day, bookable=False),
    }  # fmt: skip
    ids |= {"main_room": main, "small_room": small, "studio_space": studio, "hall": hall}
    return ids


def book(
    db: RolledBack,
    resource: int,
    start: datetime,
    minutes: int,
    *,
    buffer: int = 0,
    status: str = "confirmed",
    hold_until: datetime | None = None,
) -> int:
    """A booking of one slot, written as layers.booking writes it (held = during + the buffer); its id."""
    token = uuid.uuid4().hex * 2
    booking = db.insert("bookings", reference=f"BK-{token[:8].upper()}", resource_id=resource, status=status,
                        purpose="test", attendees=5, price_total=0, token_digest=token,
                        token_expires_at=datetime.now(UTC) + timedelta(days=400), client_key="test",
                        hold_expires_at=hold_until)  # fmt: skip
    end = start + timedelta(minutes=minutes)
    db.execute(
        "INSERT INTO booking_slots (booking_id, resource_id, during, held, status) "
        "VALUES (%s, %s, tstzrange(%s, %s), tstzrange(%s, %s), %s)",
        [booking, resource, start, end, start, end + timedelta(minutes=buffer), status],
    )
    return booking


def free(db: RolledBack, start: datetime | str, minutes: int | None = None, **params: Any) -> dict[str, Any]:
    """A free-room search near Swanton Morley (start naive local, as a person would type it); the body."""
    when = start if isinstance(start, str) else start.strftime("%Y-%m-%dT%H:%M")
    extra = {"free_for_minutes": minutes} if minutes is not None else {}
    response = db.get("/search/nearby", params={"lon": SWANTON[0], "lat": SWANTON[1], "free_from": when,
                                               **extra, **params})  # fmt: skip
    return ok_body(response, NearbyPage)


def found(body: dict[str, Any]) -> set[int]:
    """The resource ids in an answer."""
    return {r["resource_id"] for r in body["results"]}


# ---------------------------------------------------------------- what is free


def test_results_are_bookable_rooms_and_spaces_with_their_price(
    db: RolledBack, rooms: dict[str, int]
) -> None:
    """Rooms and spaces, nearest first, each with price, capacity, its book link and its hub; nothing else."""
    body = free(db, at("10:00"))
    assert body["kinds"] == ["room", "space"] and body["serving_your_area"] == []
    assert [r["resource_id"] for r in body["results"]] == [rooms["main"], rooms["small"], rooms["studio"]]
    main, _, studio = body["results"]
    assert main["kind"] == "room" and main["id"] == rooms["main_room"] and main["name"] == "Main hall"
    assert (
        main["book_url"] == f"/book/room/{rooms['main_room']}"
        and main["url"] == f"/rooms/{rooms['main_room']}"
    )
    assert main["hub"] == {"id": rooms["hall"], "name": "Test hall"} and main["address"] == "1 Green Lane"
    assert (main["price_per_hour"], main["rate_band"], main["currency"]) == (25.0, "market", "GBP")
    assert (main["capacity"], main["approval"], main["sample"], main["distance_m"]) == (
        80,
        "instant",
        False,
        100,
    )
    assert studio["kind"] == "space" and studio["book_url"] == f"/book/space/{rooms['studio_space']}"
    assert (studio["price_per_hour"], studio["rate_band"], studio["hub"], studio["distance_m"]) == (
        0,
        "free",
        None,
        200,
    )
    f = body["filters"]
    assert f["free_from"] == at("10:00").isoformat() and f["free_until"] == at("11:00").isoformat()
    assert f["free_for_minutes"] == 60 and f["capacity"] is None and f["max_price"] is None


def test_a_booked_room_is_not_free_then_but_is_later(db: RolledBack, rooms: dict[str, int]) -> None:
    """A confirmed booking 10:00-12:00 hides the room for a window overlapping it, not for one after."""
    book(db, rooms["main"], at("10:00"), 120, buffer=30)
    assert rooms["main"] not in found(free(db, at("11:00")))
    assert rooms["main"] not in found(free(db, at("09:30"), 60))  # 09:30-10:30 overlaps the start
    later = found(free(db, at("13:00")))
    assert rooms["main"] in later and rooms["small"] in later
    other_day = found(free(db, at("11:00", DAY + timedelta(days=1))))
    assert rooms["main"] in other_day


def test_the_turnaround_buffer_is_honoured(db: RolledBack, rooms: dict[str, int]) -> None:
    """The main hall keeps 30 minutes after each booking: after one ending 12:00 it is free from 12:30, and a
    booking ending at 10:00 must leave it 30 minutes before the next (10:00) starts."""
    book(db, rooms["main"], at("10:00"), 120, buffer=30)
    assert rooms["main"] not in found(free(db, at("12:00")))
    assert rooms["main"] not in found(free(db, at("12:15"), 30))
    assert rooms["main"] in found(free(db, at("12:30")))
    assert rooms["main"] not in found(free(db, at("09:00"), 60))  # 09:00-10:00, then its buffer to 10:30
    assert rooms["main"] in found(free(db, at("08:30"), 60))  # 08:30-09:30, buffer to 10:00


def test_requests_hold_until_they_expire_and_ended_bookings_free_the_time(
    db: RolledBack, rooms: dict[str, int]
) -> None:
    """A request still held blocks; one past its hold, and cancelled or declined bookings, do not."""
    book(
        db,
        rooms["small"],
        at("10:00"),
        60,
        status="requested",
        hold_until=datetime.now(UTC) + timedelta(hours=72),
    )
    book(
        db,
        rooms["studio"],
        at("10:00"),
        60,
        status="requested",
        hold_until=datetime.now(UTC) - timedelta(hours=1),
    )
    book(db, rooms["main"], at("10:00"), 60, status="cancelled")
    book(db, rooms["main"], at("10:00"), 60, status="declined")
    got = found(free(db, at("10:00")))
    assert rooms["small"] not in got and rooms["studio"] in got and rooms["main"] in got


def test_a_closure_is_honoured(db: RolledBack, rooms: dict[str, int]) -> None:
    """A resource shut on a date is not free that date, and is free a week later."""
    db.execute(
        "INSERT INTO resource_closures (resource_id, dates, reason) VALUES (%s, daterange(%s, %s), 'refit')",
        [rooms["studio"], DAY, DAY + timedelta(days=1)],
    )
    assert rooms["studio"] not in found(free(db, at("10:00")))
    assert rooms["studio"] in found(free(db, at("10:00", DAY + timedelta(days=7))))


def test_outside_weekly_hours_is_not_free(db: RolledBack, rooms: dict[str, int]) -> None:
    """The small room is open Mo-Fr 09:00-17:00: not on Saturday, not before nine, not past five."""
    saturday = DAY + timedelta(days=4)
    assert rooms["small"] not in found(free(db, at("10:00", saturday)))
    assert rooms["main"] in found(free(db, at("10:00", saturday)))
    assert rooms["small"] not in found(free(db, at("08:30")))
    assert rooms["small"] not in found(free(db, at("16:30"), 60))
    assert rooms["small"] in found(free(db, at("16:00"), 60))


def test_past_midnight_is_never_free(db: RolledBack, rooms: dict[str, int]) -> None:
    """A window that runs past local midnight finds nothing, and the answer says why."""
    body = free(db, at("21:30"), 180)
    assert body["results"] == [] and any("midnight" in n for n in body["notes"])


def test_notice_and_horizon(db: RolledBack, rooms: dict[str, int]) -> None:
    """Within a resource's least notice (a day by default) or beyond its horizon it is not free."""
    soon = datetime.now(LONDON).replace(second=0, microsecond=0) + timedelta(hours=2)
    assert found(free(db, soon.astimezone(UTC).isoformat())) == set()
    far = DAY + timedelta(days=70)  # beyond the studio's 60 days, inside the others' 180
    got = found(free(db, at("10:00", far)))
    assert rooms["studio"] not in got and rooms["main"] in got


def test_capacity_and_max_price(db: RolledBack, rooms: dict[str, int]) -> None:
    """capacity keeps places holding that many people; max_price those costing at most that an hour."""
    assert found(free(db, at("10:00"), capacity=20)) == {rooms["main"], rooms["studio"]}
    assert found(free(db, at("10:00"), capacity=31)) == {rooms["main"]}
    assert found(free(db, at("10:00"), max_price=10)) == {rooms["small"], rooms["studio"]}
    assert found(free(db, at("10:00"), max_price=0)) == {rooms["studio"]}
    body = free(db, at("10:00"), capacity=20, max_price=30)
    assert (body["filters"]["capacity"], body["filters"]["max_price"]) == (20, 30.0)


def test_q_step_free_and_kinds(db: RolledBack, rooms: dict[str, int]) -> None:
    """q matches a room's words or its hub's; step_free uses the room's own answer first; kinds narrows."""
    assert found(free(db, at("10:00"), q="stage")) == {rooms["main"]}
    assert found(free(db, at("10:00"), q="kitchen")) == {rooms["main"], rooms["small"]}  # the hub's words
    assert found(free(db, at("10:00"), step_free="true")) == {rooms["main"], rooms["studio"]}
    assert found(free(db, at("10:00"), kinds="space")) == {rooms["studio"]}
    assert found(free(db, at("10:00"), kinds="room")) == {rooms["main"], rooms["small"]}


def test_an_offset_and_local_time_are_the_same_moment(db: RolledBack, rooms: dict[str, int]) -> None:
    """free_from with an offset means that moment; without one, Europe/London local time."""
    book(db, rooms["main"], at("10:00"), 60)
    aware = at("10:00").astimezone(UTC).isoformat()
    assert found(free(db, aware)) == found(free(db, at("10:00"))) == {rooms["small"], rooms["studio"]}


def test_geojson(db: RolledBack, rooms: dict[str, int]) -> None:
    """f=geojson gives the free rooms as Features (id room/12), checked against the documented schema."""
    response = db.get("/search/nearby", params={"lon": SWANTON[0], "lat": SWANTON[1], "f": "geojson",
                                               "free_from": at("10:00").strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    body = ok_body(response, NearbyFeatureCollection, "application/geo+json")
    assert body["features"][0]["id"] == f"room/{rooms['main_room']}"
    assert body["features"][0]["properties"]["book_url"] == f"/book/room/{rooms['main_room']}"


def test_sample_resources_say_so(db: RolledBack, rooms: dict[str, int]) -> None:
    """A made-up resource (or a room of one) is marked sample."""
    db.execute("UPDATE resources SET sample = true WHERE id = %s", [rooms["small"]])
    results = {r["resource_id"]: r["sample"] for r in free(db, at("10:00"))["results"]}
    assert results == {rooms["main"]: False, rooms["small"]: True, rooms["studio"]: False}


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"free_from": f"{SPRING.isoformat()}T01:30"}, "does not exist"),  # the clocks go forward
        ({"free_from": f"{AUTUMN.isoformat()}T01:30"}, "happens twice"),  # the clocks go back
        ({"free_from": "2020-01-07T10:00"}, "too far"),
        ({"free_from": YESTERDAY.isoformat()}, "past"),
        ({"free_from": "9999-12-31T23:59:59+23:59"}, "too far"),
        ({"free_from": "tomorrow"}, "free_from"),
        ({"free_from": DAY.isoformat() + "T10:00", "free_for_minutes": 0}, "free_for_minutes"),
        ({"free_from": DAY.isoformat() + "T10:00", "free_for_minutes": 1441}, "free_for_minutes"),
        ({"free_from": DAY.isoformat() + "T10:00", "capacity": 0}, "capacity"),
        ({"free_from": DAY.isoformat() + "T10:00", "max_price": -1}, "max_price"),
        ({"free_from": DAY.isoformat() + "T10:00", "max_price": "nan"}, "max_price"),
        ({"free_from": DAY.isoformat() + "T10:00", "category": "food"}, "category"),
        ({"free_from": DAY.isoformat() + "T10:00", "cost": "free", "open_at": "mo 10:00"}, "max_price"),
        ({"free_from": DAY.isoformat() + "T10:00", "kinds": "group"}, "room and space"),
        ({"capacity": 10}, "need free_from"),
        ({"max_price": 10}, "need free_from"),
    ],
)
def test_bad_input_is_a_clear_422(db: RolledBack, params: dict[str, Any], words: str) -> None:
    """Each mistake gets a 422 that says what was wrong; nothing is searched."""
    response = db.get("/search/nearby", params={"lon": SWANTON[0], "lat": SWANTON[1], **params})
    body = error_body(response, 422)
    assert words.lower() in (body["error"] + " " + str(body["detail"])).lower(), body


def test_the_plain_search_marks_what_can_be_booked(db: RolledBack, rooms: dict[str, int]) -> None:
    """Without free_from: a hub says how many of its rooms can be booked, a bookable space links its page."""
    lon, lat = SWANTON
    r = db.get("/search/nearby", params={"lon": lon, "lat": lat, "radius_m": 1000, "limit": 50})
    found = {(x["kind"], x["id"]): x for x in ok_body(r, NearbyPage)["results"]}
    hall = found[("hub", rooms["hall"])]
    assert hall["rooms_to_book"] == 2 and hall["book_url"] is None  # the store room is not bookable
    studio = found[("space", rooms["studio_space"])]
    assert studio["book_url"] == f"/book/space/{rooms['studio_space']}" and studio["rooms_to_book"] is None

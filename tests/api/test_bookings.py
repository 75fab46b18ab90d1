"""The booking API over HTTP: rooms and availability, POST /bookings (JSON and form posts), the booker's view
and cancel, the managers' list, confirm and decline, idempotency, the rate limit and concurrent bookings.

A database of this module's own (as tests/api/test_moderation.py explains): the app commits, so rows made here
would change what other modules count. Each test makes its own hub, room or space and removes it after.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.booking_schemas import Availability, BookerView, BookingReceipt, ManagedBooking, ResourceSummary
from api.main import create_app
from api.schemas import HubPublic
from layers.access import auth
from layers.db import make_engine
from layers.settings import BookingSettings, Settings, SubmissionSettings
from tests.api_checks import error_body, no_undeclared_keys, ok_body
from tests.layers.booking.places import BRECKLAND, NORWICH, Place, close, make_room, make_space, remove
from tests.live_app import demo_database, served

DAY = (date.today() + timedelta(days=14)).isoformat()
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def own_settings(server_url: str) -> Iterator[Settings]:
    """Settings on this module's own database; the booking limit high (one test lowers it on its own app)."""
    parts = {
        "submissions": SubmissionSettings(submission_secret="a booking test secret"),
        "booking": BookingSettings(booking_limit=1000, public_url="https://patchmap.example"),
    }
    with demo_database(server_url, prefix="patchmap_bookings", **parts) as s:
        yield s


@pytest.fixture(scope="module")
def own_engine(own_settings: Settings) -> Iterator[Engine]:
    """An engine on this module's database."""
    e = make_engine(own_settings.database)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def api(own_settings: Settings) -> Iterator[TestClient]:
    """A client on the app, on this module's database."""
    with TestClient(create_app(own_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def people(own_engine: Engine) -> dict[str, dict[str, str]]:
    """Bearer headers of the co-ordinators of Norwich and of Breckland."""
    out: dict[str, dict[str, str]] = {}
    for who, district in [("norwich", NORWICH), ("breckland", BRECKLAND)]:
        email = f"{who}-{uuid.uuid4().hex[:8]}@example.gov.uk"
        with own_engine.begin() as conn:
            auth.create_user(
                conn, email=email, name=who, role="coordinator", password=PASSWORD, districts=[district]
            )
            out[who] = {"Authorization": f"Bearer {auth.create_token(conn, email)}"}
    return out


@pytest.fixture
def room(own_engine: Engine) -> Iterator[Place]:
    """A committed, instantly bookable room open all week; removed after the test."""
    with own_engine.begin() as conn:
        place = make_room(conn, lead=60, manager_email="hall.manager@example.org")
    yield place
    with own_engine.begin() as conn:
        remove(conn, place)


@pytest.fixture
def request_room(own_engine: Engine) -> Iterator[Place]:
    """A committed room booked on request (the district's co-ordinators answer)."""
    with own_engine.begin() as conn:
        place = make_room(conn, approval="request")
    yield place
    with own_engine.begin() as conn:
        remove(conn, place)


def payload(place: Place, **fields: Any) -> dict[str, Any]:
    """A booking of the place, two weeks ahead at 18:00 for two hours unless told."""
    base = {"kind": place.kind, "id": place.record_id, "date": DAY, "time": "18:00", "minutes": 120,
            "name": "Sam Booker", "email": "sam.booker@example.org", "purpose": "Choir practice",
            "attendees": 12, "consent": True}  # fmt: skip
    return {k: v for k, v in (base | fields).items() if v is not None}


def created(response: Any) -> dict[str, Any]:
    """A 201 booking receipt, checked against its model."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    no_undeclared_keys(body, BookingReceipt.model_validate(body).model_dump(mode="json"))
    return body


def bookings_of(engine: Engine, place: Place) -> int:
    """How many bookings the place has."""
    with engine.connect() as conn:
        query = "SELECT count(*) FROM bookings WHERE resource_id = %(r)s"
        return int(conn.exec_driver_sql(query, {"r": place.resource_id}).scalar_one())


def test_a_room_its_hub_and_availability(api: TestClient, room: Place, own_engine: Engine) -> None:
    body = ok_body(api.get(f"/rooms/{room.record_id}"), ResourceSummary)
    assert body["booking"]["approval"] == "instant" and "manager_email" not in str(body)
    assert "hall.manager" not in api.get(f"/rooms/{room.record_id}").text
    hub = ok_body(api.get(f"/hubs/{room.hub_id}"), HubPublic)
    assert [(r["id"], r["resource_id"], r["bookable"]) for r in hub["rooms"]] == [
        (room.record_id, room.resource_id, True)
    ]
    week = ok_body(api.get(f"/rooms/{room.record_id}/availability"), Availability)
    assert (date.fromisoformat(week["to"]) - date.fromisoformat(week["from"])).days == 6
    created(api.post("/bookings", json=payload(room, name="Hidden Name")))
    day = ok_body(
        api.get(f"/rooms/{room.record_id}/availability", params={"from": DAY, "to": DAY}), Availability
    )
    assert [(b["start"][11:16], b["end"][11:16]) for b in day["busy"]] == [("18:00", "20:00")]
    assert "Hidden" not in str(day) and "sam.booker" not in str(day)
    error_body(
        api.get(f"/rooms/{room.record_id}/availability", params={"from": DAY, "to": "2099-01-01"}), 422
    )
    error_body(api.get("/rooms/2000000000/availability"), 404)
    error_body(api.get("/rooms/2000000000"), 404)


def test_a_space_that_is_let_is_not_bookable(api: TestClient, own_engine: Engine) -> None:
    with own_engine.begin() as conn:
        space = make_space(conn, status="let")
    try:
        error_body(api.get(f"/spaces/{space.record_id}/availability"), 422)
        assert "is let" in error_body(api.post("/bookings", json=payload(space)), 422)["error"]
    finally:
        with own_engine.begin() as conn:
            remove(conn, space)


def test_book_view_and_cancel_in_json(api: TestClient, room: Place) -> None:
    made = created(api.post("/bookings", json=payload(room, repeat_weeks=2)))
    assert made["status"] == "confirmed" and len(made["slots"]) == 2 and made["price_total"] == 48.0
    assert made["manage_url"].startswith(f"https://patchmap.example/book/manage/{made['reference']}?token=")
    view = ok_body(api.get(f"/bookings/{made['reference']}", params={"token": made["token"]}), BookerView)
    assert view["contact"] == {"name": "Sam Booker", "email": "s***@example.org", "phone": None}
    error_body(api.get(f"/bookings/{made['reference']}", params={"token": "wrong"}), 404)
    one = api.post(f"/bookings/{made['reference']}/cancel", json={"token": made["token"], "date": DAY})
    assert [s["status"] for s in ok_body(one, BookerView)["slots"]] == ["cancelled", "confirmed"]
    error_body(api.post(f"/bookings/{made['reference']}/cancel", json={"token": "wrong"}), 404)
    ok_body(api.post(f"/bookings/{made['reference']}/cancel", json={"token": made["token"]}), BookerView)
    error_body(api.post(f"/bookings/{made['reference']}/cancel", json={"token": made["token"]}), 409)


def test_a_form_post_is_sent_to_the_manage_page_or_shown_its_problem(api: TestClient, room: Place) -> None:
    html = {"Accept": "text/html"}
    form = {k: str(v) for k, v in payload(room, consent="on").items()}
    done = api.post("/bookings", data=form, headers=html, follow_redirects=False)
    assert done.status_code == 303, done.text
    location = done.headers["location"]
    assert location.startswith("/book/manage/BK-") and "?token=" in location
    reference, token = location.split("/")[-1].split("?token=")
    cancelled = api.post(
        f"/bookings/{reference}/cancel", data={"token": token}, headers=html, follow_redirects=False
    )
    assert cancelled.status_code == 303 and cancelled.headers["location"] == location, cancelled.text
    bad = api.post("/bookings", data={**form, "time": "18:10"}, headers=html, follow_redirects=False)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    assert "not a start time" in bad.text and "content-security-policy" in bad.headers


@pytest.mark.parametrize(
    ("change", "status", "said"),
    [
        ({"start": f"{DAY}T18:00:00", "date": None, "time": None}, 422, "offset"),
        ({"time": "17:00", "minutes": None, "end_time": "16:00"}, 422, "end after it starts"),
        ({"minutes": 0}, 422, "end after it starts"),
        ({"time": "18:10"}, 422, "not a start time"),
        ({"date": "2020-01-07"}, 422, "in the past"),
        ({"date": "2027-03-28", "time": "01:30"}, 422, "does not exist"),
        ({"date": "2027-10-31", "time": "01:30"}, 422, "happens twice"),
        ({"repeat_weeks": 53}, 422, "at most 52"),
        ({"attendees": 31}, 422, "more than"),
        ({"id": 2_000_000_000}, 404, "No room"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_nothing_is_stored(
    api: TestClient, room: Place, own_engine: Engine, change: dict[str, Any], status: int, said: str
) -> None:
    body = error_body(
        api.post(
            "/bookings", json={**payload(room), **change} | {k: None for k, v in change.items() if v is None}
        ),
        status,
    )
    assert said in f"{body['error']} {body['detail']}"
    assert bookings_of(own_engine, room) == 0


def test_a_clash_is_409_naming_the_time_and_never_the_booker(
    api: TestClient, room: Place, own_engine: Engine
) -> None:
    created(api.post("/bookings", json=payload(room, name="First Booker")))
    body = error_body(api.post("/bookings", json=payload(room, time="19:00", name="Second")), 409)
    assert "19:00-21:00 overlaps a booking" in body["detail"] and "18:00-20:00" in body["detail"]
    assert "First" not in str(body) and "sam.booker" not in str(body)
    assert bookings_of(own_engine, room) == 1


def test_the_same_idempotency_key_gives_the_same_booking(
    api: TestClient, room: Place, own_engine: Engine
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = created(api.post("/bookings", json=payload(room), headers=key))
    again = created(api.post("/bookings", json=payload(room), headers=key))
    assert again["reference"] == first["reference"] and again["slots"] == first["slots"]
    assert again["token"] is None and first["token"]
    assert bookings_of(own_engine, room) == 1
    error_body(api.post("/bookings", json=payload(room, time="10:00"), headers=key), 422)
    assert bookings_of(own_engine, room) == 1


def test_the_rate_limit_is_429_with_retry_after(
    own_settings: Settings, room: Place, own_engine: Engine
) -> None:
    limited = own_settings.model_copy(update={"booking": BookingSettings(booking_limit=2)})
    with TestClient(create_app(limited), client=("192.0.2.77", 50000)) as c:
        created(c.post("/bookings", json=payload(room, time="10:00")))
        created(c.post("/bookings", json=payload(room, time="12:00")))
        refused = c.post("/bookings", json=payload(room, time="14:00"))
    error_body(refused, 429)
    assert int(refused.headers["retry-after"]) > 0
    assert bookings_of(own_engine, room) == 2


def test_concurrent_bookings_of_one_slot_give_exactly_one_booking(
    own_settings: Settings, room: Place, own_engine: Engine
) -> None:
    """Eight clients (each its own loopback address, so no rate-limit lock orders them) book one slot at once."""
    n = 8
    start = threading.Barrier(n)
    statuses: list[int] = []
    with served(own_settings) as url:

        def attempt(i: int) -> None:
            transport = httpx.HTTPTransport(local_address=f"127.0.0.{i + 2}")
            with httpx.Client(transport=transport, timeout=60) as c:
                start.wait()
                statuses.append(c.post(url + "/bookings", json=payload(room, name=f"Racer {i}")).status_code)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(statuses) == [201] + [409] * (n - 1)
    assert bookings_of(own_engine, room) == 1


def test_managers_confirm_and_decline_in_their_districts(
    api: TestClient, request_room: Place, people: dict[str, dict[str, str]], own_engine: Engine
) -> None:
    first = created(api.post("/bookings", json=payload(request_room)))
    second = created(api.post("/bookings", json=payload(request_room, time="10:00")))
    assert first["status"] == "requested"
    error_body(api.get("/bookings"), 401)
    listed = ok_body(
        api.get("/bookings", headers=people["norwich"], params={"status": "requested"}), list[ManagedBooking]
    )
    mine = {b["reference"]: b for b in listed}
    assert mine[first["reference"]]["contact"]["email"] == "sam.booker@example.org"
    assert ok_body(api.get("/bookings", headers=people["breckland"]), list[ManagedBooking]) == []
    error_body(api.post(f"/bookings/{first['reference']}/confirm", headers=people["breckland"]), 404)
    done = ok_body(
        api.post(f"/bookings/{first['reference']}/confirm", headers=people["norwich"]), ManagedBooking
    )
    assert done["status"] == "confirmed"
    error_body(api.post(f"/bookings/{first['reference']}/confirm", headers=people["norwich"]), 409)
    error_body(api.post(f"/bookings/{second['reference']}/decline", headers=people["norwich"], json={}), 422)
    no = api.post(
        f"/bookings/{second['reference']}/decline",
        headers=people["norwich"],
        json={"reason": "Closed for painting."},
    )
    assert ok_body(no, ManagedBooking)["status"] == "declined"
    view = ok_body(api.get(f"/bookings/{second['reference']}", params={"token": second["token"]}), BookerView)
    assert view["decision_reason"] == "Closed for painting." and "contact" in view


def test_a_closed_date_shows_in_availability(api: TestClient, room: Place, own_engine: Engine) -> None:
    with own_engine.begin() as conn:
        close(
            conn,
            room.resource_id,
            date.fromisoformat(DAY),
            date.fromisoformat(DAY) + timedelta(days=1),
            "Polling day",
        )
    day = ok_body(
        api.get(f"/rooms/{room.record_id}/availability", params={"from": DAY, "to": DAY}), Availability
    )
    assert day["free"] == [] and day["closed"] == [{"date": DAY, "reason": "Polling day"}]
    assert "Polling day" in error_body(api.post("/bookings", json=payload(room)), 422)["detail"]

"""The OpenActive feeds (/openactive/facility-uses, /openactive/slots): RPDE paging, what the items say, that
booked times are taken, that nothing private is published, and that the OpenActive validators from npm
(@openactive/rpde-validator over each feed, @openactive/data-model-validator over each item) find no error.

The app runs on a local port over a database of this module's own: the demo, less its own bookable rooms and
bookings, plus the few made here, so the feeds hold exactly what the tests expect (and stay a few pages).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Connection, Engine, text

from layers.booking.openactive import SETTLE_MS
from layers.db import make_engine
from layers.settings import BookingSettings
from tests.live_app import demo_database, served
from tests.waiting import until

LONDON = ZoneInfo("Europe/London")
ROOT = Path(__file__).resolve().parents[2]
VALIDATE = ROOT / "tests" / "openactive" / "validate.js"
PUBLIC = "https://patchmap.example.org"
SECRETS = (
    "manager.secret@example.org",
    "hub.private@example.org",
    "Zed Private",
    "zed.private@example.org",
    "07700 900123",
    "Choir practice (private purpose)",
    "BK-OATEST01",
    "BK-OATEST02",
)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LONDON)


def _book(
    conn: Connection,
    resource: int,
    ref: str,
    status: str,
    start: datetime,
    hours: int,
    *,
    hold: datetime | None,
) -> int:
    """A booking with one slot and its booker's contact (private), as layers.booking would write it."""
    booking = conn.execute(
        text(
            "INSERT INTO bookings (reference, resource_id, status, purpose, attendees, price_total, token_digest, "
            "token_expires_at, hold_expires_at, client_key) VALUES (CAST(:ref AS text), :r, :status, "
            "'Choir practice (private purpose)', 10, 0, md5(CAST(:ref AS text)) || md5(CAST(:ref AS text)), now() + interval '60 days', "
            ":hold, 'test') RETURNING id"
        ),
        {"ref": ref, "r": resource, "status": status, "hold": hold},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO booking_contacts (booking_id, name, email, phone, consent) "
            "VALUES (:b, 'Zed Private', 'zed.private@example.org', '07700 900123', 'yes')"
        ),
        {"b": booking},
    )
    end = start + timedelta(hours=hours)
    conn.execute(
        text(
            "INSERT INTO booking_slots (booking_id, resource_id, during, held, status) SELECT :b, :r, "
            "tstzrange(:s, :e), tstzrange(:s, :e + make_interval(mins => buffer_minutes)), :status "
            "FROM resources WHERE id = :r"
        ),
        {"b": booking, "r": resource, "s": start, "e": end, "status": status},
    )
    return int(booking)


def _setup(conn: Connection, made: dict[str, int]) -> None:
    """Only this module's rooms and spaces are bookable: three live, one withdrawn; four bookings."""
    for table in ("booking_slots", "booking_contacts", "bookings", "resource_closures", "resources"):
        conn.execute(text(f"DELETE FROM {table}"))  # fixed names, not input
    hubs = (
        conn.execute(text("SELECT id FROM hubs WHERE address IS NOT NULL ORDER BY id LIMIT 2"))
        .scalars()
        .all()
    )
    conn.execute(
        text(
            "UPDATE hubs SET operator_name = 'Eaton Community Trust', "
            'private_contact = \'{"email": "hub.private@example.org"}\' WHERE id = :h'
        ),
        {"h": hubs[0]},
    )
    rooms = {}
    for key, hub, name, step_free in (
        ("hall", hubs[0], "Main hall", True),
        ("kitchen", hubs[1], "Kitchen", False),
        ("withdrawn", hubs[1], "Old store room", None),
    ):
        rooms[key] = conn.execute(
            text(
                "INSERT INTO rooms (hub_id, name, capacity, step_free, sample) VALUES (:h, :n, 40, :s, true) "
                "RETURNING id"
            ),
            {"h": hub, "n": name, "s": step_free},
        ).scalar_one()
    space = conn.execute(
        text("SELECT id FROM spaces WHERE status = 'available' ORDER BY id LIMIT 1")
    ).scalar_one()
    insert = text(
        "INSERT INTO resources (room_id, space_id, bookable, rate_band, price_per_hour, weekly_hours, "
        "slot_minutes, min_minutes, lead_minutes, buffer_minutes, approval, manager_email, sample) "
        "VALUES (:room, :space, :bookable, :band, :price, 'Mo-Su 08:00-22:00', 30, 60, 60, :buffer, 'request', "
        "'manager.secret@example.org', true) RETURNING id"
    )
    ids = {}
    for key, room, space_id, bookable, band, price, buffer in (
        ("hall", rooms["hall"], None, True, "low-cost", 12.5, 30),
        ("kitchen", rooms["kitchen"], None, True, "free", 0, 0),
        ("space", None, space, True, "market", 30, 0),
        ("withdrawn", rooms["withdrawn"], None, False, "low-cost", 5, 0),
    ):
        ids[key] = conn.execute(
            insert,
            {
                "room": room,
                "space": space_id,
                "bookable": bookable,
                "band": band,
                "price": price,
                "buffer": buffer,
            },
        ).scalar_one()
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    later = datetime.now(UTC) + timedelta(hours=48)
    _book(conn, ids["hall"], "BK-OATEST01", "confirmed", _at(tomorrow, 10), 2, hold=None)
    _book(conn, ids["kitchen"], "BK-OATEST02", "requested", _at(tomorrow, 14), 1, hold=later)
    lapsed = datetime.now(UTC) - timedelta(minutes=5)
    _book(conn, ids["kitchen"], "BK-OATEST03", "requested", _at(tomorrow, 16), 1, hold=lapsed)
    _book(conn, ids["space"], "BK-OATEST04", "cancelled", _at(tomorrow, 9), 1, hold=None)
    made.update(ids, space_id=space, hub=hubs[0], day=tomorrow.toordinal())


@pytest.fixture(scope="module")
def live(server_url: str) -> Iterator[dict[str, Any]]:
    """The app served on a local port over this module's database; its URL and the ids made."""
    booking = BookingSettings(public_url=PUBLIC)
    ids: dict[str, int] = {}
    setup = partial(_setup, made=ids)
    with demo_database(server_url, prefix="patchmap_openactive", setup=setup, booking=booking) as settings:
        engine = make_engine(settings.database)
        with served(settings) as url:
            # a change shows once it is a few seconds old (layers.booking.openactive.SETTLE_MS)
            until(lambda: len(_items(f"{url}/openactive/facility-uses")) == 4, "the rooms made to show")
            # the app's expiry round lets the lapsed request go (a change of its own); wait until it has,
            # and until every change is old enough to show, so the feeds hold all of them
            until(lambda: _settled(engine), "the lapsed request to expire and every change to settle")
            yield {"url": url, "ids": ids, "engine": engine}
        engine.dispose()


def _settled(engine: Engine) -> bool:
    """No request is past its hold unexpired, and nothing changed within the feeds' settling time."""
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT NOT EXISTS (SELECT 1 FROM bookings WHERE status = 'requested' "
                    "AND hold_expires_at < now()) AND (SELECT max(updated_at) FROM bookings) "
                    "< now() - make_interval(secs => :settle / 1000.0)"
                ),
                {"settle": SETTLE_MS},
            ).scalar_one()
        )


def _pages(url: str) -> list[dict[str, Any]]:
    """Every page of a feed, first to last (the page whose next is itself)."""
    pages, page_url = [], url
    for _ in range(50):
        answer = httpx.get(page_url, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        page = answer.json()
        pages.append(page)
        if page["next"] == page_url:
            assert page["items"] == []
            return pages
        page_url = page["next"]
    raise AssertionError(f"{url} did not reach its last page")


def _items(url: str) -> list[dict[str, Any]]:
    return [item for page in _pages(url) for item in page["items"]]


def test_the_openactive_validators_find_no_errors(live: dict[str, Any]) -> None:
    """rpde-validator walks both feeds and data-model-validator checks every item: no failure at all."""
    node = shutil.which("node")
    assert node, "the OpenActive tests need Node.js (make test installs the validators with npm)"
    assert (ROOT / "node_modules" / "@openactive" / "rpde-validator").is_dir(), "run `make npm-deps` first"
    feeds = [f"{live['url']}/openactive/facility-uses", f"{live['url']}/openactive/slots"]
    run = subprocess.run(
        [node, str(VALIDATE), *feeds], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)["feeds"]
    failures = [
        problem
        for feed in report.values()
        for problem in (*feed["rpde"], *feed["data"])
        if problem["severity"] == "failure"
    ]
    assert failures == []
    assert report[feeds[0]]["items"] == 4 and report[feeds[0]]["deleted"] == 1
    assert report[feeds[1]]["items"] > 500  # more than one page: the validator walked the paging
    # What the validators still recommend (warnings, suggestions) is printed for the record.
    kinds = sorted(
        {
            (p["severity"], p["type"], p.get("path") or "")
            for f in report.values()
            for p in f["rpde"] + f["data"]
        }
    )
    print("\n".join(" ".join(k) for k in kinds))


def test_facility_uses_say_what_where_and_what_it_costs(live: dict[str, Any]) -> None:
    """One item per resource: live ones with their data (sample labelled), the withdrawn one deleted."""
    items = {item["id"]: item for item in _items(f"{live['url']}/openactive/facility-uses")}
    ids = live["ids"]
    assert set(items) == {ids["hall"], ids["kitchen"], ids["space"], ids["withdrawn"]}
    withdrawn = items[ids["withdrawn"]]
    assert withdrawn["state"] == "deleted" and "data" not in withdrawn
    hall = items[ids["hall"]]["data"]
    assert hall["@type"] == "FacilityUse" and hall["name"].startswith("Main hall at ")
    assert hall["name"].endswith("(sample)") and "Sample" in hall["description"]
    assert hall["url"].startswith(f"{PUBLIC}/book/room/")
    assert hall["provider"] == {"@type": "Organization", "name": "Eaton Community Trust"}
    assert hall["offers"][0]["price"] == 12.5 and hall["offers"][0]["priceCurrency"] == "GBP"
    assert hall["accessibilityInformation"] == "Step-free access."
    assert hall["location"]["geo"]["latitude"] > 50
    assert hall["facilityType"][0]["prefLabel"] == "Function Room"
    kitchen = items[ids["kitchen"]]["data"]
    assert kitchen["facilityType"][0]["prefLabel"] == "Kitchen" and kitchen["offers"][0]["price"] == 0
    assert kitchen["provider"]["name"] == "Patchmap" and "accessibilityInformation" not in kitchen
    space = items[ids["space"]]["data"]
    assert space["url"] == f"{PUBLIC}/book/space/{ids['space_id']}"


def test_slots_show_booked_and_held_times_as_taken(live: dict[str, Any]) -> None:
    """A confirmed booking (with the turnaround buffer) and a held request take their slots; a lapsed
    request and a cancelled booking do not."""
    items = _items(f"{live['url']}/openactive/slots")
    day = date.fromordinal(live["ids"]["day"])
    remaining = {
        (item["data"]["facilityUse"].rsplit("/", 1)[1], item["data"]["startDate"]): item["data"][
            "remainingUses"
        ]
        for item in items
        if item["state"] == "updated"
    }

    def left(key: str, hour: int) -> int:
        return remaining[(str(live["ids"][key]), _at(day, hour).isoformat())]

    # the hall: booked 10:00-12:00 with 30 minutes' turnaround after: 09:00 (would run into it) to 12:00 taken
    assert [left("hall", h) for h in range(8, 15)] == [1, 0, 0, 0, 0, 1, 1]
    assert left("kitchen", 14) == 0 and left("kitchen", 15) == 1  # a request holds its time
    assert left("kitchen", 16) == 1  # a request whose hold lapsed frees it
    assert left("space", 9) == 1  # cancelled
    slot = next(item["data"] for item in items if item["state"] == "updated")
    assert slot["duration"] == "PT1H" and slot["maximumUses"] == 1
    assert all(item["kind"] == "Slot" for item in items)
    # the withdrawn room's slots that were in view when it was withdrawn are deleted items, without data
    withdrawn = [item for item in items if item["id"].startswith(f"{live['ids']['withdrawn']}-")]
    assert withdrawn and all(item["state"] == "deleted" and "data" not in item for item in withdrawn)


def test_paging_is_ordered_and_a_change_comes_after_what_was_read(live: dict[str, Any]) -> None:
    """Items in (modified, id) order with no repeats; a change moves its items after the reader's place."""
    url = f"{live['url']}/openactive/slots"
    pages = _pages(url)
    items = [item for page in pages for item in page["items"]]
    keys = [(item["modified"], item["id"]) for item in items]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) and len(pages) >= 3
    assert pages[-1]["next"] == pages[-2]["next"]  # the last page points at itself
    place = pages[-1]["next"]
    assert httpx.get(place).headers["cache-control"] == "public, max-age=8"
    with live["engine"].begin() as conn:  # the booker cancels: the hall's slots around it are free again
        conn.execute(
            text(
                "UPDATE booking_slots SET status = 'cancelled' WHERE booking_id = "
                "(SELECT id FROM bookings WHERE reference = 'BK-OATEST01')"
            )
        )
        conn.execute(
            text(
                "UPDATE bookings SET status = 'cancelled', updated_at = now() WHERE reference = 'BK-OATEST01'"
            )
        )
    try:
        day = date.fromordinal(live["ids"]["day"])
        freed = {_at(day, h).isoformat() for h in (9, 10, 11, 12)}
        news = until(lambda: _items(place), "the change to show after the reader's place")
        hall = f"/openactive/facility-uses/{live['ids']['hall']}"
        changed = {
            item["data"]["startDate"]: item["data"]["remainingUses"]
            for item in news
            if item["data"]["facilityUse"].endswith(hall)
        }
        assert set(changed) == freed  # only the slots the booking touched, each free again
        assert all(left == 1 for left in changed.values())
        assert all((item["modified"], item["id"]) > (items[-1]["modified"], items[-1]["id"]) for item in news)
    finally:
        with live["engine"].begin() as conn:
            conn.execute(
                text(
                    "UPDATE booking_slots SET status = 'confirmed' WHERE booking_id = "
                    "(SELECT id FROM bookings WHERE reference = 'BK-OATEST01')"
                )
            )
            conn.execute(
                text(
                    "UPDATE bookings SET status = 'confirmed', updated_at = now() "
                    "WHERE reference = 'BK-OATEST01'"
                )
            )


def test_the_feeds_publish_nothing_private(live: dict[str, Any]) -> None:
    """No booker's contact, purpose or reference, no manager's email, no private contact, anywhere."""
    for feed in ("facility-uses", "slots"):
        url = f"{live['url']}/openactive/{feed}"
        body = "".join(json.dumps(page) for page in _pages(url))
        for secret in SECRETS:
            assert secret not in body, (feed, secret)


@pytest.mark.parametrize(
    "query",
    [
        "afterTimestamp=1700000000000",
        "afterId=12",
        "afterTimestamp=soon&afterId=1",
        "afterTimestamp=-1&afterId=1",
    ],
)
@pytest.mark.parametrize("feed", ["facility-uses", "slots"])
def test_a_bad_place_in_the_feed_is_refused(live: dict[str, Any], feed: str, query: str) -> None:
    """afterTimestamp and afterId come together, as numbers where numbers are meant: else a clear 422."""
    answer = httpx.get(f"{live['url']}/openactive/{feed}?{query}")
    assert answer.status_code == 422
    assert set(answer.json()) == {"error", "detail"}

"""The residents' map's "Find a free room" in headless Chromium: the form, bookable markers, Book and the price.

The app runs on a free local port against a database of this module's own (the demo, with its sample rooms,
plus one room and a booking added here; dropped at the end). Nothing may leave the machine; axe checks each
state; screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from playwright.sync_api import Browser, Locator, Page

from layers.settings import Settings
from tests.clock import next_year_clock_changes
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import PHONE, POSTCODE, axe, open_page, search, wait_for, wait_for_details

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
ROOM = "Free-room test hall"


def tuesday() -> date:
    """A Tuesday 21 to 27 days from today."""
    day = datetime.now(LONDON).date() + timedelta(days=21)
    return day + timedelta(days=(1 - day.weekday()) % 7)


DAY = tuesday()


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database with the demo, dropped at the end."""
    with demo_database(server_url, "patchmap_free_rooms") as s:
        yield s


@pytest.fixture(scope="module")
def room(app_settings: Settings) -> dict[str, int]:
    """A hub 100 m from NR2 1AW with one room to book (£25 an hour, 40 people, instant), booked 14:00-16:00
    on DAY; and the room's ids."""
    with psycopg.connect(app_settings.database.url, autocommit=True) as conn:
        hub = conn.execute(
            "INSERT INTO hubs (name, kind, geom, step_free) VALUES ('Test hub for rooms', 'community_centre',"
            " ST_SetSRID(ST_MakePoint(1.2920, 52.6290), 4326), true) RETURNING id"
        ).fetchone()
        assert hub is not None
        room = conn.execute(
            "INSERT INTO rooms (hub_id, name, capacity) VALUES (%s, %s, 40) RETURNING id", [hub[0], ROOM]
        ).fetchone()
        assert room is not None
        resource = conn.execute(
            "INSERT INTO resources (room_id, rate_band, price_per_hour, weekly_hours, approval)"
            " VALUES (%s, 'market', 25, 'Mo-Su 08:00-22:00', 'instant') RETURNING id",
            [room[0]],
        ).fetchone()
        assert resource is not None
        token = uuid.uuid4().hex * 2
        booking = conn.execute(
            "INSERT INTO bookings (reference, resource_id, status, purpose, attendees, price_total, token_digest,"
            " token_expires_at, client_key) VALUES (%s, %s, 'confirmed', 'test', 5, 50, %s, %s, 'test')"
            " RETURNING id",
            [f"BK-{token[:8].upper()}", resource[0], token, datetime.now(UTC) + timedelta(days=400)],
        ).fetchone()
        assert booking is not None
        start = datetime.combine(DAY, time(14), tzinfo=LONDON)
        conn.execute(
            "INSERT INTO booking_slots (booking_id, resource_id, during, held, status)"
            " VALUES (%s, %s, tstzrange(%s, %s), tstzrange(%s, %s), 'confirmed')",
            [booking[0], resource[0], start, start + timedelta(hours=2), start, start + timedelta(hours=2)],
        )
    return {"room": int(room[0]), "resource": int(resource[0])}


@pytest.fixture(scope="module")
def live_url(app_settings: Settings, room: dict[str, int]) -> Iterator[str]:
    """The app served by uvicorn on a free local port, on this module's database."""
    with served(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with chromium() as b:
        yield b


def find_free(page: Page, day: date, start: str, length: str, people: str = "", price: str = "") -> None:
    """Fill "Find a free room" (near the postcode typed above) by its labels and send it; wait for the answer."""
    page.get_by_label("Postcode or place").fill(POSTCODE)
    form = page.locator("#pm-free-form")
    if not page.locator("#pm-free").evaluate("d => d.open"):
        page.locator("#pm-free > summary").focus()
        page.keyboard.press("Enter")  # a keyboard user opens it the same way
    form.get_by_label("Date").fill(day.isoformat())
    form.get_by_label("Start time").fill(start)
    form.get_by_label("For how long").select_option(label=length)
    form.get_by_label("How many people").fill(people)
    form.get_by_label("Most per hour, £").fill(price)
    loads = page.evaluate("Patchmap.current.loads")
    form.get_by_role("button", name="Find a free room").click()
    wait_for(
        page,
        "n => Patchmap.current.loads > n || !document.getElementById('pm-free-error').hidden",
        arg=loads,
    )


def entry(page: Page, name: str) -> Locator:
    """The results list's entry for a place, by name."""
    return page.locator("#pm-list > li", has_text=name)


def test_find_a_free_room_then_book(browser: Browser, live_url: str, app_settings: Settings, room: dict[str, int],
                                    artifacts: Path) -> None:  # fmt: skip
    """Free rooms near a postcode are listed and marked as bookable; details say Book, the price and the
    next free times; a room booked then is left out; every sample place says so."""
    ctx, page, watch = open_page(browser, live_url, app_settings)
    find_free(page, DAY, "10:00", "2 hours", people="10", price="30")
    assert "free to book then" in page.locator("#pm-status").inner_text()
    ours = entry(page, ROOM)
    ours.wait_for()
    assert "Room to book" in ours.inner_text() and "Bookable" in ours.inner_text()
    items = page.evaluate("Object.values(Patchmap.current.items)")
    assert items and all(i["kind"] in ("room", "space") and i["book_url"] for i in items)
    assert all(i["price_per_hour"] <= 30 and (i["capacity"] or 0) >= 10 for i in items)
    samples = [i["name"] for i in items if i["sample"]]
    listed = page.locator("#pm-list > li", has=page.locator(".pm-badge--sample")).count()
    assert listed == len(samples)
    markers = page.locator(".pm-marker--bookable")
    assert markers.count() >= 1 and page.locator(f".pm-marker--bookable[title^='{ROOM}']").count() <= 1
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "resident_free_rooms_desktop.png"))

    ours.locator(".pm-item-button").click()
    detail = ours.locator(".pm-detail")
    detail.wait_for(state="visible")
    book = detail.get_by_role("link", name=f"Book {ROOM}")
    assert book.get_attribute("href") == f"/book/room/{room['room']}"
    assert "£25 an hour (market rate)" in detail.inner_text()
    wait_for(
        page,
        "el => !el.textContent.startsWith('Looking')",
        arg=detail.locator(".pm-next-free").element_handle(),
    )
    assert detail.locator(".pm-next-free").inner_text().strip()
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "resident_free_rooms_details_desktop.png"))

    find_free(page, DAY, "14:30", "1 hour")  # the room is booked 14:00-16:00
    assert entry(page, ROOM).count() == 0
    find_free(page, DAY, "16:00", "1 hour")
    entry(page, ROOM).wait_for()
    watch.check()
    ctx.close()


def test_a_plain_search_marks_bookable_places(browser: Browser, live_url: str, app_settings: Settings,
                                             room: dict[str, int], artifacts: Path) -> None:  # fmt: skip
    """Without "Find a free room", a hub with rooms to book is marked Bookable and its details link each room."""
    ctx, page, watch = open_page(browser, live_url, app_settings)
    search(page, POSTCODE)
    hub = entry(page, "Test hub for rooms")
    hub.wait_for()
    assert "Bookable" in hub.inner_text()
    hub.locator(".pm-item-button").click()
    key = next(
        k for k, i in page.evaluate("Patchmap.current.items").items() if i["name"] == "Test hub for rooms"
    )
    wait_for_details(page, key)
    detail = hub.locator(".pm-detail")
    link = detail.get_by_role("link", name=f"Book {ROOM}")
    link.wait_for()
    assert link.get_attribute("href") == f"/book/room/{room['room']}"
    assert "Rooms to book" in detail.inner_text() and "£25 an hour" in detail.inner_text()
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "resident_bookable_hub_details.png"))
    watch.check()
    ctx.close()


def test_a_time_the_clocks_skip_is_explained(browser: Browser, live_url: str, app_settings: Settings) -> None:
    """01:30 on the day the clocks go forward does not happen in the UK: the form says so, and what to do."""
    ctx, page, watch = open_page(browser, live_url, app_settings)
    spring, _ = next_year_clock_changes()  # a fixed year's would, in time, be "too far from today"
    find_free(page, spring, "01:30", "1 hour")
    problem = page.locator("#pm-free-error")
    problem.wait_for(state="visible")
    assert "does not exist" in problem.inner_text()
    find_free(page, DAY, "", "1 hour")
    assert page.locator("#pm-free-error").inner_text() == "Choose a date and a start time."
    watch.check()
    ctx.close()


def test_phone_width(browser: Browser, live_url: str, app_settings: Settings, room: dict[str, int],
                     artifacts: Path) -> None:  # fmt: skip
    """At 390x844 the free-room form and its results fit the width, and pass axe."""
    ctx, page, watch = open_page(
        browser, live_url, app_settings, viewport=PHONE, is_mobile=True, has_touch=True
    )
    find_free(page, DAY, "10:00", "2 hours")
    entry(page, ROOM).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#pm-free").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "resident_free_rooms_phone.png"), full_page=True)
    assert axe(page) == []
    watch.check()
    ctx.close()

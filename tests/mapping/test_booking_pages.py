"""The booking pages: ``/book/{kind}/{id}`` (terms, the week of free and booked times, a plain form) and the
booker's page ``/book/manage/{reference}?token=``, served and driven in headless Chromium.

This module has its own database (the demo, plus a hub of its own with two rooms and their bookable
resources, and co-ordinators), because bookings and sign-ins commit through the app's own connections. The
database is dropped at the end. Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Connection

from api.main import create_app
from layers.access import auth
from layers.booking.rules import LONDON
from layers.settings import AccessSettings, BookingSettings, Settings
from tests.conftest import SUITE_LOG
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import (
    AXE,
    DESKTOP,
    HOSTILE,
    PHONE,
    Watch,
    axe,
    counts_that_disagree,
    wait_for,
    wait_until_still,
)

NORWICH, BRECKLAND = "E07000148", "E07000143"
PASSWORD = "correct horse battery staple"
USERS = {
    "norwich": ("book.norwich@example.gov.uk", "coordinator", [NORWICH]),
    "breckland": ("book.breckland@example.gov.uk", "coordinator", [BRECKLAND]),
}
HALL = "Test Hall for booking"
BOOKER_EMAIL = "booker.person@example.org"
FORM = {"Accept": "text/html,application/xhtml+xml"}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database: the demo, a hub in Norwich with two sample rooms (bookable, on request and
    at once), and two co-ordinators; dropped at the end."""

    def users(conn: Connection) -> None:
        for email, role, districts in USERS.values():
            auth.create_user(conn, email=email, name=f"Test {role}", role=role, password=PASSWORD,
                             districts=districts)  # fmt: skip

    with demo_database(
        server_url,
        "patchmap_book",
        setup=users,
        access=AccessSettings(secure_cookies=False),
        booking=BookingSettings(booking_limit=1000),
    ) as settings:
        yield settings


@pytest.fixture(scope="module")
def rooms(app_settings: Settings) -> dict[str, Any]:
    """A hub near Norwich's centre with two rooms: HALL (on request, £12.50 an hour, 08:00-20:00 every day, no
    notice) and a hostile-named room open all day, every day, at once and free."""
    with psycopg.connect(app_settings.database.url, autocommit=True) as conn:
        hub = conn.execute(
            """INSERT INTO hubs (name, kind, address, postcode, geom)
               VALUES ('Booking Test Centre', 'community_centre', '1 Test Street', 'NR2 1AW',
                       ST_SetSRID(ST_MakePoint(1.2897, 52.6309), 4326)) RETURNING id"""
        ).fetchone()
        assert hub is not None
        ids = {}
        for name, capacity in ((HALL, 40), (HOSTILE, 10)):
            row = conn.execute(
                "INSERT INTO rooms (hub_id, name, capacity, facilities, step_free, sample) "
                "VALUES (%s, %s, %s, %s, true, true) RETURNING id",
                (hub[0], name, capacity, ["kitchen", "toilets"]),
            ).fetchone()
            assert row is not None
            ids[name] = row[0]
        resources = {}
        for name, hours, band, price, approval in (
            (HALL, "Mo-Su 08:00-20:00", "low-cost", 12.50, "request"),
            (HOSTILE, "Mo-Su 00:00-24:00", "free", 0, "instant"),
        ):
            row = conn.execute(
                """INSERT INTO resources (room_id, rate_band, price_per_hour, weekly_hours, slot_minutes, min_minutes,
                       max_minutes, lead_minutes, horizon_days, approval, terms, sample)
                   VALUES (%s, %s, %s, %s, 60, 60, 240, 0, 60, %s, 'Leave it tidy.', true) RETURNING id""",
                (ids[name], band, price, hours, approval),
            ).fetchone()
            assert row is not None
            resources[name] = row[0]
        district = conn.execute(
            "SELECT l.parent_code FROM resources r JOIN areas l ON l.code = r.lsoa_code WHERE r.id = %s",
            (resources[HALL],),
        ).fetchone()
    assert district == (NORWICH,)
    return {"hub": hub[0], "room": ids[HALL], "hostile_room": ids[HOSTILE], "resource": resources[HALL],
            "hostile_resource": resources[HOSTILE]}  # fmt: skip


@pytest.fixture(scope="module")
def web(app_settings: Settings, rooms: dict[str, Any]) -> Iterator[TestClient]:
    """An HTTP client on the app."""
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def live_url(app_settings: Settings, rooms: dict[str, Any]) -> Iterator[str]:
    """The app served by uvicorn on a free local port."""
    with served(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with chromium() as b:
        yield b


def sign_in(web: TestClient, who: str) -> str:
    """Sign in through the form's POST; the session's CSRF token."""
    web.cookies.clear()
    r = web.post("/auth/sign-in", data={"email": USERS[who][0], "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(web.get("/auth/me").json()["csrf_token"])


def tomorrow() -> date:
    """Tomorrow's local date (a day every test room is open and bookable)."""
    return datetime.now(UTC).astimezone(LONDON).date() + timedelta(days=1)


def book(web: TestClient, room_id: int, day: date | datetime, at: str = "", **more: Any) -> dict[str, Any]:
    """Book a room with JSON (as an API client); the 201 body. ``day`` is a local date with the time ``at``, or
    a moment with its offset (01:00 on a clock-change night does not exist, or happens twice)."""
    when = {"start": day.isoformat()} if isinstance(day, datetime) else {"date": day.isoformat(), "time": at}
    body = {"kind": "room", "id": room_id, **when, "minutes": 120, "name": "Pat Booker", "email": BOOKER_EMAIL,
            "purpose": "Choir rehearsal", "attendees": 12, "consent": True, **more}  # fmt: skip
    r = web.post("/bookings", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def token_of(manage_url: str) -> str:
    """The token in a manage link."""
    return parse_qs(urlsplit(manage_url).query)["token"][0]


# ---------------------------------------------------------------- the booking page, server-rendered


def test_book_page_shows_terms_week_and_form(web: TestClient, rooms: dict[str, Any]) -> None:
    """Terms (sample, price and band, approval, capacity, facilities, step-free, address), a week table with
    free times as links that fill the form, and a plain form posting to /bookings with the price shown."""
    web.cookies.clear()
    r = web.get(f"/book/room/{rooms['room']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self' 'nonce-" in r.headers["content-security-policy"]
    html = r.text
    assert f"<h1>{HALL}" in html and ">sample</span>" in html and "made up" in html
    assert "£12.50 per hour (Low-cost community rate)" in html
    assert "the manager will reply within 72 hours" in html
    assert "40 people" in html and "kitchen, toilets" in html and "Yes, step-free access" in html
    assert "Booking Test Centre, 1 Test Street, NR2 1AW" in html and "Leave it tidy." in html
    assert "£12.50 per hour; booking 2 hours costs £25.00." in html
    assert 'action="/bookings"' in html and 'method="post"' in html
    assert 'name="kind" value="room"' in html and f'name="id" value="{rooms["room"]}"' in html
    assert "UK time (Europe/London)" in html
    lengths = re.findall(r'<option value="(\d+)"', html)
    assert lengths == ["60", "120", "180", "240"]
    assert re.search(r'<input type="checkbox" id="pm-consent" name="consent" value="true" required>', html)
    assert "Previous week" not in html and "Next week" in html
    # The week's table in a week wholly to come: this week's can be past already (on a Sunday its rows start at
    # the next hour, not 08:00, and from 19:00 nothing is free).
    week = web.get(f"/book/room/{rooms['room']}?week={(tomorrow() + timedelta(days=7)).isoformat()}").text
    free = re.findall(r'class="pm-free" href="([^"]+)"', week)
    assert free and all("date=" in link and "time=" in link for link in free)
    assert '<th scope="row" class="pm-week-time">08:00</th>' in week and ">19:00</th>" in week
    assert ">20:00</th>" not in week  # the last row starts at 19:00 (closes at 20:00)
    # A free time's link fills the form without JavaScript.
    day = tomorrow()
    filled = web.get(f"/book/room/{rooms['room']}?date={day.isoformat()}&time=10:00&minutes=180").text
    assert f'name="date" required value="{day.isoformat()}"' in filled and 'value="10:00"' in filled
    assert '<option value="180" selected>' in filled and "booking 3 hours costs £37.50" in filled


def test_book_page_escapes_and_refuses(web: TestClient, rooms: dict[str, Any]) -> None:
    """A room's name is escaped; an unknown room is a 404 page; a bad parameter is a 422."""
    html = web.get(f"/book/room/{rooms['hostile_room']}").text
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Free: there is nothing to pay." in html and "Confirmed at once" in html
    missing = web.get("/book/room/999999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "No room 999999" in missing.text
    assert web.get("/book/hall/1").status_code == 422
    assert web.get(f"/book/room/{rooms['room']}?week=not-a-date").status_code == 422


def test_week_view_marks_booked_times_and_names_nobody(web: TestClient, rooms: dict[str, Any]) -> None:
    """A booked time shows as Booked in its week, with no name, email or purpose; other weeks are linked."""
    day = tomorrow() + timedelta(days=7)
    made = book(web, rooms["room"], day, "14:00")
    html = web.get(f"/book/room/{rooms['room']}?week={day.isoformat()}").text
    assert html.count('<td class="pm-cell pm-cell--booked">Booked</td>') == 2  # 14:00 and 15:00
    assert "Pat Booker" not in html and BOOKER_EMAIL not in html and "Choir rehearsal" not in html
    assert "Previous week" in html
    assert (
        f"date={day.isoformat()}&amp;time=14:00" not in html
        and f"date={day.isoformat()}&amp;time=16:00" in html
    )
    web.post(f"/bookings/{made['reference']}/cancel", json={"token": token_of(made["manage_url"])})


# ---------------------------------------------------------------- the booker's page


def test_manage_page_with_the_token_and_without(web: TestClient, rooms: dict[str, Any]) -> None:
    """The manage page: status, time, price, reference and the keep-this-link note; no-referrer and no-store;
    a wrong token is a plain 404 page; cancelling through its form (no JavaScript) lands back on it."""
    day = tomorrow() + timedelta(days=2)
    made = book(web, rooms["room"], day, "10:00")
    token = token_of(made["manage_url"])
    url = f"/book/manage/{made['reference']}?token={token}"
    r = web.get(url)
    assert r.status_code == 200 and r.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in r.headers["cache-control"]
    html = r.text
    assert made["reference"] in html and "Waiting for the manager&#39;s answer" in html
    assert "10:00 to 12:00" in html and "£25.00 in all" in html and "Keep this link" in html
    assert BOOKER_EMAIL not in html
    assert (
        f'name="token" value="{token}"' in html and f'action="/bookings/{made["reference"]}/cancel"' in html
    )
    for bad in ("wrong-token", ""):
        wrong = web.get(f"/book/manage/{made['reference']}?token={bad}")
        assert wrong.status_code == 404 and "This booking link does not work" in wrong.text
        assert wrong.headers["referrer-policy"] == "no-referrer"
    assert web.get(f"/book/manage/BK-AAAAAAAA?token={token}").status_code == 404
    cancelled = web.post(f"/bookings/{made['reference']}/cancel", data={"token": token}, headers=FORM,
                         follow_redirects=False)  # fmt: skip
    assert cancelled.status_code == 303 and cancelled.headers["location"].startswith(
        f"/book/manage/{made['reference']}"
    )
    after = web.get(cancelled.headers["location"]).text
    assert "<strong>Cancelled</strong>" in after and "Cancel this booking" not in after


def test_a_series_can_be_cancelled_one_date_at_a_time(web: TestClient, rooms: dict[str, Any]) -> None:
    """A weekly booking lists each date with its own cancel button; cancelling one leaves the rest."""
    day = tomorrow() + timedelta(days=3)
    made = book(web, rooms["room"], day, "16:00", repeat_weeks=3)
    token = token_of(made["manage_url"])
    html = web.get(f"/book/manage/{made['reference']}?token={token}").text
    assert html.count("Cancel this date") == 3 and "Cancel the whole booking" in html
    second = (day + timedelta(days=7)).isoformat()
    r = web.post(f"/bookings/{made['reference']}/cancel", data={"token": token, "date": second}, headers=FORM)
    assert r.status_code == 200  # followed the 303 to the manage page
    assert r.text.count("Cancel this date") == 2 and r.text.count(">Cancelled</span>") == 1
    web.post(f"/bookings/{made['reference']}/cancel", json={"token": token})


def test_manage_tokens_never_reach_the_log(web: TestClient, rooms: dict[str, Any]) -> None:
    """After the manage pages were read and posted, no token of this module is in the suite's log."""
    made = book(web, rooms["room"], tomorrow() + timedelta(days=4), "08:00")
    token = token_of(made["manage_url"])
    assert web.get(f"/book/manage/{made['reference']}?token={token}").status_code == 200
    web.post(f"/bookings/{made['reference']}/cancel", data={"token": token}, headers=FORM)
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = SUITE_LOG.read_text(encoding="utf-8", errors="replace")
    assert token not in log and BOOKER_EMAIL not in log


# ---------------------------------------------------------------- in the browser


def _context(browser: Browser, live_url: str, settings: Settings, **options: Any) -> tuple[Any, Watch]:
    ctx = browser.new_context(locale="en-GB", timezone_id="Europe/London", **options)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    return ctx, watch


def _watch(page: Page, watch: Watch) -> Page:
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)
    return page


def axe_in(page: Page, selector: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations inside one part of the page (e.g. the bookings panels)."""
    wait_until_still(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found: list[dict[str, Any]] = page.evaluate(
        """async (sel) => (await axe.run(sel, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))""",
        selector,
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def _fill_about(page: Page, purpose: str) -> None:
    page.get_by_label("What is it for?").fill(purpose)
    page.get_by_label("How many people?").fill("15")
    page.get_by_label("Your name").fill("Sam Tester")
    page.get_by_label("Email address").fill("sam.tester@example.org")
    page.get_by_label(re.compile("You may contact me")).check()


@pytest.mark.browser
def test_find_book_confirm_and_cancel(
    browser: Browser, live_url: str, app_settings: Settings, rooms: dict[str, Any], artifacts: Path
) -> None:
    """The whole flow: find the room free now on the co-ordinator's patch, open its booking page, choose a free
    time in the week, book it, the co-ordinator confirms in place, the booker cancels from the manage link."""
    day = tomorrow()
    ctx, watch = _context(browser, live_url, app_settings, viewport=DESKTOP)
    page = _watch(ctx.new_page(), watch)
    page.goto(f"{live_url}/book/room/{rooms['room']}?week={day.isoformat()}")
    wait_for(page, "document.body.dataset.bookReady === 'true'")
    assert page.get_by_role("heading", level=1).inner_text().startswith(HALL)
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "book_page_desktop.png"), full_page=True)

    page.locator(f'a.pm-free[data-date="{day.isoformat()}"][data-time="11:00"]').click()
    expect(page.get_by_label("How long")).to_be_focused()
    assert page.get_by_label("Date", exact=True).input_value() == day.isoformat()
    assert page.get_by_label("Start time").input_value() == "11:00"
    page.get_by_label("How long").select_option("180")
    expect(page.locator("#pm-book-price")).to_have_text("£12.50 per hour; booking 3 hours costs £37.50.")
    page.get_by_label(re.compile("Number of weeks")).fill("2")
    expect(page.locator("#pm-book-price")).to_contain_text("£75.00 in all")
    page.get_by_label(re.compile("Number of weeks")).fill("1")
    _fill_about(page, "Community lunch")
    page.get_by_role("button", name="Send the booking request").click()
    page.wait_for_url("**/book/manage/BK-*")
    reference = page.url.split("/book/manage/")[1].split("?")[0]
    manage_url = page.url
    expect(page.locator(".pm-book-status")).to_have_text("Waiting for the manager's answer")
    assert page.get_by_text("11:00 to 14:00").is_visible()
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "book_manage_desktop.png"), full_page=True)

    # The co-ordinator signs in and confirms it in place.
    staff = _watch(ctx.new_page(), watch)
    staff.goto(f"{live_url}/sign-in")
    staff.get_by_label("Work email address").fill(USERS["norwich"][0])
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_url(f"**/patch/{NORWICH}")
    wait_for(staff, "document.getElementById('pm-book-requests').dataset.ready === 'true'")
    item = staff.locator(f"#pm-bk-{reference}")
    expect(item).to_contain_text("Community lunch")
    expect(staff.locator("#pm-book-free")).to_contain_text("img src=x")  # the room open all day is free now
    for panel in (
        "#pm-book-requests",
        "#pm-book-week",
        "#pm-book-free",
        "#pm-book-rules",
        "#pm-book-messages",
    ):
        assert axe_in(staff, panel) == [], panel
    staff.locator("#pm-book-requests").screenshot(path=str(artifacts / "patch_booking_requests.png"))
    item.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(item.locator(".pm-mod-status")).to_contain_text("Confirmed")
    expect(item.locator(".pm-mod-status")).to_be_focused()
    expect(staff.locator("#pm-book-requests-list-done > li")).to_have_count(1)  # moved out of the requests
    assert counts_that_disagree(staff) == {}
    assert axe_in(staff, "#pm-book-requests") == []

    # The booker sees it confirmed and cancels it from the manage link.
    page.goto(manage_url)
    expect(page.locator(".pm-book-status")).to_have_text("Confirmed")
    page.get_by_role("button", name="Cancel this booking").click()
    page.wait_for_url("**/book/manage/BK-*")
    expect(page.locator(".pm-book-status")).to_have_text("Cancelled")
    assert axe(page) == []
    watch.check()
    ctx.close()


@pytest.mark.browser
def test_book_page_on_a_phone(browser: Browser, live_url: str, app_settings: Settings, rooms: dict[str, Any],
                              artifacts: Path) -> None:  # fmt: skip
    """At 390 x 844 the page fits the width (the week scrolls inside its own box), and axe finds nothing."""
    ctx, watch = _context(browser, live_url, app_settings, viewport=PHONE)
    page = _watch(ctx.new_page(), watch)
    page.goto(f"{live_url}/book/room/{rooms['room']}")
    wait_for(page, "document.body.dataset.bookReady === 'true'")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "book_page_phone.png"), full_page=True)
    watch.check()
    ctx.close()


@pytest.mark.browser
def test_booking_with_the_keyboard_only(
    browser: Browser, live_url: str, app_settings: Settings, rooms: dict[str, Any]
) -> None:
    """Tab to a free time, Enter fills the form, Tab through it, Space ticks consent, Enter books."""
    ctx, watch = _context(browser, live_url, app_settings, viewport=DESKTOP)
    page = _watch(ctx.new_page(), watch)
    # a week wholly to come: on a Monday the week of tomorrow + 5 days is this week, whose first free time is
    # the next hour, which can begin while the keys are pressed (then "in the past")
    day = tomorrow() + timedelta(days=12)
    page.goto(f"{live_url}/book/room/{rooms['room']}?week={day.isoformat()}")
    wait_for(page, "document.body.dataset.bookReady === 'true'")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('pm-free')"):
            break
    else:
        pytest.fail("Tab never reached a free time")
    chosen = page.evaluate("[document.activeElement.dataset.date, document.activeElement.dataset.time]")
    page.keyboard.press("Enter")
    expect(page.get_by_label("How long")).to_be_focused()
    assert page.get_by_label("Date", exact=True).input_value() == chosen[0]
    keys = ["Tab", "Tab", "Tab"]  # number of weeks, only free, purpose
    for key in keys:
        page.keyboard.press(key)
    expect(page.get_by_label("What is it for?")).to_be_focused()
    page.keyboard.type("Keyboard club")
    page.keyboard.press("Tab")
    page.keyboard.type("5")
    page.keyboard.press("Tab")
    page.keyboard.type("Kim Keys")
    page.keyboard.press("Tab")
    page.keyboard.type("kim.keys@example.org")
    page.keyboard.press("Tab")  # phone
    page.keyboard.press("Tab")
    expect(page.get_by_label(re.compile("You may contact me"))).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send the booking request")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/book/manage/BK-*")
    expect(page.get_by_text(f"{chosen[1]} to ")).to_be_visible()
    watch.check()
    ctx.close()


@pytest.mark.browser
def test_booking_without_javascript(
    browser: Browser, live_url: str, app_settings: Settings, rooms: dict[str, Any], artifacts: Path
) -> None:
    """With JavaScript off, a free time's link fills the form on the server, and the form posts and lands on
    the manage page."""
    ctx, watch = _context(browser, live_url, app_settings, viewport=DESKTOP, java_script_enabled=False)
    page = ctx.new_page()
    day = tomorrow() + timedelta(days=6)
    page.goto(f"{live_url}/book/room/{rooms['room']}?week={day.isoformat()}")
    page.locator(f'a.pm-free[data-date="{day.isoformat()}"][data-time="15:00"]').click()
    page.wait_for_url(re.compile(r"time=15"))
    assert page.get_by_label("Date", exact=True).input_value() == day.isoformat()
    assert page.get_by_label("Start time").input_value() == "15:00"
    _fill_about(page, "No-script meeting")
    page.get_by_role("button", name="Send the booking request").click()
    page.wait_for_url("**/book/manage/BK-*")
    expect(page.locator(".pm-book-status")).to_have_text("Waiting for the manager's answer")
    page.screenshot(path=str(artifacts / "book_manage_nojs.png"), full_page=True)
    watch.check()
    ctx.close()

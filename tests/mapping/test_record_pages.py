"""The record forms in headless Chromium: the Norwich co-ordinator signs in, follows "Add a group" from the patch
page, sends the form once with problems (each shown beside its field, listed at the top, focusable), then places
the group at one of their hubs and saves it; a resident's search for the hub's postcode on the map then lists
the group. The map picker is tried too: a click on the little map fills in the longitude and latitude.

This module has its own database (the demo and one co-ordinator), because what the browser does commits through
the app's own connections. Nothing may leave the machine (tests/resident_browser.Watch, which also fails on any
dialog); axe-core checks the form with its problems and after saving, on a desktop and a phone; screenshots go
to tests/artifacts/record_form_*.png for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import Connection

from layers.access import auth
from layers.settings import AccessSettings, Settings
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import DESKTOP, HOSTILE, PHONE, Watch, axe, open_page, search, wait_for

NORWICH = "E07000148"
EMAIL = "norwich.records@example.gov.uk"
PASSWORD = "correct horse battery staple"
GROUP = "Record Pages Knit and Natter " + HOSTILE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database with the demo and the Norwich co-ordinator; cookies allowed over http."""

    def users(conn: Connection) -> None:
        auth.create_user(conn, email=EMAIL, name="Records co-ordinator", role="coordinator",
                         password=PASSWORD, districts=[NORWICH])  # fmt: skip

    with demo_database(
        server_url, "patchmap_records", setup=users, access=AccessSettings(secure_cookies=False)
    ) as settings:
        yield settings


@pytest.fixture(scope="module")
def live_url(app_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free local port, on this module's database."""
    with served(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with chromium() as b:
        yield b


def hub_with_postcode(settings: Settings) -> tuple[int, str, str]:
    """A Norwich hub whose postcode Patchmap knows: its id, name and postcode."""
    with psycopg.connect(settings.database.url, autocommit=True) as conn:
        row = conn.execute(
            """SELECT h.id, h.name, p.postcode FROM hubs h JOIN areas l ON l.code = h.lsoa_code
               JOIN postcodes p ON p.postcode = h.postcode
               WHERE l.parent_code = %s AND ST_DWithin(h.geom_bng, ST_Transform(p.geom, 27700), 400)
               ORDER BY h.id LIMIT 1""",
            (NORWICH,),
        ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1]), str(row[2])


def signed_in(browser: Browser, live_url: str, settings: Settings, viewport: dict[str, int]) -> tuple[BrowserContext, Page, Watch]:  # fmt: skip
    """A fresh context in which the Norwich co-ordinator has signed in through /sign-in."""
    ctx = browser.new_context(viewport=viewport)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)
    page.goto(f"{live_url}/sign-in")
    page.get_by_label("Work email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/patch/{NORWICH}")
    return ctx, page, watch


def test_a_coordinator_places_a_group_at_a_hub_and_a_resident_finds_it(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    hub_id, _, postcode = hub_with_postcode(app_settings)
    ctx, page, watch = signed_in(browser, live_url, app_settings, DESKTOP)

    page.get_by_role("link", name="Add a group").click()
    page.wait_for_url(f"**/patch/{NORWICH}/groups/new")
    wait_for(page, "document.getElementById('pm-place-map').dataset.ready === 'true'")
    # sent with no name, a bad time and a venue that may be a home: each problem beside its field
    page.get_by_label("At a public venue, found by its postcode").check()
    page.get_by_label("Postcode", exact=True).fill("NR2 1AW")
    page.locator("#f-meet_start_0").fill("25:00")
    page.locator("#f-meet_days_0-tu").check()
    page.get_by_role("button", name="Add the group").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "There is a problem: nothing was saved" in summary.inner_text()
    for label in ("Name: enter a name", "Meeting 1: starts: enter a time like 14:00",
                  "Public venue's name and address: give the public venue's name and address"):  # fmt: skip
        assert summary.get_by_role("link", name=label).is_visible(), label
    page.screenshot(path=str(artifacts / "record_form_problems.png"), full_page=False)
    summary.get_by_role("link", name="Name: enter a name").click()
    assert page.evaluate("document.activeElement.id") == "f-name"
    name_box = page.locator("#f-name")
    assert name_box.get_attribute("aria-invalid") == "true"
    assert "f-name-error" in (name_box.get_attribute("aria-describedby") or "")
    problems = axe(page)
    assert problems == [], problems

    # the map picker: a click fills in the point (the keyboard alternative is typing it)
    page.get_by_label("At a point on the map").check()
    page.locator("#pm-place-map").click(position={"x": 120, "y": 90})
    assert re.fullmatch(r"-?\d+\.\d{5}", page.locator("#f-lon").input_value())
    assert "Placed at longitude" in page.locator("#pm-place-map-status").inner_text()

    # now right: at one of the co-ordinator's hubs, meeting on Tuesdays
    name_box.fill(GROUP)
    page.get_by_label("At one of the district's hubs").check()
    page.get_by_label("Hub", exact=True).select_option(str(hub_id))
    page.locator("#f-meet_start_0").fill("10:00")
    page.locator("#f-meet_end_0").fill("12:00")
    page.get_by_label("Arts, crafts, culture, music, drama and creative activities").check()
    page.get_by_label("The group wants volunteers").check()
    page.get_by_label("Contact's email address").fill("knit.private@example.org")
    page.get_by_role("button", name="Add the group").click()
    page.wait_for_url(re.compile(rf".*/patch/{NORWICH}/groups/\d+/edit\?saved=created$"))
    assert "Added: the group is kept" in page.get_by_role("status").first.inner_text()
    assert page.locator("h1").inner_text() == f"Change {GROUP}"  # markup shown as text
    assert page.locator("#f-hub_id").input_value() == str(hub_id)
    problems = axe(page)
    assert problems == [], problems
    page.screenshot(path=str(artifacts / "record_form_saved.png"), full_page=False)
    group_id = int(page.url.split("/groups/")[1].split("/")[0])
    watch.check()
    ctx.close()

    # a resident searches the hub's postcode: the group is listed near it
    rctx, rpage, rwatch = open_page(browser, live_url, app_settings)
    search(rpage, postcode)
    listed = rpage.locator("#pm-list > li", has_text="Record Pages Knit and Natter")
    listed.first.wait_for()
    assert HOSTILE in listed.first.inner_text()  # the name's markup is text, not an element
    assert rpage.locator("#pm-list img[src=x]").count() == 0
    assert "knit.private" not in rpage.content()
    listed.first.scroll_into_view_if_needed()
    rpage.screenshot(path=str(artifacts / "record_form_resident_finds.png"), full_page=False)
    rwatch.check()
    rctx.close()
    with psycopg.connect(app_settings.database.url) as conn:
        row = conn.execute(
            "SELECT hub_id, location_precision FROM groups WHERE id = %s", (group_id,)
        ).fetchone()
    assert row == (hub_id, "hub")


def test_the_form_on_a_phone_is_axe_clean(browser: Browser, live_url: str, app_settings: Settings, artifacts: Path) -> None:  # fmt: skip
    ctx, page, watch = signed_in(browser, live_url, app_settings, PHONE)
    page.goto(f"{live_url}/patch/{NORWICH}/hubs/new")
    problems = axe(page)
    assert problems == [], problems
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(artifacts / "record_form_phone.png"), full_page=False)
    watch.check()
    ctx.close()

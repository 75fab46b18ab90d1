"""Named council contacts in the browser: the co-ordinator sets the district's contact on the patch page (a
plain form; a problem shown beside its field), and a resident who searches a Norwich postcode on the map is
shown "Your council contact for Mile Cross". Headless Chromium, axe, screenshots in tests/artifacts/.

This module has its own database (the demo, with its sample contacts, and a co-ordinator), because the
sign-in and the form commit through the app's own connections; it is dropped at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Connection

from layers.access import auth
from layers.settings import AccessSettings, Settings
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import DESKTOP, PHONE, Watch, axe, open_page, search, wait_for

NORWICH, MILE_CROSS, NORTH = "E07000148", "E05005883", "SAMPLE-NOR-NORTH"
EMAIL, PASSWORD = "contacts.norwich@example.gov.uk", "correct horse battery staple"


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """The demo (with its sample contacts) and Norwich's co-ordinator."""

    def users(conn: Connection) -> None:
        auth.create_user(conn, email=EMAIL, name="Contact Tester", role="coordinator", password=PASSWORD,
                         districts=[NORWICH])  # fmt: skip

    with demo_database(
        server_url, "patchmap_contact_pages", setup=users, access=AccessSettings(secure_cookies=False)
    ) as settings:
        yield settings


@pytest.fixture(scope="module")
def live_url(app_settings: Settings) -> Iterator[str]:
    with served(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _mile_cross_postcode(settings: Settings) -> str:
    """A postcode whose point lies in Mile Cross (the demo's postcodes are built from OpenStreetMap)."""
    with psycopg.connect(settings.database.url) as conn:
        row = conn.execute(
            "SELECT pc.postcode FROM postcodes pc JOIN areas a ON ST_Intersects(a.geom, pc.geom) "
            "WHERE a.code = %s AND NOT pc.approximate ORDER BY pc.postcode LIMIT 1",
            [MILE_CROSS],
        ).fetchone()
        if row is None:
            row = conn.execute(
                "SELECT pc.postcode FROM postcodes pc JOIN areas a ON ST_Intersects(a.geom, pc.geom) "
                "WHERE a.code = %s ORDER BY pc.postcode LIMIT 1",
                [MILE_CROSS],
            ).fetchone()
    assert row is not None, "the demo has a postcode in Mile Cross"
    return str(row[0])


@pytest.mark.browser
def test_coordinator_sets_the_district_contact_on_the_patch_page(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    ctx = browser.new_context(viewport=DESKTOP)
    watch = Watch(live_url, app_settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.goto(f"{live_url}/patch/{NORWICH}")
    page.get_by_label("Work email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/patch/{NORWICH}")
    wait_for(page, "window.Patchmap && Patchmap.patch && document.body.dataset.mapState === 'ready'")

    section = page.locator("#pm-contact")
    expect(section.get_by_role("heading", name=re.compile("^Council contacts"))).to_be_visible()
    # the district and its two sample localities, each with its sample contact; the count is the list's
    expect(section.locator("#pm-contact-list > li")).to_have_count(3)
    expect(section.locator(".pm-count")).to_have_text("3")
    district = section.locator(f"#pm-contact-{NORWICH}")
    expect(district.locator(".pm-contact-role")).to_have_text("Community Connector for Norwich (sample)")

    # open the district's form by keyboard, give a bad email address: the form's page says so beside the field
    summary = district.get_by_text("Change the contact for Norwich")
    summary.focus()
    page.keyboard.press("Enter")
    form = district.locator("form.pm-contact-form")
    form.get_by_label("Role residents should ask for").fill("Community Connector, Norwich <North & South>")
    form.get_by_label(re.compile("^Work email address")).fill("connector at norwich")
    form.get_by_label(re.compile("^Work phone number")).fill("01632 960 777")
    form.get_by_label(re.compile("^Office hours")).fill("Tuesdays and Thursdays, 10am to 3pm")
    form.get_by_role("button", name="Save the contact for Norwich").click()
    page.wait_for_url(f"**/patch/{NORWICH}/contacts/{NORWICH}")
    expect(page.get_by_role("alert")).to_contain_text("The contact was not saved")
    email = page.get_by_label(re.compile("^Work email address"))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#pm-contact-edit-email-error")).to_have_text(re.compile("^Enter an email address"))
    expect(page.get_by_label("Role residents should ask for")).to_have_value(
        "Community Connector, Norwich <North & South>"
    )
    page.screenshot(path=str(artifacts / "contact_form_error.png"), full_page=True)
    assert axe(page) == []

    # corrected: saved, back on the patch page at the contact, which shows the new values as text
    email.fill("connector@norwich.example.org")
    page.get_by_role("button", name="Save the contact").click()
    page.wait_for_url(re.compile(f"/patch/{NORWICH}#pm-contact-{NORWICH}$"))
    wait_for(page, "window.Patchmap && Patchmap.patch && document.body.dataset.mapState === 'ready'")
    district = page.locator(f"#pm-contact-{NORWICH}")
    expect(district.locator(".pm-contact-role")).to_have_text("Community Connector, Norwich <North & South>")
    expect(district.get_by_role("link", name="connector@norwich.example.org")).to_have_attribute(
        "href", "mailto:connector@norwich.example.org"
    )
    expect(district.get_by_role("link", name="01632 960 777")).to_have_attribute("href", "tel:01632960777")
    page.locator("#pm-contact").scroll_into_view_if_needed()
    page.locator("#pm-contact").screenshot(path=str(artifacts / "contact_patch_section.png"))
    assert axe(page) == []

    # on a phone the section fits the screen
    phone = ctx.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{live_url}/patch/{NORWICH}#pm-contact")
    phone.locator("#pm-contact").screenshot(path=str(artifacts / "contact_patch_section_phone.png"))
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    watch.check()
    ctx.close()


@pytest.mark.browser
def test_resident_sees_the_council_contact_for_a_searched_postcode(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    postcode = _mile_cross_postcode(app_settings)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        ctx, page, watch = open_page(browser, live_url, app_settings, viewport=viewport)
        box = page.locator("#pm-area-contact")
        expect(box).to_be_hidden()
        search(page, postcode)
        expect(box).to_be_visible()
        # named by the searched place's ward once the lookup answers (the postcode until then)
        expect(box.get_by_role("heading")).to_have_text("Your council contact for Mile Cross")
        expect(box.locator("#pm-area-contact-role")).to_have_text(
            "Community Connector for North Norwich (sample)"
        )
        expect(box.get_by_role("link", name="north.connector@norwich.example.org")).to_have_attribute(
            "href", "mailto:north.connector@norwich.example.org"
        )
        expect(box.get_by_role("link", name="01632 960002")).to_have_attribute("href", "tel:01632960002")
        expect(box).to_contain_text("Office hours: Monday to Friday, 9am to 5pm (sample)")
        box.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"contact_resident_{name}.png"))
        assert axe(page) == []
        if name == "desktop":  # clearing the search hides it
            page.get_by_role("button", name="Clear the search").click()
            expect(box).to_be_hidden()
        watch.check()
        ctx.close()

"""The residents' map (`/`) in headless Chromium: what a resident sees and can do, on desktop and phone.

The app runs on a free local port against this session's test database. Nothing may leave the machine:
base-map tiles are aborted (as offline) and anything else is a fault. axe-core (tests/vendor, from npm)
checks accessibility. Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Route,
    expect,
)

from layers.settings import Settings, SubmissionSettings
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import (
    DESKTOP,
    FILL,
    HOSTILE,
    PHONE,
    POSTCODE,
    Watch,
    axe,
    fill_offer_form,
    marker_counts,
    open_page,
    search,
    wait_for,
    wait_for_details,
    wait_for_load,
)

pytestmark = pytest.mark.browser

HOSTILE_SOURCE = "sample-test-resident-map"  # "sample" makes it sample data


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database, migrated and loaded with the demo, dropped at the end.

    A resident's actions through the real app commit (an offer sent, and the hostile group below), so the
    browser tests must not share the session's database, whose tests expect, say, no submissions yet.
    """
    # the form tests send a few offers
    with demo_database(
        server_url, "patchmap_resident", submissions=SubmissionSettings(submission_limit=1000)
    ) as s:
        yield s


@pytest.fixture(scope="module")
def hostile_group(app_settings: Settings) -> int:
    """A group whose name, description and website try to run script, meeting 150 m from NR2 1AW."""
    meets = json.dumps([{"days": ["tu"], "start": "18:30", "end": "20:00", "frequency": "weekly"}])
    with psycopg.connect(app_settings.database.url, autocommit=True) as conn:
        row = conn.execute(
            """INSERT INTO groups (name, description, categories, location_precision, geom, venue_address,
                                   website, volunteers_wanted, meets, status, source, source_id)
               VALUES (%s, %s, ARRAY['food'], 'venue', ST_SetSRID(ST_MakePoint(1.2925, 52.6285), 4326), %s,
                       %s, true, %s::jsonb, 'active', %s, 'hostile-1')
               ON CONFLICT (source, source_id) DO UPDATE SET name = EXCLUDED.name
               RETURNING id""",
            (
                HOSTILE,
                '<script>window.__pwned = 3</script>"quoted" & more',
                "<b>The Hall</b>",
                "javascript:window.__pwned=2",
                meets,
                HOSTILE_SOURCE,
            ),
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def live_url(app_settings: Settings, hostile_group: int) -> Iterator[str]:
    """The app served by uvicorn on a free local port, on this module's database."""
    with served(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with chromium() as b:
        yield b


@pytest.fixture
def desk(browser: Browser, live_url: str, app_settings: Settings) -> Iterator[tuple[Page, Watch]]:
    """The page at desktop size."""
    ctx, page, watch = open_page(browser, live_url, app_settings)
    yield page, watch
    ctx.unroute_all(behavior="ignoreErrors")
    ctx.close()


# ---------------------------------------------------------------- first view


def test_first_view_is_local_light_and_accessible(desk: tuple[Page, Watch], artifacts: Path) -> None:
    """The page loads only from this machine (tiles aside), draws markers and passes axe."""
    page, watch = desk
    assert page.evaluate("document.documentElement.lang") == "en" and page.title()
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_role("search").is_visible()
    assert page.get_by_role("region", name="Map of groups, community hubs and spaces").is_visible()
    legend = page.locator(".pm-legend")
    assert legend.is_visible()
    for text in ("Group", "Community hub", "Space to use", "Several places"):
        assert text in legend.inner_text()
    counts = marker_counts(page)
    assert counts["markers"] + counts["clusters"] >= 5, counts
    assert re.search(r"\d+ places in this part of the map", page.locator("#pm-status").inner_text())
    assert page.locator("#pm-status").get_attribute("aria-live") == "polite"
    if watch.tile_host:
        expect(page.locator("#pm-tiles-note")).to_be_visible()  # after a tile's request has been aborted
        assert watch.tiles
    assert any("/map/markers.geojson" in u for u in watch.local)
    assert any(
        "/static/vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js" in u for u in watch.local
    )
    size = page.evaluate(
        "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".reduce((n, e) => n + e.encodedBodySize, 0)"
    )
    assert size < 1_000_000, size
    page.screenshot(path=str(artifacts / "resident_map_desktop.png"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "pm-skip"
    assert page.locator(".pm-skip").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "pm-results"
    assert axe(page) == []
    watch.check()


# ---------------------------------------------------------------- search, list and map in step


def test_postcode_search_shows_markers_and_a_list(desk: tuple[Page, Watch], artifacts: Path) -> None:
    """NR2 1AW: places within 2 km on the map and in the list, nearest first; area groups listed apart."""
    page, watch = desk
    search(page, POSTCODE)
    status = page.locator("#pm-status").inner_text()
    # "50 places or more": the demo's placed groups (layers/importers/demo_groups.py) fill a first page
    assert re.search(r"\d+ places?( or more)? within 2 km of NR2 1AW, nearest first", status), status
    counts = marker_counts(page)
    assert counts["items"] >= 5 and counts["markers"] + counts["clusters"] >= 1, counts
    assert counts["serving"] >= 1, counts
    serving = page.locator("#pm-serving-list > li").first
    assert serving.get_by_text("Serves your area").is_visible()
    distances = page.evaluate(
        "[...document.querySelectorAll('#pm-list .pm-item-meta')].map(n => n.textContent)"
    )
    assert any("away" in d for d in distances)
    assert page.get_by_role("heading", name="Near NR2 1AW").is_visible()
    assert "where=NR2+1AW" in page.url
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "resident_map_search_desktop.png"))
    watch.check()


def test_hostile_names_are_text_and_no_script_runs(desk: tuple[Page, Watch], hostile_group: int) -> None:
    """A group named <img src=x onerror=alert(1)> is listed and shown as text; nothing runs."""
    page, watch = desk
    search(page, POSTCODE, samples=True)
    item = page.locator("#pm-list > li", has_text=HOSTILE)
    assert item.count() == 1
    assert item.locator(".pm-item-name").inner_text() == HOSTILE
    assert item.locator(".pm-badge", has_text="Sample").is_visible()  # its source says it is sample data
    item.locator(".pm-item-button").click()
    detail = item.locator(".pm-detail")
    detail.wait_for(state="visible")
    wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 1")
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator(".pm-popup-name").inner_text() == HOSTILE
    wait_for_details(page, item.get_attribute("data-key") or "")  # the fetched record redraws the details
    text = detail.inner_text()
    assert "The Hall" in text or "<b>" in text or "Where" in text
    assert page.locator("#pm-results img, .leaflet-popup img, #pm-results script").count() == 0
    assert detail.locator("a[href^='javascript']").count() == 0
    assert "Sample data" in text
    assert page.evaluate("[window.__pwned, typeof window.alert]") == [None, "function"]

    # A search from a shared link runs before any marker layer: the entry is still marked as sample.
    page.goto(page.url.split("?")[0] + "?where=NR2+1AW&radius_m=2000")
    wait_for_load(page, 0)
    item = page.locator("#pm-list > li", has_text=HOSTILE)
    item.locator(".pm-badge", has_text="Sample").wait_for(state="visible")
    assert page.get_by_label("Postcode or place").input_value() == POSTCODE
    watch.check()


def test_selecting_keeps_list_and_map_in_step(desk: tuple[Page, Watch], artifacts: Path) -> None:
    """Selecting in the list opens the marker and the details; selecting a marker selects its entry."""
    page, watch = desk
    search(page, POSTCODE, samples=True)  # so no marker is retitled "... (sample)" after we read its title
    first = page.locator("#pm-list > li").first
    name = first.locator(".pm-item-name").inner_text()
    first.locator(".pm-item-button").click()
    button = first.locator(".pm-item-button")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(button).to_have_attribute("aria-current", "true")
    detail = first.locator(".pm-detail")
    # The details show the list's facts at once, then the full record once it has been fetched.
    wait_for_details(page, first.get_attribute("data-key") or "")
    for term in ("What", "When", "Where", "Cost", "Access", "Contact", "Checked"):
        assert detail.locator("dt", has_text=term).count() == 1, term
    assert re.search(r"Last confirmed \d+ \w+ \d{4}|Not yet confirmed", detail.inner_text())
    wait_for(page, "document.querySelector('.pm-marker.is-selected') !== null", timeout=10_000)
    assert page.locator(".pm-marker.is-selected").get_attribute("title").startswith(name)  # type: ignore[union-attr]
    wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 1")
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "resident_map_details_desktop.png"))

    # Now a different marker on the map: its entry in the list is selected and opened.
    page.locator(".leaflet-popup-close-button").click()  # the popup may cover the next marker
    other_title = page.evaluate(
        """() => {
            const box = document.querySelector('.pm-map').getBoundingClientRect();
            const inside = [...document.querySelectorAll('.leaflet-marker-icon.pm-marker:not(.is-selected)')]
                .filter(m => { const r = m.getBoundingClientRect();
                    return r.left > box.left + 40 && r.right < box.right - 10 && r.top > box.top + 80
                        && r.bottom < box.bottom - 30; });
            return inside.length ? inside[0].title : null;
        }"""
    )
    assert other_title, "no other marker in view"
    other_name = other_title.removesuffix(" (sample)")
    page.locator(".leaflet-marker-icon.pm-marker").and_(page.get_by_title(other_title, exact=True)).click()
    entry = page.locator("#pm-list > li.is-selected, #pm-serving-list > li.is-selected")
    # The first entry stays selected until the click has been handled: wait for the other one to be.
    expect(entry.locator(".pm-item-name")).to_have_text(other_name)
    expect(button).to_have_attribute("aria-expanded", "false")

    # And from the keyboard: Enter on an entry opens it; "Close details" closes it and returns focus.
    entry_button = first.locator(".pm-item-button")
    entry_button.focus()
    page.keyboard.press("Enter")
    expect(entry_button).to_have_attribute("aria-expanded", "true")
    first.get_by_role("button", name="Close details").focus()
    page.keyboard.press("Enter")
    expect(entry_button).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.activeElement.classList.contains('pm-item-button')")
    watch.check()


def test_filters_narrow_thesearch(desk: tuple[Page, Watch]) -> None:
    """Only spaces when only "Spaces to use" is ticked; volunteers wanted finds the group asking."""
    page, watch = desk
    page.locator("#pm-filters summary").click()
    page.get_by_role("checkbox", name="Groups", exact=True).uncheck()
    page.get_by_role("checkbox", name="Community hubs", exact=True).uncheck()
    expect(page.locator("#pm-filter-count")).to_contain_text("(1 chosen)")
    search(page, POSTCODE)
    kinds = page.evaluate(
        "[...document.querySelectorAll('#pm-list > li')].map(li => li.dataset.key.split('/')[0])"
    )
    assert kinds and set(kinds) == {"space"}, kinds
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Only groups looking for volunteers").check()
    search(page, POSTCODE)
    names = page.locator("#pm-list .pm-item-name").all_inner_texts()
    assert HOSTILE in names and all(
        k.startswith("group/")
        for k in page.evaluate("[...document.querySelectorAll('#pm-list > li')].map(li => li.dataset.key)")
    )
    watch.check()


def test_place_names_and_unknown_places(desk: tuple[Page, Watch]) -> None:
    """A ward's name finds it; a place Patchmap does not know gets a helpful message, not an error."""
    page, watch = desk
    search(page, "Mancroft")
    assert page.get_by_role("heading", name="Near Mancroft").is_visible()
    page.get_by_label("Postcode or place").fill("Atlantis")
    page.get_by_role("button", name="Search", exact=True).click()
    error = page.locator("#pm-where-error")
    error.wait_for(state="visible")
    # the advice names a real postcode and ward of the deployment's home district (layers.areas.defaults)
    assert "couldn't find" in error.inner_text() and "such as NR2 4DR" in error.inner_text()
    assert "such as Wensum" in error.inner_text()
    assert "For example NR2 4DR, NR2 or Wensum" in page.locator("#pm-where-hint").inner_text()
    assert page.get_by_label("Postcode or place").get_attribute("aria-invalid") == "true"
    page.get_by_role("button", name="Clear the search").click()
    wait_for_load(page, page.evaluate("Patchmap.current.loads") - 1)
    watch.check()


def test_use_my_location_and_a_polite_refusal(
    browser: Browser, live_url: str, app_settings: Settings
) -> None:
    """With permission, the search starts at the device's position; without, the page says so kindly."""
    ctx, page, watch = open_page(
        browser,
        live_url,
        app_settings,
        geolocation={"latitude": 52.62773, "longitude": 1.29095},
        permissions=["geolocation"],
    )
    loads = page.evaluate("Patchmap.current.loads")
    page.get_by_role("button", name="Use my location").click()
    wait_for_load(page, loads)
    assert "of your location" in page.locator("#pm-status").inner_text()
    watch.check()
    ctx.unroute_all(behavior="ignoreErrors")
    ctx.close()

    ctx, page, watch = open_page(browser, live_url, app_settings)
    page.get_by_role("button", name="Use my location").click()
    error = page.locator("#pm-where-error")
    error.wait_for(state="visible", timeout=15_000)
    assert "postcode or place" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == "pm-where"
    watch.check()
    ctx.unroute_all(behavior="ignoreErrors")
    ctx.close()


# ---------------------------------------------------------------- phone


def test_phone_layout(browser: Browser, live_url: str, app_settings: Settings, artifacts: Path) -> None:
    """At 390x844 the page fits the width, the map comes first and the results follow it."""
    ctx, page, watch = open_page(
        browser, live_url, app_settings, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page.screenshot(path=str(artifacts / "resident_map_phone.png"))
    search(page, POSTCODE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    map_box = page.locator(".pm-map-wrap").bounding_box()
    list_box = page.locator("#pm-results").bounding_box()
    assert map_box and list_box and map_box["y"] + map_box["height"] <= list_box["y"]
    page.evaluate("document.querySelector('.pm-map-column').scrollIntoView()")
    page.screenshot(path=str(artifacts / "resident_map_search_phone.png"))
    first = page.locator("#pm-list > li").first
    first.locator(".pm-item-button").click()
    first.locator(".pm-detail").wait_for(state="visible")
    page.evaluate("document.querySelector('#pm-list > li').scrollIntoView()")
    page.screenshot(path=str(artifacts / "resident_map_details_phone.png"))
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, a, input, select, summary')]
            .filter(n => n.offsetParent !== null && !n.closest('.leaflet-control-attribution'))
            .map(n => [n.getBoundingClientRect(), n.textContent.trim().slice(0, 30) || n.id])
            .filter(([r]) => r.width < 24 || r.height < 24).map(([, label]) => label)"""
    )
    assert small == [], small
    assert axe(page) == []
    watch.check()
    ctx.unroute_all(behavior="ignoreErrors")
    ctx.close()


# ---------------------------------------------------------------- offer forms


@pytest.mark.parametrize("kind", ["help", "group", "space"])
def test_offer_forms_send_and_show_a_reference(desk: tuple[Page, Watch], kind: str, artifacts: Path) -> None:
    """Each form: gaps are shown by their fields, the API's 422 too, and a complete one shows a reference."""
    page, watch = desk
    details = page.locator(f"#pm-offer-{kind}")
    details.locator("summary").click()
    form = details.locator("form")
    form.locator("button[type=submit]").click()
    problem = form.locator(".pm-form-problem")
    problem.wait_for(state="visible")
    assert form.locator(".pm-error:visible").count() >= 3
    assert form.locator("[aria-invalid=true]").count() >= 3
    consent_error = form.locator('[data-field="consent"] .pm-error')
    assert consent_error.is_visible() and "tick" in consent_error.inner_text().lower()
    assert page.evaluate("document.activeElement.classList.contains('pm-form-problem')")
    fill_offer_form(form, kind)
    form.get_by_label("Email address").fill("sam@")  # the API refuses this one (422)
    with page.expect_response(lambda r: r.url.endswith(f"/submissions/{kind}")) as sent:
        form.locator("button[type=submit]").click()
    assert sent.value.status == 422
    email_error = form.locator('[data-field="contact_email"] .pm-error')
    email_error.wait_for(state="visible")
    assert "email address" in email_error.inner_text()
    assert form.locator('[data-field="consent"] .pm-error').is_hidden()
    if kind == "group":
        page.screenshot(path=str(artifacts / "resident_map_offer_problem.png"))
    form.get_by_label("Email address").fill("sam@example.org")
    form.locator("button[type=submit]").click()
    done = form.locator(".pm-form-done")
    done.wait_for(state="visible")
    assert re.search(r"Your reference is [A-Z0-9-]{6,}", done.inner_text()), done.inner_text()
    assert problem.is_hidden()
    if kind == "help":
        assert axe(page) == []
        page.screenshot(path=str(artifacts / "resident_map_offer_sent.png"))
    watch.check()


def test_too_many_offers_get_a_polite_message(desk: tuple[Page, Watch]) -> None:
    """A 429 from the API becomes a kind message saying when to try again; what was typed stays."""
    page, watch = desk

    def limited(route: Route) -> None:
        route.fulfill(
            status=429,
            headers={"Retry-After": "600"},
            json={"error": "Too many submissions", "detail": "Try again in 10 minutes."},
        )

    page.route("**/submissions/space", limited)
    page.locator("#pm-offer-space summary").click()
    form = page.locator("#pm-offer-space form")
    fill_offer_form(form, "space")
    form.locator("button[type=submit]").click()
    problem = form.locator(".pm-form-problem")
    problem.wait_for(state="visible")
    assert "try again in about 10 minutes" in problem.inner_text()
    assert form.get_by_label("Name of the space").input_value() == FILL["space"]["Name of the space"]
    watch.check()


def test_header_link_opens_the_help_form(desk: tuple[Page, Watch]) -> None:
    """The "Offer your help" link at the top opens that form, ready to fill."""
    page, watch = desk
    page.get_by_role("link", name="Offer your help").click()
    expect(page.locator("#pm-offer-help")).to_have_attribute("open", re.compile(".*"))
    assert page.get_by_label("What could you help with?").is_visible()
    watch.check()


def test_offer_form_works_without_javascript(browser: Browser, live_url: str, artifacts: Path) -> None:
    """With JavaScript off the page says so, and an offer form still posts and gets the API's thank-you."""
    ctx = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    ctx.route("**/*", lambda route: route.continue_() if live_url in route.request.url else route.abort())
    page = ctx.new_page()
    page.goto(live_url + "/")
    assert page.get_by_text("The map and search need JavaScript").is_visible()
    page.locator("#pm-offer-help summary").click()
    form = page.locator("#pm-offer-help form")
    fill_offer_form(form, "help")
    form.get_by_role("checkbox", name="Saturday").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/submissions/help")  # the API's own page, not the map's
    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert re.search(r"reference is [A-Z0-9-]{6,}", page.locator("main").inner_text())
    ctx.close()

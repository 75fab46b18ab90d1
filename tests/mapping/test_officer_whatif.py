"""The officers' map's "What if?" panel in headless Chromium (and its page without JavaScript): add a hub by
clicking the map, close a place from an area's list with the keyboard, read the change in words, axe-clean, with
hostile names shown as text. Uses the officers' map tests' database, app and browser fixtures."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from layers.settings import Settings
from tests.mapping.test_officer_map import (  # noqa: F401 (fixtures)
    HOSTILE_SOURCE,
    MILE_CROSS,
    app_settings,
    browser,
    client,
    live_url,
    open_officer_map,
)
from tests.resident_browser import HOSTILE, axe, wait_for


def _inside(settings: Settings, code: str) -> tuple[float, float]:
    """A point inside an area (lat, lon)."""
    with psycopg.connect(settings.database.url) as conn:
        row = conn.execute(
            "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface(geom) p FROM areas WHERE code = %s) s",
            (code,),
        ).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


@pytest.mark.browser
def test_a_hub_added_by_clicking_the_map_shows_what_changes(
    browser: Browser,  # noqa: F811
    live_url: str,  # noqa: F811
    app_settings: Settings,  # noqa: F811
    artifacts: Path,
) -> None:
    ctx, page, watch = open_officer_map(browser, live_url, app_settings)
    panel = page.locator("#pm-whatif")
    expect(panel.get_by_role("heading", name="What if?")).to_be_visible()
    expect(panel.get_by_label("Add a hub or group")).to_be_checked()
    lat, lon = _inside(app_settings, MILE_CROSS)
    page.evaluate("([lat, lon]) => Patchmap.whatIf.map.setView([lat, lon], 15, {animate: false})", [lat, lon])
    pick = panel.get_by_role("button", name="Choose the place on the map")
    pick.click()
    expect(pick).to_have_attribute("aria-pressed", "true")
    # the map comes into view, ready for a click or Enter (its middle)
    wait_for(
        page,
        "() => { const r = Patchmap.whatIf.map.getContainer().getBoundingClientRect(); "
        "return r.top < window.innerHeight / 2 && r.bottom > window.innerHeight / 2 && "
        "document.activeElement === Patchmap.whatIf.map.getContainer(); }",
    )
    x, y = page.evaluate(
        """([lat, lon]) => { const m = Patchmap.whatIf.map, p = m.latLngToContainerPoint([lat, lon]),
               r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
        [lat, lon],
    )
    page.mouse.click(x, y)
    expect(panel.locator("#pm-whatif-picked")).to_contain_text("Place chosen on the map")
    panel.get_by_label("Rooms (a hub's capacity)").fill("2")
    panel.get_by_role("button", name="Show what changes").click()
    status = panel.locator("#pm-whatif-status")
    expect(status).to_contain_text("areas change. Nothing was saved.", timeout=30_000)
    sentences = panel.locator("#pm-whatif-sentences li")
    expect(sentences.first).to_contain_text("Adding a new hub in Mile Cross (2 rooms)")
    table = panel.locator("#pm-whatif-table")
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader", name="Mile Cross", exact=True)).to_be_visible()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "officer_whatif_desktop.png"), full_page=True)
    panel.screenshot(path=str(artifacts / "officer_whatif_panel.png"))
    assert axe(page) == []
    watch.check()
    ctx.close()


@pytest.mark.browser
def test_closing_a_hostile_named_group_with_the_keyboard(
    browser: Browser,  # noqa: F811
    live_url: str,  # noqa: F811
    app_settings: Settings,  # noqa: F811
) -> None:
    with psycopg.connect(app_settings.database.url) as conn:
        row = conn.execute("SELECT id FROM groups WHERE source = %s", (HOSTILE_SOURCE,)).fetchone()
    assert row is not None
    ctx, page, watch = open_officer_map(browser, live_url, app_settings)
    page.locator("#pm-whatif-close").focus()
    page.keyboard.press("Space")
    expect(page.locator("#pm-whatif-close-fields")).to_be_visible()
    expect(page.locator("#pm-whatif-add-fields")).to_be_hidden()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the kind to close, to its number
    page.locator("#pm-whatif-close-kind").select_option("group")
    page.locator("#pm-whatif-close-id").fill(str(row[0]))
    page.locator("#pm-whatif-close-id").press("Enter")
    status = page.locator("#pm-whatif-status")
    expect(status).to_contain_text("areas change", timeout=30_000)
    expect(page.locator("#pm-whatif-sentences li").first).to_have_text(f"Closing {HOSTILE} (group {row[0]}).")
    assert page.evaluate("window.__pwned === undefined && !document.querySelector('#pm-whatif img')")
    # an unknown number: the API's words, politely
    page.locator("#pm-whatif-close-id").fill("999999")
    page.locator("#pm-whatif-close-id").press("Enter")
    expect(status).to_contain_text("That could not be worked out: No group 999999", timeout=30_000)
    watch.problems[:] = [p for p in watch.problems if "404" not in p]
    watch.check()
    ctx.close()


def test_the_page_without_javascript(client: TestClient) -> None:  # noqa: F811
    form = client.get("/analysis/what-if")
    assert form.status_code == 200 and "Show what changes" in form.text
    answer = client.get(
        "/analysis/what-if",
        params={"action": "add", "kind": "hub", "rooms": 2, "easting_m": 622000, "northing_m": 310500},
    )
    assert answer.status_code == 200
    assert (
        "Adding a new hub in Mile Cross (2 rooms)" in answer.text
        and "<caption>Areas that change" in answer.text
    )
    bad = client.get("/analysis/what-if", params={"action": "add", "easting_m": 900000, "northing_m": 310500})
    assert bad.status_code == 422 and "outside the British National Grid" in bad.text
    hostile = client.get("/analysis/what-if", params={"action": "add", "postcode": HOSTILE[:10]})
    assert hostile.status_code in (404, 422) and HOSTILE[:10] not in hostile.text

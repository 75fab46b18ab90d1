"""A record page's History list in headless Chromium: the Norwich co-ordinator adds a room (its name holding
markup), changes its capacity, sees both versions listed (newest first, with who and what changed), presses
"Restore this version" on the first (a plain form post: no JavaScript is needed) and is brought back to the
room's form saying so, with the capacity put back and a third version listed. axe-core checks the page before
and after; a screenshot goes to tests/artifacts/record_history.png.

On the database of tests/mapping/test_record_pages.py's fixtures (its own, dropped at the end).
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser

from layers.settings import Settings
from tests.mapping.test_record_pages import NORWICH, app_settings, browser, live_url, signed_in
from tests.resident_browser import DESKTOP, HOSTILE, axe

__all__ = ["app_settings", "browser", "live_url"]  # module fixtures, used by name
ROOM = "History room " + HOSTILE

pytestmark = pytest.mark.browser


def norwich_hub(settings: Settings) -> int:
    """A hub in Norwich."""
    with psycopg.connect(settings.database.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT h.id FROM hubs h JOIN areas l ON l.code = h.lsoa_code WHERE l.parent_code = %s "
            "ORDER BY h.id LIMIT 1",
            (NORWICH,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_coordinator_restores_a_rooms_earlier_version(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    hub_id = norwich_hub(app_settings)
    ctx, page, watch = signed_in(browser, live_url, app_settings, DESKTOP)
    page.goto(f"{live_url}/patch/{NORWICH}/hubs/{hub_id}/rooms/new")
    page.locator("#f-name").fill(ROOM)
    page.locator("#f-capacity").fill("40")
    page.get_by_role("button", name="Add the room").click()
    page.wait_for_url(re.compile(r".*/rooms/\d+/edit\?saved=created$"))
    page.locator("#f-capacity").fill("55")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_url(re.compile(r".*/rooms/\d+/edit\?saved=saved$"))

    versions = page.locator("#pm-history-list > li")
    assert versions.count() == 2
    assert "Version 2: Changed on" in versions.nth(0).inner_text()
    assert "Changed: Capacity (people)" in versions.nth(0).inner_text()
    assert "by Records co-ordinator" in versions.nth(1).inner_text()
    assert versions.nth(0).get_by_role("button").count() == 0  # the newest is how the room is now
    assert page.locator("h1").inner_text() == f"Change {ROOM}"  # markup shown as text
    assert page.locator("img[src=x]").count() == 0
    problems = axe(page)
    assert problems == [], problems

    page.get_by_role("button", name="Restore this version (1)").click()
    page.wait_for_url(re.compile(r".*/rooms/\d+/edit\?saved=restored$"))
    assert "Restored: the room is back as it was" in page.get_by_role("status").first.inner_text()
    assert page.locator("#f-capacity").input_value() == "40"
    assert page.locator("#pm-history-list > li").count() == 3
    assert "Version 3: Restored on" in page.locator("#pm-history-list > li").first.inner_text()
    problems = axe(page)
    assert problems == [], problems
    page.locator("#pm-history").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "record_history.png"), full_page=False)
    room_id = int(page.url.split("/rooms/")[1].split("/")[0])
    watch.check()
    ctx.close()
    with psycopg.connect(app_settings.database.url) as conn:
        row = conn.execute("SELECT capacity FROM rooms WHERE id = %s", (room_id,)).fetchone()
    assert row == (40,)

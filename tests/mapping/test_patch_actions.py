"""The patch page's one-click actions in headless Chromium: the Norwich co-ordinator confirms a stale hub, opens a
record's history after an edit and restores version 1, and adds and removes a partner named to run script.

This module has its own database (the demo and one co-ordinator), because what the browser does commits through
the app's own connections. Nothing may leave the machine (tests/resident_browser.Watch, which also fails on any
dialog); axe-core (tests/vendor) checks the page with the history and the partner form open; the screenshot goes
to tests/artifacts/patch_actions.png for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Connection

from layers.access import auth
from layers.settings import AccessSettings, Settings
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import DESKTOP, HOSTILE, Watch, axe, counts_that_disagree, wait_for

NORWICH = "E07000148"
EMAIL = "norwich.actions@example.gov.uk"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database with the demo and the Norwich co-ordinator; cookies allowed over http."""

    def users(conn: Connection) -> None:
        auth.create_user(conn, email=EMAIL, name="Test co-ordinator", role="coordinator",
                         password=PASSWORD, districts=[NORWICH])  # fmt: skip

    with demo_database(
        server_url, "patchmap_actions", setup=users, access=AccessSettings(secure_cookies=False)
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


def make_stale_hub(settings: Settings) -> tuple[int, str]:
    """One Norwich hub last confirmed two years ago; its id and name."""
    with psycopg.connect(settings.database.url, autocommit=True) as conn:
        row = conn.execute(
            """UPDATE hubs SET last_verified_at = now() - interval '730 days'
               WHERE id = (SELECT h.id FROM hubs h JOIN areas l ON l.code = h.lsoa_code
                           WHERE l.parent_code = %s ORDER BY h.id LIMIT 1)
               RETURNING id, name""",
            (NORWICH,),
        ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def signed_in(browser: Browser, live_url: str, settings: Settings) -> tuple[BrowserContext, Page, Watch]:
    """A fresh context in which the Norwich co-ordinator has signed in through /sign-in, on their patch page."""
    ctx = browser.new_context(viewport=DESKTOP)
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
    wait_for(
        page,
        "window.Patchmap && Patchmap.patch && Patchmap.patch.loads > 0 && document.body.dataset.mapState === 'ready'",
        timeout=30_000,
    )
    return ctx, page, watch


def test_confirm_history_restore_and_partners(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    """Confirm a stale hub in one click; edit it through the API, restore version 1 from its history on the
    page; add a partner whose name is markup (shown as text) and remove it; no serious axe problems."""
    hub_id, hub_name = make_stale_hub(app_settings)
    db = app_settings.database.url
    ctx, page, watch = signed_in(browser, live_url, app_settings)

    # Needs checking: the hub is listed; one click confirms it, the row says so and the count goes down.
    row = page.locator(f"#pm-stale-hub-{hub_id}")
    assert row.is_visible() and hub_name in row.inner_text()
    count = int(page.locator("#pm-stale-count").inner_text())
    assert count >= 1
    with page.expect_response(lambda r: r.url.endswith(f"/hubs/{hub_id}/confirm")) as sent:
        row.get_by_role("button", name=f"Confirm still right ({hub_name})").click()
    assert sent.value.status == 200
    status = row.get_by_role("status")
    status.get_by_text("Confirmed today").wait_for()
    assert page.evaluate("document.activeElement.classList.contains('pm-record-status')")
    assert int(page.locator("#pm-stale-count").inner_text()) == count - 1
    # The confirmed row moves to "Done just now" under the list, so the count still equals the list.
    expect(page.locator("#pm-stale-list-done > li")).to_have_count(1)
    assert page.locator("#pm-stale-list-done").get_attribute("aria-labelledby") == "pm-stale-list-done-title"
    assert page.locator("#pm-stale-list > li").count() == count - 1
    assert counts_that_disagree(page) == {}
    assert row.get_by_role("button", name=re.compile("^Confirm still right")).count() == 0
    with psycopg.connect(db) as conn:
        fresh = conn.execute(
            "SELECT last_verified_at > now() - interval '5 minutes' FROM hubs WHERE id = %s", (hub_id,)
        ).fetchone()
    assert fresh == (True,)

    # An edit through the API with the session's CSRF token; the history shows it; restore version 1.
    token = page.locator("#pm-panels").get_attribute("data-csrf-token") or ""
    assert token
    edited = ctx.request.patch(f"{live_url}/hubs/{hub_id}", data={"name": "Renamed for the test"},
                               headers={"X-CSRF-Token": token})  # fmt: skip
    assert edited.status == 200, edited.text()
    assert edited.json()["version"] == 3  # 1: as imported, 2: confirmed, 3: this edit
    history = row.get_by_role("button", name=f"History of {hub_name}")
    assert history.get_attribute("aria-expanded") == "false"
    history.click()
    box = row.locator(".pm-history-box")
    box.get_by_text("Version 3").wait_for()
    assert history.get_attribute("aria-expanded") == "true"
    text = box.inner_text()
    assert f"name: {hub_name} \u2192 Renamed for the test" in text
    assert "Confirmed still right" in text and "As first recorded" in text
    assert box.get_by_role("button", name=re.compile("^Restore this version")).count() == 2  # not the newest
    with page.expect_response(lambda r: r.url.endswith(f"/hubs/{hub_id}/versions/1/restore")) as sent:
        box.get_by_role("button", name=f"Restore this version (version 1 of {hub_name})").click()
    assert sent.value.status == 200
    status.get_by_text("Version 1 restored, kept as version 4.").wait_for()
    box.get_by_text("Version 4").wait_for()
    assert f"name: Renamed for the test \u2192 {hub_name}" in box.inner_text()
    with psycopg.connect(db) as conn:
        name = conn.execute("SELECT name FROM hubs WHERE id = %s", (hub_id,)).fetchone()
        versions = conn.execute(
            "SELECT max(version) FROM record_versions WHERE object_type = 'hub' AND object_id = %s", (hub_id,)
        ).fetchone()
    assert name == (hub_name,) and versions == (4,)

    # A space as imported, then priced by the demo's sample rooms: every version but the newest restorable.
    space = page.locator("#pm-spaces-title").locator("xpath=..").locator("li.pm-record").first
    space_id = int((space.get_attribute("data-url") or "").rsplit("/", 1)[-1])
    with psycopg.connect(db) as conn:
        kept = conn.execute(
            "SELECT count(*) FROM record_versions WHERE object_type = 'space' AND object_id = %s", (space_id,)
        ).fetchone()
    assert kept is not None and kept[0] >= 1
    space.get_by_role("button", name=re.compile("^History of ")).click()
    space.get_by_text(re.compile("As first recorded")).wait_for()
    if kept[0] > 1:
        space.get_by_text(re.compile("Updated by an import")).first.wait_for()
    assert space.get_by_role("button", name=re.compile("^Restore this version")).count() == kept[0] - 1

    # Partners: the name is required and a website must be http(s); a name that is markup is shown as text.
    form = page.locator("#pm-partner-form")
    form.get_by_role("button", name="Add partner").click()
    expect(form.get_by_label(re.compile("^Name of the organisation"))).to_have_attribute(
        "aria-invalid", "true"
    )
    assert page.evaluate("document.activeElement.id") == "pm-partner-name"
    form.get_by_label(re.compile("^Name of the organisation")).fill(HOSTILE)
    form.get_by_label(re.compile("^Its role")).fill("Runs the <b>food</b> bank")
    form.get_by_label(re.compile("^Website")).fill("javascript:alert(1)")
    form.get_by_role("button", name="Add partner").click()
    expect(form.get_by_label(re.compile("^Website"))).to_have_attribute("aria-invalid", "true")
    form.get_by_label(re.compile("^Website")).fill("https://example.org/food")
    with page.expect_response(lambda r: r.url.endswith(f"/districts/{NORWICH}/partners")) as sent:
        form.get_by_role("button", name="Add partner").click()
    assert sent.value.status == 201
    partners = page.locator("#pm-partner-list")
    added = partners.locator("li.pm-partner").filter(has_text=HOSTILE)
    added.wait_for()
    assert added.get_by_role("link", name=HOSTILE).get_attribute("href") == "https://example.org/food"
    assert "Runs the <b>food</b> bank" in added.inner_text()
    assert page.locator("#pm-partners img").count() == 0
    assert page.locator("#pm-partners-status").inner_text() == f"Added: {HOSTILE}."
    assert form.get_by_label(re.compile("^Name of the organisation")).input_value() == ""
    with psycopg.connect(db) as conn:
        stored = conn.execute(
            "SELECT id, website FROM partners WHERE district_code = %s AND name = %s", (NORWICH, HOSTILE)
        ).fetchone()
    assert stored is not None and stored[1] == "https://example.org/food"

    page.locator("#pm-panels").screenshot(path=str(artifacts / "patch_actions.png"))
    assert axe(page) == []

    with page.expect_response(lambda r: r.url.endswith(f"/partners/{stored[0]}")) as sent:
        added.get_by_role("button", name=f"Remove {HOSTILE}").click()
    assert sent.value.status == 204
    page.locator("#pm-partners-status").get_by_text("is no longer listed").wait_for()
    assert partners.locator("li.pm-partner").filter(has_text=HOSTILE).count() == 0
    assert page.evaluate("document.activeElement.id") == "pm-partners-status"
    with psycopg.connect(db) as conn:
        gone = conn.execute("SELECT count(*) FROM partners WHERE name = %s", (HOSTILE,)).fetchone()
    assert gone == (0,)
    assert axe(page) == []
    watch.check()
    ctx.close()

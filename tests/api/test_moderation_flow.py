"""Moderation end to end in headless Chromium: a resident suggests a group on `/`, the Norwich co-ordinator signs
in, finds it among the offers waiting on their patch page and approves it, and it is on the residents' map; the
Breckland co-ordinator never sees it.

This module has its own database (the demo and three users), because what the browser does commits through the
app's own connections. Nothing may leave the machine (tests/resident_browser.Watch); axe-core (tests/vendor)
checks the patch page with its moderation controls; screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from psycopg.types.json import Jsonb
from sqlalchemy import Connection

from layers.access import auth
from layers.settings import AccessSettings, Settings, SubmissionSettings
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import (
    DESKTOP,
    HOSTILE,
    POSTCODE,
    Watch,
    axe,
    fill_offer_form,
    open_page,
    search,
    wait_for,
)

NORWICH, BRECKLAND = "E07000148", "E07000143"
PASSWORD = "correct horse battery staple"
USERS = {
    "norwich": ("norwich.mod@example.gov.uk", [NORWICH]),
    "breckland": ("breckland.mod@example.gov.uk", [BRECKLAND]),
}
RESIDENT_EMAIL = "sam@example.org"  # what fill_offer_form gives

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database with the demo and two co-ordinators; cookies allowed over http."""

    def users(conn: Connection) -> None:
        for email, districts in USERS.values():
            auth.create_user(conn, email=email, name="Test co-ordinator", role="coordinator",
                             password=PASSWORD, districts=districts)  # fmt: skip

    with demo_database(
        server_url,
        "patchmap_moderation",
        setup=users,
        access=AccessSettings(secure_cookies=False),
        submissions=SubmissionSettings(submission_limit=1000),
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


def signed_in(
    browser: Browser, live_url: str, settings: Settings, who: str
) -> tuple[BrowserContext, Page, Watch]:
    """A fresh context in which ``who`` has signed in through /sign-in and landed on their patch page."""
    ctx = browser.new_context(viewport=DESKTOP)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)
    page.goto(f"{live_url}/sign-in")
    page.get_by_label("Work email address").fill(USERS[who][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/patch/{USERS[who][1][0]}")
    wait_for(
        page,
        "window.Patchmap && Patchmap.patch && Patchmap.patch.loads > 0 && document.body.dataset.mapState === 'ready'",
        timeout=30_000,
    )
    return ctx, page, watch


def test_a_suggested_group_is_approved_and_reaches_the_map(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    """Resident suggests → Norwich co-ordinator approves from the patch page → on the residents' map; Breckland's
    co-ordinator neither sees it in their list nor can read it (404)."""
    name = f"Flow Test Knitters {uuid.uuid4().hex[:6]}"

    # A resident suggests a Norwich group through the form on the residents' map.
    ctx, page, watch = open_page(browser, live_url, app_settings)
    page.locator("#pm-offer-group summary").click()
    form = page.locator("#pm-offer-group form")
    fill_offer_form(form, "group")
    form.get_by_label("Name of the group").fill(name)
    form.get_by_label("When does it meet?").fill("Thursdays 2pm to 4pm")
    form.get_by_label("Where does it meet?").fill("St Giles Church Hall")
    form.get_by_label("Postcode where it meets").fill(POSTCODE)
    form.locator("button[type=submit]").click()
    done = form.locator(".pm-form-done")
    done.wait_for(state="visible")
    found = re.search(r"Your reference is ([A-Z0-9-]{6,})", done.inner_text())
    assert found, done.inner_text()
    reference = found.group(1)
    watch.check()
    ctx.close()

    # The Norwich co-ordinator signs in and sees it waiting, with what was offered.
    ctx, page, watch = signed_in(browser, live_url, app_settings, "norwich")
    offer = page.locator(f'li.pm-mod[data-reference="{reference}"]')
    assert offer.is_visible()
    submission_id = int(offer.get_attribute("data-id") or 0)
    assert submission_id > 0
    assert offer.get_by_role("heading", name=re.compile(re.escape(name))).is_visible()
    assert "We knit and chat" in offer.inner_text() and "Thursdays 2pm to 4pm" in offer.inner_text()
    assert RESIDENT_EMAIL not in page.content()  # the contact comes only from the moderation API
    offer.get_by_role("button", name=re.compile("^Show the resident's contact")).click()
    offer.get_by_role("link", name=RESIDENT_EMAIL).wait_for()
    approve = offer.get_by_role("button", name=f"Approve {reference}")
    assert approve.is_visible()
    assert offer.get_by_label(re.compile("^Reason for rejecting")).is_visible()
    assert offer.get_by_label(re.compile("^Question for the resident")).is_visible()
    assert offer.get_by_role("status").inner_text() == "Waiting for a decision"
    count = int(page.locator("#pm-pending-count").inner_text())
    offer.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "moderation_queue.png"), full_page=True)
    assert axe(page) == []

    # Approve: the offer says so in its live region, which takes the focus, with a link to the record.
    with page.expect_response(lambda r: r.url.endswith(f"/moderation/{submission_id}/approve")) as sent:
        approve.click()
    assert sent.value.status == 200
    status = offer.get_by_role("status")
    status.get_by_text("now on the residents' map").wait_for()
    assert status.inner_text().startswith("Approved: now on the residents' map.")
    assert page.evaluate("document.activeElement.classList.contains('pm-mod-status')")
    assert offer.get_by_role("button").count() == 0  # decided: no more actions
    assert int(page.locator("#pm-pending-count").inner_text()) == count - 1
    link = status.get_by_role("link", name="See its public record")
    href = link.get_attribute("href") or ""
    assert re.fullmatch(r"/groups/\d+", href), href
    record = ctx.request.get(live_url + href)
    assert record.status == 200 and record.json()["name"] == name
    page.screenshot(path=str(artifacts / "moderation_approved.png"), full_page=True)
    assert axe(page) == []
    watch.check()
    ctx.close()

    # On the residents' map, a search near it finds the group (nearby or serving the area).
    ctx, page, watch = open_page(browser, live_url, app_settings)
    search(page, POSTCODE)
    listed = page.locator("#pm-list > li, #pm-serving-list > li").filter(has_text=name)
    listed.first.wait_for()
    assert listed.count() == 1
    watch.check()
    ctx.close()

    # The Breckland co-ordinator: not in their list, and the submission is not found for them.
    ctx, page, watch = signed_in(browser, live_url, app_settings, "breckland")
    assert reference not in page.content() and name not in page.content()
    assert ctx.request.get(f"{live_url}/moderation/{submission_id}").status == 404
    queue = ctx.request.get(f"{live_url}/moderation/queue?status=approved")
    assert queue.status == 200 and reference not in queue.text()
    watch.check()
    ctx.close()


def test_reject_needs_a_reason_and_asking_for_more_is_shown(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    """Reject without a reason: said by the field, nothing sent; with one, rejected. Ask a question: waiting.
    A resident's hostile words are shown as text, never run."""
    with psycopg.connect(app_settings.database.url, autocommit=True) as conn:
        for ref in ("PM-FLOWREJ1", "PM-FLOWASK1"):
            conn.execute(
                """INSERT INTO submissions (reference, kind, status, details, contact, district_code, client_key)
                   VALUES (%s, 'group', 'pending', %s, %s, %s, 'k')""",
                (ref, Jsonb({"name": HOSTILE, "description": "<b>bold</b>"}), Jsonb({"email": "x@example.org"}),
                 NORWICH),
            )  # fmt: skip
    ctx, page, watch = signed_in(browser, live_url, app_settings, "norwich")
    assert page.get_by_text(HOSTILE).first.is_visible() and page.get_by_text("<b>bold</b>").first.is_visible()

    reject = page.locator('li.pm-mod[data-reference="PM-FLOWREJ1"]')
    reject.get_by_role("button", name="Reject PM-FLOWREJ1").click()
    reason = reject.get_by_label(re.compile("^Reason for rejecting"))
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.activeElement.name") == "reason"
    assert "Give a reason" in reject.locator(".pm-error").first.inner_text()
    assert reject.get_by_role("status").inner_text() == "Waiting for a decision"
    reason.fill("Not a local group: it meets in Leeds.")
    reject.get_by_role("button", name="Reject PM-FLOWREJ1").click()
    reject.get_by_role("status").get_by_text("Rejected").wait_for()
    assert reject.get_by_role("status").inner_text().startswith("Rejected: not published.")

    ask = page.locator('li.pm-mod[data-reference="PM-FLOWASK1"]')
    ask.get_by_label(re.compile("^Question for the resident")).fill("Which day does it meet?")
    ask.get_by_role("button", name="Ask for more information about PM-FLOWASK1").click()
    ask.get_by_role("status").get_by_text("Waiting for more information").wait_for()
    assert axe(page) == []

    with psycopg.connect(app_settings.database.url) as conn:
        rows = dict(
            conn.execute(
                "SELECT reference, status FROM submissions WHERE reference IN ('PM-FLOWREJ1', 'PM-FLOWASK1')"
            ).fetchall()
        )
    assert rows == {"PM-FLOWREJ1": "rejected", "PM-FLOWASK1": "needs_info"}
    watch.check()
    ctx.close()

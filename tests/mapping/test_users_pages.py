"""The users pages in headless Chromium: an admin adds a co-ordinator for Norwich with the plain form, sends
them a set-password link, the message is read from a local SMTP server (aiosmtpd), the new user sets a
password from it and signs in to their patch; an officer sees the list read-only. axe-core checks every page
(no serious or critical violations); screenshots go to tests/artifacts/ for a person to look at.

Its own database (the demo, an admin and an officer), served by uvicorn with its background sender running.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Connection

from layers.access import auth
from layers.settings import AccessSettings, Settings
from tests.layers.messages.mailroom import SmtpServer
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import DESKTOP, PHONE, Watch, axe

NORWICH = "E07000148"
PASSWORD = "correct horse battery staple"
ADMIN = ("pages.admin@example.gov.uk", "Alex Admin", "admin")
OFFICER = ("pages.officer@example.gov.uk", "Olu Officer", "officer")
NEW_EMAIL = "casey.new@example.gov.uk"
NEW_PASSWORD = "kettle orchard bicycle lantern"
LINK = re.compile(r"https?://\S+(/set-password\?token=\S+)")


@pytest.fixture(scope="module")
def app_settings(server_url: str, smtp_server: SmtpServer) -> Iterator[Settings]:
    """The demo, an admin and an officer; messages sent to the module's SMTP server."""

    def users(conn: Connection) -> None:
        for email, name, role in (ADMIN, OFFICER):
            auth.create_user(conn, email=email, name=name, role=role, password=PASSWORD)

    with demo_database(
        server_url, "patchmap_userpages", setup=users, access=AccessSettings(secure_cookies=False),
        mail=smtp_server.mail(mail_interval_s=0.05),
    ) as settings:  # fmt: skip
        yield settings


@pytest.fixture(scope="module")
def live_url(app_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free local port."""
    with served(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with chromium() as b:
        yield b


def _page(browser: Browser, live_url: str, settings: Settings, **options: Any) -> tuple[Page, Watch]:
    ctx = browser.new_context(locale="en-GB", timezone_id="Europe/London", **options)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)
    return page, watch


def _sign_in(page: Page, live_url: str, email: str, password: str) -> None:
    page.goto(f"{live_url}/sign-in")
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _links_to(smtp_server: SmtpServer, email: str, count: int) -> list[str]:
    """The set-password links (path and query) of the first ``count`` messages to ``email``, waiting for them."""

    def mine() -> list[Any]:
        return [a for a in smtp_server.inbox.arrived if email in a.rcpt_tos]

    with smtp_server.inbox.changed:
        assert smtp_server.inbox.changed.wait_for(lambda: len(mine()) >= count, 30), f"{len(mine())} messages"
    found = []
    for arrived in mine()[:count]:
        body = arrived.message.get_body(("plain",))
        assert body is not None and arrived.message["Subject"] == "Set your Patchmap password"
        match = LINK.search(body.get_content())
        assert match, body.get_content()
        found.append(match.group(1))
    return found


@pytest.mark.browser
def test_an_admin_adds_a_coordinator_who_sets_a_password_and_signs_in(
    browser: Browser, live_url: str, app_settings: Settings, smtp_server: SmtpServer, artifacts: Path
) -> None:
    """The whole loop in the browser, by keyboard-reachable forms that need no JavaScript."""
    admin, watch = _page(browser, live_url, app_settings, viewport=DESKTOP)
    _sign_in(admin, live_url, ADMIN[0], PASSWORD)
    admin.wait_for_url("**/analysis")
    admin.goto(f"{live_url}/admin/users")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Users")
    expect(admin.locator('[data-count-of="pm-users-list"]')).to_have_text("2")
    assert axe(admin) == []

    # A mistake first: a co-ordinator with no district. The problem is beside its field.
    admin.get_by_label("Name", exact=True).fill("Casey New")
    admin.get_by_label("Work email address").fill(NEW_EMAIL)
    admin.get_by_label(re.compile("^District co-ordinator")).check()
    admin.get_by_role("button", name="Add the user and send the link").click()
    expect(admin.locator("#pm-problem")).to_contain_text(
        "A district co-ordinator needs at least one district."
    )
    expect(admin.locator("#pm-user-districts-error")).to_be_visible()
    assert admin.title().startswith("Error: ")
    assert axe(admin) == []
    admin.screenshot(path=str(artifacts / "users_add_problem.png"), full_page=True)

    admin.get_by_label("Norwich").check()
    admin.get_by_role("button", name="Add the user and send the link").click()
    admin.wait_for_url("**/admin/users?done=created*")
    expect(admin.get_by_role("status")).to_contain_text("sent an email with a link")
    row = admin.locator("#pm-users-list tr", has_text="Casey New")
    expect(row).to_contain_text("District co-ordinator")
    expect(row).to_contain_text("Norwich")
    expect(row).to_contain_text("No password yet")
    expect(admin.locator('[data-count-of="pm-users-list"]')).to_have_text("3")
    assert axe(admin) == []
    admin.screenshot(path=str(artifacts / "users_list_admin.png"), full_page=True)

    # A second link from the user's page: the first stops working.
    row.get_by_role("link", name=re.compile("Casey New")).click()
    admin.wait_for_url("**/admin/users/*")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Casey New")
    assert axe(admin) == []
    admin.get_by_role("button", name="Send a set-password link").click()
    admin.wait_for_url("**?done=link")
    expect(admin.get_by_role("status")).to_contain_text("Any earlier link no longer works")
    admin.screenshot(path=str(artifacts / "users_user_admin.png"), full_page=True)
    first, second = _links_to(smtp_server, NEW_EMAIL, 2)

    # The new user, on another browser, from the message.
    casey, casey_watch = _page(browser, live_url, app_settings, viewport=PHONE)
    casey.goto(live_url + first)
    expect(casey.get_by_role("heading", level=1)).to_have_text("This link does not work")
    casey.goto(live_url + second)
    expect(casey.get_by_role("heading", level=1)).to_have_text("Set your password")
    assert axe(casey) == []
    casey.get_by_label("New password").fill("too short")
    casey.get_by_label("The same password again").fill("too short")
    casey.get_by_role("button", name="Set my password").click()
    expect(casey.locator("#pm-user-password-error")).to_contain_text("at least 12 characters")
    assert axe(casey) == []
    casey.screenshot(path=str(artifacts / "users_set_password_problem_phone.png"), full_page=True)
    casey.get_by_label("New password").fill(NEW_PASSWORD)
    casey.get_by_label("The same password again").fill(NEW_PASSWORD)
    casey.get_by_role("button", name="Set my password").click()
    expect(casey.get_by_role("heading", level=1)).to_have_text("Your password is set")
    assert axe(casey) == []
    casey.get_by_role("link", name="Sign in").click()
    casey.get_by_label("Work email address").fill(NEW_EMAIL)
    casey.get_by_label("Password").fill(NEW_PASSWORD)
    casey.get_by_role("button", name="Sign in").click()
    casey.wait_for_url(f"**/patch/{NORWICH}")
    expect(casey.get_by_role("heading", level=1)).to_contain_text("Norwich")
    casey.goto(live_url + second)  # used: refused
    expect(casey.get_by_role("heading", level=1)).to_have_text("This link does not work")
    expect(casey.locator("main")).to_contain_text("already been used")

    admin.goto(f"{live_url}/admin/users")
    expect(admin.locator("#pm-users-list tr", has_text="Casey New")).to_contain_text("Active")
    watch.check()
    casey_watch.check()


@pytest.mark.browser
def test_an_officer_sees_the_users_read_only(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path
) -> None:
    """An officer's list has no forms to add or change users, and says why; axe-clean at phone width too."""
    page, watch = _page(browser, live_url, app_settings, viewport=PHONE)
    _sign_in(page, live_url, OFFICER[0], PASSWORD)
    page.wait_for_url("**/analysis")
    page.goto(f"{live_url}/admin/users")
    expect(page.get_by_text("only an administrator can change them")).to_be_visible()
    expect(page.locator("#pm-users-list tr", has_text="Alex Admin")).to_contain_text("Administrator")
    assert page.locator("main form").count() == 0
    assert page.locator("#pm-users-list a").count() == 0
    # Each user is a card on a phone: nothing scrolls sideways, and each fact says what it is.
    region = page.locator(".pm-users-scroll")
    assert region.evaluate("r => r.scrollWidth <= r.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    role = page.locator("#pm-users-list tr", has_text="Alex Admin").locator("td[data-label=Role]")
    assert role.evaluate("td => getComputedStyle(td, '::before').content") == '"Role: "'
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "users_list_officer_phone.png"), full_page=True)
    watch.check()

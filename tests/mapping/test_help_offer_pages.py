"""Offers of help meet groups, end to end in headless Chromium: a resident offers help on `/` (agreeing to be
introduced), the Norwich co-ordinator accepts it on their patch page, finds it under "Offers of help to follow
up" with its matching groups and the reason for each, and introduces it to a consenting group in one click;
both messages arrive at a real local SMTP server (aiosmtpd), each with the other's contact; the offer shows as
introduced.

This module has its own database (the demo, with its sample volunteering, and a co-ordinator), because what
the browser does commits through the app's own connections. axe-core checks the patch page; screenshots go
to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Connection

from layers.access import auth
from layers.importers.demo_volunteering import add_sample_volunteering
from layers.settings import AccessSettings, Settings, SubmissionSettings
from tests.layers.messages.mailroom import Arrived, Inbox, SmtpServer
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import (
    DESKTOP,
    PHONE,
    Watch,
    axe,
    counts_that_disagree,
    fill_offer_form,
    open_page,
    wait_for,
)

NORWICH = "E07000148"
PASSWORD = "correct horse battery staple"
COORDINATOR = "help.norwich@example.gov.uk"
RESIDENT_EMAIL = "sam@example.org"  # what fill_offer_form gives
DRIVERS = "Mile Cross Community Drivers (sample group)"
DRIVERS_EMAIL = (
    "drivers.organiser@example.org"  # the sample group's organiser (layers/importers/demo_volunteering)
)
GARDENS = "City Centre Garden Volunteers (sample group)"  # has not agreed to introductions
WAIT_S = 60.0

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_settings(server_url: str, smtp_server: SmtpServer) -> Iterator[Settings]:
    """This module's own database with the demo and the Norwich co-ordinator; mail to the local server."""

    def users(conn: Connection) -> None:
        auth.create_user(conn, email=COORDINATOR, name="Help co-ordinator", role="coordinator",
                         password=PASSWORD, districts=[NORWICH])  # fmt: skip
        add_sample_volunteering(conn)  # as ``patchmap demo`` does (test databases leave it out)

    with demo_database(
        server_url,
        "patchmap_helpflow",
        setup=users,
        access=AccessSettings(secure_cookies=False),
        submissions=SubmissionSettings(submission_limit=1000),
        mail=smtp_server.mail(mail_interval_s=0.1),
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


def wait_for_mail(inbox: Inbox, to: str, subject: str) -> Arrived:
    """The first message to ``to`` whose subject contains ``subject``, waiting for it (no fixed sleep)."""

    def found() -> list[Arrived]:
        return [a for a in inbox.arrived if to in a.rcpt_tos and subject in str(a.message["Subject"])]

    with inbox.changed:
        assert inbox.changed.wait_for(lambda: bool(found()), WAIT_S), (
            f"no message to {to} about {subject!r}: {[str(a.message['Subject']) for a in inbox.arrived]}"
        )
        return found()[0]


def body_of(arrived: Arrived) -> str:
    part = arrived.message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def sign_in(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/sign-in")
    page.get_by_label("Work email address").fill(COORDINATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/patch/{NORWICH}")
    wait_for(page, "window.Patchmap && Patchmap.patch && Patchmap.patch.loads > 0", timeout=30_000)


def test_an_offer_of_help_is_introduced_to_a_matching_group(
    browser: Browser, live_url: str, app_settings: Settings, smtp_server: SmtpServer, artifacts: Path
) -> None:
    # A resident offers help on the residents' map, agreeing to be introduced to a group.
    ctx, page, watch = open_page(browser, live_url, app_settings)
    page.locator("#pm-offer-help summary").click()
    form = page.locator("#pm-offer-help form")
    fill_offer_form(form, "help")
    share = form.get_by_label(re.compile("^You may pass my name and contact details to a local group"))
    assert not share.is_checked()  # default no
    share.check()
    form.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "help_offer_form.png"), full_page=False)
    assert axe(page) == []
    form.locator("button[type=submit]").click()
    done = form.locator(".pm-form-done")
    done.wait_for(state="visible")
    found = re.search(r"Your reference is ([A-Z0-9-]{6,})", done.inner_text())
    assert found, done.inner_text()
    reference = found.group(1)
    watch.check()
    ctx.close()

    # The Norwich co-ordinator accepts it from the offers waiting for a decision.
    ctx = browser.new_context(viewport=DESKTOP)
    watch = Watch(live_url, app_settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    sign_in(page, live_url)
    pending = page.locator(f'li.pm-mod[data-reference="{reference}"]')
    submission_id = int(pending.get_attribute("data-id") or 0)
    with page.expect_response(lambda r: r.url.endswith(f"/moderation/{submission_id}/approve")) as sent:
        pending.get_by_role("button", name=f"Approve {reference}").click()
    assert sent.value.status == 200
    expect(page.locator(f'#pm-mod-list-done > li[data-reference="{reference}"]')).to_have_count(1)
    assert counts_that_disagree(page) == {}

    # Reloaded, the patch page lists it to follow up, with matching groups and their reasons.
    sign_in(page, live_url)
    section = page.locator("#pm-help-offers")
    offer = section.locator(f'li.pm-help-offer[data-reference="{reference}"]')
    offer.wait_for()
    count = int(section.locator(".pm-count").inner_text())
    assert count == section.locator("#pm-help-offer-list > li").count() >= 3  # the demo's sample offers too
    assert offer.get_by_role("heading", name="Offer of help from Sam Resident").is_visible()
    assert "Not introduced yet" in offer.locator(".pm-help-status").inner_text()
    assert RESIDENT_EMAIL not in page.content()  # no contact details on the page
    matches = offer.locator(".pm-help-match")
    names = [m.locator(".pm-help-group").inner_text() for m in matches.all()]
    assert DRIVERS in names, names
    drivers = matches.filter(has_text=DRIVERS)
    assert re.search(r"wants drivers; [\d.]+ km", drivers.locator(".pm-help-reason").inner_text())
    assert drivers.locator(".pm-badge--sample").inner_text() == "sample"
    # wants gardeners, but has not agreed: listed, and says why it cannot be introduced
    assert GARDENS in names, names
    gardens = matches.filter(has_text=GARDENS)
    assert gardens.get_by_role("button").count() == 0
    assert "has not agreed" in gardens.locator(".pm-help-cannot").inner_text()
    sample = section.locator('li.pm-help-offer[data-reference="PM-SAMPLE01"]')
    assert sample.locator(".pm-badge--sample").first.is_visible()
    offer.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "help_offers_to_follow_up.png"), full_page=False)
    assert axe(page) == []

    # One click introduces the volunteer to the group, by keyboard as by mouse.
    button = drivers.get_by_role("button", name=f"Introduce Sam Resident to {DRIVERS}")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    wait_for(page, "window.Patchmap && Patchmap.patch && Patchmap.patch.loads > 0", timeout=30_000)
    offer = page.locator(f'li.pm-help-offer[data-reference="{reference}"]')
    assert offer.locator(".pm-help-status").inner_text() == f"Introduced to {DRIVERS}"
    assert offer.get_attribute("data-follow-up") == "introduced"
    assert offer.locator(".pm-help-match").filter(has_text=DRIVERS).locator(".pm-help-done").inner_text() == (
        "Introduced"
    )
    offer.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "help_offer_introduced.png"), full_page=False)
    assert axe(page) == []

    # Both messages arrive, each with the other's contact.
    to_volunteer = wait_for_mail(smtp_server.inbox, RESIDENT_EMAIL, DRIVERS)
    to_group = wait_for_mail(smtp_server.inbox, DRIVERS_EMAIL, DRIVERS)
    assert DRIVERS_EMAIL in body_of(to_volunteer) and reference in body_of(to_volunteer)
    assert RESIDENT_EMAIL in body_of(to_group) and "Sam Resident" in body_of(to_group)
    assert "Driving to appointments" in body_of(to_group)

    # On a phone, the section reads in one column and its buttons are reachable.
    page.set_viewport_size(PHONE)
    offer.scroll_into_view_if_needed()
    close = offer.get_by_role("button", name=f"Close this offer {reference}")
    assert close.is_visible()
    box = close.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(artifacts / "help_offer_phone.png"), full_page=False)
    watch.check()
    ctx.close()

"""A resident's offer, followed in headless Chromium: sent from the map, acknowledged by email (read from a real
local SMTP server), looked up by reference and email, withdrawn from the emailed link; and a moderator's
question answered from its emailed link, then seen by the moderator on the patch page. axe on every page;
screenshots in tests/artifacts/.

The module has its own database (the demo, a named contact for Norwich, a co-ordinator), because the app
commits; it is dropped at the end.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from layers.access import auth
from layers.settings import AccessSettings, Settings, SubmissionSettings
from tests.layers.messages.mailroom import WAIT_S, SmtpServer
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import DESKTOP, PHONE, Watch, axe, fill_offer_form, open_page

NORWICH = "E07000148"
PASSWORD = "correct horse battery staple"
COORDINATOR = "offers.norwich@example.gov.uk"
CONTACT_ROLE = "Community Connector, Norwich"


@pytest.fixture(scope="module")
def app_settings(server_url: str, smtp_server: SmtpServer) -> Iterator[Settings]:
    """The demo with a named contact for Norwich and its co-ordinator, sending mail to the local server."""

    def setup(conn: Any) -> None:
        conn.execute(text("DELETE FROM area_contacts"))  # the demo's sample contacts: only ours here
        conn.execute(
            text(
                "INSERT INTO area_contacts (area_code, role_name, email, phone, office_hours) VALUES "
                "(:c, :r, 'connect.norwich@example.gov.uk', '01603 212020', 'Monday to Friday, 9am to 5pm') "
                "ON CONFLICT (area_code) DO UPDATE SET role_name = excluded.role_name, email = excluded.email"
            ),
            {"c": NORWICH, "r": CONTACT_ROLE},
        )
        auth.create_user(conn, email=COORDINATOR, name="Test co-ordinator", role="coordinator",
                         password=PASSWORD, districts=[NORWICH])  # fmt: skip

    with demo_database(
        server_url,
        "patchmap_offer_pages",
        setup=setup,
        submissions=SubmissionSettings(submission_secret="a test secret", submission_limit=1000),
        mail=smtp_server.mail(mail_interval_s=0.05),
        access=AccessSettings(secure_cookies=False),
    ) as settings:
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


def mail_to(smtp: SmtpServer, to: str, subject: str) -> EmailMessage:
    """Wait for the message to ``to`` whose subject has ``subject``; it."""
    inbox = smtp.inbox

    def found() -> list[EmailMessage]:
        return [a.message for a in inbox.arrived if to in a.rcpt_tos and subject in str(a.message["Subject"])]

    with inbox.changed:
        assert inbox.changed.wait_for(lambda: bool(found()), WAIT_S), f"no message {subject!r}"
        return found()[0]


def text_of(message: EmailMessage) -> str:
    """The message's plain text."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def local(live_url: str, body: str, path: str) -> str:
    """The first link to ``path`` in a message, on the served app (messages use the public address)."""
    found = re.search(r"https?://\S+(" + re.escape(path) + r"\?\S+)", body)
    assert found, body
    return live_url + found.group(1)


def watched(browser: Browser, live_url: str, settings: Settings, **options: Any) -> tuple[Any, Page, Watch]:
    """A new context and page whose requests stay local and whose errors are kept."""
    ctx = browser.new_context(locale="en-GB", **options)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    return ctx, page, watch


@pytest.mark.browser
def test_send_look_up_and_withdraw(
    browser: Browser, live_url: str, app_settings: Settings, smtp_server: SmtpServer, artifacts: Path
) -> None:
    """A resident sends a group from the map with an email, reads the acknowledgement (reference, contact),
    looks the offer up by reference and email, and withdraws it from the emailed link."""
    email = f"sam.{uuid.uuid4().hex[:8]}@example.org"
    ctx, page, watch = open_page(browser, live_url, app_settings)
    page.locator("#pm-offer-group summary").click()
    form = page.locator("#pm-offer-group form")
    fill_offer_form(form, "group")
    form.get_by_label("Email address").fill(email)
    form.locator("button[type=submit]").click()
    done = form.locator(".pm-form-done")
    done.wait_for(state="visible")
    reference = done.locator(".pm-reference").inner_text()
    assert re.fullmatch(r"PM-[0-9A-Z]{8}", reference)
    assert "We have emailed you this reference" in done.inner_text()

    message = mail_to(smtp_server, email, reference)
    body = text_of(message)
    assert (
        f"Your reference is {reference}." in body
        and f"Your council contact for Norwich: {CONTACT_ROLE}" in body
    )

    # The status page, by reference and email (the address typed in a different case).
    page.goto(local(live_url, body, "/offers/status"))
    assert page.get_by_label("Reference").input_value() == reference
    page.get_by_label("Email address").fill(email.upper())
    page.get_by_role("button", name="Check my offer").click()
    expect(page.locator(".pm-offer-status")).to_have_text("Received: a council officer will check it soon")
    expect(page.get_by_text(CONTACT_ROLE)).to_be_visible()
    assert email not in page.content().lower()
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "offer_status_desktop.png"), full_page=True)

    # A wrong email is told the same as an unknown reference.
    page.goto(f"{live_url}/offers/status?reference={reference}")
    page.get_by_label("Email address").fill("someone.else@example.org")
    page.get_by_role("button", name="Check my offer").click()
    expect(page.locator("#pm-offer-problem")).to_contain_text("We couldn't find an offer with that reference")
    assert axe(page) == []

    # Withdraw from the emailed link: opening it changes nothing; the button withdraws.
    page.goto(local(live_url, body, "/offers/withdraw"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw your offer")
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "offer_withdraw_desktop.png"), full_page=True)
    page.get_by_role("button", name="Withdraw my offer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your offer is withdrawn")
    expect(page.locator(".pm-offer-status")).to_have_text("Withdrawn")
    assert axe(page) == []
    assert "is withdrawn" in text_of(mail_to(smtp_server, email, "is withdrawn"))
    # The used link says so, plainly.
    page.goto(local(live_url, body, "/offers/withdraw"))
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    expect(page.get_by_text("This link has already been used")).to_be_visible()
    watch.check()
    ctx.close()


def _sign_in(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/sign-in")
    page.get_by_label("Work email address").fill(COORDINATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/patch/{NORWICH}")


@pytest.mark.browser
def test_question_answered_from_the_link_reaches_the_moderator(
    browser: Browser, live_url: str, app_settings: Settings, smtp_server: SmtpServer, artifacts: Path
) -> None:
    """The moderator asks a question; the resident answers from the emailed link on a phone; the moderator sees
    the answer with the offer on the patch page."""
    email = f"kim.{uuid.uuid4().hex[:8]}@example.org"
    staff_ctx, staff, staff_watch = watched(browser, live_url, app_settings, viewport=DESKTOP)
    body = {"name": "Mile Cross Walkers", "description": "A walk and a chat.", "categories": ["older-people"],
            "postcode": "NR2 1AW", "contact": {"name": "Kim", "email": email}, "consent": True}  # fmt: skip
    sent = staff.request.post(f"{live_url}/submissions/group", data=body)
    assert sent.status == 201, sent.text()
    reference = sent.json()["reference"]
    _sign_in(staff, live_url)
    sid = staff.locator(f'.pm-mod[data-reference="{reference}"]').get_attribute("data-id")
    csrf = staff.request.get(f"{live_url}/auth/me").json()["csrf_token"]
    question = "Which day of the week do you walk?"
    asked = staff.request.post(f"{live_url}/moderation/{sid}/needs-info", data={"question": question},
                               headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert asked.status == 200, asked.text()

    mail = text_of(mail_to(smtp_server, email, "A question about"))
    assert question in mail
    ctx, page, watch = watched(browser, live_url, app_settings, viewport=PHONE)
    page.goto(local(live_url, mail, "/offers/answer"))
    expect(page.get_by_text(question)).to_be_visible()
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > "
        "window.innerWidth).map(e => e.tagName + '.' + e.className)"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide
    assert axe(page) == []
    answer = "Thursdays, from the library at 10am <all welcome>."
    page.get_by_label(re.compile("^Your answer")).fill(answer)
    page.screenshot(path=str(artifacts / "offer_answer_phone.png"), full_page=True)
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your answer")
    expect(page.locator(".pm-offer-status")).to_have_text("Waiting for a decision")
    assert axe(page) == []
    watch.check()
    ctx.close()

    staff.goto(f"{live_url}/patch/{NORWICH}")
    item = staff.locator(f'.pm-mod[data-reference="{reference}"]')
    expect(item.locator(".pm-mod-reply")).to_have_text(answer)
    expect(item.locator(".pm-mod-replies")).to_contain_text(f"You asked: {question}")
    item.scroll_into_view_if_needed()
    item.screenshot(path=str(artifacts / "patch_offer_answer.png"))
    assert urlsplit(staff.url).path == f"/patch/{NORWICH}"
    staff_watch.check()
    staff_ctx.close()

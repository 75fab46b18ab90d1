"""An organiser updates their listing from an emailed link, in headless Chromium, with the message read from a
real local SMTP server (aiosmtpd): they find their group on the residents' map, follow "Update this listing",
ask for a link, open it from the email, change the meeting time and the description (live at once: the map's
details show them) and the name (it waits; the co-ordinator approves it on the patch page; then it shows).
Every page is checked with axe; screenshots go to tests/artifacts/.

This module has its own database (the demo, a co-ordinator, and a group at NR2 1AW's point whose organiser is
ORGANISER), served by uvicorn with the app's mail sender pointed at the test SMTP server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Connection, text

from layers.access import auth
from layers.settings import AccessSettings, Settings
from tests.layers.messages.mailroom import SmtpServer
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import (
    AXE,
    DESKTOP,
    PHONE,
    Watch,
    axe,
    search,
    wait_for,
    wait_for_details,
    wait_until_still,
)

NORWICH = "E07000148"
PASSWORD = "correct horse battery staple"
COORDINATOR = "org.coordinator@example.gov.uk"
ORGANISER = "knit.organiser@example.org"
PHONE_NUMBER = "01603 555 0142"
OLD_NAME, NEW_NAME = "Mile Cross Knit and Natter", "Mile Cross Knit, Natter & Cake"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _setup(conn: Connection) -> None:
    auth.create_user(conn, email=COORDINATOR, name="Test co-ordinator", role="coordinator", password=PASSWORD,
                     districts=[NORWICH])  # fmt: skip
    conn.execute(
        text(
            "INSERT INTO groups (name, description, venue_address, postcode, geom, location_precision, meets, "
            "private_contact) SELECT :n, 'Knitting and a chat.', 'Test Community Hall', p.postcode, p.geom, 'venue', "
            "CAST(:m AS jsonb), jsonb_build_object('email', CAST(:e AS text), 'phone', CAST(:p AS text)) "
            "FROM postcodes p WHERE p.postcode = 'NR2 1AW'"
        ),
        {"n": OLD_NAME, "m": '[{"days": ["tu"], "start": "14:00", "end": "16:00"}]', "e": ORGANISER,
         "p": PHONE_NUMBER},
    )  # fmt: skip


@pytest.fixture(scope="module")
def app_settings(server_url: str, smtp_server: SmtpServer) -> Iterator[Settings]:
    mail = smtp_server.mail(mail_interval_s=0.05)
    with demo_database(server_url, "patchmap_orgpages", setup=_setup, access=AccessSettings(secure_cookies=False),
                       mail=mail) as settings:  # fmt: skip
        yield settings


@pytest.fixture(scope="module")
def group_id(app_settings: Settings) -> int:
    with psycopg.connect(app_settings.database.url) as conn:
        row = conn.execute("SELECT id FROM groups WHERE name = %s", (OLD_NAME,)).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def live_url(app_settings: Settings, group_id: int) -> Iterator[str]:
    with served(app_settings) as url:
        yield url


def _page(browser: Browser, live_url: str, settings: Settings, **options: Any) -> tuple[Any, Page, Watch]:
    ctx = browser.new_context(locale="en-GB", timezone_id="Europe/London", **options)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.on("dialog", watch.dialog)
    return ctx, page, watch


def _axe_in(page: Page, selector: str) -> list[dict[str, Any]]:
    wait_until_still(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found: list[dict[str, Any]] = page.evaluate(
        """async (sel) => (await axe.run(sel, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))""",
        selector,
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def _open_details(page: Page, live_url: str, group_id: int) -> Any:
    """The residents' map, searched at NR2 1AW, with the group's details open (its full record fetched)."""
    page.goto(live_url + "/")
    wait_for(page, "window.Patchmap && Patchmap.current && document.body.dataset.mapState === 'ready'")
    search(page, "NR2 1AW")
    item = page.locator(f'#pm-list > li[data-key="group/{group_id}"]')
    item.locator(".pm-item-button").click()
    item.locator(".pm-detail").wait_for(state="visible")
    wait_for_details(page, f"group/{group_id}")
    return item


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.browser
def test_an_organiser_updates_their_listing_from_an_emailed_link(
    browser: Browser,
    live_url: str,
    app_settings: Settings,
    smtp_server: SmtpServer,
    group_id: int,
    artifacts: Path,
) -> None:
    ctx, page, watch = _page(browser, live_url, app_settings, viewport=DESKTOP)
    item = _open_details(page, live_url, group_id)
    assert ORGANISER not in page.content() and PHONE_NUMBER not in page.content()
    item.get_by_role("link", name=re.compile("^Update this listing")).click()
    page.wait_for_url(f"**/organisers/sign-in?kind=group&id={group_id}")
    assert axe(page) == []
    page.get_by_label("Your email address").fill(ORGANISER)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator("#pm-sent")).to_contain_text("we have sent it a link")
    assert ORGANISER not in page.content()
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "organiser_sign_in_sent.png"), full_page=True)

    [mail] = smtp_server.inbox.wait_for(1)
    assert mail.rcpt_tos == [ORGANISER] and mail.message["Subject"] == f"Your link to update {OLD_NAME}"
    body = mail.message.get_content()
    link = re.search(r"https?://\S+/organisers/link\?token=[A-Za-z0-9_-]+", body)
    assert link, body
    page.goto(live_url + _path(link.group(0)))
    assert axe(page) == []
    page.get_by_role("button", name=f"Sign in to edit {OLD_NAME}").click()
    page.wait_for_url("**/organisers/listing")
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "organiser_edit_form.png"), full_page=True)

    page.get_by_label("Starts").first.fill("18:30")
    page.get_by_label("Ends").first.fill("20:00")
    page.get_by_label("Description").fill("Knitting, a chat and cake. Beginners welcome.")
    page.get_by_label("Name", exact=True).fill(NEW_NAME)
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/organisers/listing?**")
    saved = page.locator("#pm-saved")
    expect(saved).to_contain_text("Live on the map now: Description, When it meets")
    expect(saved).to_contain_text("Sent to the council's co-ordinator: Name")
    expect(page.locator("#pm-pending")).to_contain_text(NEW_NAME)
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "organiser_saved.png"), full_page=True)

    # Live at once: the residents' map shows the new time and description, and still the old name.
    resident = ctx.new_page()
    resident.on("console", watch.console)
    item = _open_details(resident, live_url, group_id)
    detail = item.locator(".pm-detail")
    expect(detail).to_contain_text("Knitting, a chat and cake.")
    expect(detail).to_contain_text("18:30")
    expect(item.locator(".pm-item-name")).to_have_text(OLD_NAME)

    # The co-ordinator approves the name on the patch page.
    staff = ctx.new_page()
    staff.on("console", watch.console)
    staff.goto(f"{live_url}/sign-in")
    staff.get_by_label("Work email address").fill(COORDINATOR)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_url(f"**/patch/{NORWICH}")
    section = staff.locator("#pm-listing-changes")
    expect(section).to_contain_text(NEW_NAME)
    expect(section.locator(".pm-count")).to_have_text("1")
    assert _axe_in(staff, "#pm-listing-changes") == []
    section.screenshot(path=str(artifacts / "patch_listing_changes.png"))
    section.get_by_role("button", name=re.compile(f"^Approve.*{re.escape(OLD_NAME)}")).click()
    staff.wait_for_url(f"**/patch/{NORWICH}#pm-listing-changes")
    expect(staff.locator("#pm-listing-changes .pm-count")).to_have_text("0")

    arrived = smtp_server.inbox.wait_for(3)  # the link, the co-ordinator's notice, the organiser's answer
    to_organiser = [a.message["Subject"] for a in arrived if a.rcpt_tos == [ORGANISER]]
    assert to_organiser == [f"Your link to update {OLD_NAME}", f"Your change to {NEW_NAME} is live"]

    item = _open_details(resident, live_url, group_id)
    expect(item.locator(".pm-item-name")).to_have_text(NEW_NAME)
    watch.check()
    ctx.close()


@pytest.mark.browser
def test_the_forms_work_on_a_phone_and_without_javascript(
    browser: Browser, live_url: str, app_settings: Settings, artifacts: Path, group_id: int
) -> None:
    ctx, page, watch = _page(browser, live_url, app_settings, viewport=PHONE, java_script_enabled=False)
    page.goto(f"{live_url}/organisers/sign-in?kind=group&id={group_id}")
    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator("#pm-problem")).to_contain_text("Give your email address")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    page.screenshot(path=str(artifacts / "organiser_sign_in_phone.png"), full_page=True)
    page.goto(f"{live_url}/organisers/link?token=not-a-real-token")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    ctx.close()
    ctx, page, watch = _page(browser, live_url, app_settings, viewport=PHONE)
    page.goto(f"{live_url}/organisers/sign-in")
    assert axe(page) == []
    watch.check()
    ctx.close()

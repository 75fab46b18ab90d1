"""The co-ordinator's "Check and approve" page (issue 14): a resident's offer, prefilled in editable fields,
approved with corrections by a plain form post (no JavaScript), each problem beside its field.

End to end in headless Chromium: a resident suggests a group meeting on Tuesday 14:00–16:00 at a venue through
the residents' form; the Norwich co-ordinator opens its check page from the patch page, corrects the name,
approves; the group is on the residents' map with "Tuesday" and "14:00 to 16:00" kept. axe-core checks each
page; screenshots go to tests/artifacts/. The form's refusals (bad values, no CSRF token, another district,
not signed in) are checked over HTTP and change nothing.

This module has its own database (the demo and two co-ordinators): what the browser does commits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, expect
from psycopg.types.json import Jsonb
from sqlalchemy import Connection

from layers.access import auth
from layers.settings import AccessSettings, Settings, SubmissionSettings
from tests.live_app import chromium, demo_database, served
from tests.resident_browser import (
    DESKTOP,
    Watch,
    axe,
    fill_offer_form,
    open_page,
    search,
    wait_for,
    wait_for_details,
)

NORWICH, BRECKLAND, MANCROFT = "E07000148", "E07000143", "E05005882"
PASSWORD = "correct horse battery staple"
USERS = {
    "norwich": ("norwich.check@example.gov.uk", [NORWICH]),
    "breckland": ("breck.check@example.gov.uk", [BRECKLAND]),
}


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """This module's own database with the demo and two co-ordinators; cookies allowed over http."""

    def users(conn: Connection) -> None:
        for email, districts in USERS.values():
            auth.create_user(conn, email=email, name="Test co-ordinator", role="coordinator",
                             password=PASSWORD, districts=districts)  # fmt: skip

    with demo_database(
        server_url, "patchmap_offer_check", setup=users, access=AccessSettings(secure_cookies=False),
        submissions=SubmissionSettings(submission_limit=1000),
    ) as settings:  # fmt: skip
        yield settings


@pytest.fixture(scope="module")
def live_url(app_settings: Settings) -> Iterator[str]:
    with served(app_settings) as url:
        yield url


def insert(settings: Settings, details: dict[str, Any], kind: str = "group") -> tuple[int, str]:
    """A pending Norwich submission at a point in Mancroft; its id and reference."""
    reference = "PM-C" + uuid.uuid4().hex[:7].upper()
    with psycopg.connect(settings.database.url, autocommit=True) as conn:
        row = conn.execute(
            """INSERT INTO submissions (reference, kind, status, details, contact, district_code, ward_code,
                   postcode, geom, client_key)
               VALUES (%s, %s, 'pending', %s, %s, %s, %s, 'NR2 1AW',
                       ST_SetSRID(ST_MakePoint(1.29095, 52.62773), 4326), 'k') RETURNING id""",
            (reference, kind, Jsonb(details), Jsonb({"name": "Sam Resident", "email": "sam@example.org"}),
             NORWICH, MANCROFT),
        ).fetchone()  # fmt: skip
    assert row is not None
    return int(row[0]), reference


def state(settings: Settings, sid: int) -> tuple[Any, ...]:
    with psycopg.connect(settings.database.url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM groups), (SELECT count(*) FROM spaces), (SELECT count(*) FROM audit_log "
            "WHERE action = 'submission-approve'), (SELECT status FROM submissions WHERE id = %s)",
            (sid,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def session(live_url: str, who: str) -> tuple[httpx.Client, str]:
    """An HTTP client signed in through /auth/sign-in as ``who``, and its session's CSRF token."""
    client = httpx.Client(base_url=live_url, follow_redirects=False, timeout=30)
    answer = client.post(
        "/auth/sign-in",
        data={"email": USERS[who][0], "password": PASSWORD},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    return client, str(answer.json()["csrf_token"])


GROUP = {"name": "Tea & <b>Chat</b>", "description": "Tea and a chat.", "categories": ["older-people"],
         "days": ["tu"], "when": "14:00–16:00", "venue": "St Peter's Hall",
         "where": {"given": "postcode", "approximate": True}}  # fmt: skip
GOOD = {"name": "Tea and Chat", "description": "Tea and a chat.", "categories": ["older-people"], "days": ["tu"],
        "start": "14:00", "end": "16:00", "frequency": "weekly", "venue_address": "St Peter's Hall",
        "place": "venue", "website": "", "cost": "free", "step_free": "yes"}  # fmt: skip


def test_the_page_is_prefilled_escaped_and_only_for_the_districts_coordinator(
    app_settings: Settings, live_url: str
) -> None:
    sid, reference = insert(app_settings, GROUP)
    anonymous = httpx.get(f"{live_url}/patch/{NORWICH}/offers/{sid}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/sign-in"
    client, _ = session(live_url, "norwich")
    page = client.get(f"/patch/{NORWICH}/offers/{sid}")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert "Tea &amp; &lt;b&gt;Chat&lt;/b&gt;" in page.text and "<b>Chat" not in page.text
    assert 'value="14:00"' in page.text and 'value="16:00"' in page.text
    assert re.search(r'name="days" value="tu" checked', page.text)
    assert 'value="St Peter&#39;s Hall"' in page.text or 'value="St Peter\'s Hall"' in page.text
    assert reference in page.text
    assert client.get(f"/patch/{BRECKLAND}/offers/{sid}").status_code == 403  # not their district
    other, _ = session(live_url, "breckland")
    assert other.get(f"/patch/{BRECKLAND}/offers/{sid}").status_code == 404  # Norwich's offer: not found
    assert other.get(f"/patch/{NORWICH}/offers/{sid}").status_code == 403


def test_bad_values_are_shown_beside_their_fields_and_nothing_changes(
    app_settings: Settings, live_url: str
) -> None:
    sid, _ = insert(app_settings, GROUP)
    client, token = session(live_url, "norwich")
    before = state(app_settings, sid)
    bad = {**GOOD, "name": "", "start": "16:00", "end": "14:00", "cost": "cheap", "csrf_token": token}
    page = client.post(f"/patch/{NORWICH}/offers/{sid}", data=bad)
    assert page.status_code == 422
    for field in ("name", "end", "cost"):
        assert f'id="pm-f-{field}-error"' in page.text, field
        assert re.search(rf'id="pm-f-{field}"[^>]*aria-invalid="true"', page.text), field
    assert "The end must be after the start" in page.text and "Not approved yet" in page.text
    assert state(app_settings, sid) == before
    no_days = {**GOOD, "days": [], "csrf_token": token}
    assert 'id="pm-f-days-error"' in client.post(f"/patch/{NORWICH}/offers/{sid}", data=no_days).text
    assert client.post(f"/patch/{NORWICH}/offers/{sid}", data=GOOD).status_code == 403  # no CSRF token
    other, other_token = session(live_url, "breckland")
    assert (
        other.post(f"/patch/{NORWICH}/offers/{sid}", data={**GOOD, "csrf_token": other_token}).status_code
        == 403
    )
    assert state(app_settings, sid) == before


def test_a_space_and_an_offer_of_help_are_approved_from_the_form(
    app_settings: Settings, live_url: str
) -> None:
    space, _ = insert(app_settings, {"name": "Back room", "space_kind": "room", "description": "Seats 30.",
                                     "capacity": 30, "days": ["mo"], "when": "evenings"}, "space")  # fmt: skip
    client, token = session(live_url, "norwich")
    page = client.get(f"/patch/{NORWICH}/offers/{space}")
    assert re.search(
        r'<option value="yes" selected>Yes</option>', page.text
    )  # evenings: yes, from "evenings"
    form = {"name": "The back room", "kind": "room", "description": "Seats 30.", "address": "", "capacity": "x",
            "price_band": "free", "weekdays": "yes", "evenings": "yes", "weekends": "no", "notes": "Mondays",
            "step_free": "", "csrf_token": token}  # fmt: skip
    assert 'id="pm-f-capacity-error"' in client.post(f"/patch/{NORWICH}/offers/{space}", data=form).text
    done = client.post(f"/patch/{NORWICH}/offers/{space}", data={**form, "capacity": "25"})
    assert done.status_code == 303 and done.headers["location"].startswith(f"/patch/{NORWICH}?approved=")
    with psycopg.connect(app_settings.database.url) as conn:
        published = conn.execute("SELECT published_as FROM submissions WHERE id = %s", (space,)).fetchone()
        assert published is not None
        row = conn.execute(
            "SELECT name, capacity, availability FROM spaces WHERE id = %s",
            (int(published[0].split("/")[1]),),
        ).fetchone()
    assert row is not None and row[0] == "The back room" and row[1] == 25
    assert (row[2]["weekdays"], row[2]["evenings"], row[2]["weekends"]) == (True, True, False)

    helper, _ = insert(app_settings, {"offer": "Shopping.", "skills": ["driving"], "days": ["sa"]}, "help")
    page = client.get(f"/patch/{NORWICH}/offers/{helper}")
    assert "Accept the offer of help" in page.text
    assert client.post(f"/patch/{NORWICH}/offers/{helper}", data={"csrf_token": token}).status_code == 303
    with psycopg.connect(app_settings.database.url) as conn:
        assert conn.execute(
            "SELECT status, follow_up FROM submissions WHERE id = %s", (helper,)
        ).fetchone() == (
            "approved",
            "open",
        )


@pytest.mark.browser
def test_suggested_with_days_corrected_and_approved_and_on_the_map_with_its_day(
    app_settings: Settings, live_url: str, artifacts: Path
) -> None:
    name = f"Tuesday Natter {uuid.uuid4().hex[:6]}"
    with chromium() as browser:
        _suggest(browser, live_url, app_settings, name)
        group_url = _check_and_approve(browser, live_url, app_settings, name, artifacts)
        _on_the_map(browser, live_url, app_settings, group_url, artifacts)


def _suggest(browser: Browser, live_url: str, settings: Settings, name: str) -> None:
    """A resident suggests a group meeting on Tuesdays 14:00–16:00 at a venue, through the residents' form."""
    ctx, page, watch = open_page(browser, live_url, settings)
    page.locator("#pm-offer-group summary").click()
    form = page.locator("#pm-offer-group form")
    fill_offer_form(form, "group")
    form.get_by_label("Name of the group").fill(name.lower())  # to be corrected by the co-ordinator
    form.get_by_label("Tuesday").check()
    form.get_by_label("When does it meet?").fill("14:00–16:00")
    form.get_by_label("Where does it meet?").fill("St Peter Mancroft church hall")
    form.get_by_label("Postcode where it meets").fill("NR2 1AW")
    form.locator("button[type=submit]").click()
    form.locator(".pm-form-done").wait_for(state="visible")
    watch.check()
    ctx.close()


def _check_and_approve(
    browser: Browser, live_url: str, settings: Settings, name: str, artifacts: Path
) -> str:
    """The Norwich co-ordinator opens the check page from the patch page, corrects the name, approves."""
    ctx = browser.new_context(viewport=DESKTOP)
    watch = Watch(live_url, settings.map.tile_url)
    ctx.route("**/*", watch.route)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))
    page.on("console", watch.console)
    page.goto(f"{live_url}/sign-in")
    page.get_by_label("Work email address").fill(USERS["norwich"][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/patch/{NORWICH}")
    offer = page.locator("li.pm-mod").filter(has_text=name.lower())
    reference = offer.get_attribute("data-reference") or ""
    offer.get_by_role("link", name=f"Check, correct and approve {reference}").click()
    page.wait_for_url(re.compile(rf"/patch/{NORWICH}/offers/\d+$"))
    assert page.get_by_label("Name", exact=True).input_value() == name.lower()
    assert page.get_by_label("Starts (24-hour, like 14:00)").input_value() == "14:00"
    assert page.get_by_label("Ends (24-hour, like 16:00)").input_value() == "16:00"
    assert page.get_by_role("group", name="Days it meets").get_by_label("Tuesday").is_checked()
    assert "14:00–16:00" in page.locator(".pm-check-wrote").inner_text()  # the resident's own words
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "offer_check.png"), full_page=True)

    # A mistake first: the end before the start is said beside the field, and the problem list takes focus.
    page.get_by_label("Ends (24-hour, like 16:00)").fill("13:00")
    page.get_by_role("button", name="Approve and publish").click()
    page.get_by_role("alert").wait_for()
    assert "The end must be after the start" in page.locator("#pm-f-end-error").inner_text()
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "offer_check_problem.png"), full_page=True)

    page.get_by_label("Ends (24-hour, like 16:00)").fill("16:00")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Show it at the place the resident gave").check()
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url(re.compile(rf"/patch/{NORWICH}\?approved="))
    with psycopg.connect(settings.database.url) as conn:
        row = conn.execute(
            "SELECT published_as FROM submissions WHERE reference = %s", (reference,)
        ).fetchone()
    assert row is not None and row[0].startswith("group/")
    watch.check()
    ctx.close()
    return "/groups/" + row[0].split("/")[1]


def _on_the_map(browser: Browser, live_url: str, settings: Settings, group_url: str, artifacts: Path) -> None:
    """On the residents' map the group is listed near NR2 1AW, and its details say Tuesday, 14:00 to 16:00."""
    record = httpx.get(live_url + group_url).json()
    assert record["meets"] == [{"days": ["tu"], "start": "14:00", "end": "16:00", "frequency": None}]
    ctx, page, watch = open_page(browser, live_url, settings)
    search(page, "NR2 1AW", samples=True)
    item = page.locator("#pm-list > li", has_text=record["name"])
    item.wait_for()
    assert item.locator(".pm-badge", has_text="Sample").count() == 0  # a resident's venue, not made up
    item.locator(".pm-item-button").click()
    wait_for_details(page, item.get_attribute("data-key") or "")
    detail = item.locator(".pm-detail")
    expect(detail).to_contain_text("14:00 to 16:00", timeout=30_000)
    text = detail.inner_text()
    assert "Tuesday" in text and "14:00 to 16:00" in text and "St Peter Mancroft church hall" in text
    wait_for(page, "t => [...document.querySelectorAll('.pm-marker')].some(m => (m.title || '').startsWith(t))",
             arg=record["name"])  # fmt: skip
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "offer_check_on_map.png"))

    # A demo group at a made-up venue says so: its marker, its entry in the list and its details.
    search(page, "NR4 6BX", samples=True)
    sample = page.locator("#pm-list > li", has_text="Care for Carers")
    sample.locator(".pm-badge", has_text="Sample").wait_for(state="visible")
    sample.locator(".pm-item-button").click()
    wait_for_details(page, sample.get_attribute("data-key") or "")
    expect(sample.locator(".pm-detail")).to_contain_text("Sample venue", timeout=30_000)
    assert "sample venue, made up for the demo" in sample.locator(".pm-detail").inner_text()
    wait_for(
        page,
        "() => [...document.querySelectorAll('.pm-marker')].some(m => m.title === 'Care for Carers (sample)')",
    )
    assert axe(page) == []
    page.screenshot(path=str(artifacts / "demo_group_sample_venue.png"))
    watch.check()
    ctx.close()

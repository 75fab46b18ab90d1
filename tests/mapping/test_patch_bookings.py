"""The bookings panels of the co-ordinator's patch page: requests confirmed or declined with plain forms,
the week's bookings per hub, rooms free now, a resource's rules (a form with each problem beside its field,
and ``PATCH /resources/{id}``), and the messages held in the outbox (never their text).

Its own database (fixtures shared with test_booking_pages: the demo, a hub with two sample rooms, two
co-ordinators), dropped at the end.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from layers.booking.rules import LONDON
from layers.settings import Settings
from tests.mapping import test_booking_pages as shared
from tests.mapping.test_booking_pages import (
    BOOKER_EMAIL,
    BRECKLAND,
    HALL,
    NORWICH,
    book,
    sign_in,
    token_of,
    tomorrow,
)
from tests.waiting import until

# The booking pages' fixtures, made again for this module: its own database, rooms and client.
app_settings = shared.app_settings
rooms = shared.rooms
web = shared.web

PATCH = f"/patch/{NORWICH}"


def test_requests_are_listed_and_answered_with_plain_forms(web: TestClient, rooms: dict[str, Any]) -> None:
    """Two requests wait on the patch page (no contact shown); Confirm and Decline (with a reason) work as
    plain form posts and come back to the page; the week's list shows the confirmed one."""
    web.cookies.clear()
    first = book(web, rooms["room"], tomorrow(), "09:00", purpose="Parents' coffee morning")
    second = book(web, rooms["room"], tomorrow(), "13:00")
    csrf = sign_in(web, "norwich")
    html = web.get(PATCH).text
    for heading in (
        "Booking requests",
        "Bookings this week",
        "Free now",
        "Booking rules",
        "Messages waiting",
    ):
        assert f">{heading} <span" in html, heading
    assert first["reference"] in html and second["reference"] in html
    assert "Parents&#39; coffee morning" in html and BOOKER_EMAIL not in html and "Pat Booker" not in html
    assert f'action="{PATCH}/bookings/{first["reference"]}/confirm"' in html

    r = web.post(
        f"{PATCH}/bookings/{first['reference']}/confirm", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith(PATCH)
    assert (
        web.get(f"/bookings/{first['reference']}?token={token_of(first['manage_url'])}").json()["status"]
        == "confirmed"
    )
    again = web.post(f"{PATCH}/bookings/{first['reference']}/confirm", data={"csrf_token": csrf})
    assert again.status_code == 409 and "text/html" in again.headers["content-type"]

    empty = web.post(
        f"{PATCH}/bookings/{second['reference']}/decline", data={"csrf_token": csrf, "reason": ""}
    )
    assert empty.status_code == 422  # a reason is needed
    r = web.post(f"{PATCH}/bookings/{second['reference']}/decline",
                 data={"csrf_token": csrf, "reason": "The hall is being painted."}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    view = web.get(f"/bookings/{second['reference']}?token={token_of(second['manage_url'])}").json()
    assert view["status"] == "declined" and view["decision_reason"] == "The hall is being painted."

    html = web.get(PATCH).text
    requests = html.split('id="pm-book-requests"')[1].split("</section>")[0]
    assert first["reference"] not in requests and second["reference"] not in requests
    week = html.split('id="pm-book-week"')[1].split("</section>")[0]
    assert first["reference"] in week and second["reference"] not in week and "Booking Test Centre" in week
    assert "Confirmed a booking" in html or "confirm" in html  # the audit entry, in words
    web.post(f"/bookings/{first['reference']}/cancel", json={"token": token_of(first["manage_url"])})
    web.cookies.clear()


def test_forms_need_the_csrf_token_and_the_district(web: TestClient, rooms: dict[str, Any]) -> None:
    """Without the session's CSRF token a form post is refused (403 page); another district's co-ordinator
    cannot answer Norwich's requests; a visitor is sent to sign in."""
    web.cookies.clear()
    made = book(web, rooms["room"], tomorrow() + timedelta(days=8), "09:00")
    ref = made["reference"]
    assert (
        web.post(f"{PATCH}/bookings/{ref}/confirm", follow_redirects=False).headers["location"] == "/sign-in"
    )
    sign_in(web, "norwich")
    refused = web.post(f"{PATCH}/bookings/{ref}/confirm", data={"csrf_token": "wrong"})
    assert refused.status_code == 403 and "security token" in refused.text
    csrf = sign_in(web, "breckland")
    assert web.post(f"{PATCH}/bookings/{ref}/confirm", data={"csrf_token": csrf}).status_code == 403
    assert (
        web.post(f"/patch/{BRECKLAND}/bookings/{ref}/confirm", data={"csrf_token": csrf}).status_code == 404
    )
    token = token_of(made["manage_url"])
    assert web.get(f"/bookings/{ref}?token={token}").json()["status"] == "requested"
    web.post(f"/bookings/{ref}/cancel", json={"token": token})
    web.cookies.clear()


def test_free_now_means_free_for_the_next_hour(web: TestClient, rooms: dict[str, Any]) -> None:
    """The room open all day is free now; once something is booked at the next hour it is not."""
    sign_in(web, "norwich")
    html = web.get(PATCH).text
    free = html.split('id="pm-book-free"')[1].split("</section>")[0]
    assert f'href="/book/room/{rooms["hostile_room"]}"' in free
    assert "&lt;img src=x onerror=alert(1)&gt;" in free and "<img src=x" not in free
    # The next whole hour at least two minutes on (London's hours begin with UTC's), so it is still to come
    # when booked; given with its offset, as "01:00" on a clock-change night does not exist or happens twice.
    start = (datetime.now(UTC) + timedelta(minutes=62)).replace(minute=0, second=0, microsecond=0)
    web.cookies.clear()
    made = book(web, rooms["hostile_room"], start.astimezone(LONDON), minutes=60, attendees=2)
    sign_in(web, "norwich")

    def booked_out() -> bool:
        free = web.get(PATCH).text.split('id="pm-book-free"')[1].split("</section>")[0]
        return f'href="/book/room/{rooms["hostile_room"]}"' not in free

    # at once, unless the hour booked starts more than an hour from now (at most two minutes more)
    until(booked_out, "the room booked within the next hour to leave 'Free now'")
    web.post(f"/bookings/{made['reference']}/cancel", json={"token": token_of(made["manage_url"])})
    web.cookies.clear()


def test_rules_form_shows_each_problem_beside_its_field(web: TestClient, rooms: dict[str, Any]) -> None:
    """The rules form: bad values come back (422) with each problem beside its field and nothing saved; good
    values are saved (303) and shown on the patch page and the booking page."""
    csrf = sign_in(web, "norwich")
    url = f"{PATCH}/resources/{rooms['resource']}"
    page = web.get(url)
    assert (
        page.status_code == 200
        and 'value="Mo-Su 08:00-20:00"' in page.text
        and 'name="csrf_token"' in page.text
    )
    form = {"csrf_token": csrf, "weekly_hours": "whenever", "rate_band": "free", "price_per_hour": "12.50",
            "slot_minutes": "60", "min_minutes": "90", "max_minutes": "240", "lead_minutes": "0",
            "horizon_days": "60", "buffer_minutes": "0", "approval": "request", "bookable": "true", "terms": ""}  # fmt: skip
    bad = web.post(url, data=form)
    assert bad.status_code == 422 and "<title>Error: " in bad.text
    assert re.search(r'id="pm-rule-weekly_hours-error">Write the hours as days and times', bad.text)
    assert 'id="pm-rule-weekly_hours" name="weekly_hours" value="whenever"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    form["weekly_hours"] = "Mo-Fr 09:00-21:00; Sa 10:00-16:00"
    bad = web.post(url, data=form)
    assert bad.status_code == 422
    assert "A free rate costs nothing" in bad.text and "whole number of 60-minute slots" in bad.text
    assert "Mo-Su 08:00-20:00" in web.get(url).text  # nothing saved

    form.update(rate_band="market", price_per_hour="20", min_minutes="120")
    saved = web.post(url, data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=true")
    assert "Saved" in web.get(saved.headers["location"]).text
    rules = web.get(PATCH).text.split('id="pm-book-rules"')[1]
    assert "Mo-Fr 09:00-21:00; Sa 10:00-16:00; £20.00 an hour (market rate); 2 hours to 4 hours" in rules
    assert "£20.00 per hour (Market rate)" in web.get(f"/book/room/{rooms['room']}").text
    form.update(
        weekly_hours="Mo-Su 08:00-20:00", rate_band="low-cost", price_per_hour="12.50", min_minutes="60"
    )
    assert web.post(url, data=form, follow_redirects=False).status_code == 303
    web.cookies.clear()


def test_patch_resource_rules_as_json(web: TestClient, rooms: dict[str, Any]) -> None:
    """PATCH /resources/{id}: signed in, with the CSRF header, in the district; each problem named; audited."""
    url = f"/resources/{rooms['resource']}"
    web.cookies.clear()
    assert web.patch(url, json={"buffer_minutes": 15}).status_code == 401
    csrf = sign_in(web, "breckland")
    assert web.patch(url, json={"buffer_minutes": 15}, headers={"X-CSRF-Token": csrf}).status_code == 403
    csrf = sign_in(web, "norwich")
    assert web.patch(url, json={"buffer_minutes": 15}).status_code == 403  # no CSRF token
    r = web.patch(url, json={"buffer_minutes": 15}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["buffer_minutes"] == 15 and r.json()["name"] == HALL
    r = web.patch(url, json={"min_minutes": 300}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "max_minutes" in r.json()["detail"]
    r = web.patch(url, json={"colour": "red"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422
    assert web.patch("/resources/999999", json={}, headers={"X-CSRF-Token": csrf}).status_code == 404
    r = web.patch(url, json={"buffer_minutes": 0}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["buffer_minutes"] == 0
    assert "Changed booking rules" in web.get(PATCH).text
    web.cookies.clear()


def test_messages_waiting_show_subject_and_status_never_the_text(
    web: TestClient, rooms: dict[str, Any], app_settings: Settings
) -> None:
    """A message held in the outbox is listed by subject, about and status; its body and recipient never."""
    with psycopg.connect(app_settings.database.url, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO outbox (dedupe_key, recipient, recipient_role, subject, body, about, district_code)
               VALUES ('test:held', 'private.recipient@example.org', 'booker', 'Your booking <b>test</b>',
                       'THE SECRET BODY', 'booking/BK-TESTTEST', %s)""",
            (NORWICH,),
        )
    sign_in(web, "norwich")
    html = web.get(PATCH).text
    messages = html.split('id="pm-book-messages"')[1].split("</section>")[0]
    assert "Your booking &lt;b&gt;test&lt;/b&gt;" in messages and "booking/BK-TESTTEST" in messages
    assert "Waiting to be sent" in messages
    assert "THE SECRET BODY" not in html and "private.recipient@example.org" not in html
    web.cookies.clear()

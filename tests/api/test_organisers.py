"""Organisers update their own listing from an emailed link (api/routes/organisers.py, layers/records/organisers.py).

Asking for a link answers the same whether or not the address is known; a link's GET changes nothing and its
POST uses it once; a used, expired or other purpose's link is refused and changes nothing; the session edits its
one listing only (another id, a missing CSRF token, no cookie: refused, unchanged); small fields go live as an
organiser's version, the name waits for the co-ordinator, who approves or rejects it in their district only.

This module has its own database (the demo, two co-ordinators, a group in Norwich and one in Breckland), because
the app commits through its own connections. Messages are read from the outbox here (the browser test reads
them from a real SMTP server).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from api.main import create_app
from layers.access import auth, links
from layers.db import make_engine
from layers.errors import InvalidInput, RateLimited
from layers.records import organisers
from layers.settings import AccessSettings, Settings, SubmissionSettings
from tests.conftest import SUITE_LOG
from tests.live_app import demo_database

NORWICH, BRECKLAND = "E07000148", "E07000143"
PASSWORD = "correct horse battery staple"
USERS = {
    "norwich": ("org.norwich@example.gov.uk", [NORWICH]),
    "breckland": ("org.breckland@example.gov.uk", [BRECKLAND]),
}
ORGANISER = "club.organiser@example.org"
OTHER_ORGANISER = "other.organiser@example.org"
PHONE = "01603 555 0199"
SENT = "If that email address is the contact for a listing on Patchmap, we have sent it a link"


def _setup(conn: Connection) -> None:
    for who, (email, districts) in USERS.items():
        auth.create_user(conn, email=email, name=f"Test {who}", role="coordinator", password=PASSWORD,
                         districts=districts)  # fmt: skip


@pytest.fixture(scope="module")
def app_settings(server_url: str) -> Iterator[Settings]:
    """The module's own database, dropped at the end."""
    access, submissions = AccessSettings(secure_cookies=False), SubmissionSettings(submission_limit=1000)
    with demo_database(server_url, "patchmap_org", setup=_setup, access=access, submissions=submissions) as s:
        yield s


@pytest.fixture(scope="module")
def records(app_settings: Settings) -> dict[str, int]:
    """A group in Norwich run by ORGANISER, and one in Breckland run by OTHER_ORGANISER."""
    ids = {}
    with psycopg.connect(app_settings.database.url, autocommit=True) as conn:
        for key, name, lon, lat, email in (
            ("norwich", "Tuesday Test Club", 1.2897, 52.6309, ORGANISER),
            ("breckland", "Thetford Test Club", 0.7497, 52.4137, OTHER_ORGANISER),
        ):
            row = conn.execute(
                "INSERT INTO groups (name, description, venue_address, geom, location_precision, meets, "
                "private_contact) VALUES (%s, 'Knitting and tea.', 'Test Hall', ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
                '\'venue\', \'[{"days": ["tu"], "start": "14:00", "end": "16:00"}]\', '
                "jsonb_build_object('email', %s::text, 'phone', %s::text)) RETURNING id, lsoa_code",
                (name, lon, lat, email, PHONE),
            ).fetchone()
            assert row is not None and row[1] is not None
            ids[key] = row[0]
    return ids


@pytest.fixture(scope="module")
def web(app_settings: Settings, records: dict[str, int]) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def db(app_settings: Settings) -> Iterator[Any]:
    engine = make_engine(app_settings.database)
    yield engine
    engine.dispose()


def one(db: Any, query: str, **params: Any) -> Any:
    with db.connect() as conn:
        return conn.execute(text(query), params).first()


def mails_to(db: Any, address: str) -> list[Any]:
    with db.connect() as conn:
        return conn.execute(text("SELECT subject, body, about FROM outbox WHERE recipient = :r ORDER BY id"),
                            {"r": address}).all()  # fmt: skip


def token_in(body: str) -> str:
    found = re.findall(r"/organisers/link\?token=([A-Za-z0-9_-]+)", body)
    assert found, body
    return found[-1]


def ask(web: TestClient, email: str, **more: Any) -> Any:
    web.cookies.clear()
    return web.post("/organisers/sign-in", data={"email": email, **more})


def signed_in(web: TestClient, db: Any, gid: int) -> str:
    """Ask for a link for ``gid``, open it and press its button; the form's CSRF token."""
    r = ask(web, ORGANISER, kind="group", id=str(gid))
    assert r.status_code == 200
    token = token_in(mails_to(db, ORGANISER)[-1].body)
    r = web.post("/organisers/session", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/organisers/listing"
    page = web.get("/organisers/listing")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert match
    return match.group(1)


def council(web: TestClient, who: str) -> str:
    web.cookies.clear()
    r = web.post("/auth/sign-in", data={"email": USERS[who][0], "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(web.get("/auth/me").json()["csrf_token"])


def group(web: TestClient, gid: int) -> dict[str, Any]:
    r = web.get(f"/groups/{gid}")
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


# ---------------------------------------------------------------- asking for a link


def test_asking_answers_the_same_for_a_known_and_an_unknown_address(web: TestClient, db: Any, records: dict[str, int]) -> None:  # fmt: skip
    before = len(mails_to(db, ORGANISER))
    known = ask(web, ORGANISER)
    unknown = ask(web, "nobody.here@example.org")
    assert known.status_code == unknown.status_code == 200
    assert SENT in known.text and SENT in unknown.text
    strip = re.compile(r'nonce="[^"]*"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    assert ORGANISER not in known.text
    assert mails_to(db, "nobody.here@example.org") == []
    new = mails_to(db, ORGANISER)[before:]
    assert [m.subject for m in new] == ["Your link to update Tuesday Test Club"]
    secret = token_in(new[0].body)
    stored = one(db, "SELECT token_hash, purpose, action, object_id, expires_at - created_at AS lasts FROM link_tokens "
                     "WHERE token_hash = :h", h=auth.digest(secret))  # fmt: skip
    assert stored is not None and stored.purpose == "organiser" and stored.action == "sign-in"
    assert stored.object_id == records["norwich"] and abs(stored.lasts - timedelta(hours=24)) < timedelta(
        minutes=1
    )
    assert one(db, "SELECT 1 FROM link_tokens WHERE token_hash = :s", s=secret) is None  # only the digest


def test_a_bad_address_gets_the_form_again(web: TestClient) -> None:
    r = ask(web, "not an address")
    assert r.status_code == 422 and "Give your email address" in r.text and 'aria-invalid="true"' in r.text


def test_asking_is_rate_limited_per_client(db: Any) -> None:
    with db.connect() as conn, conn.begin() as tx:
        for _ in range(2):
            organisers.request_links(conn, "nobody@example.org", kind=None, record_id=None, client="k1", limit=2,
                                     window_minutes=60, link_hours=1, public_url="http://x")  # fmt: skip
        with pytest.raises(RateLimited):
            organisers.request_links(conn, "nobody@example.org", kind=None, record_id=None, client="k1", limit=2,
                                     window_minutes=60, link_hours=1, public_url="http://x")  # fmt: skip
        # another client is not held back
        organisers.request_links(conn, "nobody@example.org", kind=None, record_id=None, client="k2", limit=2,
                                 window_minutes=60, link_hours=1, public_url="http://x")  # fmt: skip
        with pytest.raises(InvalidInput):
            organisers.request_links(conn, "x", kind=None, record_id=None, client="k3", limit=2,
                                     window_minutes=60, link_hours=1, public_url="http://x")  # fmt: skip
        tx.rollback()


# ---------------------------------------------------------------- links


def test_opening_a_link_changes_nothing_and_its_button_uses_it_once(web: TestClient, db: Any, records: dict[str, int]) -> None:  # fmt: skip
    ask(web, ORGANISER, kind="group", id=str(records["norwich"]))
    token = token_in(mails_to(db, ORGANISER)[-1].body)
    for _ in range(2):  # a mail scanner's fetch does not use it
        page = web.get("/organisers/link", params={"token": token})
        assert page.status_code == 200 and "Sign in to edit Tuesday Test Club" in page.text
        assert (
            page.headers["referrer-policy"] == "no-referrer" and "no-store" in page.headers["cache-control"]
        )
    r = web.post("/organisers/session", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert (
        "patchmap_organiser=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=strict" in cookie.replace("Strict", "strict")
    )
    assert "Path=/organisers" in cookie
    session = cookie.split("patchmap_organiser=")[1].split(";")[0]
    row = one(
        db, "SELECT purpose, action, object_id FROM link_tokens WHERE token_hash = :h", h=auth.digest(session)
    )
    assert tuple(row) == ("organiser", "session", records["norwich"])
    again = web.post("/organisers/session", data={"token": token}, follow_redirects=False)
    assert again.status_code == 403 and "already been used" in again.text
    assert web.get("/organisers/link", params={"token": token}).status_code == 403


def test_an_expired_unknown_or_session_link_is_refused(
    web: TestClient, db: Any, records: dict[str, int]
) -> None:
    with db.begin() as conn:
        expired = links.issue(conn, "organiser", "group", records["norwich"], expires_in=timedelta(seconds=-1),
                              action="sign-in")  # fmt: skip
        session = links.issue(conn, "organiser", "group", records["norwich"], expires_in=timedelta(hours=1),
                              action="session")  # fmt: skip
    sessions = one(db, "SELECT count(*) FROM link_tokens WHERE action = 'session'")[0]
    for token, words in (
        (expired, "has expired"),
        ("x" * 43, "not one of ours"),
        (session, "not for this page"),
    ):
        web.cookies.clear()
        r = web.post("/organisers/session", data={"token": token}, follow_redirects=False)
        assert r.status_code == 403 and words in r.text, r.text
        assert "set-cookie" not in r.headers
    assert one(db, "SELECT count(*) FROM link_tokens WHERE action = 'session'")[0] == sessions


# ---------------------------------------------------------------- the form


def test_small_fields_go_live_and_the_name_waits(web: TestClient, db: Any, records: dict[str, int]) -> None:
    gid = records["norwich"]
    csrf = signed_in(web, db, gid)
    form = {"csrf_token": csrf, "meets-present": "1", "meets-0-days": ["tu", "th"], "meets-0-start": "18:30",
            "meets-0-end": "20:00", "description": "Knitting, tea and cake.", "name": "Tuesday & Thursday Club",
            "website": "https://club.example.org"}  # fmt: skip
    r = web.post(f"/organisers/listing/group/{gid}", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = web.get(r.headers["location"])
    assert "Live on the map now" in page.text and "Sent to the council" in page.text

    public = group(web, gid)
    assert public["description"] == "Knitting, tea and cake." and public["name"] == "Tuesday Test Club"
    assert ORGANISER not in str(public) and PHONE not in str(public)
    version = one(db, "SELECT action, changed_by, author_kind, changes FROM record_versions WHERE object_type = 'group' "
                      "AND object_id = :i ORDER BY version DESC LIMIT 1", i=gid)  # fmt: skip
    assert (version.action, version.changed_by, version.author_kind) == ("update", None, "organiser")
    assert version.changes["meets"][1] == [{"days": ["tu", "th"], "start": "18:30", "end": "20:00"}]
    change = one(db, "SELECT id, status, changes, district_code FROM listing_changes WHERE object_id = :i "
                     "AND object_type = 'group' ORDER BY id DESC LIMIT 1", i=gid)  # fmt: skip
    assert change.status == "pending" and change.district_code == NORWICH
    assert change.changes == {"name": ["Tuesday Test Club", "Tuesday & Thursday Club"]}

    # the Breckland co-ordinator cannot decide it; nothing changes
    csrf_b = council(web, "breckland")
    for path in (f"/patch/{NORWICH}/listing-changes/{change.id}/approve", f"/patch/{BRECKLAND}/listing-changes/{change.id}/approve"):  # fmt: skip
        r = web.post(path, data={"csrf_token": csrf_b}, follow_redirects=False)
        assert r.status_code in (403, 404), (path, r.status_code)
    assert one(db, "SELECT status FROM listing_changes WHERE id = :i", i=change.id)[0] == "pending"

    csrf_n = council(web, "norwich")
    patch = web.get(f"/patch/{NORWICH}")
    assert "Tuesday &amp; Thursday Club" in patch.text and 'id="pm-listing-changes"' in patch.text
    r = web.post(f"/patch/{NORWICH}/listing-changes/{change.id}/reject", data={"csrf_token": csrf_n, "reason": ""},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 422
    r = web.post(f"/patch/{NORWICH}/listing-changes/{change.id}/approve", data={}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    r = web.post(f"/patch/{NORWICH}/listing-changes/{change.id}/approve", data={"csrf_token": csrf_n},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert group(web, gid)["name"] == "Tuesday & Thursday Club"
    last = one(db, "SELECT changed_by, author_kind FROM record_versions WHERE object_type = 'group' AND object_id = :i "
                   "ORDER BY version DESC LIMIT 1", i=gid)  # fmt: skip
    assert last.changed_by is not None and last.author_kind == "organiser"
    assert mails_to(db, ORGANISER)[-1].subject == "Your change to Tuesday & Thursday Club is live"
    again = web.post(f"/patch/{NORWICH}/listing-changes/{change.id}/approve", data={"csrf_token": csrf_n},
                     follow_redirects=False)  # fmt: skip
    assert again.status_code == 409


def test_the_session_edits_its_own_listing_only(web: TestClient, db: Any, records: dict[str, int]) -> None:
    gid, other = records["norwich"], records["breckland"]
    csrf = signed_in(web, db, gid)
    before = group(web, other)
    versions = one(db, "SELECT count(*) FROM record_versions")[0]
    r = web.post(f"/organisers/listing/group/{other}", data={"csrf_token": csrf, "description": "Hijacked"})
    assert r.status_code == 403 and "another listing" in r.text
    r = web.post(f"/organisers/listing/hub/{gid}", data={"csrf_token": csrf, "description": "Hijacked"})
    assert r.status_code == 403
    r = web.post(f"/organisers/listing/group/{gid}", data={"csrf_token": "0" * 64, "description": "Hijacked"})
    assert r.status_code == 403 and "security token" in r.text
    r = web.post(f"/organisers/listing/group/{gid}", data={"csrf_token": csrf, "website": "javascript:alert(1)",
                                                          "description": "Hijacked"})  # fmt: skip
    assert r.status_code == 422 and "Give a web address" in r.text and "Nothing was saved" in r.text
    web.post("/organisers/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    r = web.post(f"/organisers/listing/group/{gid}", data={"csrf_token": csrf, "description": "Hijacked"})
    assert r.status_code == 401
    assert web.get("/organisers/listing").status_code == 401
    assert group(web, other) == before and group(web, gid)["description"] != "Hijacked"
    assert one(db, "SELECT count(*) FROM record_versions")[0] == versions


def test_a_freshness_update_link_signs_in_and_a_confirm_link_confirms(web: TestClient, db: Any, records: dict[str, int]) -> None:  # fmt: skip
    gid = records["norwich"]
    with db.begin() as conn:
        update = links.issue(conn, "freshness", "group", gid, expires_in=timedelta(days=1), action="update")
        confirm = links.issue(conn, "freshness", "group", gid, expires_in=timedelta(days=1), action="confirm")
    web.cookies.clear()
    page = web.get("/organisers/link", params={"token": confirm})
    assert page.status_code == 200 and "is still right" in page.text
    r = web.post("/organisers/still-right", data={"token": confirm})
    assert r.status_code == 200 and "Thank you" in r.text
    assert group(web, gid)["last_verified_at"] is not None
    assert web.post("/organisers/still-right", data={"token": confirm}).status_code == 403
    r = web.post("/organisers/session", data={"token": update}, follow_redirects=False)
    assert r.status_code == 403  # confirming used up the listing's other freshness links
    with db.begin() as conn:
        update = links.issue(conn, "freshness", "group", gid, expires_in=timedelta(days=1), action="update")
    r = web.post("/organisers/session", data={"token": update}, follow_redirects=False)
    assert r.status_code == 303 and web.get("/organisers/listing").status_code == 200
    assert web.post("/organisers/still-right", data={"token": update}).status_code == 403


def test_links_and_addresses_never_reach_the_log(web: TestClient, db: Any, records: dict[str, int]) -> None:
    csrf = signed_in(web, db, records["norwich"])
    token = token_in(mails_to(db, ORGANISER)[-1].body)
    web.post(
        f"/organisers/listing/group/{records['norwich']}",
        data={"csrf_token": csrf, "phone": "01603 555 0100"},
    )
    ask(web, "nobody.known@example.org")
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = SUITE_LOG.read_text(encoding="utf-8", errors="replace")
    for secret in (token, csrf, ORGANISER, "nobody.known@example.org", PHONE):
        assert secret not in log


def test_an_approved_new_postcode_moves_the_point(web: TestClient, db: Any, records: dict[str, int]) -> None:
    """A group meeting at its own venue that moves: the new postcode waits for the co-ordinator, and once
    approved the map's point (and the ward it is counted in) is the postcode's."""
    gid = records["norwich"]
    target = one(db, "SELECT postcode, ST_X(geom), ST_Y(geom) FROM postcodes WHERE postcode = 'NR3 2AD'")
    assert target is not None
    before = one(db, "SELECT ST_X(geom), ST_Y(geom), ward_code FROM groups WHERE id = :i", i=gid)
    csrf = signed_in(web, db, gid)
    pending = "SELECT count(*) FROM listing_changes WHERE object_id = :i AND status = 'pending'"
    waiting = one(db, pending, i=gid)[0]
    bad = web.post(
        f"/organisers/listing/group/{gid}", data={"csrf_token": csrf, "postcode": "not a postcode"}
    )
    assert bad.status_code == 422 and "Give a postcode such as NR2 1AW" in bad.text
    assert one(db, pending, i=gid)[0] == waiting
    r = web.post(f"/organisers/listing/group/{gid}", data={"csrf_token": csrf, "postcode": "nr3 2ad"},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    change = one(db, "SELECT id, changes FROM listing_changes WHERE object_id = :i AND object_type = 'group' "
                     "AND status = 'pending' ORDER BY id DESC LIMIT 1", i=gid)  # fmt: skip
    assert change is not None and change.changes["postcode"][1] == "NR3 2AD", change
    assert one(db, "SELECT ST_X(geom) FROM groups WHERE id = :i", i=gid)[0] == before[0]  # not yet
    csrf_n = council(web, "norwich")
    r = web.post(f"/patch/{NORWICH}/listing-changes/{change.id}/approve", data={"csrf_token": csrf_n},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    after = one(db, "SELECT ST_X(geom), ST_Y(geom), ward_code, postcode FROM groups WHERE id = :i", i=gid)
    assert (after[0], after[1], after[3]) == (target[1], target[2], "NR3 2AD")
    assert after[2] == one(db, "SELECT code FROM areas WHERE kind = 'ward' AND ST_Intersects(geom, "
                               "ST_SetSRID(ST_MakePoint(:x, :y), 4326))", x=target[1], y=target[2])[0]  # fmt: skip
    assert (after[0], after[1]) != (before[0], before[1])

"""Council users managed in the browser and the API (``layers.access.users``, ``api/routes/users.py``).

Set-password links: emailed through the outbox and a real local SMTP server (aiosmtpd), stored only as a
SHA-256 digest, single use, expiring; opening one changes nothing; a used, expired, superseded or other
purpose's link is refused and nothing changes. Changes to role and districts are audited. Who may do what:
an admin changes users, an officer reads, a co-ordinator and a visitor are refused; an admin cannot disable
themselves or remove the last admin. Bad input gets a 422 naming the field and changes nothing.

This module has its own database (the demo's districts, and users), because the app's own connections
commit; the sender sends to a module-scoped SMTP server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from api.main import create_app
from layers.access import auth, links
from layers.access.users import NO_PASSWORD
from layers.settings import AccessSettings, Settings
from tests.layers.messages.mailroom import SmtpServer
from tests.live_app import demo_database

NORWICH, BRECKLAND = "E07000148", "E07000143"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new password for sam"
USERS = {
    "admin": ("users.admin@example.gov.uk", "admin", []),
    "officer": ("users.officer@example.gov.uk", "officer", []),
    "norwich": ("users.norwich@example.gov.uk", "coordinator", [NORWICH]),
    "breckland": ("users.breckland@example.gov.uk", "coordinator", [BRECKLAND]),
}
LINK = re.compile(r"(https?://\S+/set-password\?token=(\S+))")


@pytest.fixture(scope="module")
def app_settings(server_url: str, smtp_server: SmtpServer) -> Iterator[Settings]:
    """The demo (for its districts) and four users; messages sent to the module's SMTP server."""

    def users(conn: Connection) -> None:
        for email, role, districts in USERS.values():
            auth.create_user(conn, email=email, name=f"Test {role}", role=role, password=PASSWORD,
                             districts=districts)  # fmt: skip

    with demo_database(
        server_url, "patchmap_users", setup=users, access=AccessSettings(secure_cookies=False),
        mail=smtp_server.mail(mail_interval_s=0.05),
    ) as settings:  # fmt: skip
        yield settings


@pytest.fixture(scope="module")
def web(app_settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the app, with its background sender running."""
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(app_settings: Settings) -> dict[str, str]:
    """A bearer token for each of USERS."""
    from layers.db import make_engine

    engine = make_engine(app_settings.database)
    with engine.begin() as conn:
        made = {who: auth.create_token(conn, email) for who, (email, _, _) in USERS.items()}
    engine.dispose()
    return made


def db(settings: Settings, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of a statement on the module's database (committed at once)."""
    with psycopg.connect(settings.database.url, autocommit=True) as conn:
        cur = conn.execute(statement, args)
        return cur.fetchall() if cur.description else []


def bearer(tokens: dict[str, str], who: str) -> dict[str, str]:
    """The Authorization header of one of USERS."""
    return {"Authorization": f"Bearer {tokens[who]}"}


def sign_in(web: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form's POST; the session's CSRF token."""
    web.cookies.clear()
    r = web.post("/auth/sign-in", data={"email": email, "password": password}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(web.get("/auth/me").json()["csrf_token"])


def link_for(smtp_server: SmtpServer, email: str, count: int) -> tuple[str, str]:
    """The set-password link in the ``count``-th message to ``email`` to arrive: (url, secret)."""

    def mine() -> list[Any]:
        return [a for a in smtp_server.inbox.arrived if email in a.rcpt_tos]

    with smtp_server.inbox.changed:
        assert smtp_server.inbox.changed.wait_for(lambda: len(mine()) >= count, 30), f"no message {count}"
    message = mine()[count - 1].message
    assert message["Subject"] == "Set your Patchmap password"
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    return found.group(1), found.group(2)


def audit_actions(settings: Settings, user_id: int) -> list[tuple[str, Any]]:
    """The audit log's actions about a user, oldest first, with their detail."""
    rows = db(settings, "SELECT action, detail FROM audit_log WHERE object_type = 'user' AND object_id = %s "
                        "ORDER BY id", str(user_id))  # fmt: skip
    return [(r[0], r[1]) for r in rows]


def new_user(web: TestClient, tokens: dict[str, str], email: str, **more: Any) -> dict[str, Any]:
    """Add a Norwich co-ordinator through the API as the admin; the 201 body."""
    body = {"name": "Sam Tester", "email": email, "role": "coordinator", "districts": [NORWICH]} | more
    r = web.post("/users", json=body, headers=bearer(tokens, "admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


# ---------------------------------------------------------------- the set-password link


def test_a_new_user_gets_a_link_that_sets_their_password_once(
    web: TestClient, tokens: dict[str, str], smtp_server: SmtpServer, app_settings: Settings
) -> None:
    """The admin adds a co-ordinator: no usable password, a link by email (stored as its digest only);
    opening it changes nothing; a bad password is refused and leaves the link working; the good one is set
    (argon2id), the user can sign in, and the link does not work a second time."""
    email = "sam.once@example.gov.uk"
    made = new_user(web, tokens, email)
    assert made["has_password"] is False and made["districts"] == [NORWICH] and made["role"] == "coordinator"
    assert db(app_settings, "SELECT password_hash FROM users WHERE id = %s", made["id"]) == [(NO_PASSWORD,)]
    url, secret = link_for(smtp_server, email, 1)
    assert url.startswith(app_settings.booking.public_url.rstrip("/") + "/set-password?token=")
    stored = db(app_settings, "SELECT token_hash, purpose, object_type, object_id, used_at, "
                              "expires_at - created_at FROM link_tokens WHERE object_id = %s AND purpose = 'set_password'",
                made["id"])  # fmt: skip
    assert len(stored) == 1
    token_hash, purpose, object_type, object_id, used_at, lasts = stored[0]
    assert token_hash == auth.digest(secret) and secret not in token_hash
    assert (purpose, object_type, object_id, used_at) == ("set_password", "user", made["id"], None)
    # how long from when it was made (not from now: the message can take a while to arrive)
    hours = app_settings.people.sign_in_link_hours
    assert abs(lasts - timedelta(hours=hours)) < timedelta(minutes=1)
    assert not db(app_settings, "SELECT 1 FROM link_tokens WHERE token_hash = %s", secret)

    web.cookies.clear()
    page = web.get(f"/set-password?token={secret}")
    assert page.status_code == 200 and 'type="hidden" name="token"' in page.text and "Sam Tester" in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and "no-store" in page.headers["cache-control"]
    assert db(app_settings, "SELECT used_at FROM link_tokens WHERE token_hash = %s", token_hash) == [(None,)]

    short = web.post("/set-password", data={"token": secret, "password": "too short", "again": "too short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    assert 'aria-invalid="true"' in short.text and 'id="pm-user-password-error"' in short.text
    differ = web.post(
        "/set-password", data={"token": secret, "password": NEW_PASSWORD, "again": "something else!!"}
    )
    assert differ.status_code == 422 and "not the same" in differ.text
    assert db(app_settings, "SELECT used_at FROM link_tokens WHERE token_hash = %s", token_hash) == [(None,)]
    assert db(app_settings, "SELECT password_hash FROM users WHERE id = %s", made["id"]) == [(NO_PASSWORD,)]

    done = web.post("/set-password", data={"token": secret, "password": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert done.status_code == 200 and "Your password is set" in done.text
    [(hashed,)] = db(app_settings, "SELECT password_hash FROM users WHERE id = %s", made["id"])
    assert hashed.startswith("$argon2id$") and NEW_PASSWORD not in hashed
    assert sign_in(web, email, NEW_PASSWORD)
    assert web.get("/auth/me").json()["districts"] == [NORWICH]
    web.cookies.clear()

    again = web.post("/set-password", data={"token": secret, "password": "another password entirely",
                                            "again": "another password entirely"})  # fmt: skip
    assert again.status_code == 403 and "already been used" in again.text
    assert db(app_settings, "SELECT password_hash FROM users WHERE id = %s", made["id"]) == [(hashed,)]
    assert web.get(f"/set-password?token={secret}").status_code == 403
    actions = [a for a, _ in audit_actions(app_settings, made["id"])]
    assert actions == ["user-create", "user-password-link", "user-set-password", "sign-in"]


def test_expired_superseded_and_foreign_links_are_refused(
    web: TestClient, tokens: dict[str, str], smtp_server: SmtpServer, app_settings: Settings
) -> None:
    """An expired link, a link replaced by a newer one, a link for something else, a made-up or cut-short
    secret: each a 403 page saying why, and the password is not set."""
    email = "sam.expired@example.gov.uk"
    made = new_user(web, tokens, email)
    _, first = link_for(smtp_server, email, 1)
    sent = web.post(f"/users/{made['id']}/password-link", headers=bearer(tokens, "admin"))
    assert sent.status_code == 202 and sent.json()["user_id"] == made["id"]
    _, second = link_for(smtp_server, email, 2)
    assert first != second
    body = {"password": NEW_PASSWORD, "again": NEW_PASSWORD}
    superseded = web.post("/set-password", data={"token": first, **body})
    assert superseded.status_code == 403 and "already been used" in superseded.text
    db(app_settings, "UPDATE link_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = %s",
       auth.digest(second))  # fmt: skip
    expired = web.post("/set-password", data={"token": second, **body})
    assert expired.status_code == 403 and "expired" in expired.text
    assert web.get(f"/set-password?token={second}").status_code == 403
    other = _other_link(app_settings, made["id"])
    foreign = web.post("/set-password", data={"token": other, **body})
    assert foreign.status_code == 403 and "not for this page" in foreign.text
    for wrong in ("not-a-real-secret", "", second[:20]):
        r = web.post("/set-password", data={"token": wrong, **body})
        assert r.status_code == 403, wrong
    assert db(app_settings, "SELECT password_hash FROM users WHERE id = %s", made["id"]) == [(NO_PASSWORD,)]
    used = "SELECT used_at IS NOT NULL FROM link_tokens WHERE token_hash = %s"
    assert db(app_settings, used, auth.digest(first)) == [(True,)]  # used up when the second was sent
    assert db(app_settings, used, auth.digest(second)) == [(False,)]  # expired, not used by the refusals


def _token(settings: Settings, email: str) -> str:
    """A new bearer token for a user."""
    from layers.db import make_engine

    engine = make_engine(settings.database)
    with engine.begin() as conn:
        token = auth.create_token(conn, email)
    engine.dispose()
    return token


def _other_link(settings: Settings, user_id: int) -> str:
    """A live link of another purpose (an organiser's, for a group) with the same object id."""
    from datetime import timedelta

    from layers.db import make_engine

    engine = make_engine(settings.database)
    with engine.begin() as conn:
        secret = links.issue(conn, "organiser", "group", user_id, expires_in=timedelta(hours=1))
    engine.dispose()
    return secret


def test_setting_a_password_ends_the_users_sessions(
    web: TestClient, tokens: dict[str, str], smtp_server: SmtpServer, app_settings: Settings
) -> None:
    """A signed-in user's session stops working when a password is set from a link."""
    sign_in(web, USERS["breckland"][0])
    assert web.get("/auth/me").json()["signed_in"] is True
    other = TestClient(web.app)
    [(user_id,)] = db(app_settings, "SELECT id FROM users WHERE email = %s", USERS["breckland"][0])
    r = other.post(f"/users/{user_id}/password-link", headers=bearer(tokens, "admin"))
    assert r.status_code == 202
    _, secret = link_for(smtp_server, USERS["breckland"][0], 1)
    done = other.post("/set-password", data={"token": secret, "password": PASSWORD, "again": PASSWORD})
    assert done.status_code == 200
    assert web.get("/auth/me").status_code == 401
    web.cookies.clear()


# ---------------------------------------------------------------- changes, audited


def test_role_and_district_changes_are_audited_once(
    web: TestClient, tokens: dict[str, str], app_settings: Settings
) -> None:
    """PATCH a co-ordinator's districts, then make them an officer: one audit row each, with ids and codes
    only; the same PATCH again changes nothing and writes nothing."""
    made = new_user(web, tokens, "sam.audit@example.gov.uk")
    admin = bearer(tokens, "admin")
    r = web.patch(f"/users/{made['id']}", json={"districts": [NORWICH, BRECKLAND]}, headers=admin)
    assert r.status_code == 200 and r.json()["districts"] == sorted([NORWICH, BRECKLAND])
    r = web.patch(f"/users/{made['id']}", json={"role": "officer"}, headers=admin)
    assert r.status_code == 200 and r.json()["role"] == "officer" and r.json()["districts"] == []
    again = web.patch(f"/users/{made['id']}", json={"role": "officer"}, headers=admin)
    assert again.status_code == 200
    actions = audit_actions(app_settings, made["id"])
    assert [a for a, _ in actions] == ["user-create", "user-password-link", "user-districts", "user-role",
                                       "user-districts"]  # fmt: skip
    assert actions[2][1] == {"from": [NORWICH], "to": sorted([NORWICH, BRECKLAND])}
    assert actions[3][1] == {"from": "coordinator", "to": "officer"}
    text_of_audit = str(actions)
    assert "@" not in text_of_audit and "Sam" not in text_of_audit


def test_disabling_ends_sessions_and_tokens_and_re_enabling_restores_sign_in(
    web: TestClient, tokens: dict[str, str], app_settings: Settings
) -> None:
    """Disabled: the user's session and token stop at once and they cannot sign in; re-enabled, they can."""
    email = USERS["norwich"][0]
    [(user_id,)] = db(app_settings, "SELECT id FROM users WHERE email = %s", email)
    sign_in(web, email)
    r = web.patch(f"/users/{user_id}", json={"disabled": True}, headers=bearer(tokens, "admin"))
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert web.get("/auth/me").status_code == 401
    assert web.get("/auth/me", headers=bearer(tokens, "norwich")).status_code == 401
    web.cookies.clear()
    refused = web.post("/auth/sign-in", data={"email": email, "password": PASSWORD})
    assert refused.status_code == 401
    r = web.patch(f"/users/{user_id}", json={"disabled": False}, headers=bearer(tokens, "admin"))
    assert r.status_code == 200 and r.json()["disabled"] is False
    assert sign_in(web, email)
    web.cookies.clear()
    assert [a for a, _ in audit_actions(app_settings, user_id)][-3:-1] == ["user-disable", "user-enable"]


# ---------------------------------------------------------------- who may do what


def test_who_may_see_and_change_users(
    web: TestClient, tokens: dict[str, str], app_settings: Settings
) -> None:
    """An officer reads (API and a page without forms); a co-ordinator is refused (403); a visitor gets 401
    (API) or is sent to sign in (pages); nobody but an admin changes anything."""
    [(target,)] = db(app_settings, "SELECT id FROM users WHERE email = %s", USERS["breckland"][0])
    before = db(app_settings, "SELECT count(*) FROM users")
    web.cookies.clear()
    assert web.get("/users").status_code == 401
    assert (
        web.post("/users", json={"name": "X", "email": "x@example.gov.uk", "role": "officer"}).status_code
        == 401
    )
    page = web.get("/admin/users", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/sign-in"
    officer = bearer(tokens, "officer")
    listed = web.get("/users", headers=officer)
    assert listed.status_code == 200 and {u["email"] for u in listed.json()} >= {
        e for e, _, _ in USERS.values()
    }
    assert not any("hash" in k or k == "password" for u in listed.json() for k in u)
    assert web.get(f"/users/{target}", headers=officer).status_code == 200
    fresh = _token(app_settings, USERS["norwich"][0])  # the module's may have been stopped by a disable test
    for h in (officer, {"Authorization": f"Bearer {fresh}"}):
        assert web.post("/users", json={"name": "X", "email": "x@example.gov.uk", "role": "officer"},
                        headers=h).status_code == 403  # fmt: skip
        assert web.patch(f"/users/{target}", json={"role": "admin"}, headers=h).status_code == 403
        assert web.patch(f"/users/{target}", json={"disabled": True}, headers=h).status_code == 403
        assert web.post(f"/users/{target}/password-link", headers=h).status_code == 403
    assert web.get("/users", headers={"Authorization": f"Bearer {fresh}"}).status_code == 403
    assert db(app_settings, "SELECT count(*) FROM users") == before
    assert db(app_settings, "SELECT role, disabled_at FROM users WHERE id = %s", target) == [
        ("coordinator", None)
    ]

    sign_in(web, USERS["officer"][0])
    page = web.get("/admin/users")
    assert page.status_code == 200 and "only an administrator can change them" in page.text
    assert "<form" not in page.text.split("</header>")[1]  # read-only: only the header's sign-out form
    assert web.get(f"/admin/users/{target}").status_code == 200
    csrf = web.get("/auth/me").json()["csrf_token"]
    r = web.post(f"/admin/users/{target}/disable", data={"csrf_token": csrf})
    assert r.status_code == 403
    sign_in(web, USERS["norwich"][0])
    assert web.get("/admin/users").status_code == 403
    web.cookies.clear()
    assert db(app_settings, "SELECT disabled_at FROM users WHERE id = %s", target) == [(None,)]


def test_an_admin_cannot_disable_themselves_or_remove_the_last_admin(
    web: TestClient, tokens: dict[str, str], app_settings: Settings
) -> None:
    """Disabling yourself: 403 saying why; demoting the only admin: 409 saying why; nothing changes."""
    [(me,)] = db(app_settings, "SELECT id FROM users WHERE email = %s", USERS["admin"][0])
    admin = bearer(tokens, "admin")
    r = web.patch(f"/users/{me}", json={"disabled": True}, headers=admin)
    assert r.status_code == 403 and "cannot disable yourself" in r.json()["error"]
    r = web.patch(f"/users/{me}", json={"role": "officer"}, headers=admin)
    assert r.status_code == 409 and "last administrator" in r.json()["error"]
    assert db(app_settings, "SELECT role, disabled_at FROM users WHERE id = %s", me) == [("admin", None)]
    csrf = sign_in(web, USERS["admin"][0])
    page = web.get(f"/admin/users/{me}")
    assert (
        "You cannot disable yourself" in page.text and f'action="/admin/users/{me}/disable"' not in page.text
    )
    r = web.post(f"/admin/users/{me}/disable", data={"csrf_token": csrf})
    assert r.status_code == 403 and "cannot disable yourself" in r.text
    r = web.post(f"/admin/users/{me}", data={"csrf_token": csrf, "name": "Test admin", "role": "officer"})
    assert r.status_code == 409 and "last administrator" in r.text
    web.cookies.clear()
    assert db(app_settings, "SELECT role, disabled_at FROM users WHERE id = %s", me) == [("admin", None)]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "coordinator", "districts": []}, "districts"),
        ({"role": "coordinator", "districts": ["E99999999"]}, "districts"),
        ({"email": "not an email"}, "email"),
        ({"email": USERS["officer"][0]}, "email"),
        ({"name": "   "}, "name"),
    ],
)
def test_bad_details_are_refused_and_change_nothing(
    web: TestClient, tokens: dict[str, str], app_settings: Settings, body: dict[str, Any], field: str
) -> None:
    """A 422 naming the field; no user, audit row or message is added."""
    counts = (
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM audit_log), (SELECT count(*) FROM outbox)"
    )
    before = db(app_settings, counts)
    full = {
        "name": "Pat",
        "email": "pat.bad@example.gov.uk",
        "role": "coordinator",
        "districts": [NORWICH],
    } | body
    r = web.post("/users", json=full, headers=bearer(tokens, "admin"))
    assert r.status_code == 422 and set(r.json()) == {"error", "detail"}
    assert f"{field}:" in r.json()["detail"]
    assert db(app_settings, counts) == before


def test_the_add_form_shows_each_problem_beside_its_field_and_needs_csrf(
    web: TestClient, app_settings: Settings, smtp_server: SmtpServer
) -> None:
    """The add form without its CSRF token: 403. With problems: 422, the form again with the values kept and
    each problem beside its field. Right: 303 back to the list, the new user listed."""
    csrf = sign_in(web, USERS["admin"][0])
    form = {"name": "Robin <b>Bold</b>", "email": "robin.form@example.gov.uk", "role": "coordinator"}
    assert web.post("/admin/users", data=form).status_code == 403
    bad = web.post("/admin/users", data={**form, "csrf_token": csrf, "email": "robin"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    html = bad.text
    assert 'id="pm-user-email-error"' in html and 'id="pm-user-districts-error"' in html
    assert "A district co-ordinator needs at least one district." in html
    assert 'value="Robin &lt;b&gt;Bold&lt;/b&gt;"' in html and "<b>Bold</b>" not in html
    assert "<title>Error: " in html and 'role="alert"' in html
    assert not db(app_settings, "SELECT 1 FROM users WHERE email LIKE 'robin%%'")
    ok = web.post(
        "/admin/users", data={**form, "csrf_token": csrf, "districts": NORWICH}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/admin/users?done=created")
    listed = web.get(ok.headers["location"])
    assert "Robin &lt;b&gt;Bold&lt;/b&gt;" in listed.text and "They have been sent an email" in listed.text
    link_for(smtp_server, "robin.form@example.gov.uk", 1)
    web.cookies.clear()


def test_a_retried_create_with_the_same_key_adds_one_user(
    web: TestClient, tokens: dict[str, str], app_settings: Settings
) -> None:
    """POST /users with an Idempotency-Key twice: the same answer, one user, one message."""
    body = {"name": "Kim Retry", "email": "kim.retry@example.gov.uk", "role": "officer"}
    headers = bearer(tokens, "admin") | {"Idempotency-Key": "b1e5a0f4-users-retry"}
    first = web.post("/users", json=body, headers=headers)
    second = web.post("/users", json=body, headers=headers)
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert db(app_settings, "SELECT count(*) FROM users WHERE email = %s", body["email"]) == [(1,)]
    assert db(app_settings, "SELECT count(*) FROM outbox WHERE recipient = %s", body["email"]) == [(1,)]
    other = web.post("/users", json=body | {"name": "Kim Other"}, headers=headers)
    assert other.status_code == 422


def test_links_in_messages_are_not_logged(web: TestClient, smtp_server: SmtpServer) -> None:
    """The suite's log scan looks for addresses; this checks the secrets of the links sent here too."""
    from tests.conftest import SUITE_LOG

    secrets = [
        m
        for a in smtp_server.inbox.arrived
        for m in LINK.findall(a.message.get_body(("plain",)).get_content())
    ]
    assert secrets
    log = SUITE_LOG.read_text() if SUITE_LOG.exists() else ""
    for _, secret in secrets:
        assert secret not in log

"""Sign-in, sessions, tokens, CSRF, the users command and the append-only audit log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from api.main import create_app
from layers.access import audit, auth
from layers.access.scope import Actor, require_district
from layers.errors import InvalidInput, RateLimited, Unauthorized
from layers.settings import AccessSettings, Settings

NORWICH, BRECKLAND = "E07000148", "E07000143"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def web(settings: Settings) -> Iterator[TestClient]:
    """A client whose cookies flow over http://testserver (secure cookies off for the test only)."""
    s = settings.model_copy(update={"access": AccessSettings(secure_cookies=False, login_attempts=3)})
    with TestClient(create_app(s)) as c:
        yield c


def _user(engine: Engine, role: str = "coordinator", districts: list[str] | None = None) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.gov.uk"
    with engine.begin() as conn:
        auth.create_user(conn, email=email, name=f"Test {role}", role=role, password=PASSWORD,
                         districts=districts if districts is not None else ([NORWICH] if role == "coordinator" else []))  # fmt: skip
    return email


def _audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


def test_passwords_are_argon2_and_never_stored_plain(engine: Engine) -> None:
    email = _user(engine)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM users WHERE email = :e"), {"e": email}
        ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"role": "superuser"}, "role"),
        ({"password": "short"}, "too short"),
        ({"districts": []}, "needs a district"),
        ({"districts": ["E07999999"]}, "Unknown districts"),
    ],
)
def test_create_user_checks_its_input(conn, kwargs: dict[str, object], problem: str) -> None:  # type: ignore[no-untyped-def]
    base = {"email": f"x-{uuid.uuid4().hex[:6]}@example.gov.uk", "name": "X", "role": "coordinator",
            "password": PASSWORD, "districts": [NORWICH]}  # fmt: skip
    with pytest.raises(InvalidInput, match=problem):
        auth.create_user(conn, **{**base, **kwargs})  # type: ignore[arg-type]


def test_sign_in_sets_a_secure_session_and_lands_on_the_patch(web: TestClient, engine: Engine) -> None:
    email = _user(engine)
    r = web.post("/auth/sign-in", data={"email": email, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/patch/{NORWICH}"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    me = web.get("/auth/me").json()
    assert me["signed_in"] and me["role"] == "coordinator" and me["districts"] == [NORWICH]
    assert me["csrf_token"]
    web.cookies.clear()


def test_csrf_is_required_and_sign_out_ends_the_session(web: TestClient, engine: Engine) -> None:
    email = _user(engine, "officer")
    r = web.post("/auth/sign-in", data={"email": email, "password": PASSWORD},
                 headers={"Accept": "application/json"})  # fmt: skip
    assert r.status_code == 200 and r.json()["next"] == "/analysis"
    session = web.cookies.get("patchmap_session")
    csrf = web.get("/auth/me").json()["csrf_token"]
    refused = web.post("/auth/sign-out", headers={"Accept": "application/json"})
    assert refused.status_code == 403 and web.get("/auth/me").json()["signed_in"]
    wrong = web.post("/auth/sign-out", headers={"Accept": "application/json", "X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    ok = web.post("/auth/sign-out", headers={"Accept": "application/json", "X-CSRF-Token": csrf})
    assert ok.status_code == 200
    # the old cookie no longer works, even if a browser kept it
    web.cookies.set("patchmap_session", session)
    assert web.get("/auth/me").status_code == 401
    web.cookies.clear()


def test_wrong_passwords_are_rate_limited(web: TestClient, engine: Engine) -> None:
    email = _user(engine)
    for _ in range(3):
        r = web.post("/auth/sign-in", data={"email": email, "password": "wrong password here"},
                     headers={"Accept": "application/json"})  # fmt: skip
        assert r.status_code == 401 and set(r.json()) == {"error", "detail"}
    r = web.post(
        "/auth/sign-in", data={"email": email, "password": PASSWORD}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 429 and "Retry-After" in r.headers
    web.cookies.clear()


def test_tokens_work_until_the_user_is_disabled(web: TestClient, engine: Engine) -> None:
    email = _user(engine)
    with engine.begin() as conn:
        token = auth.create_token(conn, email, name="test", days=1)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM api_tokens WHERE token_hash = :h"),
                              {"h": auth.digest(token)}).scalar_one()  # fmt: skip
    assert token not in stored
    bearer = {"Authorization": f"Bearer {token}"}
    assert web.get("/auth/me", headers=bearer).json()["role"] == "coordinator"
    with engine.begin() as conn:
        auth.disable_user(conn, email)
    r = web.get("/auth/me", headers=bearer)
    assert r.status_code == 401 and set(r.json()) == {"error", "detail"}
    assert web.get("/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert web.get("/auth/me", headers={"Authorization": "Bearer pm_madeup"}).status_code == 401


def test_expired_and_revoked_tokens_fail(engine: Engine) -> None:
    email = _user(engine)
    with engine.begin() as conn:
        token = auth.create_token(conn, email, days=1)
        assert auth.revoke_token(conn, token)
        with pytest.raises(Unauthorized):
            auth.actor_from_token(conn, token)
        old = auth.create_token(conn, email, days=1)
        conn.execute(text("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = :h"),
                     {"h": auth.digest(old)})  # fmt: skip
        with pytest.raises(Unauthorized):
            auth.actor_from_token(conn, old)


def test_scoping_lives_in_layers() -> None:
    norwich = Actor(user_id=1, role="coordinator", districts=frozenset({NORWICH}))
    require_district(norwich, {NORWICH})
    with pytest.raises(Exception, match="outside your districts"):
        require_district(norwich, {BRECKLAND})
    with pytest.raises(Exception, match="No such record"):
        require_district(norwich, {BRECKLAND}, hidden=True)
    require_district(Actor(user_id=2, role="officer"), {BRECKLAND})
    with pytest.raises(Unauthorized):
        require_district(Actor(), {NORWICH})


def test_each_sign_in_writes_one_audit_row(web: TestClient, engine: Engine) -> None:
    email = _user(engine, "admin")
    before = _audit_count(engine)
    web.post(
        "/auth/sign-in", data={"email": email, "password": PASSWORD}, headers={"Accept": "application/json"}
    )
    assert _audit_count(engine) == before + 1
    web.cookies.clear()


def test_audit_log_refuses_update_delete_and_truncate(engine: Engine, settings: Settings) -> None:
    with engine.begin() as conn:
        entry = audit.record(conn, Actor(user_id=None, role="admin"), "test-entry", detail={"n": 1})
    url = settings.database.url
    for statement in (
        "UPDATE audit_log SET action = 'changed' WHERE id = %s",
        "DELETE FROM audit_log WHERE id = %s",
        "TRUNCATE audit_log",
    ):
        with psycopg.connect(url) as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute(statement, [entry] if "%s" in statement else None)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT action FROM audit_log WHERE id = :i"), {"i": entry}).scalar()
            == "test-entry"
        )


def test_users_command(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.cli import app

    monkeypatch.setenv("DATABASE_URL", settings.database.url)
    runner = CliRunner()
    email = f"cli-{uuid.uuid4().hex[:6]}@example.gov.uk"
    made = runner.invoke(app, ["users", "create", email, "--role", "coordinator", "--district", NORWICH,
                               "--password-stdin"], input=PASSWORD + "\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0 and email in listed.output
    token = runner.invoke(app, ["users", "token", email, "--days", "1"])
    assert token.exit_code == 0 and "pm_" in token.output
    issued = next(w for w in token.output.split() if w.startswith("pm_"))
    assert runner.invoke(app, ["users", "revoke", issued]).exit_code == 0
    assert runner.invoke(app, ["users", "revoke", issued]).exit_code == 1  # already revoked
    assert runner.invoke(app, ["users", "disable", email]).exit_code == 0
    bad = runner.invoke(
        app, ["users", "create", "nobody", "--role", "officer", "--password-stdin"], input="x\n"
    )
    assert bad.exit_code == 1


def test_rate_limit_is_per_email_and_client(engine: Engine) -> None:
    email = _user(engine)
    limits = AccessSettings(login_attempts=2)
    with engine.begin() as conn:
        for _ in range(2):
            with pytest.raises(Unauthorized):
                auth.authenticate(
                    conn, email=email, password="nope nope nope", client="a", secret=b"k", settings=limits
                )
        with pytest.raises(RateLimited):
            auth.authenticate(conn, email=email, password=PASSWORD, client="a", secret=b"k", settings=limits)
        assert auth.authenticate(
            conn, email=email, password=PASSWORD, client="b", secret=b"k", settings=limits
        )

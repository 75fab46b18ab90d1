"""Users, passwords, API tokens and browser sessions.

- Passwords: argon2id (argon2-cffi's defaults), at least 12 characters.
- Tokens and session ids: 256 random bits (``secrets``), shown once; only their SHA-256 digest is stored.
- Sign-in is rate limited per (email, client) pair: ``login_attempts`` failures in ``login_window_minutes``
  lock that pair out until the window passes. The key is an HMAC, so neither the email nor the address is
  stored with the attempt.
- A disabled user's sessions and tokens stop working at once: every check reads ``users.disabled_at``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, text

from layers.access import audit
from layers.access.scope import Actor
from layers.errors import InvalidInput, NotFound, RateLimited, Unauthorized
from layers.models.access import ROLES
from layers.settings import AccessSettings

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, for constant-time misses")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
MIN_PASSWORD = 12
TOKEN_PREFIX = "pm_"  # noqa: S105 (a label, not a secret)


def digest(secret: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (a token or session id)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def create_user(
    conn: Connection, *, email: str, name: str, role: str, password: str, districts: list[str] | None = None
) -> int:
    """Add a user (co-ordinators need at least one district); returns the id."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput("That is not an email address", "Give the user's work email.")
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}", f"Use one of {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("The password is too short", f"Use at least {MIN_PASSWORD} characters.")
    districts = sorted(set(districts or []))
    if role == "coordinator" and not districts:
        raise InvalidInput(
            "A co-ordinator needs a district", "Give one or more district codes, e.g. E07000148."
        )
    known = set(
        conn.execute(
            text("SELECT code FROM areas WHERE kind = 'district' AND code = ANY(:c)"), {"c": districts}
        ).scalars()
    )
    if set(districts) - known:
        raise InvalidInput(
            f"Unknown districts: {', '.join(sorted(set(districts) - known))}", "Use district codes."
        )
    if conn.execute(text("SELECT 1 FROM users WHERE email = :e"), {"e": email}).first():
        raise InvalidInput("A user with that email already exists", "Use `patchmap users list` to see them.")
    user_id = int(
        conn.execute(
            text("INSERT INTO users (email, name, role, password_hash) VALUES (:e, :n, :r, :h) RETURNING id"),
            {"e": email, "n": name.strip() or email, "r": role, "h": _hasher.hash(password)},
        ).scalar_one()
    )
    for code in districts:
        conn.execute(
            text("INSERT INTO user_districts (user_id, district_code) VALUES (:u, :d)"),
            {"u": user_id, "d": code},
        )
    return user_id


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Every user with role, districts and whether disabled (no hashes)."""
    rows = conn.execute(
        text(
            "SELECT u.id, u.email, u.name, u.role, u.disabled_at, u.last_login_at, "
            "coalesce(array_agg(d.district_code ORDER BY d.district_code) FILTER (WHERE d.district_code IS NOT NULL), "
            "'{}') AS districts FROM users u LEFT JOIN user_districts d ON d.user_id = u.id "
            "GROUP BY u.id ORDER BY u.email"
        )
    )
    return [dict(r) for r in rows.mappings()]


def _user_id(conn: Connection, email: str) -> int:
    found = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email.strip().lower()}).scalar()
    if found is None:
        raise NotFound(f"No user {email}", "See `patchmap users list`.")
    return int(found)


def disable_user(conn: Connection, email: str) -> int:
    """Disable a user: their sessions and tokens stop working at once (revoked too, for the record)."""
    user_id = _user_id(conn, email)
    conn.execute(
        text("UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE id = :u"), {"u": user_id}
    )
    conn.execute(
        text("UPDATE api_tokens SET revoked_at = now() WHERE user_id = :u AND revoked_at IS NULL"),
        {"u": user_id},
    )
    conn.execute(
        text("UPDATE web_sessions SET revoked_at = now() WHERE user_id = :u AND revoked_at IS NULL"),
        {"u": user_id},
    )
    return user_id


def create_token(conn: Connection, email: str, *, name: str = "api", days: int = 90) -> str:
    """A new API token for a user, returned once (only its digest is stored)."""
    user_id = _user_id(conn, email)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        text("INSERT INTO api_tokens (user_id, name, token_hash, expires_at) VALUES (:u, :n, :h, :x)"),
        {"u": user_id, "n": name, "h": digest(token), "x": _now() + timedelta(days=days)},
    )
    return token


def revoke_token(conn: Connection, token: str) -> bool:
    """Revoke a token; whether it was live."""
    done = conn.execute(
        text(
            "UPDATE api_tokens SET revoked_at = now() WHERE token_hash = :h AND revoked_at IS NULL RETURNING id"
        ),
        {"h": digest(token)},
    ).first()
    return done is not None


def _actor(conn: Connection, user_id: int) -> Actor | None:
    row = (
        conn.execute(
            text(
                "SELECT u.id, u.role, u.name, u.disabled_at, "
                "coalesce(array_agg(d.district_code) FILTER (WHERE d.district_code IS NOT NULL), '{}') AS districts "
                "FROM users u LEFT JOIN user_districts d ON d.user_id = u.id WHERE u.id = :u GROUP BY u.id"
            ),
            {"u": user_id},
        )
        .mappings()
        .first()
    )
    if row is None or row["disabled_at"] is not None:
        return None
    return Actor(user_id=row["id"], role=row["role"], name=row["name"], districts=frozenset(row["districts"]))


def _live_secret(conn: Connection, statement: str, secret: str) -> tuple[Actor, tuple[Any, ...]] | None:
    """The enabled user whose live token or session has ``secret`` (by its digest), with the row the
    statement found (user id first); None when there is none."""
    row = conn.execute(text(statement), {"h": digest(secret)}).first()
    actor = _actor(conn, row[0]) if row else None
    return (actor, tuple(row)) if actor is not None and row is not None else None


def actor_from_token(conn: Connection, token: str) -> Actor:
    """The user a bearer token stands for; Unauthorized if unknown, expired, revoked or the user is disabled."""
    found = _live_secret(
        conn,
        "UPDATE api_tokens SET last_used_at = now() WHERE token_hash = :h AND revoked_at IS NULL "
        "AND expires_at > now() RETURNING user_id",
        token,
    )
    if found is None:
        raise Unauthorized(
            "That token is not valid", "It may have expired or been revoked; ask an admin for a new one."
        )
    return found[0]


def login_key(secret: bytes, email: str, client: str) -> str:
    """The HMAC that stands for an (email, client) pair in login_attempts."""
    return hmac.new(secret, f"{email.strip().lower()}\x00{client}".encode(), hashlib.sha256).hexdigest()


def authenticate(
    conn: Connection, *, email: str, password: str, client: str, secret: bytes, settings: AccessSettings
) -> Actor:
    """Check a password (rate limited per email and client); the actor, or Unauthorized / RateLimited."""
    key = login_key(secret, email, client)
    window = timedelta(minutes=settings.login_window_minutes)
    failures = conn.execute(
        text("SELECT count(*) FROM login_attempts WHERE key = :k AND NOT succeeded AND at > :since"),
        {"k": key, "since": _now() - window},
    ).scalar_one()
    if failures >= settings.login_attempts:
        raise RateLimited(
            "Too many failed sign-ins",
            f"Wait {settings.login_window_minutes} minutes and try again, or ask an admin to reset your password.",
            retry_after_s=int(window.total_seconds()),
        )
    row = conn.execute(
        text("SELECT id, password_hash FROM users WHERE email = :e AND disabled_at IS NULL"),
        {"e": email.strip().lower()},
    ).first()
    ok = False
    try:
        ok = _hasher.verify(row[1] if row else _DUMMY_HASH, password) and row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    conn.execute(text("INSERT INTO login_attempts (key, succeeded) VALUES (:k, :s)"), {"k": key, "s": ok})
    actor = _actor(conn, row[0]) if ok and row else None
    if actor is None:
        raise Unauthorized("The email or password is wrong", "Check them and try again.")
    conn.execute(text("UPDATE users SET last_login_at = now() WHERE id = :u"), {"u": actor.user_id})
    return actor


@dataclass(frozen=True)
class NewSession:
    """A new browser session: the cookie value (shown once) and its CSRF token."""

    session_id: str
    csrf_token: str
    expires_at: datetime


def create_session(conn: Connection, actor: Actor, *, hours: int) -> NewSession:
    """Start a browser session for a signed-in actor."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = _now() + timedelta(hours=hours)
    conn.execute(
        text(
            "INSERT INTO web_sessions (user_id, session_hash, csrf_token, expires_at) VALUES (:u, :h, :c, :x)"
        ),
        {"u": actor.user_id, "h": digest(session_id), "c": csrf, "x": expires},
    )
    return NewSession(session_id, csrf, expires)


def session_actor(conn: Connection, session_id: str) -> tuple[Actor, str]:
    """The actor and CSRF token of a live session; Unauthorized otherwise."""
    found = _live_secret(
        conn,
        "SELECT user_id, csrf_token FROM web_sessions WHERE session_hash = :h AND revoked_at IS NULL "
        "AND expires_at > now()",
        session_id,
    )
    if found is None:
        raise Unauthorized("You are not signed in", "Sign in again at /sign-in.")
    return found[0], str(found[1][1])


def end_session(conn: Connection, session_id: str) -> None:
    """Sign out: the session stops working at once."""
    conn.execute(
        text("UPDATE web_sessions SET revoked_at = now() WHERE session_hash = :h AND revoked_at IS NULL"),
        {"h": digest(session_id)},
    )


def csrf_ok(expected: str, given: str | None) -> bool:
    """Whether a submitted CSRF token matches the session's (constant-time)."""
    return given is not None and hmac.compare_digest(expected, given)


def sign_in(
    conn: Connection, *, email: str, password: str, client: str, secret: bytes, settings: AccessSettings
) -> tuple[Actor, NewSession]:
    """Check the password, open a browser session and audit it. A failed attempt is committed before the
    refusal is raised, so it counts towards the rate limit although the caller's unit of work rolls back."""
    try:
        actor = authenticate(
            conn, email=email, password=password, client=client, secret=secret, settings=settings
        )
    except Unauthorized:
        conn.commit()
        raise
    new = create_session(conn, actor, hours=settings.session_hours)
    audit.record(conn, actor, "sign-in", object_type="user", object_id=actor.user_id)
    return actor, new


def sign_out(conn: Connection, actor: Actor, session_id: str) -> None:
    """End a browser session at once and audit it."""
    end_session(conn, session_id)
    audit.record(conn, actor, "sign-out", object_type="user", object_id=actor.user_id)

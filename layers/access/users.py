"""Council users managed in the browser and the API: list, create, change role and districts, disable and
re-enable, and the emailed set-password link.

Only an admin changes users; an officer may read the list; a co-ordinator or a resident may not. Every change
is one audit row (as the command line writes: ``user-create``, ``user-role``, ``user-districts``,
``user-disable``, ``user-enable``, ``user-password-link``, ``user-set-password``), with ids, roles and
district codes only (never an email or a name).

A new user has no usable password (``NO_PASSWORD`` is not an argon2 hash, so no password matches it) and is
sent a set-password link: ``layers.access.links`` purpose ``set_password`` for the object ``user``, single
use, expiring after ``settings.people.sign_in_link_hours``, queued in the outbox in the same transaction.
Sending a new link uses up any earlier one. Redeeming it sets an argon2id password (``auth.MIN_PASSWORD``
characters or more) and ends the user's browser sessions.

Refusals with fields (``UserProblems``) list each problem by field, for the form to show beside it. An admin
cannot disable themselves, and the last enabled admin cannot be disabled or given another role.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from sqlalchemy import Connection, text

from layers import idempotency
from layers.access import audit, links
from layers.access.auth import EMAIL, MIN_PASSWORD, _hasher, digest
from layers.access.scope import Actor, require_user
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.messages import outbox
from layers.models.access import ROLES

NO_PASSWORD: Final = "!no-password: set one from the emailed link"  # noqa: S105 (a marker, not a secret)
MAX_NAME: Final = 200
ROLE_WORDS: Final = {
    "admin": "Administrator",
    "officer": "Council officer",
    "coordinator": "District co-ordinator",
}
FIELDS: Final = ("name", "email", "role", "districts")


class UserProblems(InvalidInput):
    """A user's details are not valid: each problem by field (``name``, ``email``, ``role``, ``districts``)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(
            "The user's details are not valid", "; ".join(f"{field}: {words}" for field, words in problems)
        )
        self.problems = problems


_LIST = text(
    "SELECT u.id, u.email, u.name, u.role, u.disabled_at, u.last_login_at, u.created_at, "
    "u.password_hash <> :none AS has_password, "
    "coalesce(array_agg(d.district_code ORDER BY d.district_code) FILTER (WHERE d.district_code IS NOT NULL), "
    "'{}') AS districts FROM users u LEFT JOIN user_districts d ON d.user_id = u.id "
    "WHERE CAST(:id AS int) IS NULL OR u.id = CAST(:id AS int) GROUP BY u.id ORDER BY lower(u.name), u.email"
)


def _rows(conn: Connection, user_id: int | None = None) -> list[dict[str, Any]]:
    rows = conn.execute(_LIST, {"none": NO_PASSWORD, "id": user_id}).mappings()
    return [{**dict(r), "disabled": r["disabled_at"] is not None} for r in rows]


def list_users(conn: Connection, actor: Actor) -> list[dict[str, Any]]:
    """Every user (admins and officers only): id, email, name, role, districts, disabled, last sign-in."""
    require_user(actor, "admin", "officer")
    return _rows(conn)


def get_user(conn: Connection, actor: Actor, user_id: int) -> dict[str, Any]:
    """One user (admins and officers only); NotFound if there is none."""
    require_user(actor, "admin", "officer")
    found = _rows(conn, user_id)
    if not found:
        raise NotFound(f"No user {user_id}", "Choose a user from the list at /admin/users.")
    return found[0]


def districts(conn: Connection) -> list[dict[str, str]]:
    """The loaded districts a co-ordinator may look after: code and name, by name."""
    rows = conn.execute(text("SELECT code, name FROM areas WHERE kind = 'district' ORDER BY name, code"))
    return [{"code": r[0], "name": r[1]} for r in rows]


def _check(
    conn: Connection, *, name: str | None, email: str | None, role: str | None, codes: list[str] | None
) -> list[tuple[str, str]]:
    """The problems with a user's details (only the ones given are checked)."""
    problems: list[tuple[str, str]] = []
    if name is not None and not (0 < len(name) <= MAX_NAME):
        problems.append(("name", f"Give the person's name (at most {MAX_NAME} characters)."))
    if name is not None and any(ord(c) < 32 for c in name):
        problems.append(("name", "Use letters, spaces and punctuation only."))
    if email is not None and not EMAIL.match(email):
        problems.append(("email", "Give a work email address, like name@council.gov.uk."))
    elif (
        email is not None and conn.execute(text("SELECT 1 FROM users WHERE email = :e"), {"e": email}).first()
    ):
        problems.append(("email", "Someone already has this email address: find them in the list."))
    if role is not None and role not in ROLES:
        problems.append(("role", "Choose administrator, council officer or district co-ordinator."))
    if codes is not None:
        known = {d["code"] for d in districts(conn)}
        unknown = sorted(set(codes) - known)
        if unknown:
            problems.append(("districts", f"Choose from the districts listed (not {', '.join(unknown)})."))
        elif role == "coordinator" and not codes:
            problems.append(("districts", "A district co-ordinator needs at least one district."))
    return problems


def _enabled_admins(conn: Connection) -> int:
    found = conn.execute(text("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL"))
    return int(found.scalar_one())


def create_user(
    conn: Connection,
    actor: Actor,
    *,
    name: str,
    email: str,
    role: str,
    district_codes: list[str],
    public_url: str,
    link_hours: int,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Add a user with no usable password and send them a set-password link (admins only). With
    ``idempotency_key``, a retry of the same request returns the user added the first time and adds nothing."""
    require_user(actor, "admin")
    name, email = name.strip(), email.strip().lower()
    request = [actor.user_id, name, email, role, sorted(set(district_codes))]
    digest_ = idempotency.request_hash(request)
    if idempotency_key and (earlier := idempotency.claim(conn, "user", idempotency_key, digest_)) is not None:
        return earlier
    codes = sorted(set(district_codes)) if role == "coordinator" else []
    problems = _check(conn, name=name, email=email, role=role, codes=sorted(set(district_codes)))
    if problems:
        raise UserProblems(problems)
    user_id = int(
        conn.execute(
            text("INSERT INTO users (email, name, role, password_hash) VALUES (:e, :n, :r, :h) RETURNING id"),
            {"e": email, "n": name, "r": role, "h": NO_PASSWORD},
        ).scalar_one()
    )
    _set_districts(conn, user_id, codes)
    audit.record(conn, actor, "user-create", object_type="user", object_id=user_id,
                 detail={"role": role, "districts": codes})  # fmt: skip
    send_password_link(conn, actor, user_id, public_url=public_url, link_hours=link_hours)
    made = _rows(conn, user_id)[0]
    if idempotency_key:
        idempotency.remember(conn, "user", idempotency_key, 201, made)
    return made


def _set_districts(conn: Connection, user_id: int, codes: list[str]) -> None:
    conn.execute(text("DELETE FROM user_districts WHERE user_id = :u"), {"u": user_id})
    for code in codes:
        conn.execute(
            text("INSERT INTO user_districts (user_id, district_code) VALUES (:u, :d)"),
            {"u": user_id, "d": code},
        )


def _locked(conn: Connection, user_id: int) -> dict[str, Any]:
    """The user's row, locked for the change (and every admin's, so two changes cannot both remove one of
    the last two admins); NotFound if there is none."""
    conn.execute(text("SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE"))
    row = conn.execute(text("SELECT id FROM users WHERE id = :u FOR UPDATE"), {"u": user_id}).first()
    if row is None:
        raise NotFound(f"No user {user_id}", "Choose a user from the list at /admin/users.")
    return _rows(conn, user_id)[0]


def update_user(
    conn: Connection,
    actor: Actor,
    user_id: int,
    *,
    name: str | None = None,
    role: str | None = None,
    district_codes: list[str] | None = None,
    disabled: bool | None = None,
) -> dict[str, Any]:
    """Change a user's name, role, districts or whether they are disabled (admins only); each change audited.
    Setting the same values again changes nothing and writes no audit row."""
    require_user(actor, "admin")
    user = _locked(conn, user_id)
    name = name.strip() if name is not None else None
    new_role = role if role is not None else user["role"]
    codes = sorted(set(district_codes)) if district_codes is not None else list(user["districts"])
    if new_role != "coordinator":
        codes = []
    problems = _check(
        conn, name=name, email=None, role=role, codes=codes if new_role == "coordinator" else None
    )
    if new_role == "coordinator" and not codes and not problems:
        problems.append(("districts", "A district co-ordinator needs at least one district."))
    if problems:
        raise UserProblems(problems)
    losing_admin = (
        user["role"] == "admin" and not user["disabled"] and (new_role != "admin" or disabled is True)
    )
    if losing_admin and user_id == actor.user_id and disabled is True:
        raise Forbidden("You cannot disable yourself", "Ask another administrator to do it.")
    if losing_admin and _enabled_admins(conn) <= 1:
        raise Conflict(
            "This is the last administrator",
            "Make someone else an administrator first, so that someone can still manage users.",
        )
    if name is not None and name != user["name"]:
        conn.execute(text("UPDATE users SET name = :n WHERE id = :u"), {"n": name, "u": user_id})
        audit.record(conn, actor, "user-rename", object_type="user", object_id=user_id)
    if new_role != user["role"]:
        conn.execute(text("UPDATE users SET role = :r WHERE id = :u"), {"r": new_role, "u": user_id})
        audit.record(conn, actor, "user-role", object_type="user", object_id=user_id,
                     detail={"from": user["role"], "to": new_role})  # fmt: skip
    if codes != list(user["districts"]):
        _set_districts(conn, user_id, codes)
        audit.record(conn, actor, "user-districts", object_type="user", object_id=user_id,
                     detail={"from": list(user["districts"]), "to": codes})  # fmt: skip
    if disabled is True and not user["disabled"]:
        _disable(conn, user_id)
        audit.record(conn, actor, "user-disable", object_type="user", object_id=user_id)
    elif disabled is False and user["disabled"]:
        conn.execute(text("UPDATE users SET disabled_at = NULL WHERE id = :u"), {"u": user_id})
        audit.record(conn, actor, "user-enable", object_type="user", object_id=user_id)
    return _rows(conn, user_id)[0]


def _disable(conn: Connection, user_id: int) -> None:
    """Disabled: sessions, tokens and set-password links stop working at once."""
    conn.execute(
        text("UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE id = :u"), {"u": user_id}
    )
    conn.execute(
        text("UPDATE api_tokens SET revoked_at = now() WHERE user_id = :u AND revoked_at IS NULL"),
        {"u": user_id},
    )
    _end_sessions(conn, user_id)
    links.revoke(conn, "set_password", "user", user_id)


def _end_sessions(conn: Connection, user_id: int) -> None:
    conn.execute(
        text("UPDATE web_sessions SET revoked_at = now() WHERE user_id = :u AND revoked_at IS NULL"),
        {"u": user_id},
    )


def send_password_link(
    conn: Connection, actor: Actor, user_id: int, *, public_url: str, link_hours: int
) -> dict[str, Any]:
    """Email a user a new set-password link (admins only; not to a disabled user); earlier links stop
    working. Returns when it expires."""
    require_user(actor, "admin")
    user = _locked(conn, user_id)
    if user["disabled"]:
        raise Conflict("This user is disabled", "Re-enable them first, then send the link.")
    links.revoke(conn, "set_password", "user", user_id)
    hours = timedelta(hours=link_hours)
    secret = links.issue(conn, "set_password", "user", user_id, expires_in=hours)
    url = f"{public_url.rstrip('/')}/set-password?token={secret}"
    role = ROLE_WORDS.get(user["role"], user["role"])
    body = (
        f"Hello {user['name']},\n\n"
        f"You have a Patchmap account ({role}). To choose your password, open this link:\n\n{url}\n\n"
        f"The link works once, for {link_hours} hours. Your password needs at least {MIN_PASSWORD} characters. "
        "Then sign in with this email address.\n\n"
        "If you did not expect this email, ignore it: nothing happens until the link is used.\n"
    )
    outbox.enqueue(conn, key=f"user:{user_id}:set-password:{digest(secret)[:24]}", to=user["email"],
                   role="user", subject="Set your Patchmap password", body=body, about="set-password link")  # fmt: skip
    audit.record(conn, actor, "user-password-link", object_type="user", object_id=user_id,
                 detail={"hours": link_hours})  # fmt: skip
    return {"user_id": user_id, "expires_in_hours": link_hours}


def password_link(conn: Connection, secret: str | None) -> dict[str, Any]:
    """Whom a live set-password link is for (their name only), without using it; ``LinkRefused`` if it is
    not live or its user is disabled."""
    link = links.peek(conn, secret, "set_password", object_type="user")
    return _link_user(conn, link.object_id)


def _link_user(conn: Connection, user_id: int) -> dict[str, Any]:
    row = conn.execute(
        text("SELECT id, name, role FROM users WHERE id = :u AND disabled_at IS NULL"), {"u": user_id}
    ).first()
    if row is None:
        raise links.LinkRefused("This account is disabled", "Ask your Patchmap administrator.")
    return {"id": row[0], "name": row[1], "role": row[2]}


def set_password(conn: Connection, secret: str | None, password: str, again: str) -> dict[str, Any]:
    """Use a set-password link: check the password, set its argon2id hash, end the user's browser sessions
    and audit it. A refused link or password changes nothing (the link still works after a bad password)."""
    problems: list[tuple[str, str]] = []
    if len(password) < MIN_PASSWORD:
        problems.append(("password", f"Use at least {MIN_PASSWORD} characters."))
    elif len(password) > 1024:
        problems.append(("password", "Use at most 1,024 characters."))
    elif password != again:
        problems.append(("again", "The two passwords are not the same: type it again."))
    password_link(conn, secret)  # a dead link is refused before a bad password is mentioned
    if problems:
        raise UserProblems(problems)
    link = links.redeem(conn, secret, "set_password", object_type="user")
    user = _link_user(conn, link.object_id)
    conn.execute(
        text("UPDATE users SET password_hash = :h WHERE id = :u"),
        {"h": _hasher.hash(password), "u": user["id"]},
    )
    _end_sessions(conn, user["id"])
    who = Actor(user_id=user["id"], role=user["role"], name=user["name"])
    audit.record(conn, who, "user-set-password", object_type="user", object_id=user["id"])
    return user

"""Links sent by email: single use, expiring, bound to one object, stored only as a SHA-256 digest.

``issue`` makes a link's secret (256 random bits from ``secrets``), stores its digest with what it is for
(``purpose``: organiser, freshness, offer or set_password), the object it opens (``object_type`` and
``object_id``), an optional ``action`` and when it expires, and returns the secret to put in the message.
It is shown once, in the message, and never logged.

``redeem`` takes a secret back, in the caller's transaction: it locks the row, checks the purpose, object
and action the caller expects, and that it is neither used nor expired, then marks it used. Every refusal is
one ``LinkRefused`` with a plain reason ("This link has already been used", "... has expired", "... is
not for this ...") and changes nothing; the caller's transaction rolls back with it. ``peek`` checks the
same without using the link (to show a form whose submission will redeem it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Connection, text

from layers.access.auth import digest
from layers.errors import Forbidden
from layers.models.people import LINK_OBJECTS, LINK_PURPOSES

MAX_SECRET: Final = 128  # a secret is 43 characters; anything longer is not one of ours


class LinkRefused(Forbidden):
    """The link is unknown, used, expired, or for something else; nothing was changed."""


@dataclass(frozen=True)
class Link:
    """A redeemed (or peeked) link: what it was for."""

    id: int
    purpose: str
    object_type: str
    object_id: int
    action: str | None
    expires_at: datetime


def issue(
    conn: Connection,
    purpose: str,
    object_type: str,
    object_id: int,
    *,
    expires_in: timedelta,
    action: str | None = None,
) -> str:
    """Store a new link's digest and return its secret (to put in a message, once)."""
    if purpose not in LINK_PURPOSES or object_type not in LINK_OBJECTS:
        raise ValueError(f"unknown link {purpose}/{object_type}")
    secret = secrets.token_urlsafe(32)
    conn.execute(
        text(
            "INSERT INTO link_tokens (token_hash, purpose, object_type, object_id, action, expires_at) "
            "VALUES (:h, :p, :t, :i, :a, :e)"
        ),
        {
            "h": digest(secret),
            "p": purpose,
            "t": object_type,
            "i": object_id,
            "a": action,
            "e": datetime.now(UTC) + expires_in,
        },
    )
    return secret


def _check(
    conn: Connection,
    secret: str | None,
    purpose: str,
    *,
    object_type: str | None,
    object_id: int | None,
    actions: tuple[str | None, ...] | None,
    lock: bool,
) -> Link:
    if not secret or len(secret) > MAX_SECRET or "\x00" in secret:
        raise LinkRefused("This link is not complete", "Open the link from your email again, in full.")
    row = (
        conn.execute(
            text(
                "SELECT id, purpose, object_type, object_id, action, expires_at, used_at, "
                "expires_at <= now() AS expired FROM link_tokens WHERE token_hash = :h"
                + (" FOR UPDATE" if lock else "")
            ),
            {"h": digest(secret)},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise LinkRefused("This link is not one of ours", "Open the link from your email again, in full.")
    wrong_object = (object_type is not None and row["object_type"] != object_type) or (
        object_id is not None and row["object_id"] != object_id
    )
    if row["purpose"] != purpose or wrong_object or (actions is not None and row["action"] not in actions):
        raise LinkRefused("This link is not for this page", "Use the link from the email about this listing.")
    if row["used_at"] is not None:
        raise LinkRefused("This link has already been used", "Each link works once. Ask for a new one.")
    if row["expired"]:
        raise LinkRefused("This link has expired", "Ask for a new one.")
    return Link(
        id=row["id"],
        purpose=row["purpose"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        action=row["action"],
        expires_at=row["expires_at"],
    )


def peek(
    conn: Connection,
    secret: str | None,
    purpose: str,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    actions: tuple[str | None, ...] | None = None,
) -> Link:
    """What a live link is for, without using it (``LinkRefused`` if it is not live)."""
    return _check(
        conn, secret, purpose, object_type=object_type, object_id=object_id, actions=actions, lock=False
    )


def redeem(
    conn: Connection,
    secret: str | None,
    purpose: str,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    actions: tuple[str | None, ...] | None = None,
) -> Link:
    """Use a live link once, in the caller's transaction (``LinkRefused`` if it is not live)."""
    link = _check(
        conn, secret, purpose, object_type=object_type, object_id=object_id, actions=actions, lock=True
    )
    conn.execute(text("UPDATE link_tokens SET used_at = now() WHERE id = :id"), {"id": link.id})
    return link


def revoke(conn: Connection, purpose: str, object_type: str, object_id: int) -> int:
    """Use up every live link of a purpose for an object (e.g. when a newer one is sent)."""
    return conn.execute(
        text(
            "UPDATE link_tokens SET used_at = now() WHERE purpose = :p AND object_type = :t "
            "AND object_id = :i AND used_at IS NULL"
        ),
        {"p": purpose, "t": object_type, "i": object_id},
    ).rowcount

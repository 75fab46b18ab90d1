"""The outbox: a message is written in the same transaction as the change it tells of, so a change that
is kept always has its message, and a change rolled back has none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.errors import InvalidInput, NotFound

ENQUEUE = text(
    """
    INSERT INTO outbox (dedupe_key, recipient, recipient_role, subject, body, about, district_code)
    VALUES (:key, :to, :role, :subject, :body, :about, :district_code)
    ON CONFLICT (dedupe_key) DO NOTHING
    """
)


def enqueue(
    conn: Connection,
    *,
    key: str,
    to: str,
    role: str,
    subject: str,
    body: str,
    about: str | None = None,
    district_code: str | None = None,
) -> None:
    """Queue a message in the caller's transaction; a second message with the same ``key`` adds nothing.

    ``key`` names the event and the recipient (e.g. ``booking:BK-7K3Q9XF2:confirmed:booker``), so a
    retried change never queues its message twice.
    """
    params = {"key": key, "to": to, "role": role, "subject": subject, "body": body}
    conn.execute(ENQUEUE, params | {"about": about, "district_code": district_code})


#: What an officer may see of a message held in the outbox: never the recipient or the body (a body can
#: hold a booker's manage link).
HELD = text(
    "SELECT id, recipient_role AS role, subject, about, status, attempts, created_at, last_error FROM outbox"
    " WHERE status IN ('queued', 'sending', 'failed')"
    " AND (CAST(:all AS boolean) OR district_code = ANY(CAST(:districts AS text[])))"
    " AND (CAST(:status AS text) IS NULL OR status = CAST(:status AS text))"
    " ORDER BY created_at DESC, id DESC LIMIT :limit"
)
COUNTS = text(
    "SELECT status, count(*) AS n FROM outbox"
    " WHERE CAST(:all AS boolean) OR district_code = ANY(CAST(:districts AS text[])) GROUP BY status"
)
STATUSES = ("queued", "sending", "sent", "failed")


def _scope(districts: set[str] | None) -> dict[str, Any]:
    """Parameters choosing the messages of ``districts`` (``None``: every message, with or without one)."""
    return {"all": districts is None, "districts": sorted(districts or ())}


def held(
    conn: Connection, districts: set[str] | None, limit: int = 50, *, status: str | None = None
) -> list[dict[str, Any]]:
    """Messages not sent (queued, sending, failed; or only ``status``) of ``districts`` (None: all), newest
    first: id, role, subject, about, status, attempts, created_at, last_error; never the address or body."""
    rows = conn.execute(HELD, _scope(districts) | {"limit": limit, "status": status}).mappings()
    return [dict(r) for r in rows]


def counts(conn: Connection, districts: set[str] | None) -> dict[str, int]:
    """How many messages of ``districts`` (None: all) are in each status (every status named, 0 if none)."""
    found = {r.status: r.n for r in conn.execute(COUNTS, _scope(districts))}
    return {status: int(found.get(status, 0)) for status in STATUSES}


REQUEUE = text(
    "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = now(), last_error = NULL"
    " WHERE id = :id AND status IN ('sending', 'failed') RETURNING id"
)


def requeue(conn: Connection, message_id: int) -> None:
    """Send a failed message, or one left ``sending``, again (an officer checked it did not arrive).

    Raises ``NotFound`` for an unknown id and ``InvalidInput`` for a message queued or sent already.
    """
    if conn.execute(REQUEUE, {"id": message_id}).first() is not None:
        return
    status = conn.execute(text("SELECT status FROM outbox WHERE id = :id"), {"id": message_id}).scalar()
    if status is None:
        raise NotFound(f"There is no message {message_id}.", "Check the id with `patchmap messages list`.")
    raise InvalidInput(
        f"Message {message_id} is {status}, so it cannot be sent again.",
        "Only a failed message, or one left 'sending', can be put back in the queue.",
    )

"""The outbox: a message is written in the same transaction as the change it tells of, so a change that
is kept always has its message, and a change rolled back has none.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

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

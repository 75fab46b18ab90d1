"""Rate limits kept in the database (``login_attempts``), so that every worker and every restart counts alike.

A client is known only by a keyed hash (an HMAC of its address and what it is doing): no address is stored.
The count and the new attempt are taken under a transaction-scoped advisory lock on the key, so concurrent
requests from one client cannot both slip under the limit.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, text

from layers.errors import RateLimited

__all__ = ["client_key", "count_or_refuse"]


def client_key(secret: bytes, purpose: str, client: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) standing for a client's address doing ``purpose``; the address is
    never stored, and one client's keys for two purposes differ."""
    return hmac.new(secret, f"{purpose}\x00{client}".encode(), hashlib.sha256).hexdigest()


def count_or_refuse(
    conn: Connection, key: str, *, limit: int, window_minutes: int, message: str, detail: str
) -> None:
    """Count one attempt by ``key``; RateLimited (nothing counted) when ``limit`` were made in the window."""
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtextextended(%(k)s, 2))", {"k": key})
    made = conn.execute(
        text("SELECT count(*) FROM login_attempts WHERE key = :k AND at > now() - make_interval(mins => :w)"),
        {"k": key, "w": int(window_minutes)},
    ).scalar_one()
    if made >= limit:
        raise RateLimited(message, detail, retry_after_s=int(window_minutes) * 60)
    conn.execute(text("INSERT INTO login_attempts (key, succeeded) VALUES (:k, true)"), {"k": key})

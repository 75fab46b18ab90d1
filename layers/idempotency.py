"""Writes a client may retry, done once: the client's ``Idempotency-Key`` is claimed in the write's own
transaction and stored with the answer given, so a retry of the same request gets the same answer and
writes nothing more, and the same key with another request is refused. Keys are kept a day
(``layers/sql/idempotency_*.sql``; the async submissions use the same statements).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
from psycopg.types.json import Jsonb
from sqlalchemy import Connection

from layers.errors import InvalidInput
from layers.sql import sql

REUSED = InvalidInput(
    "This Idempotency-Key was used for another request",
    "Use a new key (a UUID) for each new request; send the same key only to retry the same request.",
)


def request_hash(request: Any) -> str:
    """SHA-256 (hex) of a request's canonical JSON, to tell a retry from another request under one key."""
    return hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()


def claim(conn: Connection, scope: str, key: str, digest: str) -> dict[str, Any] | None:
    """Claim ``key`` for this write (None: go ahead), or the answer stored when it was first used; refused
    (InvalidInput) when it was first used for another request."""
    params = {"scope": scope, "key": key, "hash": digest}
    if conn.exec_driver_sql(sql("idempotency_claim.sql"), params).first() is not None:
        return None
    return earlier_answer(
        conn.exec_driver_sql(sql("idempotency_earlier.sql"), params).mappings().first(), digest
    )


def earlier_answer(row: Mapping[Any, Any] | None, digest: str) -> dict[str, Any]:
    """The answer stored with a key already claimed (its row from idempotency_earlier.sql), if the request
    is the same one; InvalidInput if the key was used for another request."""
    if row is None or row["request_hash"] != digest or row["response"] is None:
        raise REUSED
    answer: dict[str, Any] = row["response"]
    return answer


def remember(conn: Connection, scope: str, key: str, status: int, answer: Any) -> None:
    """Store the answer of a claimed key, in the same transaction as the write it answers."""
    # Through JSON text and back, so dates are stored as the API sends them (RFC 3339 strings).
    response = Jsonb(orjson.loads(orjson.dumps(answer)))
    params = {"scope": scope, "key": key, "status": status, "response": response}
    conn.exec_driver_sql(sql("idempotency_done.sql"), params)

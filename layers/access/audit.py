"""The audit log: one row per privileged action, append-only (the database refuses UPDATE and DELETE).

Entries name the actor, their role, the district, the action and the object; ``detail`` never holds
personal data (names of residents, emails, phones, addresses): only ids, field names and decisions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import bindparam

from layers.access.scope import Actor

_INSERT = text(
    "INSERT INTO audit_log (actor_id, actor_role, district_code, action, object_type, object_id, detail) "
    "VALUES (:actor, :role, :district, :action, :otype, :oid, :detail) RETURNING id"
).bindparams(bindparam("detail", type_=JSONB))


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | int | None = None,
    district: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one audit entry; returns its id."""
    return int(
        conn.execute(
            _INSERT,
            {
                "actor": actor.user_id,
                "role": actor.role,
                "district": district,
                "action": action,
                "otype": object_type,
                "oid": None if object_id is None else str(object_id),
                "detail": detail or {},
            },
        ).scalar_one()
    )

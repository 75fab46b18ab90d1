"""A record's versions as its page lists them ("History"); ``layers.records.forms.restore_in`` puts one back.

Each version says its number, when, who made it (a council user's name; "the organiser"; "Patchmap"; or
"an import" for a version written by an import or a migration, which has no author) and the fields it changed.
Who may see them is checked as for the API (``layers.records.versions``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.access.scope import Actor
from layers.records import versions

_AUTHORS = text("SELECT id, name FROM users WHERE id = ANY(:ids)")


def _author(row: dict[str, Any], names: dict[int, str]) -> str:
    if row["author_kind"] == "organiser":
        return "the organiser"
    if row["author_kind"] == "system":
        return "Patchmap"
    if row["changed_by"] is None:
        return "an import"
    return names.get(row["changed_by"], "a former user")


def history(conn: Connection, actor: Actor, kind: str, record_id: int) -> list[dict[str, Any]]:
    """A record's versions, newest first: version, action, changed_at, author (words) and fields changed."""
    rows = versions.versions(conn, actor, kind, record_id)
    ids = sorted({r["changed_by"] for r in rows if r["changed_by"] is not None})
    names = {int(i): str(n) for i, n in conn.execute(_AUTHORS, {"ids": ids})} if ids else {}
    return [
        {
            "version": r["version"],
            "action": r["action"],
            "changed_at": r["changed_at"],
            "author": _author(r, names),
            "fields": sorted(r["changes"]),
        }
        for r in rows
    ]

"""A record's versions as its page lists them ("History"), and a version put back from that page.

Each version says its number, when, who made it (a council user's name; "the organiser"; "Patchmap"; or
"an import" for a version written by an import or a migration, which has no author) and the fields it changed.
Who may see and restore them is checked as for the API (``layers.records.versions``), and the record must be
in the district of the page's address.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.access.scope import Actor, record_districts, require_district, require_user
from layers.errors import NotFound
from layers.records import versions

_AUTHORS = text("SELECT id, name FROM users WHERE id = ANY(:ids)")


def _in_district(conn: Connection, actor: Actor, kind: str, record_id: int, district: str) -> None:
    """The actor covers the record, and the record is in the page's district."""
    require_user(actor)
    districts = record_districts(conn, kind, record_id)
    require_district(actor, districts or {district})
    if districts and district not in districts:
        raise NotFound(f"No {kind} {record_id} in {district}", "Open it from its own district's patch page.")


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


def restore_in(
    conn: Connection, actor: Actor, kind: str, district: str, record_id: int, version: int
) -> dict[str, Any]:
    """Put a record of the page's district back as it was at a version (``versions.restore``); the version
    written, or an "unchanged" one when it already was."""
    _in_district(conn, actor, kind, record_id, district)
    return versions.restore(conn, actor, kind, record_id, version)

"""Public reads of one group, hub or space: the fields anyone may see, never private contacts.

The SQL (``layers/sql/*_public.sql``) selects public columns only; a group's meets and a space's availability
are read in their public shape, stored when the row is written (migration 0007, as search reads them). A group's point is its venue's or its
hub's; a group known only by the areas it serves has no point, address, postcode or ward here.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from layers.errors import NotFound
from layers.sql import sql

GroupView = dict[str, Any]
HubView = dict[str, Any]
SpaceView = dict[str, Any]


async def group_public(conn: AsyncConnection[Any], group_id: int) -> GroupView:
    """A group's public view, with the areas it serves and its hub; NotFound if there is no such group."""
    return _refs(await _one(conn, "group_public.sql", group_id, "group"))


async def hub_public(conn: AsyncConnection[Any], hub_id: int) -> HubView:
    """A hub's public view, with the groups and spaces there; NotFound if there is no such hub."""
    return _refs(await _one(conn, "hub_public.sql", hub_id, "hub"))


async def space_public(conn: AsyncConnection[Any], space_id: int) -> SpaceView:
    """A space's public view (its status shown, whatever it is); NotFound if there is no such space."""
    return _refs(await _one(conn, "space_public.sql", space_id, "space"))


def public_accessibility(raw: Any) -> dict[str, str]:
    """Access notes as text: yes/no for true/false, numbers as written; anything nested is left out."""
    out: dict[str, str] = {}
    for key, value in (raw if isinstance(raw, dict) else {}).items():
        if isinstance(value, bool):
            out[str(key)] = "yes" if value else "no"
        elif isinstance(value, str | int | float):
            out[str(key)] = str(value)
    return out


async def _one(conn: AsyncConnection[Any], name: str, id_: int, what: str) -> dict[str, Any]:
    """The one row of a *_public.sql query, or NotFound naming what was asked for."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql(name), {"id": id_})
    row = await cur.fetchone()
    if row is None:
        raise NotFound(
            f"No {what} has the id {id_}",
            "Find groups, hubs and spaces near a place with GET /search/nearby?postcode=...",
        )
    return dict(row)


def _refs(row: dict[str, Any]) -> dict[str, Any]:
    """Fold a row's ward_code/ward_name and hub_id/hub_name into ward and hub; tidy its accessibility."""
    code, name = row.pop("ward_code"), row.pop("ward_name")
    row["ward"] = {"code": code, "name": name} if code is not None else None
    if "hub_id" in row:
        hub_id, hub_name = row.pop("hub_id"), row.pop("hub_name")
        row["hub"] = {"id": hub_id, "name": hub_name} if hub_id is not None else None
    row["accessibility"] = public_accessibility(row["accessibility"])
    return row

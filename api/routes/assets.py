"""Public pages of one group, hub or space (JSON): public fields only, built from api.schemas models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import Conn
from api.schemas import GroupPublic, HubPublic, SpacePublic
from layers.queries import assets

router = APIRouter(tags=["assets"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such record"},
    422: {"description": "The id is not a whole number from 1 to 2147483647"},
}
#: ids are PostgreSQL integers: anything larger could only be a mistake, and would fail in the database.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/groups/{group_id}", response_model=GroupPublic, responses=ERRORS)
async def read_group(conn: Conn, group_id: Id) -> assets.GroupView:
    """A group's public record: what it does, when it meets, its venue or hub, and the areas it serves."""
    return await assets.group_public(conn, group_id)


@router.get("/hubs/{hub_id}", response_model=HubPublic, responses=ERRORS)
async def read_hub(conn: Conn, hub_id: Id) -> assets.HubView:
    """A hub's public record: where it is, when it opens, and the groups and spaces there."""
    return await assets.hub_public(conn, hub_id)


@router.get("/spaces/{space_id}", response_model=SpacePublic, responses=ERRORS)
async def read_space(conn: Conn, space_id: Id) -> assets.SpaceView:
    """A space's public record, whatever its status (let and unavailable spaces are not in search)."""
    return await assets.space_public(conn, space_id)

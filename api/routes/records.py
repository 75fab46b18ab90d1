"""Editing records (with versions, restore and confirm), a district's stale records, and its partners.

Who may do what is checked in ``layers.records.versions`` and ``layers.patch.partners``: anonymous callers get 401, and a
co-ordinator gets 403 for another district's record. Reads of versions include the private contact, so they
too are for covering actors only. The public reads of records stay in ``api.routes.assets``.
Path parameters are named ``group_id``, ``hub_id`` and ``space_id`` as in ``api.routes.assets`` (a hub's room:
``room_id``, as in ``api.routes.bookings``), so each path has one name in the OpenAPI document. A room has
versions and restore but no confirm of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.access import CurrentActor
from api.deps import IDEMPOTENCY_HEADER, AppSettings, Work, idempotency_key
from layers.patch import partners
from layers.records import versions
from layers.records.versions import GroupChanges, HubChanges, SpaceChanges

router = APIRouter(tags=["records"])

Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
GroupId = Annotated[int, Path(ge=1, le=2_147_483_647, alias="group_id")]
HubId = Annotated[int, Path(ge=1, le=2_147_483_647, alias="hub_id")]
SpaceId = Annotated[int, Path(ge=1, le=2_147_483_647, alias="space_id")]
District = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$", examples=["E07000148"])]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Signed in, but not for that record's district"},
    404: {"description": "No such record, version, district or partner"},
    422: {"description": "A value is not valid (the body says which)"},
}


class RecordVersion(BaseModel):
    """A version of a record: who changed which fields ({field: [old, new]}) and the record after it."""

    kind: Literal["group", "hub", "space", "room"]
    id: int
    version: int
    action: Literal["create", "update", "import", "restore", "confirm", "unchanged"]
    changed_at: datetime | None
    changed_by: int | None = Field(description="users.id; none for a record as first imported")
    author_kind: Literal["user", "organiser", "system"] = Field(
        "user", description="who made it: council staff (a user), the listing's organiser, or Patchmap itself"
    )
    changes: dict[str, Any]
    snapshot: dict[str, Any] = Field(description="the record after the change, private contact included")


class StaleRecord(BaseModel):
    """A record not confirmed for a while (or never)."""

    kind: Literal["group", "hub", "space"]
    id: int
    name: str
    status: str | None
    last_verified_at: datetime | None
    created_at: datetime
    reason: str | None = Field(default=None, description="'no answer to two reminders' if flagged so")


class PartnerCreate(BaseModel):
    """A partner to add to a district's list."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(default=None, max_length=500)
    website: str | None = Field(default=None, max_length=300, examples=["https://example.org"])


class Partner(PartnerCreate):
    """A partner of a district."""

    model_config = ConfigDict(extra="ignore")

    id: int
    district_code: str
    created_at: datetime
    updated_at: datetime


def _changes(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_unset=True, by_alias=True)


@router.patch("/groups/{group_id}", response_model=RecordVersion, responses=ERRORS)
async def update_group(work: Work, actor: CurrentActor, record_id: GroupId, body: GroupChanges) -> Any:
    """Change a group's fields; a new version is kept."""
    return await work.run(versions.update_record, actor, "group", record_id, _changes(body))


@router.patch("/hubs/{hub_id}", response_model=RecordVersion, responses=ERRORS)
async def update_hub(work: Work, actor: CurrentActor, record_id: HubId, body: HubChanges) -> Any:
    """Change a hub's fields; a new version is kept."""
    return await work.run(versions.update_record, actor, "hub", record_id, _changes(body))


@router.patch("/spaces/{space_id}", response_model=RecordVersion, responses=ERRORS)
async def update_space(work: Work, actor: CurrentActor, record_id: SpaceId, body: SpaceChanges) -> Any:
    """Change a space's fields; a new version is kept."""
    return await work.run(versions.update_record, actor, "space", record_id, _changes(body))


def _kind_routes(kind: str, *, confirm: bool = True) -> None:
    """GET versions, POST restore and (unless not confirm) POST confirm for one kind of record."""
    base = f"/{kind}s/{{{kind}_id}}"
    rid: dict[str, Any] = {"ge": 1, "le": 2_147_483_647, "alias": f"{kind}_id"}  # in defaults: built per kind

    async def list_versions(work: Work, actor: CurrentActor, record_id: int = Path(**rid)) -> Any:
        return await work.run(versions.versions, actor, kind, record_id)

    async def restore_version(
        work: Work, actor: CurrentActor, record_id: int = Path(**rid), version: int = Path(ge=1)
    ) -> Any:
        return await work.run(versions.restore, actor, kind, record_id, version)

    async def confirm_record(work: Work, actor: CurrentActor, record_id: int = Path(**rid)) -> Any:
        return await work.run(versions.confirm, actor, kind, record_id)

    common: dict[str, Any] = {"responses": ERRORS, "tags": ["records"]}
    router.add_api_route(f"{base}/versions", list_versions, methods=["GET"], name=f"list_{kind}_versions",
                         response_model=list[RecordVersion], summary=f"A {kind}'s versions, newest first",
                         **common)  # fmt: skip
    router.add_api_route(f"{base}/versions/{{version}}/restore", restore_version, methods=["POST"],
                         name=f"restore_{kind}_version", response_model=RecordVersion,
                         summary=f"Put a {kind}'s fields back as they were at a version", **common)  # fmt: skip
    if not confirm:
        return
    router.add_api_route(f"{base}/confirm", confirm_record, methods=["POST"], name=f"confirm_{kind}",
                         response_model=RecordVersion,
                         summary=f"Confirm a {kind} is still right today (sets last_verified_at)", **common)  # fmt: skip


for _kind in ("group", "hub", "space"):
    _kind_routes(_kind)
_kind_routes("room", confirm=False)  # a hub's room: its versions (written by the room form) and restore


@router.get("/districts/{code}/stale", response_model=list[StaleRecord], responses=ERRORS)
async def list_stale(
    work: Work,
    settings: AppSettings,
    actor: CurrentActor,
    code: District,
    days: Annotated[
        int | None, Query(ge=1, le=36500, description="default PATCHMAP_STALE_AFTER_DAYS")
    ] = None,
) -> Any:
    """A district's records not confirmed for `days` days (or never), never-confirmed first."""
    after = days or settings.access.stale_after_days
    return await work.run(versions.stale, actor, code, after)


@router.get("/districts/{code}/partners", response_model=list[Partner], responses=ERRORS)
async def list_partners(work: Work, actor: CurrentActor, code: District) -> Any:
    """A district's partners."""
    return await work.run(partners.list_partners, actor, code)


@router.post(
    "/districts/{code}/partners",
    response_model=Partner,
    status_code=201,
    responses=ERRORS,
    openapi_extra={"parameters": [IDEMPOTENCY_HEADER]},
)
async def add_partner(
    request: Request, work: Work, actor: CurrentActor, code: District, body: PartnerCreate
) -> Any:
    """Add a partner to a district's list (send an Idempotency-Key to retry safely)."""
    key = idempotency_key(request)
    return await work.run(partners.add_partner, actor, code, **body.model_dump(), idempotency_key=key)


@router.delete("/districts/{code}/partners/{partner_id}", status_code=204, responses=ERRORS)
async def remove_partner(work: Work, actor: CurrentActor, code: District, partner_id: Id) -> Response:
    """Take a partner off a district's list."""
    await work.run(partners.remove_partner, actor, code, partner_id)
    return Response(status_code=204)

"""OpenActive open data: bookable rooms and spaces (FacilityUse) and their slots (Slot) as RPDE feeds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import AppSettings, Conn
from layers.booking import openactive
from layers.errors import InvalidInput

router = APIRouter(tags=["openactive"])

RPDE_MEDIA = "application/json"
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"description": "afterTimestamp and afterId are not both given, or one is not valid"},
}
#: Pages with items can be cached long (their items only move to later pages); the last, empty page not.
CACHE_PAGE = "public, max-age=3600"
CACHE_LAST = "public, max-age=8"
AfterTimestamp = Annotated[
    int | None,
    Query(
        alias="afterTimestamp",
        ge=0,
        le=2**53 - 1,
        description="the modified value (epoch milliseconds) of the last item read: from the previous page's next",
    ),
]


class RpdeItem(BaseModel):
    """One item of an RPDE page: updated (with its data) or deleted (without)."""

    state: Literal["updated", "deleted"]
    kind: Literal["FacilityUse", "Slot"]
    id: int | str
    modified: int = Field(description="epoch milliseconds of the item's latest change")
    data: dict[str, Any] | None = Field(
        default=None, description="the OpenActive FacilityUse or Slot (updated items only)"
    )


class RpdePage(BaseModel):
    """An RPDE page: items after the given place, the address of the next page, and the data's licence."""

    next: str
    items: list[RpdeItem]
    license: str


def _after(after_ts: int | None, after_id: object | None) -> None:
    """RPDE asks for both afterTimestamp and afterId, or neither."""
    if (after_ts is None) != (after_id is None):
        raise InvalidInput(
            "Give afterTimestamp and afterId together, or neither",
            "Follow the next address of the previous page, or start from the feed's own address.",
        )


def _answer(page: dict[str, Any]) -> JSONResponse:
    cache = CACHE_PAGE if page["items"] else CACHE_LAST
    return JSONResponse(page, media_type=RPDE_MEDIA, headers={"Cache-Control": cache})


def _feed_url(request: Request) -> str:
    return str(request.url.replace(query="", fragment=""))


@router.get("/openactive/facility-uses", response_model=RpdePage, responses=ERRORS)
async def list_facility_uses(
    request: Request,
    conn: Conn,
    settings: AppSettings,
    after_ts: AfterTimestamp = None,
    after_id: Annotated[
        int | None, Query(alias="afterId", ge=0, le=2_147_483_647, description="the id of the last item read")
    ] = None,
) -> JSONResponse:
    """Bookable rooms and spaces as OpenActive FacilityUse items (RPDE 1.0, modified then id)."""
    _after(after_ts, after_id)
    page = await openactive.facility_uses_page(
        conn,
        feed_url=_feed_url(request),
        public_url=settings.booking.public_url,
        after_ts=after_ts,
        after_id=after_id,
    )
    return _answer(page)


@router.get("/openactive/slots", response_model=RpdePage, responses=ERRORS)
async def list_slots(
    request: Request,
    conn: Conn,
    settings: AppSettings,
    after_ts: AfterTimestamp = None,
    after_id: Annotated[
        str | None,
        Query(
            alias="afterId",
            max_length=40,
            pattern=r"^[0-9A-Za-z-]*$",
            description="the id of the last item read, e.g. 12-20270105T1800Z",
        ),
    ] = None,
) -> JSONResponse:
    """The next 14 days' slots of bookable rooms and spaces as OpenActive Slot items (RPDE 1.0)."""
    _after(after_ts, after_id)
    page = await openactive.slots_page(
        conn,
        feed_url=_feed_url(request),
        public_url=settings.booking.public_url,
        after_ts=after_ts,
        after_id=after_id,
    )
    return _answer(page)

"""Calendar feeds (iCalendar) of bookable rooms and spaces: busy times only, naming no one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.deps import AppSettings, Conn
from layers.booking.calendar import calendar_feed

router = APIRouter(tags=["booking"])

ICS = "text/calendar; charset=utf-8"
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An iCalendar document: one event per booked time, busy blocks only",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    },
    404: {"description": "No such room or space, or it cannot be booked"},
    422: {"description": "The id is not a whole number from 1 to 2147483647"},
}
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/rooms/{room_id}/calendar.ics", response_class=Response, responses=RESPONSES)
async def room_calendar(conn: Conn, settings: AppSettings, room_id: Id) -> Response:
    """A bookable room's busy times as an iCalendar feed, from today to its horizon (no personal data)."""
    body = await calendar_feed(conn, "room", room_id, public_url=settings.booking.public_url)
    return Response(body, media_type=ICS)


@router.get("/spaces/{space_id}/calendar.ics", response_class=Response, responses=RESPONSES)
async def space_calendar(conn: Conn, settings: AppSettings, space_id: Id) -> Response:
    """A bookable space's busy times as an iCalendar feed, from today to its horizon (no personal data)."""
    body = await calendar_feed(conn, "space", space_id, public_url=settings.booking.public_url)
    return Response(body, media_type=ICS)

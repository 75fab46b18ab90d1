"""A room's or space's calendar feed (iCalendar, RFC 5545): its busy times, and nothing about who booked.

One VEVENT per live booked time (confirmed, or a request still holding its time) from the start of today
(Europe/London) to the resource's horizon: a stable UID per booked time, the times in UTC, "Booked" or
"Held (request)", opaque. No purpose, group, reference, booker or contact ever goes in: calendar_busy.sql
does not even read them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from layers.errors import NotFound
from layers.sql import sql

PRODID: Final = "-//Patchmap//Booking calendar//EN"
TIMEZONE: Final = "Europe/London"
KINDS: Final = ("room", "space")


def calendar_name(name: str, hub_name: str | None, sample: bool) -> str:
    """The calendar's title: the room (at its hub) or space, and "(sample)" when it is made up."""
    title = f"{name} at {hub_name}" if hub_name else name
    return f"{title} (sample)" if sample else title


async def calendar_feed(conn: AsyncConnection[Any], kind: str, record_id: int, *, public_url: str) -> bytes:
    """The iCalendar feed of a bookable room or space; NotFound if there is none, or it is not bookable."""
    cur = conn.cursor(row_factory=dict_row)
    resource = None
    if kind in KINDS:
        await cur.execute(sql("calendar_resource.sql"), {"kind": kind, "id": record_id})
        resource = await cur.fetchone()
    if resource is None or not resource["bookable"]:
        raise NotFound(
            f"No bookable {kind} has the id {record_id}",
            f"Check the number: bookable {kind}s are on the residents' map and in /search/nearby?free_from=...",
        )
    await cur.execute(
        sql("calendar_busy.sql"),
        {"resource_id": resource["resource_id"], "horizon_days": resource["horizon_days"]},
    )
    busy = await cur.fetchall()
    return build_calendar(
        calendar_name(resource["name"], resource["hub_name"], bool(resource["sample"])),
        busy,
        host=urlsplit(public_url).hostname or "patchmap",
    )


def build_calendar(title: str, busy: list[dict[str, Any]], *, host: str) -> bytes:
    """An iCalendar document of busy blocks: rows with id, start_at, end_at, requested and updated_at."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", TIMEZONE)
    for row in busy:
        event = Event()
        event.add("uid", f"slot-{row['id']}@{host}")
        event.add("dtstamp", _utc(row["updated_at"]))
        event.add("last-modified", _utc(row["updated_at"]))
        event.add("dtstart", _utc(row["start_at"]))
        event.add("dtend", _utc(row["end_at"]))
        event.add("summary", "Held (request)" if row["requested"] else "Booked")
        event.add("status", "TENTATIVE" if row["requested"] else "CONFIRMED")
        event.add("transp", "OPAQUE")
        event.add("class", "PUBLIC")
        cal.add_component(event)
    document: bytes = cal.to_ical()
    return document


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)

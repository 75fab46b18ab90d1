"""When a room or space is free: its weekly hours on each local date, less closed dates and the times live
bookings hold (turnaround included), from the least notice to the horizon, trimmed to the slot grid.

Busy times name no one: they are only the times held.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection

from layers.booking.forms import FIRST_YEAR, LAST_YEAR
from layers.booking.manage import expire_due
from layers.booking.rules import LONDON, TIMEZONE, on_grid, open_intervals, subtract, wall_moment
from layers.booking.terms import bookable, busy_times, closed_dates, load, summary_of
from layers.errors import InvalidInput

MAX_DAYS: Final = 31
FAR: Final = timedelta(days=3650)


def availability(
    conn: Connection,
    kind: str,
    record_id: int,
    start_date: date,
    end_date: date,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Free and busy times of a room or space from start_date to end_date (local dates, at most 31 days)."""
    for day in (start_date, end_date):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidInput(
                f"{day.isoformat()} is out of range", f"Give dates between {FIRST_YEAR} and {LAST_YEAR}."
            )
    if end_date < start_date:
        raise InvalidInput("to is before from", "Give from on or before to (YYYY-MM-DD).")
    if (end_date - start_date).days + 1 > MAX_DAYS:
        raise InvalidInput(
            f"Ask for at most {MAX_DAYS} days at a time", "Give from and to at most 30 days apart."
        )
    expire_due(conn)
    row = load(conn, kind, record_id)
    terms = bookable(row)
    now = now or datetime.now(UTC)
    window = (wall_moment(start_date, 0), wall_moment(end_date + timedelta(days=1), 0))
    closed = closed_dates(conn, terms.resource_id, start_date, end_date)
    shut = [(wall_moment(day, 0), wall_moment(day + timedelta(days=1), 0)) for day in closed]
    busy = busy_times(conn, terms.resource_id, *window)
    earliest = now + timedelta(minutes=terms.lead_minutes)
    latest = now + timedelta(days=terms.horizon_days)
    holes = [*shut, *busy, (window[0] - FAR, earliest), (latest, window[1] + FAR)]
    free = on_grid(terms, subtract(open_intervals(terms, start_date, end_date), holes))
    return {
        "resource": summary_of(row),
        "from": start_date,
        "to": end_date,
        "timezone": TIMEZONE,
        "free": [_span(s, e) for s, e in free],
        "busy": [_span(max(s, window[0]), min(e, window[1])) for s, e in _merged(busy)],
        "closed": [{"date": day, "reason": reason} for day, reason in sorted(closed.items())],
    }


def _span(start: datetime, end: datetime) -> dict[str, datetime]:
    return {"start": start.astimezone(LONDON), "end": end.astimezone(LONDON)}


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out

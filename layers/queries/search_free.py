"""Free-room search: bookable rooms and spaces free for a whole time window, nearest first, with the price.

``/search/nearby?free_from=...`` comes here (``layers.queries.search.nearby_assets`` hands it on). The
window is ``free_from`` (an offset, or Europe/London local time when it has none) and ``free_for_minutes``
(default 60). A resource is free for it when, in ``layers/sql/search_free.sql``:

- it is bookable (a space also not let or unavailable), holds ``capacity`` people and costs at most
  ``max_price`` GBP an hour, when those are given;
- the window's local wall-clock minutes of the week lie inside its weekly hours (``open_minutes``); a window
  that crosses local midnight (or Sunday into Monday) is never free, as no open span of the weekly hours is
  searched across days (booking itself allows it where the hours run on: the search is the stricter);
- it is not closed on the window's local date, the start is at least its notice (``lead_minutes``) ahead and
  within its horizon (``horizon_days``);
- no live booking (confirmed, or requested and still held) holds any of ``[free_from, free_from + minutes +
  the resource's turnaround buffer)``: the probe the exclusion constraint ``no_double_booking`` would make.

The slot grid, shortest and longest booking are not required: the search says a place is free, the booking
page says how it can be booked. Only ``q`` and ``step_free`` of the nearby search's other filters apply
(a room matches ``q`` by its own words or its hub's); category, community, cost, open_at and
volunteers_wanted have no meaning here and are refused with a 422 that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypedDict

from layers.booking.rules import LONDON, TIMEZONE, local_instant
from layers.errors import InvalidInput
from layers.records.hours import DAY

FREE_KINDS: Final = ("room", "space")
DEFAULT_FREE_MINUTES: Final = 60
MAX_FREE_MINUTES: Final = 1440
MAX_CAPACITY: Final = 100_000
MAX_PRICE: Final = 100_000.0
#: No resource can be booked further ahead than its horizon, which is at most 730 days (migration 0010).
MAX_AHEAD_DAYS: Final = 731
#: Filters of the nearby search that mean nothing for a bookable room, and what to do instead.
NOT_FOR_FREE: Final = {
    "category": "leave it out",
    "community": "leave it out",
    "cost": "use max_price (GBP per hour) instead",
    "open_at": "free_from already says when",
    "volunteers_wanted": "leave it out",
}


class FreeFilters(TypedDict):
    """The free-room part of a search's filters (all None when free_from was not given)."""

    free_from: str | None
    free_until: str | None
    free_for_minutes: int | None
    capacity: int | None
    max_price: float | None


NO_FREE: Final[FreeFilters] = {
    "free_from": None, "free_until": None, "free_for_minutes": None, "capacity": None, "max_price": None,
}  # fmt: skip


@dataclass(frozen=True)
class FreeWindow:
    """The window a resource must be free for: its moments (UTC) and its local wall-clock minutes."""

    start: datetime
    end: datetime
    minutes: int
    start_minute: (
        int | None
    )  # local minute of the week (Monday 00:00 = 0); None if the window crosses midnight
    end_minute: int | None
    local_date: str

    def filters(self, capacity: int | None, max_price: float | None) -> FreeFilters:
        """The window and filters as the answer states them (times in Europe/London, with their offset)."""
        return {
            "free_from": self.start.astimezone(LONDON).isoformat(),
            "free_until": self.end.astimezone(LONDON).isoformat(),
            "free_for_minutes": self.minutes,
            "capacity": capacity,
            "max_price": max_price,
        }


def free_window(free_from: datetime, minutes: int | None, *, now: datetime | None = None) -> FreeWindow:
    """The window from ``free_from`` (naive: Europe/London) for ``minutes``; InvalidInput when it is no time
    to search (a local time the clocks skip or repeat, in the past, or beyond any resource's horizon)."""
    minutes = DEFAULT_FREE_MINUTES if minutes is None else minutes
    if not 1 <= minutes <= MAX_FREE_MINUTES:
        raise InvalidInput(
            "free_for_minutes is out of range", f"Give free_for_minutes from 1 to {MAX_FREE_MINUTES}."
        )
    now = now or datetime.now(UTC)
    # checked before any arithmetic, so a year such as 9999 cannot overflow a conversion
    if abs(free_from.replace(tzinfo=None) - now.replace(tzinfo=None)) > timedelta(days=MAX_AHEAD_DAYS + 1):
        raise InvalidInput(
            "free_from is too far from today",
            f"Give a time from now to {MAX_AHEAD_DAYS - 1} days ahead: nothing can be booked further ahead.",
        )
    if free_from.tzinfo is None:
        start = local_instant(free_from.date(), free_from.time())
    else:
        start = free_from.astimezone(UTC)
    if start < now - timedelta(minutes=1):
        raise InvalidInput(
            "free_from is in the past",
            "Give a time from now on (with an offset, or as Europe/London local time without one).",
        )
    end = start + timedelta(minutes=minutes)
    return FreeWindow(
        start, end, minutes, *week_minutes(start, end), start.astimezone(LONDON).date().isoformat()
    )


def week_minutes(start: datetime, end: datetime) -> tuple[int | None, int | None]:
    """The window's local wall-clock minutes of the week, [start, end); (None, None) if it crosses midnight."""
    first, last = start.astimezone(LONDON), end.astimezone(LONDON)
    day = first.weekday() * DAY
    partial = 1 if last.second or last.microsecond else 0  # an end part-way through a minute needs all of it
    if last.date() == first.date():
        finish = day + last.hour * 60 + last.minute + partial
    elif last.date() == first.date() + timedelta(days=1) and (last.hour, last.minute, partial) == (0, 0, 0):
        finish = day + DAY  # ends at midnight
    else:
        return None, None
    return day + first.hour * 60 + first.minute, finish


def parse_free_kinds(text: str | None) -> list[str]:
    """Kinds of a free-room search from a comma list of room and space (None: both); InvalidInput if other."""
    if text is None:
        return list(FREE_KINDS)
    asked = {k.strip().lower() for k in text.split(",") if k.strip()}
    if not asked or asked - set(FREE_KINDS):
        raise InvalidInput(
            "With free_from, kinds can be room and space only",
            "Only a hub's rooms and whole spaces can be booked: give kinds=room, kinds=space, or leave kinds "
            "out for both.",
        )
    return [k for k in FREE_KINDS if k in asked]


def refuse_other_filters(given: dict[str, Any]) -> None:
    """InvalidInput naming the nearby filters that do not apply to a free-room search, if any were given."""
    wrong = [name for name in NOT_FOR_FREE if given.get(name) not in (None, False)]
    if wrong:
        raise InvalidInput(
            f"{', '.join(wrong)} cannot be used with free_from",
            "A free-room search finds bookable rooms and spaces; it takes q, step_free, capacity and "
            f"max_price. For {', '.join(wrong)}: "
            + "; ".join(f"{w}: {NOT_FOR_FREE[w]}" for w in wrong)
            + ".",
        )


def statement_params(
    window: FreeWindow,
    kinds: list[str],
    *,
    lon: float,
    lat: float,
    radius_m: float,
    q: str | None,
    step_free: bool,
    capacity: int | None,
    max_price: float | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Every parameter of search_free.sql."""
    return {
        "lon": lon,
        "lat": lat,
        "radius_m": float(radius_m),
        "k": offset + limit + 1,
        "offset": offset,
        "page": limit + 1,
        "rooms": "room" in kinds,
        "spaces": "space" in kinds,
        "q": q,
        "step_free": step_free,
        "capacity": capacity,
        "max_price": max_price,
        "free_from": window.start,
        "minutes": window.minutes,
        "start_minute": window.start_minute,
        "end_minute": window.end_minute,
        "local_date": window.local_date,
    }


def window_note(window: FreeWindow) -> list[str]:
    """A note when the window can find nothing: it crosses local midnight."""
    if window.start_minute is not None:
        return []
    return [
        "Nothing is free for a time that runs past midnight (Europe/London): search for a time within one day."
    ]


__all__ = [
    "DEFAULT_FREE_MINUTES", "FREE_KINDS", "MAX_CAPACITY", "MAX_FREE_MINUTES", "MAX_PRICE", "NO_FREE", "TIMEZONE",
    "FreeFilters", "FreeWindow", "free_window", "parse_free_kinds", "refuse_other_filters",
    "statement_params", "week_minutes", "window_note",
]  # fmt: skip

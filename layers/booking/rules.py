"""The rules of a booking's times, with no database: Europe/London local time across the clock changes,
the slot grid, lengths, weekly hours, closed dates, notice, horizon and the dates of a weekly series.

A booking's length is elapsed time: 120 minutes from 00:30 on the spring clock-change day ends at 03:30 BST
(two hours later). Weekly hours are checked on the wall clock: the booking's local start and local end must
lie in one open span of ``layers.records.hours.opening_minutes`` (the parser behind ``open_minutes``).

Moments are kept in UTC inside (Python compares and subtracts two datetimes of one zone on the wall clock,
which is wrong across a clock change) and shown in Europe/London.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from layers.errors import InvalidInput
from layers.records.hours import DAY, WEEK, opening_minutes

LONDON: Final = ZoneInfo("Europe/London")
TIMEZONE: Final = "Europe/London"


@dataclass(frozen=True)
class Terms:
    """A bookable resource's terms, as the rules need them."""

    resource_id: int
    kind: str
    record_id: int
    name: str
    weekly_hours: str
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    lead_minutes: int
    horizon_days: int
    buffer_minutes: int
    capacity: int | None
    price_per_hour: float

    def open_spans(self) -> list[tuple[int, int]]:
        """Open minutes of the week, merged, and repeated one week on (so a span may run past Sunday)."""
        ranges = opening_minutes(self.weekly_hours) or []
        doubled = [*ranges, *((s + WEEK, e + WEEK) for s, e in ranges)]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(doubled):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged


def words(moment: datetime) -> str:
    """A time in plain English, local: 'Tuesday 12 January 2027 18:00'."""
    local = moment.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y %H:%M}"


def span_words(start: datetime, end: datetime) -> str:
    """A time range in plain English, local: 'Tuesday 12 January 2027 18:00-20:00'."""
    finish = end.astimezone(LONDON)
    same_day = finish.date() == start.astimezone(LONDON).date()
    return f"{words(start)}-{finish:%H:%M}" if same_day else f"{words(start)} to {words(end)}"


def local_instant(day: date, at: time) -> datetime:
    """The moment (UTC) of a local date and time; InvalidInput if the clocks skip it or pass it twice."""
    naive = datetime.combine(day, at.replace(tzinfo=None))
    first = naive.replace(tzinfo=LONDON, fold=0)
    second = naive.replace(tzinfo=LONDON, fold=1)
    back = first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
    if back != naive:
        raise InvalidInput(
            f"{naive:%H:%M} on {day.isoformat()} does not exist in Europe/London",
            "The clocks go forward an hour that night (from 01:00 to 02:00): choose another time.",
        )
    if first.utcoffset() != second.utcoffset():
        raise InvalidInput(
            f"{naive:%H:%M} on {day.isoformat()} happens twice in Europe/London",
            "The clocks go back an hour that night (from 02:00 to 01:00): choose another time, or "
            "give start with an offset (+01:00 for the first, +00:00 for the second).",
        )
    return first.astimezone(UTC)


def wall_minutes(moment: datetime) -> int:
    """Minutes since local midnight on the wall clock."""
    local = moment.astimezone(LONDON)
    return local.hour * 60 + local.minute


def check_length(terms: Terms, minutes: int) -> None:
    """More than zero, a whole number of slots, and between the shortest and longest booking."""
    if minutes <= 0:
        raise InvalidInput(
            "A booking must end after it starts", "Give minutes greater than 0, or an end after the start."
        )
    if minutes % terms.slot_minutes:
        raise InvalidInput(
            f"{minutes} minutes is not a whole number of {terms.slot_minutes}-minute slots",
            f"Book in steps of {terms.slot_minutes} minutes.",
        )
    if not terms.min_minutes <= minutes <= terms.max_minutes:
        raise InvalidInput(
            f"{minutes} minutes is outside the lengths this can be booked for",
            f"Book between {terms.min_minutes} and {terms.max_minutes} minutes.",
        )


def check_grid(terms: Terms, start: datetime) -> None:
    """The start on the slot grid: minutes since local midnight divisible by the slot length."""
    local = start.astimezone(LONDON)
    if local.second or local.microsecond or wall_minutes(start) % terms.slot_minutes:
        raise InvalidInput(
            f"{local:%H:%M:%S} is not a start time this can be booked from",
            f"Start on the hour or at a multiple of {terms.slot_minutes} minutes past it.",
        )


def check_attendees(terms: Terms, attendees: int) -> None:
    """At least one, and no more than the capacity when it is known."""
    if attendees < 1:
        raise InvalidInput("Say how many people will come", "Give attendees of 1 or more.")
    if terms.capacity is not None and attendees > terms.capacity:
        raise InvalidInput(
            f"{attendees} people is more than {terms.name} holds",
            f"It holds {terms.capacity} people: book somewhere larger, or come in fewer.",
        )


def date_problem(
    terms: Terms, start: datetime, end: datetime, closed: dict[date, str | None], now: datetime
) -> str | None:
    """What is wrong with one time (hours, closure, notice, horizon), in words; None if it can be booked."""
    when = span_words(start, end)
    if start <= now:
        return f"{when} is in the past"
    if start < now + timedelta(minutes=terms.lead_minutes):
        hours = terms.lead_minutes / 60
        return f"{when} is too soon: book at least {hours:g} hours ahead"
    if start > now + timedelta(days=terms.horizon_days):
        return f"{when} is too far ahead: book at most {terms.horizon_days} days ahead"
    for day in touched_dates(start, end):
        if day in closed:
            reason = closed[day]
            return f"{when}: it is closed on {day:%A} {day.day} {day:%B %Y}" + (
                f" ({reason})" if reason else ""
            )
    if not within_hours(terms, start, end):
        return f"{when} is outside the hours it can be booked ({terms.weekly_hours})"
    return None


def touched_dates(start: datetime, end: datetime) -> list[date]:
    """The local dates a time range [start, end) falls on."""
    first = start.astimezone(LONDON).date()
    last = (end - timedelta(microseconds=1)).astimezone(LONDON).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def within_hours(terms: Terms, start: datetime, end: datetime) -> bool:
    """Whether [start, end), on the wall clock, lies inside one open span of the weekly hours."""
    local_start, local_end = start.astimezone(LONDON), end.astimezone(LONDON)
    begin = local_start.weekday() * DAY + wall_minutes(start)
    wall_days = (local_end.date() - local_start.date()).days
    finish = local_start.weekday() * DAY + wall_days * DAY + wall_minutes(end)
    return any(s <= begin and finish <= e for s, e in terms.open_spans())


def series_starts(first: datetime, weeks: int) -> list[tuple[date, datetime | str]]:
    """Each week's date and start at the same local time as ``first``, or why that week's time can't be."""
    local = first.astimezone(LONDON)
    out: list[tuple[date, datetime | str]] = []
    for k in range(weeks):
        day = local.date() + timedelta(weeks=k)
        if k == 0:
            out.append((day, first.astimezone(UTC)))
            continue
        try:
            out.append((day, local_instant(day, local.time())))
        except InvalidInput as exc:
            out.append((day, exc.message))
    return out


def open_intervals(terms: Terms, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The weekly hours' open spans between two local dates (inclusive) as UTC moments, in order."""
    window = (wall_moment(first, 0), wall_moment(last + timedelta(days=1), 0))
    monday = first - timedelta(days=first.weekday())
    out: list[tuple[datetime, datetime]] = []
    while monday <= last:
        for s, e in terms.open_spans():
            if s >= WEEK:
                continue  # the repeated week: the next Monday's loop adds it
            start, end = max(wall_moment(monday, s), window[0]), min(wall_moment(monday, e), window[1])
            if start < end:
                out.append((start, end))
        monday += timedelta(weeks=1)
    return _union(out)


def subtract(
    spans: Iterable[tuple[datetime, datetime]], holes: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The spans less the holes (both half-open), in order."""
    out = sorted(spans)
    for hole_start, hole_end in sorted(holes):
        kept: list[tuple[datetime, datetime]] = []
        for start, end in out:
            if hole_end <= start or end <= hole_start:
                kept.append((start, end))
                continue
            if start < hole_start:
                kept.append((start, hole_start))
            if hole_end < end:
                kept.append((hole_end, end))
        out = kept
    return out


def on_grid(terms: Terms, spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Free spans trimmed to the slot grid (start rounded up, end down), kept if at least the shortest length."""
    step, out = terms.slot_minutes, []
    for start, end in spans:
        begin = _floor_grid(start, step)
        if begin < start:
            begin += timedelta(minutes=step)
        finish = _floor_grid(end, step)
        if finish - begin >= timedelta(minutes=terms.min_minutes):
            out.append((begin, finish))
    return out


def _floor_grid(moment: datetime, step: int) -> datetime:
    """The latest moment on the local slot grid at or before ``moment`` (UTC)."""
    local = moment.astimezone(LONDON)
    back = timedelta(minutes=wall_minutes(local) % step, seconds=local.second, microseconds=local.microsecond)
    return moment.astimezone(UTC) - back


def wall_moment(day: date, minute: int) -> datetime:
    """A local date plus minutes on the wall clock, as a UTC moment (a skipped time moves forward)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=LONDON).astimezone(UTC)


def _union(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged

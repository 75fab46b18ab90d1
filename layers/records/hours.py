"""Opening and meeting times: OpenStreetMap ``opening_hours``, a group's ``meets``, and ``open_at``.

A time of the week is a minute from Monday 00:00 (0) to the next Monday 00:00 (``WEEK``); opening times are
sorted, merged half-open ranges ``[start, end)`` of such minutes. Search filters inside the database, so
migration 0003 holds the same two parsers in SQL (``patchmap_opening_minutes``, ``patchmap_meets_minutes``,
returning an ``int4multirange``), and migration 0007 the public shapes (``patchmap_public_meets``,
``patchmap_public_availability``: the stored columns that search and the public views read);
``tests/layers/test_hours.py`` checks that the SQL and Python agree.

OpenStreetMap ``opening_hours`` are parsed by ``opening-hours-py`` (the maintained Rust parser of the full
specification: months, dates, weeks, ``sunrise``, comments, fallback rules), evaluated over one ordinary week
(``REFERENCE_WEEK``, Monday 1 June 2026: no bank holiday, not winter) in Europe/London local time, with UK
public holidays (``PH``) known. School-holiday rules (``SH``) are left out first: no calendar of them is known,
so the ordinary week is one in term time. A value the parser refuses is unknown (``None``), and so is one that
is only a comment (``"by appointment"``): search leaves a hub with unknown hours out when ``open_at`` is given,
rather than guess. The parsed ranges are kept in ``hours_parsed`` (migration 0016), from which a trigger fills
``hubs.opening_minutes`` and ``resources.open_minutes`` when a row is written; every writer registers its values
first (``layers.records.hours_store.register_hours``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

import opening_hours
from opening_hours import OpeningHours, State

from layers.errors import InvalidInput
from layers.taxonomy import WEEKDAYS

DAY: Final = 1440
WEEK: Final = 7 * DAY
#: Weekday evenings start here (minutes after midnight), for spaces' ``availability.evenings``.
EVENING_STARTS: Final = 17 * 60

#: The flags of a space's availability JSON, and the times each covers (see ``availability_key``).
AVAILABILITY_KEYS: Final = ("weekdays", "evenings", "weekends")

Ranges = list[tuple[int, int]]

_DAY_NAMES: Final[dict[str, int]] = {
    name: i
    for i, names in enumerate(
        [
            ("mo", "mon", "monday"),
            ("tu", "tue", "tues", "tuesday"),
            ("we", "wed", "wednesday"),
            ("th", "thu", "thur", "thurs", "thursday"),
            ("fr", "fri", "friday"),
            ("sa", "sat", "saturday"),
            ("su", "sun", "sunday"),
        ]
    )
    for name in names
}
_OPEN_AT = re.compile(r"^\s*([a-z]+)\s*,?\s+([0-9]{1,2})[:.]([0-9]{2})\s*$", re.IGNORECASE)
_HHMM = re.compile(r"^\s*([0-9]{1,2}):([0-5][0-9])\s*$")

#: What the parser raises for a value it refuses (its type stubs do not declare it).
PARSER_ERROR: Final[type[Exception]] = getattr(opening_hours, "ParserError", ValueError)
_TOP_LEVEL_SEMICOLON = re.compile(r';(?=(?:[^"]*"[^"]*")*[^"]*$)')  # a ';' outside "comments"
_SCHOOL_HOLIDAY = re.compile(r"^SH(?:\s|$|,)", re.IGNORECASE)
#: The ordinary week opening hours are read in (Monday 00:00, Europe/London local time), and how far past
#: it intervals are read, so that Sunday night's hours past midnight reach Monday morning.
REFERENCE_WEEK: Final = datetime(2026, 6, 1)
_WINDOW: Final = timedelta(days=8)
_WINDOW_MINUTES: Final = 8 * 1440


class OpenAt(NamedTuple):
    """A day of the week (0 is Monday) and a time of day in minutes after midnight."""

    day: int
    minute: int

    @property
    def minute_of_week(self) -> int:
        """Minutes since Monday 00:00."""
        return self.day * DAY + self.minute

    @property
    def day_code(self) -> str:
        """The day as OpenStreetMap writes it, lower case ('mo')."""
        return WEEKDAYS[self.day]

    def __str__(self) -> str:
        return f"{self.day_code} {self.minute // 60:02d}:{self.minute % 60:02d}"


def parse_open_at(text: str) -> OpenAt:
    """A day and a time such as 'mo 18:30', 'Monday 18:30' or 'sat 9:00'; InvalidInput if it is not one."""
    match = _OPEN_AT.match(text)
    day = _DAY_NAMES.get(match.group(1).lower()) if match else None
    if match is None or day is None or int(match.group(2)) > 23 or int(match.group(3)) > 59:
        raise InvalidInput(
            f"open_at {text.strip()[:32]!r} is not a day and a time",
            "Give a day and a 24-hour time, such as 'mo 18:30', 'monday 18:30' or 'sa 09:00' "
            "(days: mo, tu, we, th, fr, sa, su, or their names).",
        )
    return OpenAt(day, int(match.group(2)) * 60 + int(match.group(3)))


def availability_key(at: OpenAt) -> str:
    """Which flag of a space's availability covers this time: 'weekdays', 'evenings' or 'weekends'.

    Saturday and Sunday are 'weekends'; Monday to Friday from 17:00 'evenings'; before 17:00 'weekdays'.
    """
    if at.day >= 5:
        return "weekends"
    return "evenings" if at.minute >= EVENING_STARTS else "weekdays"


def is_open(ranges: Iterable[tuple[int, int]], minute_of_week: int) -> bool:
    """Whether a minute of the week falls in any of the ranges."""
    return any(start <= minute_of_week < end for start, end in ranges)


def opening_minutes(hours: str | None) -> Ranges | None:
    """An OpenStreetMap opening_hours value as minute-of-week ranges of an ordinary week; None if empty, not
    understood, or only a comment."""
    text = _term_time(hours or "")
    if not text:
        return None
    try:
        parsed = OpeningHours(text, country="GB")
    except (PARSER_ERROR, SyntaxError, ValueError):
        return None
    spans: list[tuple[int, int]] = []
    known = False
    for start, end, state, comment in parsed.intervals(REFERENCE_WEEK, REFERENCE_WEEK + _WINDOW):
        a, b = _minute(start), _minute(end)
        if state == State.OPEN and comment and (a, b) == (0, _WINDOW_MINUTES):
            return None  # open all the time "by appointment": a comment, not hours
        known = known or state != State.UNKNOWN
        if state == State.OPEN:
            spans.append((a - WEEK, b - WEEK) if a >= WEEK else (a, b))
    return _merge(spans) if known else None


def _minute(moment: datetime) -> int:
    return int((moment.replace(tzinfo=None) - REFERENCE_WEEK).total_seconds() // 60)


def _term_time(hours: str) -> str:
    """The value without school-holiday rules (``SH ...``) and stray semicolons at either end."""
    rules = [r.strip() for r in _TOP_LEVEL_SEMICOLON.split(hours.strip())]
    kept = [r for r in rules if r and not _SCHOOL_HOLIDAY.match(r)]
    return "; ".join(kept)


def meets_minutes(meets: Any) -> Ranges:
    """A group's meets JSON [{days, start, end, frequency}] as minute-of-week ranges, bad entries skipped."""
    spans: list[tuple[int, int]] = []
    for entry in meets if isinstance(meets, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("days"), list):
            continue
        start, end = _hhmm(entry.get("start")), _hhmm(entry.get("end"))
        if start is None or end is None or start >= DAY:
            continue
        end = end + DAY if end <= start else end
        days = {WEEKDAYS.index(d) for d in entry["days"] if isinstance(d, str) and d in WEEKDAYS}
        spans += [(d * DAY + start, d * DAY + end) for d in days]
    return _merge(spans)


def public_meets(meets: Any) -> list[dict[str, Any]]:
    """The well-formed entries of a meets JSON, as {days, start, end, frequency} (days in week order)."""
    out: list[dict[str, Any]] = []
    for entry in meets if isinstance(meets, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("days"), list):
            continue
        start, end = _hhmm(entry.get("start")), _hhmm(entry.get("end"))
        days = [d for d in WEEKDAYS if d in entry["days"]]
        if start is None or end is None or start >= DAY or not days:
            continue
        frequency = entry.get("frequency")
        out.append(
            {
                "days": days,
                "start": f"{start // 60:02d}:{start % 60:02d}",
                "end": f"{end // 60:02d}:{end % 60:02d}",
                "frequency": frequency if isinstance(frequency, str) else None,
            }
        )
    return out


def public_availability(availability: Any) -> dict[str, bool | str | None]:
    """A space's availability: flags weekdays, evenings, weekends (None: not known); from, until, notes."""
    raw = availability if isinstance(availability, dict) else {}
    flags: dict[str, bool | str | None] = {
        key: raw[key] if isinstance(raw.get(key), bool) else None for key in AVAILABILITY_KEYS
    }
    texts = {key: raw[key] if isinstance(raw.get(key), str) else None for key in ("from", "until", "notes")}
    return flags | texts


def _hhmm(value: object) -> int | None:
    """Minutes after midnight of 'H:MM' or 'HH:MM' (up to 24:00), or None."""
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None or int(match.group(2)) >= 60:
        return None
    total = int(match.group(1)) * 60 + int(match.group(2))
    return total if total <= DAY else None


def _merge(spans: Iterable[tuple[int, int]]) -> Ranges:
    """Sorted, merged ranges within one week; a range past the week's end wraps to Monday."""
    pieces: list[tuple[int, int]] = []
    for start, end in spans:
        if end > WEEK:
            pieces += [(start, WEEK), (0, end - WEEK)]
        elif end > start:
            pieces.append((start, end))
    merged: Ranges = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged

"""Opening and meeting times: OpenStreetMap ``opening_hours``, a group's ``meets``, and ``open_at``.

A time of the week is a minute from Monday 00:00 (0) to the next Monday 00:00 (``WEEK``); opening times are
sorted, merged half-open ranges ``[start, end)`` of such minutes. Search filters inside the database, so
migration 0003 holds the same two parsers in SQL (``patchmap_opening_minutes``, ``patchmap_meets_minutes``,
returning an ``int4multirange``), and migration 0007 the public shapes (``patchmap_public_meets``,
``patchmap_public_availability``: the stored columns that search and the public views read);
``tests/layers/test_hours.py`` checks that the SQL and Python agree.

The OpenStreetMap forms understood (case-insensitive; these cover the Norwich data and most UK tagging):

- ``24/7``; rules separated by ``;`` with a later rule replacing earlier ones on the days it names
  (``Mo-Fr 09:00-17:00; We 10:00-12:00``); ``, `` before a day starts an additional rule that adds times;
- days ``Mo``..``Su``, ranges (``Mo-Fr``, also wrapping: ``Fr-Mo``) and lists (``Mo,We``); no days means
  every day; days without times mean all day;
- times ``9:00-17:30``, lists of them (``10:00-13:00,14:00-17:00``), ``off`` or ``closed``; an end at or
  before the start runs past midnight (``10:00-00:00``, ``22:00-02:00``); ``24:00`` is midnight;
- rules for public or school holidays (``PH off``, ``SH Mo-Fr 10:00-16:00``) are ignored, and ``PH`` in a
  list of days is dropped: search asks about an ordinary week.

Anything else (months, dates, weeks, ``sunrise``, comments, ``+``, ``||``) makes the whole value unknown
(``None``): search leaves a hub with unknown hours out when ``open_at`` is given, rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final, NamedTuple

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

_D = r"(?:mo|tu|we|th|fr|sa|su)"
_DAY_ITEM = rf"(?:{_D}(?:\s*-\s*{_D})?|ph|sh)"
_SPAN = r"[0-9]{1,2}:[0-9]{2}\s*-\s*[0-9]{1,2}:[0-9]{2}"
_RULE = re.compile(
    rf"^(?:(?P<days>{_DAY_ITEM}(?:\s*,\s*{_DAY_ITEM})*)(?:\s+|$))?"
    rf"(?P<times>{_SPAN}(?:\s*,\s*{_SPAN})*|off|closed|24/7)?$"
)
_ADDITIONAL = re.compile(rf"(?<=[0-9])\s*,\s*(?={_D}\b)")
_HOLIDAY_RULE = re.compile(r"^(?:ph|sh)(?:\s|$)")


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
    """An OpenStreetMap opening_hours value as minute-of-week ranges; None if empty or not understood."""
    text = (hours or "").strip().lower()
    if not text or "||" in text:
        return None
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for rule in text.split(";"):
        for i, part in enumerate(_ADDITIONAL.split(rule.strip())):
            if not part or _HOLIDAY_RULE.match(part):
                continue
            parsed = _rule(part)
            if parsed is None:
                return None
            days, spans = parsed
            for day in days:
                week[day] = [*week[day], *spans] if i > 0 else list(spans)
    return _merge((d * DAY + start, d * DAY + end) for d in range(7) for start, end in week[d])


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


def _rule(rule: str) -> tuple[list[int], list[tuple[int, int]]] | None:
    """The days a rule names and its spans (minutes of the day), or None if it is not understood."""
    match = _RULE.match(rule)
    if match is None or not (match.group("days") or match.group("times")):
        return None
    days: list[int] = list(range(7))
    if match.group("days"):
        days = []
        for item in re.split(r"\s*,\s*", match.group("days")):
            if item in ("ph", "sh"):
                continue
            first, _, last = (p.strip() for p in item.partition("-"))
            a = WEEKDAYS.index(first)
            b = WEEKDAYS.index(last) if last else a
            days += [(a + k) % 7 for k in range((b - a) % 7 + 1)]
        if not days:  # only holidays: ignored
            return [], []
    times = match.group("times")
    if times is None or times == "24/7":
        return days, [(0, DAY)]
    if times in ("off", "closed"):
        return days, []
    spans = []
    for span in re.split(r"\s*,\s*", times):
        start, end = (_hhmm(t) for t in span.split("-"))
        if start is None or end is None or start >= DAY:
            return None
        spans.append((start, end + DAY if end <= start else end))
    return days, spans


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

"""Opening times: OpenStreetMap opening_hours (read by opening-hours-py, kept in hours_parsed, migration 0016),
meets and open_at, and the SQL twins of meets (migrations 0003 and 0007).

The Python functions in ``layers.records.hours`` are the reference: the stored columns search reads
(``hubs.opening_minutes``, ``resources.open_minutes``, ``groups.meets_minutes``) must hold what they make of
every value here and in the demo data.
"""

from __future__ import annotations

from typing import Any

import pytest
from psycopg.types.json import Jsonb
from sqlalchemy import Connection

from layers.access.scope import Actor
from layers.errors import InvalidInput
from layers.records.hours import (
    DAY,
    WEEK,
    OpenAt,
    availability_key,
    is_open,
    meets_minutes,
    opening_minutes,
    parse_open_at,
    public_availability,
    public_meets,
)
from layers.records.versions import apply_changes

MO, TU, WE, TH, FR, SA, SU = (d * DAY for d in range(7))
ADMIN = Actor(role="admin", name="test")


def hm(text: str) -> int:
    """Minutes after midnight of 'HH:MM'."""
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def daily(days: list[int], start: str, end: str) -> list[tuple[int, int]]:
    """The same hours on each of the days (no overnight)."""
    return [(d + hm(start), d + hm(end)) for d in days]


HOURS: list[tuple[str, list[tuple[int, int]]]] = [
    ("Mo-Fr 09:00-20:00; Sa 09:00-17:00",
     daily([MO, TU, WE, TH, FR], "09:00", "20:00") + daily([SA], "09:00", "17:00")),
    ("24/7", [(0, WEEK)]),
    ("Mo,We 10:00-12:00", daily([MO, WE], "10:00", "12:00")),
    ("off", []),
    ("closed", []),
    ("Mo-Su off", []),
    ("mo-fr 9:00 - 17:00", daily([MO, TU, WE, TH, FR], "09:00", "17:00")),
    # a later rule replaces earlier ones on its days; "off" closes them
    ("Mo-Fr 09:00-17:00; We 10:00-12:00", daily([MO, TU], "09:00", "17:00")
     + daily([WE], "10:00", "12:00") + daily([TH, FR], "09:00", "17:00")),
    ("Mo-Fr 09:00-17:00; We off; PH off", daily([MO, TU, TH, FR], "09:00", "17:00")),
    # ", " before a day adds a rule; a list of times; touching spans merge
    ("Mo-Fr 09:00-12:00, Sa 10:00-11:00", daily([MO, TU, WE, TH, FR], "09:00", "12:00")
     + daily([SA], "10:00", "11:00")),
    ("Tu,Th 9:00-13:00,13:00-18:00;Sa 9:00-13:00", daily([TU, TH], "09:00", "18:00")
     + daily([SA], "09:00", "13:00")),
    ("Mo 10:00-12:00,14:00-16:00", [(MO + hm("10:00"), MO + hm("12:00")), (MO + hm("14:00"), MO + hm("16:00"))]),
    # wrapping day ranges, no days (every day), days without times (all day)
    ("Fr-Mo 10:00-11:00", daily([MO, FR, SA, SU], "10:00", "11:00")),
    ("10:00-18:00", daily([MO, TU, WE, TH, FR, SA, SU], "10:00", "18:00")),
    ("Sa-Su", [(SA, WEEK)]),
    # past midnight: into the next day; Sunday night into Monday morning
    ("10:00-00:00", daily([MO, TU, WE, TH, FR, SA, SU], "10:00", "24:00")),
    ("Fr 22:00-02:00", [(FR + hm("22:00"), SA + hm("02:00"))]),
    ("Su 22:00-02:00", [(0, hm("02:00")), (SU + hm("22:00"), WEEK)]),
    ("Mo 00:00-24:00", [(MO, TU)]),
    # holiday rules are ignored: the search asks about an ordinary week
    ("Mo-Fr 10:00-22:00; SH Mo-Fr 09:00-22:00; Sa 09:00-22:00",
     daily([MO, TU, WE, TH, FR], "10:00", "22:00") + daily([SA], "09:00", "22:00")),
    ("Mo 10:00-12:00; PH,Su off", daily([MO], "10:00", "12:00")),
    ("PH 10:00-12:00", []),
    ("Mo 10:00-12:00;", daily([MO], "10:00", "12:00")),
]  # fmt: skip
# Forms the hand-written parser gave up on, read by opening-hours-py over the ordinary week (June 2026):
# bank holidays, dates and months that do not fall in it change nothing; a fallback comment is only a comment.
UNDERSTOOD_NOW = [
    ("Mo-Fr 09:00-21:00; PH off", daily([MO, TU, WE, TH, FR], "09:00", "21:00")),
    ("Mo-Sa 10:00-16:00; Dec 25 off", daily([MO, TU, WE, TH, FR, SA], "10:00", "16:00")),
    ("Mo-Sa 10:00-16:00; Jan-Mar off", daily([MO, TU, WE, TH, FR, SA], "10:00", "16:00")),
    ("Dec 25 off", []),
    ("Jan-Mar Mo 10:00-12:00", []),
    ('Mo 10:00-12:00 || "call first"', daily([MO], "10:00", "12:00")),
    ('Tu 10:00-12:00 "ring the bell"', daily([TU], "10:00", "12:00")),
]  # fmt: skip
NOT_UNDERSTOOD = ["", "   ", "Mo 25:00-26:00", "Mo 10:60-11:00", "by appointment", '"by appointment"',
                  "Mo 24:00-01:00", "open sometimes"]  # fmt: skip


@pytest.mark.parametrize(("hours", "expected"), HOURS)
def test_opening_hours(hours: str, expected: list[tuple[int, int]]) -> None:
    """The common OpenStreetMap forms, as minute-of-week ranges."""
    assert opening_minutes(hours) == sorted(expected)


@pytest.mark.parametrize(("hours", "expected"), UNDERSTOOD_NOW)
def test_forms_councils_and_mappers_use(hours: str, expected: list[tuple[int, int]]) -> None:
    assert opening_minutes(hours) == sorted(expected)


@pytest.mark.parametrize("hours", [*NOT_UNDERSTOOD, None])
def test_opening_hours_not_understood(hours: str | None) -> None:
    """Anything else is unknown (None), never a guess."""
    assert opening_minutes(hours) is None


def test_is_open() -> None:
    """Half-open ranges: open at the start minute, closed at the end minute."""
    ranges = opening_minutes("Mo-Fr 09:00-17:00")
    assert ranges is not None
    assert is_open(ranges, parse_open_at("mo 09:00").minute_of_week)
    assert not is_open(ranges, parse_open_at("mo 17:00").minute_of_week)
    assert not is_open(ranges, parse_open_at("sa 12:00").minute_of_week)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("mo 18:30", OpenAt(0, 1110)), ("Monday 18:30", OpenAt(0, 1110)), ("SAT 9:05", OpenAt(5, 545)),
     ("su 00:00", OpenAt(6, 0)), ("thurs, 23:59", OpenAt(3, 1439)), ("  tue 7.15 ", OpenAt(1, 435))],
)  # fmt: skip
def test_parse_open_at(text: str, expected: OpenAt) -> None:
    """A day (two letters, three, or the name) and a 24-hour time."""
    assert parse_open_at(text) == expected


@pytest.mark.parametrize(
    "text", ["", "mo", "18:30", "xx 18:30", "mo 24:00", "mo 9:60", "mo 18:30:00", "mo 1830"]
)
def test_parse_open_at_rejects(text: str) -> None:
    """Anything else is InvalidInput, with an example of what to give."""
    with pytest.raises(InvalidInput, match="is not a day and a time"):
        parse_open_at(text)


def test_open_at_as_text_and_availability() -> None:
    """open_at prints as 'mo 18:30'; a space's weekday, evening and weekend flags split the week."""
    assert str(parse_open_at("Monday 8:05")) == "mo 08:05"
    assert [availability_key(parse_open_at(t)) for t in ("fr 16:59", "fr 17:00", "sa 09:00", "su 22:00")] == [
        "weekdays", "evenings", "weekends", "weekends"
    ]  # fmt: skip
    assert public_availability({"weekdays": True, "evenings": "yes", "notes": "ask", "from": 5}) == {
        "weekdays": True, "evenings": None, "weekends": None, "from": None, "until": None, "notes": "ask"
    }  # fmt: skip


MEETS: list[tuple[Any, list[tuple[int, int]]]] = [
    ([{"days": ["mo", "we"], "start": "18:30", "end": "20:00", "frequency": "weekly"}],
     [(MO + 1110, MO + 1200), (WE + 1110, WE + 1200)]),
    ([{"days": ["su"], "start": "23:00", "end": "01:00"}], [(0, 60), (SU + 1380, WEEK)]),
    ([{"days": ["tu"], "start": "9:00", "end": "24:00"}], [(TU + 540, WE)]),
    ([{"days": ["mo", 1, "xx", "MO"], "start": "10:00", "end": "11:00"}], [(MO + 600, MO + 660)]),
    ([{"days": "mo", "start": "10:00", "end": "11:00"}, {"days": ["mo"], "start": 1000, "end": "11:00"},
      {"days": ["mo"], "start": "25:00", "end": "26:00"}, {"days": ["mo"]}, "mo", None, 5], []),
    ({"days": ["mo"]}, []),
    ([], []),
]  # fmt: skip


@pytest.mark.parametrize(("meets", "expected"), MEETS)
def test_meets(meets: Any, expected: list[tuple[int, int]]) -> None:
    """A group's meets JSON as ranges; malformed entries are skipped, never an error."""
    assert meets_minutes(meets) == expected


def test_public_meets() -> None:
    """Well-formed entries only, days in week order, times as HH:MM."""
    raw = [{"days": ["we", "mo", "xx"], "start": "9:00", "end": "10:30", "frequency": "monthly", "who": "x"},
           {"days": ["mo"], "start": "bad", "end": "10:00"}, {"days": []}, "junk"]  # fmt: skip
    assert public_meets(raw) == [
        {"days": ["mo", "we"], "start": "09:00", "end": "10:30", "frequency": "monthly"}
    ]
    assert public_meets({"not": "a list"}) == []


def _sql_ranges(value: Any) -> list[tuple[int, int]] | None:
    return None if value is None else [(r.lower, r.upper) for r in value]


def test_stored_minutes_come_from_the_parser(conn: Connection) -> None:
    """hubs.opening_minutes and resources.open_minutes hold what opening_minutes (opening-hours-py) makes of
    every value in the demo, through hours_parsed; a new value written through a record edit is parsed too."""
    raw = conn.connection.driver_connection
    assert raw is not None
    hubs = raw.execute("SELECT opening_hours, opening_minutes FROM hubs").fetchall()
    assert sum(h is not None for h, _ in hubs) > 25
    assert all(_sql_ranges(m) == opening_minutes(h) for h, m in hubs)
    resources = raw.execute("SELECT weekly_hours, open_minutes FROM resources").fetchall()
    assert resources and all(_sql_ranges(m) == opening_minutes(h) for h, m in resources)
    missing = raw.execute(
        "SELECT count(*) FROM hubs WHERE opening_hours IS NOT NULL "
        "AND opening_hours NOT IN (SELECT hours FROM hours_parsed)"
    ).fetchone()
    assert missing == (0,)
    hub_id = raw.execute("SELECT min(id) FROM hubs").fetchone()[0]
    apply_changes(conn, ADMIN, "hub", hub_id, {"opening_hours": "Mo-Fr 09:00-21:00; PH off"})
    stored = raw.execute("SELECT opening_minutes FROM hubs WHERE id = %s", [hub_id]).fetchone()[0]
    assert _sql_ranges(stored) == daily([MO, TU, WE, TH, FR], "09:00", "21:00")


def test_sql_meets_agrees_with_python(conn: Connection) -> None:
    """patchmap_meets_minutes (SQL) and meets_minutes (Python) agree, malformed entries included."""
    raw = conn.connection.driver_connection
    assert raw is not None
    for meets, expected in MEETS:
        got = raw.execute("SELECT patchmap_meets_minutes(%s)", [Jsonb(meets)]).fetchone()
        assert got is not None
        assert _sql_ranges(got[0]) == meets_minutes(meets) == expected, meets


PUBLIC_MEETS_CASES: list[Any] = [m for m, _ in MEETS] + [
    [{"days": ["we", "mo", "xx"], "start": "9:00", "end": "10:30", "frequency": "monthly", "who": "x"},
     {"days": ["mo"], "start": "bad", "end": "10:00"}, {"days": []}, "junk"],
    [{"days": [["mo"], {"mo": 1}, "sa"], "start": " 7:05 ", "end": "7:05", "frequency": 3}],
    [{"days": ["fr"], "start": "24:00", "end": "01:00"}, {"days": ["fr"], "start": "23:59", "end": "24:00"}],
    None, "text", 7, {"days": ["mo"], "start": "10:00", "end": "11:00"},
]  # fmt: skip

PUBLIC_AVAILABILITY_CASES: list[Any] = [
    {"weekdays": True, "evenings": "yes", "notes": "ask", "from": 5},
    {"weekdays": False, "evenings": True, "weekends": None, "from": "2026-01-01", "until": "2026-06-30",
     "notes": "<b>ask</b>", "contact": "private@example.org"},
    {}, None, [], "weekdays", 1, True,
]  # fmt: skip


@pytest.mark.parametrize("meets", PUBLIC_MEETS_CASES)
def test_sql_public_meets_agrees_with_python(conn: Connection, meets: Any) -> None:
    """patchmap_public_meets (SQL, migration 0007, read by the nearby search) is public_meets (Python)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    got = raw.execute(
        "SELECT patchmap_public_meets(%s)", [None if meets is None else Jsonb(meets)]
    ).fetchone()
    assert got is not None
    assert got[0] == public_meets(meets)


@pytest.mark.parametrize("availability", PUBLIC_AVAILABILITY_CASES)
def test_sql_public_availability_agrees_with_python(conn: Connection, availability: Any) -> None:
    """patchmap_public_availability (SQL) is public_availability (Python): known keys of the right type."""
    raw = conn.connection.driver_connection
    assert raw is not None
    value = None if availability is None else Jsonb(availability)
    got = raw.execute("SELECT patchmap_public_availability(%s)", [value]).fetchone()
    assert got is not None
    assert got[0] == public_availability(availability)


def test_stored_public_shapes_match_python(conn: Connection) -> None:
    """groups.meets_public and spaces.availability_public hold the Python shape for every demo row (the
    search tests' own groups, with meets, go through the API)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    groups = raw.execute("SELECT meets, meets_public FROM groups").fetchall()
    spaces = raw.execute("SELECT availability, availability_public FROM spaces").fetchall()
    assert len(groups) > 50 and len(spaces) > 20
    assert all(public == public_meets(meets) for meets, public in groups)
    assert all(public == public_availability(a) for a, public in spaces)

"""The time rules with no database: clock changes, series dates, weekly hours, the grid and free spans."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from layers.booking.forms import InvalidBooking, validate_booking
from layers.booking.rules import (
    LONDON,
    Terms,
    local_instant,
    on_grid,
    open_intervals,
    series_starts,
    within_hours,
)
from layers.errors import InvalidInput


def terms(hours: str = "Mo-Su 00:00-24:00", slot: int = 30, min_minutes: int = 30) -> Terms:
    """Terms of a made-up hall."""
    return Terms(1, "room", 1, "Hall", hours, slot, min_minutes, 480, 0, 730, 0, None, 10.0)


def test_a_time_the_clocks_skip_or_repeat_is_refused_naming_the_change() -> None:
    with pytest.raises(InvalidInput, match="does not exist") as gap:
        local_instant(date(2027, 3, 28), time(1, 30))
    assert "clocks go forward" in gap.value.detail
    with pytest.raises(InvalidInput, match="happens twice") as fold:
        local_instant(date(2027, 10, 31), time(1, 30))
    assert "clocks go back" in fold.value.detail
    assert local_instant(date(2027, 3, 28), time(2, 30)) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first", "offsets"),
    [
        (date(2027, 3, 16), ["+00:00", "+00:00", "+01:00", "+01:00"]),
        (date(2027, 10, 19), ["+01:00", "+01:00", "+00:00", "+00:00"]),
    ],
)
def test_a_series_keeps_its_local_time_across_the_clock_change(first: date, offsets: list[str]) -> None:
    weeks = series_starts(local_instant(first, time(18)), 4)
    starts = [s for _, s in weeks]
    assert all(isinstance(s, datetime) for s in starts)
    local = [s.astimezone(LONDON) for s in starts if isinstance(s, datetime)]
    assert [t.strftime("%H:%M") for t in local] == ["18:00"] * 4
    assert [t.isoformat()[-6:] for t in local] == offsets
    assert [d for d, _ in weeks] == [first + timedelta(weeks=k) for k in range(4)]


def test_a_series_week_on_a_skipped_time_is_named() -> None:
    weeks = series_starts(local_instant(date(2027, 3, 21), time(1, 30)), 2)
    assert isinstance(weeks[1][1], str) and "does not exist" in weeks[1][1]


def test_weekly_hours_are_checked_on_the_wall_clock() -> None:
    t = terms("Mo-Fr 09:00-22:00; Sa 10:00-16:00")
    tuesday = date(2027, 1, 12)
    assert within_hours(t, local_instant(tuesday, time(18)), local_instant(tuesday, time(22)))
    assert not within_hours(t, local_instant(tuesday, time(21)), local_instant(tuesday, time(22, 30)))
    assert not within_hours(
        t, local_instant(date(2027, 1, 17), time(11)), local_instant(date(2027, 1, 17), time(12))
    )
    late = terms("Su 20:00-24:00; Mo 00:00-02:00")  # over Sunday midnight into Monday
    sunday = date(2027, 1, 17)
    assert within_hours(
        late, local_instant(sunday, time(23)), local_instant(sunday + timedelta(days=1), time(1))
    )


def test_open_spans_on_a_clock_change_day_are_the_right_length() -> None:
    spring = open_intervals(terms(), date(2027, 3, 28), date(2027, 3, 28))
    assert [(e - s) for s, e in spring] == [timedelta(hours=23)]
    autumn = open_intervals(terms(), date(2027, 10, 31), date(2027, 10, 31))
    assert [(e - s) for s, e in autumn] == [timedelta(hours=25)]


def test_free_spans_are_trimmed_to_the_grid() -> None:
    start = datetime(2027, 1, 12, 9, 10, tzinfo=UTC)
    spans = on_grid(
        terms(slot=30, min_minutes=60),
        [(start, start + timedelta(minutes=95)), (start, start + timedelta(minutes=60))],
    )
    assert spans == [(datetime(2027, 1, 12, 9, 30, tzinfo=UTC), datetime(2027, 1, 12, 10, 30, tzinfo=UTC))]


BASE = {"kind": "room", "id": 1, "minutes": 60, "name": "Sam", "email": "sam@example.org", "purpose": "Choir",
        "attendees": 5, "consent": True}  # fmt: skip


def test_a_naive_start_is_refused_saying_which_zone_date_and_time_use() -> None:
    with pytest.raises(InvalidBooking) as exc:
        validate_booking({**BASE, "start": "2027-01-12T18:00:00"})
    assert [where for where, _ in exc.value.problems] == ["start"]
    assert "offset" in exc.value.problems[0][1] and "Europe/London" in exc.value.problems[0][1]
    ok = validate_booking({**BASE, "start": "2027-01-12T18:00:00+00:00"})
    assert ok.start is not None and ok.start.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"date": "2027-01-12"}, "say when"),
        ({"date": "2027-01-12", "time": "18:00", "start": "2027-01-12T18:00:00Z"}, "one way"),
        ({"date": "2027-01-12", "time": "18:00", "repeat_weeks": 53}, "at most 52"),
        ({"date": "2027-01-12", "time": "18:00", "consent": False}, "tick the box"),
        ({"date": "2027-01-12", "time": "18:00", "email": None}, "email address or a phone"),
        ({"date": "2027-01-12", "time": "18:00", "attendees": 0}, "at least 1"),
        ({"date": "2999-01-12", "time": "18:00"}, "between 2000 and 2100"),
    ],
)
def test_malformed_requests_name_the_problem(change: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidBooking) as exc:
        validate_booking({k: v for k, v in {**BASE, **change}.items() if v is not None})
    assert problem in exc.value.detail

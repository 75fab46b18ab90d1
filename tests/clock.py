"""Dates for tests that must hold on whatever day they run: next year's clock changes, never a fixed year
(which turns into the past, and then lies beyond how far ahead anything can be searched or booked)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of a month (the UK's clocks change on March's and October's)."""
    end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return end - timedelta(days=(end.weekday() + 1) % 7)


def next_year_clock_changes() -> tuple[date, date]:
    """Next year's spring-forward day (local 01:00-02:00 does not happen) and fall-back day (it happens
    twice): 10 to 22 months ahead, so always to come and within a two-year reach."""
    year = datetime.now(LONDON).year + 1
    return last_sunday(year, 3), last_sunday(year, 10)

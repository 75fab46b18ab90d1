"""The free-room search's window (layers.queries.search_free.free_window) at awkward moments, with ``now``
given: Sunday 23:30 in London, a window over midnight, the year's last minute, the clock-change night and a
UTC moment that is already tomorrow in London."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from layers.errors import InvalidInput
from layers.queries.search_free import free_window

SUNDAY = 6 * 1440  # Sunday 00:00 in minutes of the week

# (why, free_from, minutes, now, (local date, start minute of the week, end minute) or the refusal's words)
WINDOWS: list[tuple[str, str, int, datetime, tuple[str, int | None, int | None] | str]] = [
    ("Sunday 23:30 for half an hour ends at midnight", "2027-01-31T23:30", 30,
     datetime(2027, 1, 31, 23, 0, tzinfo=UTC), ("2027-01-31", SUNDAY + 1410, SUNDAY + 1440)),
    ("Sunday 23:30 for an hour crosses midnight: nothing is free", "2027-01-31T23:30", 60,
     datetime(2027, 1, 31, 23, 0, tzinfo=UTC), ("2027-01-31", None, None)),
    ("a minute ago is still now (the year's last minute, to midnight)", "2027-12-31T23:59", 1,
     datetime(2027, 12, 31, 23, 59, 30, tzinfo=UTC), ("2027-12-31", 4 * 1440 + 1439, 5 * 1440)),
    ("two minutes ago is the past", "2027-12-31T23:57", 60, datetime(2027, 12, 31, 23, 59, 30, tzinfo=UTC),
     "in the past"),
    ("01:30 on the spring-forward night does not exist", "2027-03-28T01:30", 60,
     datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "does not exist"),
    ("00:30 GMT that night, for an hour, ends at 02:30 BST", "2027-03-28T00:30", 60,
     datetime(2027, 3, 28, 0, 0, tzinfo=UTC), ("2027-03-28", SUNDAY + 30, SUNDAY + 150)),
    ("23:30 UTC on a summer Sunday is Monday 00:30 in London", "2027-06-13T23:30:00+00:00", 60,
     datetime(2027, 6, 13, 22, 0, tzinfo=UTC), ("2027-06-14", 30, 90)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("why", "free_from", "minutes", "now", "expected"), WINDOWS, ids=[w[0] for w in WINDOWS]
)
def test_the_window_at_awkward_moments(
    why: str, free_from: str, minutes: int, now: datetime, expected: tuple[str, int | None, int | None] | str
) -> None:
    if isinstance(expected, str):
        with pytest.raises(InvalidInput, match=expected):
            free_window(datetime.fromisoformat(free_from), minutes, now=now)
        return
    window = free_window(datetime.fromisoformat(free_from), minutes, now=now)
    assert (window.local_date, window.start_minute, window.end_minute) == expected, why

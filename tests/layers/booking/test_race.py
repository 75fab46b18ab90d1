"""The exclusion constraint decides a race the checks cannot see: a second booking whose check ran before the
first committed waits on the first's slot, then gets a clash (409) naming the time, and nothing of it stays."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from layers.booking import book
from layers.booking.forms import validate_booking
from layers.errors import Conflict
from tests.layers.booking.places import Place, make_room, remove
from tests.layers.booking.test_book import CLIENT, NOW, SETTINGS, ask
from tests.waiting import until


@pytest.fixture
def room(engine: Engine) -> Iterator[Place]:
    """A committed room, removed after the test."""
    with engine.begin() as conn:
        place = make_room(conn)
    yield place
    with engine.begin() as conn:
        remove(conn, place)


def waiting_on_a_lock(engine: Engine, pid: int) -> bool:
    """Whether the backend ``pid`` is waiting for a lock (on the first booking's uncommitted slot)."""
    with engine.connect() as conn:
        query = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %(p)s"
        return bool(conn.exec_driver_sql(query, {"p": pid}).scalar())


def _race(engine: Engine, room: Place, outcome: dict[str, Any]) -> None:
    """Start the second booking in a thread (on its own connection) and wait until it waits on the first's
    uncommitted slot."""
    known = threading.Event()

    def race() -> None:
        with engine.connect() as second:
            outcome["pid"] = int(second.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            second.commit()
            known.set()
            try:
                with second.begin():
                    wanted = validate_booking(ask(room, name="Other"))
                    book(second, wanted, settings=SETTINGS, client="other", now=NOW)
            except Conflict as exc:
                outcome["error"] = exc

    outcome["thread"] = thread = threading.Thread(target=race)
    thread.start()
    assert known.wait(60), "the second connection did not open"

    def waits() -> bool:
        assert thread.is_alive(), "the second booking ended without waiting on the first's slot"
        return waiting_on_a_lock(engine, outcome["pid"])

    until(waits, "the second booking to wait on the first's uncommitted slot")


def test_a_booking_racing_an_uncommitted_one_gets_a_clash(engine: Engine, room: Place) -> None:
    outcome: dict[str, Any] = {}
    with engine.connect() as first:
        first.begin()
        book(
            first, validate_booking(ask(room)), settings=SETTINGS, client=CLIENT, now=NOW
        )  # not committed yet
        try:
            _race(engine, room, outcome)
        finally:
            first.commit()
            if "thread" in outcome:
                outcome["thread"].join(60)
    error = outcome.get("error")
    assert isinstance(error, Conflict) and "was booked a moment ago" in error.detail
    assert "Tuesday 12 January 2027 18:00-20:00" in error.detail and "Sam" not in error.detail
    with engine.connect() as conn:
        query = "SELECT count(*) FROM bookings WHERE resource_id = %(r)s"
        assert conn.exec_driver_sql(query, {"r": room.resource_id}).scalar_one() == 1

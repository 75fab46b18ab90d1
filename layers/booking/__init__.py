"""Booking rooms and spaces: terms, availability, bookings and regular series, and their management.

The rules of a booking (Europe/London local time, correct across the clock changes; opening hours,
closures, notice, horizon, lengths, capacity) are checked here; the database's exclusion constraint
``no_double_booking`` (migration 0010) makes a double booking impossible whatever the code path.
Modules: ``rules`` (times, no database), ``forms`` (what a booker sends), ``terms`` (a resource's terms and
public summary), ``free_times`` (availability), ``reserve`` (book), ``manage`` (booker's view, cancel, managers' list, confirm,
decline, expiry) and ``messages`` (the outbox texts). See docs/booking.md for the functions to call.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Loaded on first use (PEP 562), so ``layers.booking.rules`` and ``forms`` (pure: no database) can be imported
# by ``mapping`` without pulling in the database modules (tests/layers/test_layering.py reads every import,
# TYPE_CHECKING ones too). Typed callers import from the modules themselves (layers.booking.reserve.book).
_WHERE = {
    "availability": "free_times",
    "book": "reserve",
    "manage_url": "reserve",
    "BookingRequest": "forms",
    "InvalidBooking": "forms",
    "parse_booking": "forms",
    "booker_view": "manage",
    "cancel": "manage",
    "confirm": "manage",
    "decline": "manage",
    "expire_due": "manage",
    "list_bookings": "manage",
    "resource_summary": "terms",
}

__all__ = [
    "BookingRequest",
    "InvalidBooking",
    "availability",
    "book",
    "booker_view",
    "cancel",
    "confirm",
    "decline",
    "expire_due",
    "list_bookings",
    "manage_url",
    "parse_booking",
    "resource_summary",
]


def __getattr__(name: str) -> Any:
    """The public functions, from the module that holds each."""
    if name not in _WHERE:
        raise AttributeError(f"module 'layers.booking' has no attribute {name!r}")
    return getattr(import_module(f"layers.booking.{_WHERE[name]}"), name)

"""Booking rooms and spaces: terms, availability, bookings and regular series, and their management.

The rules of a booking (Europe/London local time, correct across the clock changes; opening hours,
closures, notice, horizon, lengths, capacity) are checked here; the database's exclusion constraint
``no_double_booking`` (migration 0010) makes a double booking impossible whatever the code path.
See docs/booking.md.
"""

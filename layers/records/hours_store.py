"""Opening hours kept parsed in the database (``hours_parsed``, migration 0016): ``register_hours``.

Apart from ``layers.records.hours`` so that the page code, which reads hours but never opens a database, does
not reach SQLAlchemy (tests/layers/test_layering.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

from layers.records.hours import Ranges, opening_minutes


def register_hours(conn: Connection, values: Iterable[str | None]) -> int:
    """Parse the opening_hours values not yet in ``hours_parsed`` and keep them there, so that the triggers
    that fill ``hubs.opening_minutes`` and ``resources.open_minutes`` find them; the number added. Call it
    before writing a row with such a value (in the same transaction)."""
    wanted = sorted({v for v in values if v})
    if not wanted:
        return 0
    have = set(
        conn.execute(text("SELECT hours FROM hours_parsed WHERE hours = ANY(:v)"), {"v": wanted}).scalars()
    )
    new = [{"h": v, "m": _multirange(opening_minutes(v))} for v in wanted if v not in have]
    if new:
        conn.execute(
            text(
                "INSERT INTO hours_parsed (hours, minutes) VALUES (:h, CAST(:m AS int4multirange)) "
                "ON CONFLICT (hours) DO NOTHING"
            ),
            new,
        )
    return len(new)


def _multirange(ranges: Ranges | None) -> str | None:
    if ranges is None:
        return None
    return "{" + ",".join(f"[{a},{b})" for a, b in ranges) + "}"

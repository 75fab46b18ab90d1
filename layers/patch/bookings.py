"""The bookings part of a district co-ordinator's patch: requests to answer, the week's bookings per hub, the
rooms and spaces free now, each resource's rules (read and changed), and the messages held in the outbox.

Every function checks the actor first (``require_patch``, or the resource's district through
``require_district``). Nothing returned holds a booker's contact, a manager's email or a message's body.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy import Connection, text

from layers import booking
from layers.access import audit
from layers.access.scope import Actor, require_district
from layers.booking.rules import LONDON
from layers.errors import InvalidInput, NotFound
from layers.messages import outbox
from layers.patch.summary import require_patch
from layers.records.hours import DAY, WEEK, opening_minutes
from layers.records.hours_store import register_hours
from layers.sql import sql
from layers.taxonomy import PRICE_BANDS

FREE_FOR: Final = timedelta(hours=1)  # "free now": free for at least the next hour
RULE_FIELDS: Final = (
    "weekly_hours", "rate_band", "price_per_hour", "slot_minutes", "min_minutes", "max_minutes",
    "lead_minutes", "horizon_days", "buffer_minutes", "approval", "bookable", "terms",
)  # fmt: skip
WHOLE_NUMBERS: Final = {
    # field: (least, most, words)
    "slot_minutes": (5, 240, "slot length"),
    "min_minutes": (5, 1440, "shortest booking"),
    "max_minutes": (5, 1440, "longest booking"),
    "lead_minutes": (0, 60 * 24 * 90, "least notice"),
    "horizon_days": (1, 730, "how far ahead"),
    "buffer_minutes": (0, 240, "turnaround"),
}
MOST_PRICE: Final = Decimal("10000")


class InvalidRules(InvalidInput):
    """A resource's new rules break one or more checks; ``problems`` lists (field, problem) for a form page."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(
            "The rules were not changed: " + problems[0][1] if len(problems) == 1 else
            f"The rules were not changed: {len(problems)} things need correcting",
            "; ".join(f"{field}: {problem}" for field, problem in problems),
        )  # fmt: skip
        self.problems = problems


def _resources(conn: Connection, district: str) -> list[dict[str, Any]]:
    rows = conn.execute(text(sql("patch_booking_resources.sql")), {"district": district}).mappings()
    return [dict(r) for r in rows]


def free_now(
    conn: Connection, resources: list[dict[str, Any]], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The resources that can be used for the whole next hour: bookable, open by their weekly hours (local
    time), not shut today and not held by a live booking (or its turnaround)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    local = now.astimezone(LONDON)
    minute = local.weekday() * DAY + local.hour * 60 + local.minute
    wanted = int(FREE_FOR.total_seconds() // 60)
    open_now = []
    for r in resources:
        spans = opening_minutes(r["weekly_hours"]) or []
        spans = [*spans, *((s + WEEK, e + WEEK) for s, e in spans)]  # a span may run past Sunday midnight
        if r["bookable"] and r["space_available"] and _inside(spans, minute, minute + wanted):
            open_now.append(r)
    if not open_now:
        return []
    until = now + FREE_FOR
    busy = set(
        conn.execute(
            text(sql("patch_booking_busy_now.sql")),
            {"ids": [r["id"] for r in open_now], "from": now, "to": until, "first_day": local.date(),
             "last_day": until.astimezone(LONDON).date()},
        ).scalars()
    )  # fmt: skip
    return [_brief(r) for r in open_now if r["id"] not in busy]


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies inside one span, joining spans that touch (22:00-24:00 and 00:00-02:00)."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return any(s <= start and end <= e for s, e in merged)


def _brief(r: Mapping[str, Any]) -> dict[str, Any]:
    """A resource as listed: what, where, how many people, the price and where to book it."""
    return {
        "id": r["id"], "kind": r["kind"], "record_id": r["record_id"], "name": r["name"], "place": r["place"],
        "capacity": r["capacity"], "rate_band": r["rate_band"], "price_per_hour": r["price_per_hour"],
        "sample": r["sample"], "book_url": f"/book/{r['kind']}/{r['record_id']}",
    }  # fmt: skip


def waiting_requests(conn: Connection, district: str) -> list[dict[str, Any]]:
    """The district's booking requests waiting for an answer, oldest first (never the booker's contact)."""
    rows = conn.execute(text(sql("patch_booking_requests.sql")), {"district": district}).mappings()
    return [dict(r) for r in rows]


def week_bookings(conn: Connection, district: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The district's live bookings from the start of today (local) for seven days, per hub, with today's
    count; each is its time, status, room or space and reference (never the booker)."""
    today = (now or datetime.now(UTC)).astimezone(LONDON).date()
    start = datetime.combine(today, datetime.min.time(), LONDON)
    end = datetime.combine(today + timedelta(days=7), datetime.min.time(), LONDON)
    rows = conn.execute(
        text(sql("patch_booking_week.sql")), {"district": district, "from": start, "to": end}
    ).mappings()
    hubs: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        hubs.setdefault(r["hub"] or "Other spaces", []).append(
            {**dict(r), "today": r["starts"].astimezone(LONDON).date() <= today}
        )
    return {
        "from": today,
        "to": today + timedelta(days=6),
        "today": sum(1 for slots in hubs.values() for s in slots if s["today"]),
        "week": sum(len(slots) for slots in hubs.values()),
        "hubs": [{"hub": hub, "slots": slots} for hub, slots in hubs.items()],
    }


def held_messages(conn: Connection, district: str) -> list[dict[str, Any]]:
    """The district's messages not yet sent (queued, sending or failed): subject, about and status only."""
    return outbox.held(conn, {district})


def patch_bookings(
    conn: Connection, actor: Actor, district: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Everything in the patch page's bookings section for one district. Checks the actor covers it."""
    require_patch(conn, actor, district)
    resources = _resources(conn, district)
    return {
        "requests": waiting_requests(conn, district),
        "week": week_bookings(conn, district, now=now),
        "free_now": free_now(conn, resources, now=now),
        "resources": resources,
        "messages": held_messages(conn, district),
    }


# ---------------------------------------------------------------- a resource's rules


def resource_rules(conn: Connection, actor: Actor, resource_id: int) -> dict[str, Any]:
    """One resource's rules and where it is, if the actor covers its district (NotFound, Forbidden)."""
    row = conn.execute(
        text(
            "SELECT l.parent_code FROM resources r LEFT JOIN areas l ON l.code = r.lsoa_code WHERE r.id = :i"
        ),
        {"i": resource_id},
    ).first()
    if row is None:
        raise NotFound(f"No bookable room or space {resource_id}", "Choose one from your patch page.")
    require_district(actor, {row[0]} if row[0] else set())
    found = next(r for r in _resources(conn, row[0]) if r["id"] == resource_id)
    return {**found, "district": row[0]}


def check_rules(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The resource's rules with ``changes`` applied (values from JSON or a form), checked together; each
    problem named by its field (InvalidRules). Unknown fields are refused."""
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    problems += [(f, "not a rule that can be changed here") for f in unknown]
    rules = {f: current[f] for f in RULE_FIELDS}
    for field in RULE_FIELDS:
        if field in changes:
            value, problem = _parse(field, changes[field])
            if problem:
                problems.append((field, problem))
            else:
                rules[field] = value
    if not problems:
        problems += _together(rules)
    if problems:
        raise InvalidRules(problems)
    return rules


def _parse(field: str, value: Any) -> tuple[Any, str | None]:
    """One field's value, parsed: (value, None), or (None, the problem in words)."""
    if field in WHOLE_NUMBERS:
        least, most, words = WHOLE_NUMBERS[field]
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        if number is None or not least <= number <= most:
            return None, f"give the {words} as a whole number from {least} to {most}"
        return number, None
    if field == "price_per_hour":
        try:
            price = Decimal(str(value).strip().removeprefix("£")) if not isinstance(value, bool) else None
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or not Decimal(0) <= price <= MOST_PRICE:
            return None, f"give the price per hour in pounds, from 0 to {MOST_PRICE:,}, for example 12.50"
        if price != price.quantize(Decimal("0.01")):
            return None, "give the price in pounds and pence, at most two decimal places"
        return price.quantize(Decimal("0.01")), None
    if field == "weekly_hours":
        hours = str(value).strip() if isinstance(value, str) else ""
        if not hours or len(hours) > 300 or opening_minutes(hours) is None:
            return None, "write the hours as days and times, for example Mo-Fr 09:00-22:00; Sa 10:00-16:00"
        return hours, None
    if field == "rate_band":
        return (value, None) if value in PRICE_BANDS else (None, "choose free, low-cost or market")
    if field == "approval":
        return (value, None) if value in ("instant", "request") else (None, "choose instant or request")
    if field == "bookable":
        if isinstance(value, bool):
            return value, None
        if value in ("true", "false"):
            return value == "true", None
        return None, "say whether it can be booked: true or false"
    # terms
    if value is None or (isinstance(value, str) and len(value) <= 2000):
        return (value.strip() or None) if isinstance(value, str) else None, None
    return None, "write the terms as text, at most 2,000 characters"


def _together(rules: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Checks across fields: lengths on the slot grid and in order, and a free rate costing nothing."""
    problems: list[tuple[str, str]] = []
    slot = rules["slot_minutes"]
    for field, words in (("min_minutes", "shortest"), ("max_minutes", "longest")):
        if rules[field] % slot:
            problems.append((field, f"make the {words} booking a whole number of {slot}-minute slots"))
    if rules["min_minutes"] > rules["max_minutes"]:
        problems.append(("max_minutes", "make the longest booking at least as long as the shortest"))
    if rules["rate_band"] == "free" and Decimal(str(rules["price_per_hour"])) != 0:
        problems.append(
            ("price_per_hour", "a free rate costs nothing: set the price to 0, or choose another band")
        )
    return problems


def update_rules(
    conn: Connection, actor: Actor, resource_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Change a resource's rules (any of RULE_FIELDS), checked as a whole; audited. Returns the rules after."""
    current = resource_rules(conn, actor, resource_id)
    rules = check_rules(current, changes)
    changed = sorted(f for f in RULE_FIELDS if _differs(rules[f], current[f]))
    if changed:
        register_hours(conn, [rules["weekly_hours"]])
        conn.execute(
            text(
                "UPDATE resources SET weekly_hours = :weekly_hours, rate_band = :rate_band, "
                "price_per_hour = :price_per_hour, slot_minutes = :slot_minutes, min_minutes = :min_minutes, "
                "max_minutes = :max_minutes, lead_minutes = :lead_minutes, horizon_days = :horizon_days, "
                "buffer_minutes = :buffer_minutes, approval = :approval, bookable = :bookable, terms = :terms, "
                "updated_at = now() WHERE id = :id"
            ),
            {**rules, "id": resource_id},
        )
        audit.record(
            conn, actor, "resource-rules", object_type="resource", object_id=resource_id,
            district=current["district"], detail={"fields": changed},
        )  # fmt: skip
    return resource_rules(conn, actor, resource_id)


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(str(a)) != Decimal(str(b))
    return bool(a != b)


# ---------------------------------------------------------------- answering requests, and the booking page


def _in_district(conn: Connection, district: str, reference: str) -> None:
    """NotFound unless the booking ``reference`` belongs to ``district`` (a form posted from its patch page)."""
    found = conn.execute(
        text("SELECT 1 FROM bookings WHERE reference = :r AND district_code = :d"),
        {"r": reference, "d": district},
    ).first()
    if found is None:
        raise NotFound(f"No booking {reference} in {district}", "Choose a request from your patch page.")


def confirm_in(conn: Connection, actor: Actor, district: str, reference: str) -> dict[str, Any]:
    """Confirm a request of the district (the manager's view after); scope and state checked by layers.booking."""
    require_patch(conn, actor, district)
    _in_district(conn, district, reference)
    return booking.confirm(conn, actor, reference)


def decline_in(conn: Connection, actor: Actor, district: str, reference: str, reason: str) -> dict[str, Any]:
    """Decline a request of the district with the reason the booker is told (the manager's view after)."""
    require_patch(conn, actor, district)
    _in_district(conn, district, reference)
    return booking.decline(conn, actor, reference, reason)


def place_address(conn: Connection, kind: str, record_id: int) -> str | None:
    """The public address (and postcode) of a room's hub or of a space, for the booking page; None if none."""
    row = conn.execute(text(sql("booking_place_address.sql")), {"kind": kind, "id": record_id}).first()
    if row is None:
        return None
    return ", ".join(p for p in (row[0], row[1]) if p) or None

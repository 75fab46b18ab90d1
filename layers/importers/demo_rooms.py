"""Sample bookable rooms for the demo: made-up rooms, booking terms and prices for Norwich's real hubs.

The demo's community centres, halls and libraries are real (OpenStreetMap); their rooms, hours, prices and
closures are not, so every row written here is marked ``sample`` (rooms and resources) or says "Sample" in
its terms (spaces' prices), and data/README.md says they are made up. The values are drawn from a random
generator seeded by each hub's or space's OpenStreetMap id, so every database gets the same rooms and terms
whatever order the records were loaded in. A second run adds nothing: a hub that already has a room of that
name keeps it (and its terms, which a manager may have changed), a hub with real rooms gets no sample ones,
and a space that already has a price is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import Range

from layers.importers.report import ImportReport, NoProgress, Progress
from layers.models import Hub, Resource, ResourceClosure, Room, Space
from layers.records.hours_store import register_hours
from layers.records.versions import record_import

WHAT = "Sample rooms and booking terms"
SEED: Final = "patchmap-demo-rooms-1"
LONDON: Final = ZoneInfo("Europe/London")
HUB_KINDS_WITH_ROOMS: Final = ("community_centre", "village_hall", "library")
SPACE_KINDS_BOOKABLE: Final = ("room", "hall")  # hired as a whole, by the hour
POP_UP_SHARE: Final = 0.3  # vacant shops that may also be hired by the day as a pop-up (sample)

HALL_HOURS: Final = (
    "Mo-Fr 09:00-22:00; Sa 10:00-16:00",
    "Mo-Sa 09:00-22:00",
    "Mo-Fr 08:30-21:30; Sa-Su 10:00-18:00",
    "Mo-Su 09:00-22:00",
)
LIBRARY_HOURS: Final = (
    "Mo-Fr 09:30-17:00; Sa 10:00-13:00",
    "Tu-Fr 10:00-17:00; Sa 10:00-16:00",
    "Mo-Fr 09:00-19:00; Sa 09:00-17:00",
    "Mo,We,Fr 10:00-17:00; Tu,Th 10:00-19:00",
)
POP_UP_HOURS: Final = "Mo-Sa 09:00-17:00"
TERMS: Final = (
    "Sample terms, made up for the demo: leave the room as you found it; no amplified music after 21:00.",
    "Sample terms, made up for the demo: the hirer sets out and stacks the chairs; no smoking or vaping.",
    "Sample terms, made up for the demo: children's activities need an adult in charge at all times.",
)
SHOP_TERMS: Final = (
    "Sample price and terms, made up for the demo: short-term meanwhile use, by the day, with the owner's "
    "agreement."
)
SPACE_TERMS: Final = "Sample price and terms, made up for the demo."


@dataclass(frozen=True)
class RoomPlan:
    """A made-up room of a hub and the terms it is booked on."""

    name: str
    description: str
    capacity: int
    floor_area_m2: float
    facilities: list[str]
    step_free: bool | None
    terms: dict[str, Any]


@dataclass
class Counts:
    """What one run wrote."""

    hubs: int = 0
    rooms: int = 0
    resources: int = 0
    closures: int = 0
    spaces_priced: int = 0
    spaces_bookable: int = 0
    priced_ids: list[int] = field(default_factory=list)
    room_ids: list[int] = field(default_factory=list)


def _price(rng: random.Random, band: str) -> Decimal:
    """An hourly price in GBP for a community rate band (whole 50p steps): 0, 8-15 or 25-40."""
    low, high = {"free": (0, 0), "low-cost": (16, 30), "market": (50, 80)}[band]
    return Decimal(rng.randint(low, high)) / 2


def _band(rng: random.Random, weights: tuple[int, int, int]) -> str:
    return rng.choices(("free", "low-cost", "market"), weights=weights)[0]


def _terms(rng: random.Random, hours: str, band: str, *, max_minutes: int, approval: str) -> dict[str, Any]:
    """A resource's columns (sample) for a room booked on the hub's hours."""
    return {
        "rate_band": band,
        "price_per_hour": _price(rng, band),
        "weekly_hours": hours,
        "slot_minutes": 30,
        "min_minutes": 60,
        "max_minutes": max_minutes,
        "lead_minutes": 1440,
        "horizon_days": 180,
        "buffer_minutes": rng.choice((0, 15, 30)),
        "approval": approval,
        "terms": rng.choice(TERMS),
        "bookable": True,
        "sample": True,
    }


def plan_rooms(kind: str, step_free: bool | None, rng: random.Random) -> list[RoomPlan]:
    """Two or three made-up rooms for a hub of ``kind``, all booked on one set of weekly hours."""
    if kind == "library":
        hours = rng.choice(LIBRARY_HOURS)
        seats = rng.randint(20, 40)
        either = rng.choice(("instant", "request"))
        return [
            RoomPlan(
                "Community room", _sample("a carpeted room with tables, chairs and a screen."), seats,
                float(round(seats * 1.8)), ["screen", "tables_chairs", "wifi"], step_free,
                _terms(rng, hours, _band(rng, (3, 5, 1)), max_minutes=240, approval=either),
            ),
            RoomPlan(
                "Study room", _sample("a quiet room for a small meeting or a tutor."), rng.randint(4, 8),
                float(rng.randint(10, 16)), ["table", "wifi"], step_free,
                _terms(rng, hours, _band(rng, (5, 4, 0)), max_minutes=240, approval="instant"),
            ),
        ]  # fmt: skip
    hours = rng.choice(HALL_HOURS)
    people = rng.choice((60, 80, 100, 120))
    extras = rng.sample(["hearing_loop", "piano", "projector"], 2)
    hall_approval = rng.choice(("request", "request", "instant"))
    meeting_approval = rng.choice(("instant", "request"))
    rooms = [
        RoomPlan(
            "Main hall", _sample("a large hall with a stage, stacking chairs and folding tables."), people,
            float(round(people * 1.5)), sorted(["stage", "tables_chairs", *extras]), step_free,
            _terms(rng, hours, _band(rng, (1, 5, 4)), max_minutes=rng.choice((360, 480)), approval=hall_approval),
        ),
        RoomPlan(
            "Meeting room", _sample("a room for a committee or a small class."), rng.randint(10, 16),
            float(rng.randint(20, 35)), ["tables_chairs", "whiteboard", "wifi"],
            step_free if rng.random() < 0.7 else False,  # upstairs in some halls
            _terms(rng, hours, _band(rng, (2, 6, 2)), max_minutes=240, approval=meeting_approval),
        ),
    ]  # fmt: skip
    if rng.random() < 0.6:
        rooms.append(
            RoomPlan(
                "Kitchen", _sample("a kitchen with a cooker, fridge and urn, hired with or without the hall."),
                rng.randint(6, 10), float(rng.randint(15, 25)), ["cooker", "fridge", "sink", "urn"], step_free,
                _terms(rng, hours, _band(rng, (2, 7, 1)), max_minutes=240, approval="instant"),
            )
        )  # fmt: skip
    return rooms


def _sample(what: str) -> str:
    return f"Sample room, made up for the demo: {what}"


def closure_dates(today: date) -> list[tuple[date, date, str]]:
    """The next Christmas (25-26 December) and New Year's Day from ``today``: [first, last + 1), reason."""
    year = today.year if today <= date(today.year, 12, 26) else today.year + 1
    return [
        (date(year, 12, 25), date(year, 12, 27), "Christmas (sample closure)"),
        (date(year + 1, 1, 1), date(year + 1, 1, 2), "New Year's Day (sample closure)"),
    ]


def _rng(source: str, source_id: str | None, record_id: int) -> random.Random:
    """A generator seeded by the record's source id (its row id when it has none)."""
    return random.Random(f"{SEED}:{source}:{source_id or record_id}")  # noqa: S311 (made-up data, not secrets)


def _add_resource(conn: Connection, columns: dict[str, Any], closures: list[tuple[date, date, str]]) -> int:
    """Insert one resource (a room's or a space's) and its closures; its id."""
    register_hours(conn, [columns.get("weekly_hours")])
    resource_id = int(conn.execute(insert(Resource).values(**columns).returning(Resource.id)).scalar_one())
    conn.execute(
        insert(ResourceClosure),
        [
            {"resource_id": resource_id, "dates": Range(a, b, bounds="[)"), "reason": why}
            for a, b, why in closures
        ],
    )
    return resource_id


def _add_hub_rooms(conn: Connection, counts: Counts, closures: list[tuple[date, date, str]]) -> int:
    """Sample rooms for the demo's community centres, halls and libraries that have no real rooms."""
    real_rooms = exists().where(and_(Room.hub_id == Hub.id, Room.sample.is_(False)))
    hubs = conn.execute(
        select(Hub.id, Hub.kind, Hub.source, Hub.source_id, Hub.step_free)
        .where(Hub.kind.in_(HUB_KINDS_WITH_ROOMS), ~real_rooms)
        .order_by(Hub.id)
    ).all()
    for hub in hubs:
        rng = _rng(hub.source, hub.source_id, hub.id)
        have = set(conn.execute(select(Room.name).where(Room.hub_id == hub.id)).scalars())
        added = False
        for plan in plan_rooms(hub.kind, hub.step_free, rng):
            if plan.name in have:
                continue
            room_id = conn.execute(
                insert(Room)
                .values(
                    hub_id=hub.id, name=plan.name, description=plan.description, capacity=plan.capacity,
                    floor_area_m2=plan.floor_area_m2, facilities=plan.facilities, step_free=plan.step_free,
                    sample=True,
                )
                .returning(Room.id)
            ).scalar_one()  # fmt: skip
            _add_resource(conn, {"room_id": room_id, **plan.terms}, closures)
            counts.rooms += 1
            counts.room_ids.append(room_id)
            counts.resources += 1
            counts.closures += len(closures)
            added = True
        counts.hubs += added
    if counts.room_ids:  # each new room's version 1, as an import's ("create", no author)
        record_import(conn, "room", counts.room_ids)
    return len(hubs)


def _price_spaces(conn: Connection, counts: Counts, closures: list[tuple[date, date, str]]) -> int:
    """Prices (sample) for the demo's available spaces that have none; rooms and halls, and some vacant
    shops (as day-long pop-ups), also bookable as a whole."""
    spaces = conn.execute(
        select(Space.id, Space.kind, Space.source, Space.source_id, Space.terms)
        .where(Space.status == "available", Space.price_amount.is_(None), Space.price_band.is_(None))
        .order_by(Space.id)
    ).all()
    for space in spaces:
        rng = _rng(space.source, space.source_id, space.id)
        if space.kind == "vacant_shop":
            band = _band(rng, (1, 3, 3))
            hourly = _price(rng, band) / 2  # a shop by the day: 0, 4-7.50 or 12.50-20 an hour
            pop_up = rng.random() < POP_UP_SHARE
            price = {"price_amount": hourly * 8, "price_unit": "day", "price_band": band}
            terms = SHOP_TERMS
        else:
            band = _band(rng, (1, 5, 3))
            hourly = _price(rng, band)
            pop_up = space.kind in SPACE_KINDS_BOOKABLE
            price = {"price_amount": hourly, "price_unit": "hour", "price_band": band}
            terms = SPACE_TERMS
        conn.execute(update(Space).where(Space.id == space.id).values(**price, terms=space.terms or terms))
        counts.spaces_priced += 1
        counts.priced_ids.append(space.id)
        if not pop_up:
            continue
        shop = space.kind == "vacant_shop"
        columns = {
            "space_id": space.id, "rate_band": band, "price_per_hour": hourly,
            "weekly_hours": POP_UP_HOURS if shop else rng.choice(HALL_HOURS), "slot_minutes": 60 if shop else 30,
            "min_minutes": 240 if shop else 60, "max_minutes": 480, "lead_minutes": 2880 if shop else 1440,
            "horizon_days": 180, "buffer_minutes": 0 if shop else rng.choice((0, 15, 30)),
            "approval": "request" if shop else rng.choice(("instant", "request")),
            "terms": terms, "bookable": True, "sample": True,
        }  # fmt: skip
        _add_resource(conn, columns, closures)
        counts.resources += 1
        counts.closures += len(closures)
        counts.spaces_bookable += 1
    if counts.priced_ids:
        record_import(conn, "space", counts.priced_ids)
    return len(spaces)


def sample_totals(conn: Connection) -> dict[str, int]:
    """How many sample rooms, hubs with them, and bookable sample resources the database holds."""
    rooms, hubs = conn.execute(
        select(func.count(), func.count(Room.hub_id.distinct())).where(Room.sample.is_(True))
    ).one()
    bookable = conn.execute(
        select(func.count()).where(Resource.sample.is_(True), Resource.bookable.is_(True))
    ).scalar_one()
    return {"rooms": int(rooms), "hubs": int(hubs), "bookable": int(bookable)}


def add_sample_rooms(
    conn: Connection, *, today: date | None = None, progress: Progress | None = None
) -> ImportReport:
    """Made-up (sample) rooms, booking terms and closures for the demo's community centres, halls and
    libraries, and prices for its available spaces, in one savepoint; a second run adds nothing."""
    progress = progress or NoProgress()
    today = today or datetime.now(LONDON).date()
    closures = closure_dates(today)
    report = ImportReport(what=WHAT, source="the demo's hubs and spaces (values made up: sample)")
    counts = Counts()
    progress.start("Making sample rooms and booking terms", None)
    with conn.begin_nested():
        hubs_seen = _add_hub_rooms(conn, counts, closures)
        spaces_seen = _price_spaces(conn, counts, closures)
    report.rows = hubs_seen + spaces_seen
    report.loaded = counts.rooms + counts.spaces_bookable
    report.updated = counts.spaces_priced
    report.unchanged = (hubs_seen - counts.hubs) + (spaces_seen - counts.spaces_priced)
    totals = sample_totals(conn)
    report.notes.append(
        f"{totals['rooms']} rooms in {totals['hubs']} hubs, {totals['bookable']} bookable, sample"
    )
    report.notes.append(
        f"this run: {counts.rooms} rooms, {counts.resources} bookable resources with {counts.closures} "
        f"closures, {counts.spaces_priced} spaces priced ({counts.spaces_bookable} bookable as a whole); "
        "all made up (sample)"
    )
    return report

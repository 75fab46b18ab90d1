"""The demo's sample rooms, booking terms and space prices: counts, sample labels, terms that parse, a
deterministic generator, and re-runs that add nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from layers.booking import BookingRequest, availability, book, resource_summary
from layers.booking.rules import LONDON
from layers.importers.demo import table_counts
from layers.importers.demo_rooms import (
    HALL_HOURS,
    LIBRARY_HOURS,
    POP_UP_HOURS,
    add_sample_rooms,
    closure_dates,
)
from layers.settings import BookingSettings

ROOM_HUBS = ("library", "community_centre", "village_hall")


def _rows(conn: Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def _room_terms(conn: Connection) -> list[tuple[Any, ...]]:
    """Every sample room and its terms, keyed by its hub's OpenStreetMap id (not by row ids)."""
    return [
        tuple(r.values())
        for r in _rows(
            conn,
            "SELECT h.source_id, rm.name, rm.description, rm.capacity, rm.floor_area_m2, rm.facilities, "
            "rm.step_free, x.rate_band, x.price_per_hour, x.weekly_hours, x.slot_minutes, x.min_minutes, "
            "x.max_minutes, x.lead_minutes, x.horizon_days, x.buffer_minutes, x.approval, x.terms, "
            "(SELECT array_agg(c.dates::text ORDER BY c.dates) FROM resource_closures c "
            " WHERE c.resource_id = x.id) AS closures "
            "FROM rooms rm JOIN hubs h ON h.id = rm.hub_id JOIN resources x ON x.room_id = rm.id "
            "WHERE rm.sample ORDER BY h.source_id, rm.name",
        )
    ]


def _space_prices(conn: Connection) -> list[tuple[Any, ...]]:
    return [
        tuple(r.values())
        for r in _rows(
            conn,
            "SELECT s.source_id, s.price_amount, s.price_unit, s.price_band, s.terms, x.price_per_hour, "
            "x.weekly_hours, x.min_minutes FROM spaces s LEFT JOIN resources x ON x.space_id = s.id "
            "ORDER BY s.source_id",
        )
    ]


def test_every_library_centre_and_hall_has_bookable_sample_rooms(conn: Connection) -> None:
    """Each of the demo's libraries, community centres and halls has 2 or 3 rooms, each bookable; the count
    stays modest (every test database holds them)."""
    hubs = _rows(
        conn,
        "SELECT h.id, h.kind, count(rm.id) AS rooms, count(x.id) FILTER (WHERE x.bookable) AS bookable "
        "FROM hubs h LEFT JOIN rooms rm ON rm.hub_id = h.id LEFT JOIN resources x ON x.room_id = rm.id "
        "WHERE h.kind = ANY(:kinds) GROUP BY h.id, h.kind",
        kinds=list(ROOM_HUBS),
    )
    assert len(hubs) >= 20 and {h["kind"] for h in hubs} == set(ROOM_HUBS)
    assert all(2 <= h["rooms"] <= 3 and h["bookable"] == h["rooms"] for h in hubs), hubs
    (other_hubs,) = conn.execute(
        text("SELECT count(*) FROM rooms rm JOIN hubs h ON h.id = rm.hub_id WHERE h.kind <> ALL(:kinds)"),
        {"kinds": list(ROOM_HUBS)},
    ).one()
    assert other_hubs == 0
    rooms = sum(h["rooms"] for h in hubs)
    assert 40 <= rooms <= 150
    assert table_counts(conn)["rooms"] == rooms


def test_everything_made_up_is_labelled_sample(conn: Connection) -> None:
    """Every room and resource of the demo is sample, and so says its description or terms; every priced
    space's terms say its price is a sample."""
    assert _rows(conn, "SELECT id FROM rooms WHERE NOT sample") == []
    assert _rows(conn, "SELECT id FROM resources WHERE NOT sample") == []
    assert _rows(conn, "SELECT id FROM rooms WHERE description NOT LIKE 'Sample room, made up%'") == []
    assert _rows(conn, "SELECT id FROM resources WHERE terms NOT LIKE 'Sample%'") == []
    priced = _rows(conn, "SELECT id, terms FROM spaces WHERE price_band IS NOT NULL")
    assert priced and all(s["terms"].startswith("Sample price and terms") for s in priced)
    assert _rows(conn, "SELECT reason FROM resource_closures WHERE reason NOT LIKE '%(sample closure)'") == []


def test_terms_parse_and_fit_the_rules(conn: Connection) -> None:
    """Weekly hours are one of the made-up sets and parse (open_minutes); prices match their band; lengths,
    notice and horizon are as documented; approval is a mix."""
    resources = _rows(conn, "SELECT *, price_per_hour::float AS price FROM resources")
    assert resources and all(r["open_minutes"] is not None for r in resources)
    assert {r["weekly_hours"] for r in resources} <= {*HALL_HOURS, *LIBRARY_HOURS, POP_UP_HOURS}
    rooms = [r for r in resources if r["room_id"] is not None]
    for r in rooms:
        low, high = {"free": (0, 0), "low-cost": (8, 15), "market": (25, 40)}[r["rate_band"]]
        assert low <= r["price"] <= high, r
        assert (r["slot_minutes"], r["min_minutes"], r["lead_minutes"], r["horizon_days"]) == (
            30,
            60,
            1440,
            180,
        )
        assert 240 <= r["max_minutes"] <= 480 and r["buffer_minutes"] in (0, 15, 30)
        assert r["hub_id"] is not None and r["geom"] is not None and r["capacity"] >= 4
    assert {r["approval"] for r in rooms} == {"instant", "request"}
    assert {r["rate_band"] for r in rooms} == {"free", "low-cost", "market"}


def test_available_spaces_get_prices_and_some_are_bookable(conn: Connection) -> None:
    """Every available demo space has a price (a vacant shop by the day); some shops can be hired whole as
    a pop-up, at the day's price over 8 hours."""
    unpriced = _rows(conn, "SELECT id FROM spaces WHERE status = 'available' AND price_band IS NULL")
    assert unpriced == []
    shops = _rows(
        conn,
        "SELECT s.price_amount, s.price_unit, s.price_band, x.rate_band, x.price_per_hour, x.weekly_hours "
        "FROM spaces s JOIN resources x ON x.space_id = s.id WHERE s.kind = 'vacant_shop'",
    )
    assert 1 <= len(shops) < table_counts(conn)["spaces"]
    for s in shops:
        assert s["price_unit"] == "day" and s["price_amount"] == s["price_per_hour"] * 8
        assert s["price_band"] == s["rate_band"] and s["weekly_hours"] == POP_UP_HOURS


def test_closures_are_the_next_christmas_and_new_year() -> None:
    assert closure_dates(date(2026, 12, 5)) == [
        (date(2026, 12, 25), date(2026, 12, 27), "Christmas (sample closure)"),
        (date(2027, 1, 1), date(2027, 1, 2), "New Year's Day (sample closure)"),
    ]
    assert [c[0] for c in closure_dates(date(2026, 12, 27))] == [date(2027, 12, 25), date(2028, 1, 1)]
    assert [c[0] for c in closure_dates(date(2027, 6, 1))] == [date(2027, 12, 25), date(2028, 1, 1)]


def test_a_second_run_adds_nothing(conn: Connection) -> None:
    """Run again (as `patchmap demo` does over a loaded database): no row added or changed."""
    before = (table_counts(conn), _room_terms(conn), _space_prices(conn))
    versions = conn.execute(text("SELECT count(*) FROM record_versions")).scalar_one()
    report = add_sample_rooms(conn)
    assert (report.loaded, report.updated, report.rejected) == (0, 0, [])
    assert (table_counts(conn), _room_terms(conn), _space_prices(conn)) == before
    assert conn.execute(text("SELECT count(*) FROM record_versions")).scalar_one() == versions
    assert report.notes[0].endswith(" bookable, sample") and " rooms in " in report.notes[0]


def test_the_same_rooms_and_prices_every_time(conn: Connection) -> None:
    """Made again from nothing, the rooms, terms and prices are the same (seeded by OpenStreetMap ids)."""
    rooms, spaces = _room_terms(conn), _space_prices(conn)
    christmas = conn.execute(text("SELECT min(lower(dates)) FROM resource_closures")).scalar_one()
    conn.execute(text("DELETE FROM resources"))
    conn.execute(text("DELETE FROM rooms"))
    conn.execute(
        text("UPDATE spaces SET price_amount = NULL, price_unit = NULL, price_band = NULL, terms = NULL")
    )
    report = add_sample_rooms(conn, today=date(christmas.year, 12, 1))  # the same closures as the demo's
    assert report.loaded > 0 and report.notes[0].startswith(f"{len(rooms)} rooms in ")
    assert _room_terms(conn) == rooms
    assert _space_prices(conn) == spaces


def test_a_hub_with_real_rooms_gets_no_sample_ones(conn: Connection) -> None:
    """A hub whose own rooms are recorded (not sample) keeps them and gets no made-up ones."""
    hub_id = conn.execute(
        text(
            "INSERT INTO hubs (name, kind, geom) VALUES ('Test hall', 'village_hall', "
            "ST_SetSRID(ST_MakePoint(1.29, 52.63), 4326)) RETURNING id"
        )
    ).scalar_one()
    conn.execute(
        text("INSERT INTO rooms (hub_id, name, capacity) VALUES (:h, 'Big room', 50)"), {"h": hub_id}
    )
    report = add_sample_rooms(conn)
    assert report.loaded == 0
    names = conn.execute(text("SELECT name, sample FROM rooms WHERE hub_id = :h"), {"h": hub_id}).all()
    assert [tuple(n) for n in names] == [("Big room", False)]


def test_a_new_hall_gets_sample_rooms(conn: Connection) -> None:
    """A hall added later (say by a re-import) gets its sample rooms on the next run; the others none."""
    rooms_before = table_counts(conn)["rooms"]
    hub_id = conn.execute(
        text(
            "INSERT INTO hubs (name, kind, geom, source, source_id) VALUES ('New hall', 'community_centre', "
            "ST_SetSRID(ST_MakePoint(1.29, 52.63), 4326), 'osm', 'node/1') RETURNING id"
        )
    ).scalar_one()
    report = add_sample_rooms(conn)
    added = _rows(
        conn,
        "SELECT rm.name, x.price_per_hour FROM rooms rm JOIN resources x ON x.room_id = rm.id "
        "WHERE rm.hub_id = :h AND rm.sample AND x.sample",
        h=hub_id,
    )
    assert [a["name"] for a in added][:2] == ["Main hall", "Meeting room"] and report.loaded == len(added)
    assert table_counts(conn)["rooms"] == rooms_before + len(added)
    assert all(isinstance(a["price_per_hour"], Decimal) for a in added)


def test_sample_rooms_and_shops_can_be_booked(conn: Connection) -> None:
    """The made-up terms work with the booking rules: a library's room, a hall and a pop-up shop each have
    free times in the next fortnight, the first of them can be booked, and the answer says sample."""
    now = datetime.now(UTC)  # one now for both: a free time on the grid can be seconds ahead of it
    today = now.astimezone(LONDON).date()
    picks = _rows(
        conn,
        "SELECT DISTINCT ON (what) what, kind, record_id, approval, min_minutes FROM ("
        " SELECT coalesce(h.kind, s.kind) AS what, CASE WHEN x.room_id IS NULL THEN 'space' ELSE 'room' END AS kind,"
        "  coalesce(x.room_id, x.space_id) AS record_id, x.approval, x.min_minutes, x.id"
        " FROM resources x LEFT JOIN hubs h ON h.id = x.hub_id AND x.room_id IS NOT NULL"
        " LEFT JOIN spaces s ON s.id = x.space_id) r ORDER BY what, id",
    )
    assert {p["what"] for p in picks} == {*ROOM_HUBS, "vacant_shop"}
    for p in picks:
        fortnight = (today, today + timedelta(days=13))
        free = availability(conn, p["kind"], p["record_id"], *fortnight, now=now)["free"]
        start = next(f["start"] for f in free if f["end"] - f["start"] >= timedelta(minutes=p["min_minutes"]))
        request = BookingRequest.model_validate(
            {"kind": p["kind"], "id": p["record_id"], "start": start.isoformat(), "minutes": p["min_minutes"],
             "name": "Sample tester", "email": "tester@example.org", "purpose": "Sample booking (test)",
             "attendees": 2, "consent": True}
        )  # fmt: skip
        answer = book(conn, request, settings=BookingSettings(), client="demo-rooms-test", now=now)
        expected = "confirmed" if p["approval"] == "instant" else "requested"
        assert (answer["status"], answer["sample"]) == (expected, True), p
        assert resource_summary(conn, p["kind"], p["record_id"])["sample"] is True


def test_availability_shows_the_sample_closures(conn: Connection) -> None:
    """Christmas and New Year's Day are closed dates of every sample room, with their reason."""
    christmas = conn.execute(text("SELECT min(lower(dates)) FROM resource_closures")).scalar_one()
    room_id = conn.execute(text("SELECT min(room_id) FROM resources")).scalar_one()
    shown = availability(conn, "room", room_id, christmas - timedelta(days=1), christmas + timedelta(days=8))
    assert [(c["date"].isoformat()[5:], c["reason"]) for c in shown["closed"]] == [
        ("12-25", "Christmas (sample closure)"),
        ("12-26", "Christmas (sample closure)"),
        ("01-01", "New Year's Day (sample closure)"),
    ]
    assert not any(f["start"].date() in (christmas, christmas + timedelta(days=1)) for f in shown["free"])
